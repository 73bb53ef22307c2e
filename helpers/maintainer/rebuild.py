"""Rebuild a notebook's recording and stored outputs in one command.

    python -m helpers.maintainer.rebuild notebooks/01_generate.ipynb [--track primary|successor] [--from simulator|api]
    python -m helpers.maintainer.rebuild --all        # every kit lesson, both tracks, then the generated docs

A lesson has one source file (``notebooks/NN_x.ipynb``) and two executed tracks (helpers/tracks.py):
``primary`` is rebuilt in place; ``successor`` is executed from the source's cells into
``notebooks/successor/NN_x.ipynb`` with its own recordings in ``notebooks/successor/recordings/``.

1. Record: run the notebook with COOKBOOK_MODE=record against the simulator (default) or the real
   API (needs OPENAI_API_KEY; the spending cap applies). Exchanges go to ``<lesson>.new.json``.
2. Promote: only if every cell ran, the new recording replaces ``<lesson>.json`` (atomically), so an
   interrupted or failing run never loses the previous recording. The lesson's writer lock is held
   from before recording until after promoting: another process recording or rebuilding the same
   lesson is refused (``RecordingLocked``), never merged or promoted. A failed run leaves no
   ``.new.json`` or temporary file behind.
3. Replay: run the notebook again with COOKBOOK_MODE=replay and store its outputs, so committed
   outputs always come from the recording the tests check against.
4. Normalise: strip volatile metadata (timings, widget state, Python version) with nbstripout's own
   function, in memory, so the lesson is written once, atomically: a kill at any point leaves the
   previous lesson or the new one, whole.

One rebuild runs at a time: a second one is refused with the first one's process id (``REBUILD_LOCK``;
the operating system drops the lock when its holder exits, so a killed rebuild never blocks the next,
which also sweeps the temporary files a killed writer left beside the lessons and recordings).

``--all`` then refreshes what is generated from the lessons, their recordings and the registry, so a change
of the lessons' model (``registry.lane_model``) needs no other edit: the instructor guide's agenda and cost blocks
(``scripts/agenda.py --write``, ``scripts/kit_costs.py --write``) and the README's model table.

Only the kit's lessons (helpers/lessons.py) can be rebuilt: a learner's copy records into its
lesson's recording, so it is refused, with the reason, before anything is written. A run that fails
leaves no unfinished ``<lesson>.new.json`` behind.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import secrets
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import nbformat
from nbclient import NotebookClient

import nbstripout

from .. import client, registry, tracks
from ..client import RECORDINGS_DIR
from ..lessons import NOTEBOOKS_DIR, NotALesson, require_lesson
from ..transports import recording
from ..writes import FolderLock, LockHeld, atomic_write_text, remove_stale_temporaries, sweep_temporaries

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
README = ROOT / "README.md"
CELL_TIMEOUT_S = 300
NBSTRIPOUT_ARGS = ["--keep-output", "--keep-count", "--keep-id",
                   "--extra-keys", "metadata.widgets metadata.language_info.version"]
# What ``nbstripout`` with NBSTRIPOUT_ARGS strips: its own default keys, then ours (nbstripout 0.9.1, main()).
NBSTRIPOUT_KEYS = ["metadata.signature", "metadata.widgets", "cell.metadata.collapsed", "cell.metadata.ExecuteTime",
                   "cell.metadata.execution", "cell.metadata.heading_collapsed", "cell.metadata.hidden",
                   "cell.metadata.scrolled", *NBSTRIPOUT_ARGS[-1].split()]
# Held by the one rebuild that may run at a time.
REBUILD_LOCK = NOTEBOOKS_DIR / ".rebuild.lock"


@contextmanager
def kernel_environment(**values: str):
    """Set environment variables for the kernels started inside the block (nbclient starts them with this
    process's environment), then restore each one, or remove it if it was not set."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def execute(path: Path, *, source: Path | None = None, track: tracks.Track = tracks.TRACKS[tracks.PRIMARY],
            **env: str) -> nbformat.NotebookNode:
    """Run the cells of ``source`` (default ``path``) as the notebook ``path`` of ``track``, in its folder."""
    notebook = nbformat.read(source or path, as_version=4)
    for cell in notebook.cells:
        cell.source = track.relocate(cell.source)
    with kernel_environment(COOKBOOK_TRACK=track.name, **env):
        NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def coalesce_streams(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with each run of adjacent stream outputs of one name (stdout, stderr) in a cell merged
    into one. Whether a kernel sends a cell's printing as one message or several depends on timing, so
    without this the same run stores different bytes; nbval compares streams merged this way anyway."""
    for cell in notebook.cells:
        merged = []
        for output in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (last is not None and output.get("output_type") == "stream" == last.get("output_type")
                    and output.get("name") == last.get("name")):
                last["text"] = "".join(last["text"]) + "".join(output["text"])
            else:
                merged.append(output)
        if "outputs" in cell:
            cell["outputs"] = merged
    return notebook


def normalised(notebook: nbformat.NotebookNode) -> str:
    """The text a lesson is stored as: ``notebook`` as nbformat writes it, adjacent stream outputs merged
    (``coalesce_streams``), then stripped as ``nbstripout NBSTRIPOUT_ARGS`` strips a file (the same
    bytes), without touching any file."""
    copy = coalesce_streams(nbformat.reads(nbformat.writes(notebook), as_version=nbformat.NO_CONVERT))
    stripped = nbstripout.strip_output(copy, keep_output=True, keep_count=True, keep_id=True,
                                       extra_keys=NBSTRIPOUT_KEYS)
    return nbformat.writes(stable_widget_ids(stripped)) + "\n"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def stable_widget_ids(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with each widget output's ``model_id`` (random per kernel, and pointing at widget state
    that is not stored) replaced by one derived from its cell id and place, so stored bytes repeat."""
    for cell in notebook.cells:
        for number, output in enumerate(cell.get("outputs", ())):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if isinstance(view, dict) and "model_id" in view:
                view["model_id"] = hashlib.sha256(f"{cell.get('id')}#{number}".encode()).hexdigest()[:32]
    return notebook


def store(path: Path, notebook: nbformat.NotebookNode) -> None:
    """Write the executed ``notebook`` to ``path`` normalised, in one atomic replace (never in place)."""
    atomic_write_text(path, normalised(notebook))


def normalise(path: Path) -> None:
    """Normalise the notebook file ``path`` (``normalised``), replacing it atomically."""
    store(path, nbformat.read(path, as_version=nbformat.NO_CONVERT))


COPY_ADVICE = ("The rebuild command re-records a lesson's recording (notebooks/recordings/<lesson>.json), and a "
               "copy records into the recording of the lesson it was copied from, so rebuilding it would replace "
               "the lesson's. Your copy needs no rebuild: open it and run it (offline mode answers a request the "
               "recording does not hold with the simulator, labelled SIMULATED). To start a lesson afresh: "
               "git checkout notebooks/<lesson>.ipynb")


def why_not_a_lesson(path: Path) -> Optional[str]:
    """None for one of the kit's lesson sources; else why the rebuild command refuses ``path``, and what to do.

    A track's executed copy names its source and ``--track``; a learner's copy gets ``COPY_ADVICE``.
    """
    if path.is_dir():
        return (f"{path} is a folder, not a notebook: name lesson notebooks (notebooks/NN_x.ipynb), or pass --all "
                "for every lesson")
    try:
        require_lesson(path)
        return None
    except NotALesson as refusal:
        resolved = path.resolve()
        for track in tracks.TRACKS.values():
            if not track.is_primary and resolved in {track.notebook_for(p).resolve() for p in tracks.source_lessons()}:
                return (f"{path} is the {track.name} track's copy of a lesson, rebuilt from the lesson's source: "
                        f"python -m helpers.maintainer.rebuild notebooks/{resolved.name} --track {track.name}")
        return str(refusal) if not resolved.exists() else f"{refusal}\n{COPY_ADVICE}"


def record_and_promote(lesson: str, record, recordings_dir: Optional[Path] = None) -> Path:
    """Hold the lesson's writer lock, call ``record(env)`` (it writes ``<lesson>.new.json``; ``env``
    carries the lock's token for the recording process), then promote the result atomically.

    Returns the final recording's path. Raises recording.RecordingLocked if another process holds
    the lock; on any failure the previous recording is untouched and no ``.new.json`` or temporary
    file of this run is left.
    """
    folder = recordings_dir or client.RECORDINGS_DIR
    lesson = client.check_lesson_name(lesson)
    new, final = folder / f"{lesson}.new.json", folder / f"{lesson}.json"
    token = secrets.token_hex(8)
    with recording.WriterLock(final, token):
        for stale in (new, final):
            remove_stale_temporaries(stale)
        new.unlink(missing_ok=True)
        try:
            record({recording.LOCK_TOKEN_ENV: token})
            if new.exists():
                os.replace(new, final)
        finally:
            new.unlink(missing_ok=True)
            remove_stale_temporaries(new)
    return final


def rebuild(path: Path, source: str, track: str = tracks.PRIMARY) -> None:
    """Record, promote and replay one lesson on one track. ``path`` is the lesson's source notebook.

    Raises ``NotALesson`` before anything is written if ``path`` is not one of the kit's lessons.
    """
    path = require_lesson(path)
    lesson_track = tracks.get(track)
    target = lesson_track.notebook_for(path)
    recordings = RECORDINGS_DIR if lesson_track.is_primary else lesson_track.recordings_dir
    recordings.mkdir(parents=True, exist_ok=True)
    # A first build of a track copy writes the unexecuted copy first: lessons read their own notebook file
    # (e.g. run_plan.plan_notebook); it is removed again if the rebuild fails.
    created = not target.exists()
    if created:
        copy = nbformat.read(path, as_version=4)
        for cell in copy.cells:
            cell.source = lesson_track.relocate(cell.source)
        atomic_write_text(target, nbformat.writes(copy) + "\n")
    try:
        print(f"recording {path.name} on the {track} track from the {source} ...")
        final = record_and_promote(path.stem, lambda env: execute(
            target, source=path, track=lesson_track, COOKBOOK_MODE="record", COOKBOOK_RECORD_FROM=source, **env),
            recordings)
        print(f"replaying {path.name} on the {track} track to store outputs ...")
        notebook = execute(target, source=path, track=lesson_track, COOKBOOK_MODE="replay")
    except BaseException:
        if created:
            target.unlink(missing_ok=True)
        raise
    store(target, notebook)
    print(f"done: {target} ({target.stat().st_size:,} bytes), {final.name} "
          f"({final.stat().st_size:,} bytes)" if final.exists() else f"done: {target} (no API calls)")


def retire_inactive_tracks(active: list[tracks.Track]) -> None:
    """Remove the executed copies and recordings of every track the kit's day no longer has (git history
    keeps them): a successor track ends when its model becomes the lessons' model."""
    for track in tracks.TRACKS.values():
        if track in active or track.is_primary:
            continue
        for lesson in track.lessons():
            for path in (lesson, track.recordings_dir / f"{lesson.stem}.json"):
                if path.exists():
                    path.unlink()
                    print(f"retired {path.relative_to(ROOT)}: the {track.name} track is not executed on the kit's day")


def refresh_generated_docs() -> None:
    """Rewrite the instructor guide's agenda and cost blocks and the README's model table from the lessons,
    their recordings and the registry (each block only when its text changed)."""
    # scripts/ is not a package: its modules import each other by name, as when run from there.
    sys.path.insert(0, str(SCRIPTS))
    try:
        agenda, kit_costs = importlib.import_module("agenda"), importlib.import_module("kit_costs")
    finally:
        sys.path.remove(str(SCRIPTS))
    agenda.main(["--write"])
    kit_costs.main(["--write"])
    agenda.write_embedded(README, "model-table", registry.markdown_model_table())
    print(f"refreshed the generated blocks of {agenda.GUIDE} and {README}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="lesson source notebooks (notebooks/NN_x.ipynb)")
    parser.add_argument("--from", dest="source", choices=("simulator", "api"), default="simulator",
                        help="where recorded answers come from (default: the offline simulator)")
    parser.add_argument("--track", choices=tuple(tracks.TRACKS), default=tracks.PRIMARY,
                        help="which executed track to rebuild (default: primary, in notebooks/)")
    parser.add_argument("--all", action="store_true",
                        help="every kit lesson on every track of the kit's day, then the generated docs")
    args = parser.parse_args(argv)
    if args.all == bool(args.notebooks):
        parser.error("name lesson notebooks, or pass --all (not both)")
    for path in args.notebooks:
        refusal = why_not_a_lesson(Path(path))
        if refusal is not None:
            parser.exit(2, f"cannot rebuild: {refusal}\n")
    lock = FolderLock(REBUILD_LOCK, "a rebuild")
    try:
        lock.acquire()
    except LockHeld as held:
        parser.exit(1, f"cannot rebuild: {held}\n")
    try:
        if lock.stale_pid is not None:
            print(f"a rebuild in process {lock.stale_pid} ended without finishing; its lock was released and "
                  "its temporary files are swept now")
        sweep_stale_files()
        if args.all:
            rebuild_all(args.source)
        for path in args.notebooks:
            rebuild(path, args.source, args.track)
    except recording.RecordingLocked as locked:
        parser.exit(1, f"cannot rebuild: {locked}\n")
    finally:
        lock.release()


def sweep_stale_files() -> list[Path]:
    """Remove the temporary files a killed rebuild left beside every track's lessons (call it holding
    ``REBUILD_LOCK``); returns what was removed. A recording's own are swept under its writer lock
    (``record_and_promote``)."""
    removed = []
    for track in tracks.TRACKS.values():
        removed += sweep_temporaries(track.notebooks_dir)
    for path in removed:
        print(f"removed {path.name}, left in {path.parent} by a writer that was stopped")
    return removed


def rebuild_all(source: str) -> None:
    """Every kit lesson on every track of the kit's day, then retire inactive tracks and refresh the docs."""
    active = registry.lesson_tracks(registry.kit_day("record", {"COOKBOOK_RECORD_FROM": source}))
    for track in active:
        for path in tracks.source_lessons():
            rebuild(path, source, track.name)
    retire_inactive_tracks(active)
    refresh_generated_docs()


if __name__ == "__main__":
    main()
