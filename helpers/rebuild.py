"""Rebuild a notebook's recording and stored outputs in one command.

    python -m helpers.rebuild notebooks/01_generate.ipynb [--from simulator|api]

1. Record: run the notebook with COOKBOOK_MODE=record against the simulator (default) or the real
   API (needs OPENAI_API_KEY; the spending cap applies). Exchanges go to ``<lesson>.new.json``.
2. Promote: only if every cell ran, the new recording replaces ``<lesson>.json`` (atomically), so an
   interrupted or failing run never loses the previous recording. The lesson's writer lock is held
   from before recording until after promoting: another process recording or rebuilding the same
   lesson is refused (``RecordingLocked``), never merged or promoted. A failed run leaves no
   ``.new.json`` or temporary file behind.
3. Replay: run the notebook again with COOKBOOK_MODE=replay and store its outputs, so committed
   outputs always come from the recording the tests check against.
4. Normalise: strip volatile metadata (timings, widget state, Python version) with nbstripout.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import nbformat
from nbclient import NotebookClient

from . import client
from .offline import recording
from .writes import atomic_write_text, remove_stale_temporaries

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


def rebuild(path: Path, source: str) -> None:
    print(f"recording {path.name} from the {source} ...")
    final = record_and_promote(path.stem, lambda env: execute(path, COOKBOOK_MODE="record",
                                                               COOKBOOK_RECORD_FROM=source, **env))
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
        rebuild(path.resolve(), args.source)


if __name__ == "__main__":
    main()
