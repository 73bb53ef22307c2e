"""The kit's lessons: the one list that the test suite, the scripts and the rebuild command read.

A notebook is one of the kit's lessons when it is ``notebooks/<stem>.ipynb`` for a stem in
``LESSONS``. Anything else is the learner's: a copy in ``my_work/`` (the learner folder, ignored by
git) or a "Copy1" that JupyterLab made next to a lesson. The suite does not check those, the agenda
does not list them, the cost table does not price them and the rebuild command refuses them with the
reason, so a learner's copy never changes what the kit's checks say.

``my_work/`` sits next to ``notebooks/`` on purpose: a copied lesson's relative paths
(``../sample_inputs/...``, ``%load ../exercises/solutions/...``) work unchanged from there.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
LEARNER_DIR = ROOT / "my_work"
# In teaching order. A new lesson is added here and nowhere else.
LESSONS = (
    "00_access_triage",
    "01_generate",
    "02_edits",
    "03_responses",
    "04_costs",
    "05_batch",
    "06_playground",
    "07_migration",
)


def lesson_paths(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The kit's lesson notebooks in teaching order (paths; they need not exist)."""
    return [Path(notebooks_dir) / f"{stem}.ipynb" for stem in LESSONS]


def is_lesson(path: str | os.PathLike) -> bool:
    """True if ``path`` is one of the kit's lesson notebooks (compared as resolved paths)."""
    return Path(path).resolve() in {p.resolve() for p in lesson_paths()}


class NotALesson(ValueError):
    """A notebook that is not one of the kit's lessons was given where only a lesson will do."""


def require_lesson(path: str | os.PathLike) -> Path:
    """``path`` resolved, or ``NotALesson`` saying plainly why a learner's notebook cannot be used here."""
    resolved = Path(path).resolve()
    if is_lesson(resolved):
        return resolved
    if not resolved.exists():
        raise NotALesson(f"{path} does not exist.")
    where = "the learner folder my_work/" if LEARNER_DIR in resolved.parents else "not in the kit's list"
    raise NotALesson(
        f"{path} is not one of the kit's lessons ({where}; the lessons are listed in helpers/lessons.py: "
        f"{', '.join(LESSONS)}).")
