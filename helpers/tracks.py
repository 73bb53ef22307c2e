"""The kit's two executed tracks of every lesson, and which one a kernel is on.

One source file per lesson (``notebooks/NN_x.ipynb``), two executed copies:

- ``primary``: ``notebooks/`` with ``notebooks/recordings/``; the lessons' model is
  ``registry.lesson_image_model(day)`` (the kit's lesson model while it is served).
- ``successor``: ``notebooks/successor/`` with ``notebooks/successor/recordings/``; the lessons' model is
  the lesson model's first-choice successor in the registry (its budget-lane successor).

A kernel knows its track from one marker, read here and nowhere else: ``COOKBOOK_TRACK`` when set
(the rebuild and sweep commands set it), otherwise the folder the kernel runs in (nbval, nbclient and
JupyterLab start a notebook's kernel in the notebook's folder, so the copies in ``notebooks/successor/``
need no per-notebook setting). This module is a leaf: it knows paths and names, not facts; the
registry asks it which track is on and picks the model.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

KIT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = KIT_ROOT / "notebooks"
PRIMARY, SUCCESSOR = "primary", "successor"
# Kit lessons are numbered: 00_access_triage.ipynb ... (a learner's copy or scratch file is not).
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
# Links and paths in a lesson that lead out of notebooks/ to the kit's other folders; a track copy one
# folder deeper gets one more "../" so the same links work there.
_KIT_LINK = re.compile(r"(?<![\w./])\.\./(?=(sample_inputs|exercises|instructors|README\.md|LICENSE)\b)")


class UnknownTrack(ValueError):
    pass


@dataclass(frozen=True)
class Track:
    """One executed track: its name and the folder holding its notebooks and recordings."""

    name: str
    notebooks_dir: Path

    @property
    def recordings_dir(self) -> Path:
        return self.notebooks_dir / "recordings"

    @property
    def is_primary(self) -> bool:
        return self.name == PRIMARY

    def notebook_for(self, source: Path) -> Path:
        """Where this track keeps the executed copy of the lesson ``source`` (``notebooks/NN_x.ipynb``)."""
        return self.notebooks_dir / Path(source).name

    def relocate(self, text: str) -> str:
        """A lesson cell's text as this track's copy needs it: kit links one folder deeper for the successor."""
        return text if self.is_primary else _KIT_LINK.sub("../../", text)

    def lessons(self) -> list[Path]:
        """This track's executed lessons, in order."""
        return sorted(self.notebooks_dir.glob(LESSON_GLOB))


TRACKS: Mapping[str, Track] = {
    PRIMARY: Track(PRIMARY, NOTEBOOKS_DIR),
    SUCCESSOR: Track(SUCCESSOR, NOTEBOOKS_DIR / SUCCESSOR),
}


def get(name: str) -> Track:
    """The track called ``name`` ("primary" or "successor"). Raises UnknownTrack for any other name."""
    try:
        return TRACKS[name]
    except KeyError:
        raise UnknownTrack(f"track {name!r} is not one of {', '.join(TRACKS)}.") from None


def current(env: Mapping[str, str] = os.environ, cwd: Optional[Path] = None) -> Track:
    """The track this kernel is on: ``COOKBOOK_TRACK`` when set, else the successor track when the kernel
    runs in ``notebooks/successor/``, else the primary. Raises UnknownTrack for a bad ``COOKBOOK_TRACK``."""
    named = env.get("COOKBOOK_TRACK", "").strip().lower()
    if named:
        return get(named)
    here = (cwd or Path.cwd()).resolve()
    return TRACKS[SUCCESSOR] if here == TRACKS[SUCCESSOR].notebooks_dir else TRACKS[PRIMARY]


def source_lessons() -> list[Path]:
    """The kit's lesson source files: every track is executed from these."""
    return TRACKS[PRIMARY].lessons()
