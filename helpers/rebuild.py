"""Rebuild a notebook's recording and stored outputs in one command.

    python -m helpers.rebuild notebooks/01_generate.ipynb [--from simulator|api]

1. Record: run the notebook with COOKBOOK_MODE=record against the simulator (default) or the real
   API (needs OPENAI_API_KEY; the spending cap applies). Exchanges go to ``<lesson>.new.json``.
2. Promote: only if every cell ran, the new recording replaces ``<lesson>.json`` (atomically), so an
   interrupted or failing run never loses the previous recording.
3. Replay: run the notebook again with COOKBOOK_MODE=replay and store its outputs, so committed
   outputs always come from the recording the tests check against.
4. Normalise: strip volatile metadata (timings, widget state, Python version) with nbstripout.

Only the kit's lessons (helpers/lessons.py) can be rebuilt: a learner's copy records into its
lesson's recording, so it is refused, with the reason, before anything is written. A run that fails
leaves no unfinished ``<lesson>.new.json`` behind.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .client import RECORDINGS_DIR
from .lessons import NotALesson, require_lesson
from .writes import atomic_write_text

CELL_TIMEOUT_S = 300
NBSTRIPOUT_ARGS = ["--keep-output", "--keep-count", "--keep-id",
                   "--extra-keys", "metadata.widgets metadata.language_info.version"]


@contextmanager
def _environment(**values: str):
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


def execute(path: Path, **env: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    with _environment(**env):
        NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def normalise(path: Path) -> None:
    subprocess.run([sys.executable, "-m", "nbstripout", *NBSTRIPOUT_ARGS, str(path)], check=True)


COPY_ADVICE = ("The rebuild command re-records a lesson's recording (notebooks/recordings/<lesson>.json), and a "
               "copy records into the recording of the lesson it was copied from, so rebuilding it would replace "
               "the lesson's. Your copy needs no rebuild: open it and run it (offline mode answers a request the "
               "recording does not hold with the simulator, labelled SIMULATED). To start a lesson afresh: "
               "git checkout notebooks/<lesson>.ipynb")


def rebuild(path: Path, source: str) -> None:
    """Re-record ``path`` (one of the kit's lessons) from ``source`` and store its replayed outputs.

    Raises ``NotALesson`` before anything is written if ``path`` is not a lesson.
    """
    path = require_lesson(path)
    lesson = path.stem
    new, final = RECORDINGS_DIR / f"{lesson}.new.json", RECORDINGS_DIR / f"{lesson}.json"
    new.unlink(missing_ok=True)
    print(f"recording {path.name} from the {source} ...")
    try:
        execute(path, COOKBOOK_MODE="record", COOKBOOK_RECORD_FROM=source)
        if new.exists():
            os.replace(new, final)
    finally:
        # A failed run keeps the previous recording and leaves no unfinished one behind.
        new.unlink(missing_ok=True)
    print(f"replaying {path.name} to store outputs ...")
    notebook = execute(path, COOKBOOK_MODE="replay")
    atomic_write_text(path, nbformat.writes(notebook) + "\n")
    normalise(path)
    print(f"done: {path} ({path.stat().st_size:,} bytes), {final.name} "
          f"({final.stat().st_size:,} bytes)" if final.exists() else f"done: {path} (no API calls)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--from", dest="source", choices=("simulator", "api"), default="simulator",
                        help="where recorded answers come from (default: the offline simulator)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        try:
            require_lesson(path)
        except NotALesson as refusal:
            parser.exit(2, f"cannot rebuild: {refusal}\n{COPY_ADVICE}\n")
    for path in args.notebooks:
        rebuild(path, args.source)


if __name__ == "__main__":
    main()
