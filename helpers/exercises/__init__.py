"""Exercises with automatic checks.

Each lesson's checks live in ``helpers/exercises/lesson_NN.py`` and register themselves with
``@exercise``. A notebook cell calls ``check("NN.slug", answer)``; the solution is a plain file,
``exercises/solutions/NN_slug.py``, that defines ``answer`` and can be pulled into a cell with
``%load``. The test suite runs every solution through its check, and each exercise's
``wrong_answer`` too, which must fail with a hint.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Result:
    passed: bool
    message: str

    def __str__(self) -> str:
        return ("Correct: " if self.passed else "Not yet: ") + self.message


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    grade: Callable[[Any], Result]
    wrong_answer: Any


EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, *, title: str, wrong_answer: Any):
    """Register a grading function ``grade(answer) -> Result`` under ``exercise_id``."""

    def register(grade: Callable[[Any], Result]) -> Callable[[Any], Result]:
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        EXERCISES[exercise_id] = Exercise(exercise_id, title, grade, wrong_answer)
        return grade

    return register


def load_all() -> dict[str, Exercise]:
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("lesson_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return EXERCISES


def grade(exercise_id: str, answer: Any) -> Result:
    exercises = load_all()
    if exercise_id not in exercises:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(sorted(exercises))}")
    try:
        return exercises[exercise_id].grade(answer)
    except Exception as error:  # a learner's answer may raise anything; turn it into a hint
        return Result(False, f"your answer raised {type(error).__name__}: {error}")


def check(exercise_id: str, answer: Any) -> Result:
    """Grade ``answer`` and print the verdict with a hint when it is wrong."""
    result = grade(exercise_id, answer)
    print(result)
    return result
