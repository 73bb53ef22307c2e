"""The kit's executed tracks of every lesson, and which one a kernel is on.

One source file per lesson (``notebooks/NN_x.ipynb``), executed on one track, or two around a shutdown:

- ``primary``: ``notebooks/`` with ``notebooks/recordings/``; the lessons' model is the budget lane's
  model on the kit's day (``registry.lane_model``).
- ``successor``: ``notebooks/successor/`` with ``notebooks/successor/recordings/``; it exists only while
  that model has an announced shutdown (``registry.successor_track_on(day)``), and runs the model's
  first-choice successor, so learners can move before the date. Which tracks a day has is the
  registry's answer (``registry.lesson_tracks(day)``); this module knows only their paths.

A kernel knows its track from one marker, read here and nowhere else: ``COOKBOOK_TRACK`` when set
(the rebuild and sweep commands set it), otherwise the folder the kernel runs in (nbval, nbclient and
JupyterLab start a notebook's kernel in the notebook's folder, so the copies in ``notebooks/successor/``
need no per-notebook setting). It knows paths and names (the lesson list comes from ``helpers.lessons``), not facts; the
registry asks it which track is on and picks the model.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional

from . import settings
from .lessons import NOTEBOOKS_DIR, lesson_paths

PRIMARY, SUCCESSOR = "primary", "successor"
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
        """This track's executed copies of the kit's lessons (helpers/lessons.py), in teaching order."""
        return [self.notebook_for(source) for source in lesson_paths()]


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
    named = settings.track_name(env)
    if named:
        return get(named)
    here = (cwd or Path.cwd()).resolve()
    return TRACKS[SUCCESSOR] if here == TRACKS[SUCCESSOR].notebooks_dir else TRACKS[PRIMARY]


def source_lessons() -> list[Path]:
    """The kit's lesson source files: every track is executed from these."""
    return lesson_paths()


def executed_lessons(active: Iterable[Track]) -> list[Path]:
    """Every executed lesson notebook of the ``active`` tracks (``registry.lesson_tracks(day)``): what the
    suite checks with nbval."""
    return [path for track in active for path in track.lessons()]
