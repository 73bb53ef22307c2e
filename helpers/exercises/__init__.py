"""Exercises with automatic checks.

Each lesson's checks live in ``helpers/exercises/lesson_NN.py`` and register themselves with
``@exercise``. A notebook cell calls ``check("NN.slug", answer)``; the solution is a plain file,
``exercises/solutions/NN_slug.py``, that defines ``answer`` and can be pulled into a cell with
``%load``; run, it calls the check and prints "Correct: ...". The test suite runs every solution
through its check, and each exercise's ``wrong_answer`` and a ``None`` placeholder too, which must
fail with a hint that never contains the expected answer (``giveaways``).

A numeric answer is right when it is the exact figure, or the exact figure rounded to at least
``MIN_SIGNIFICANT`` significant figures (0.018 or 0.0183 for 0.018312); the messages say so. A
relative tolerance would not do: leaving out a small term (31 text tokens) is a mistake the hints
must still catch, and it moves the total by less than rounding does.
"""

from __future__ import annotations

import importlib
import pkgutil
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..wrapping import wrap

MIN_SIGNIFICANT = 2
TOLERANCE_NOTE = (f"a rounded answer counts when it is the exact figure rounded to {MIN_SIGNIFICANT} or more "
                  "significant figures")
# Float noise between two correct ways of computing the same figure (x / 1e6 against x * 1e-6).
_FLOAT_NOISE = 1e-9


@dataclass(frozen=True)
class Result:
    passed: bool
    message: str

    def __str__(self) -> str:
        return ("Correct: " if self.passed else "Not yet: ") + self.message


@dataclass(frozen=True)
class Exercise:
    """One exercise: its check, a typical wrong answer, and the texts that would give its answer away.

    ``giveaways()`` returns strings (the expected value as a learner would read it); no message for a
    wrong or placeholder answer may contain one.
    """
    id: str
    title: str
    grade: Callable[[Any], Result]
    wrong_answer: Any
    giveaways: Callable[[], tuple[str, ...]]


EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, *, title: str, wrong_answer: Any, giveaways: Callable[[], tuple[str, ...]]):
    """Register a grading function ``grade(answer) -> Result`` under ``exercise_id``.

    Raises ValueError if the id is registered twice.
    """

    def register(grade: Callable[[Any], Result]) -> Callable[[Any], Result]:
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        EXERCISES[exercise_id] = Exercise(exercise_id, title, grade, wrong_answer, giveaways)
        return grade

    return register


def is_number(answer: Any) -> bool:
    """True for an int or float (not a bool, which Python counts as an int)."""
    return isinstance(answer, (int, float)) and not isinstance(answer, bool)


def close_enough(answer: Any, expected: float) -> bool:
    """``answer`` is ``expected``, or ``expected`` rounded to ``MIN_SIGNIFICANT`` or more significant figures.

    The figures are those of the number as written (its shortest repr), at least ``MIN_SIGNIFICANT``
    (a float cannot keep the last zero of 0.010): 0.018 may be off by up to half of 0.001. Example:
    0.018 and 0.0183 are right for 0.018312; 0.02 (read as 0.020) is not.
    """
    if not is_number(answer):
        return False
    if math.isclose(answer, expected, rel_tol=_FLOAT_NOISE, abs_tol=1e-15):
        return True
    written = Decimal(repr(float(answer))).normalize().as_tuple()
    if not any(written.digits):
        return False  # zero has no significant figures, so it is no rounding of a non-zero figure
    last_place = written.exponent - max(0, MIN_SIGNIFICANT - len(written.digits))
    half_unit = Decimal(5).scaleb(last_place - 1)
    return Decimal(abs(answer - expected)) <= half_unit * Decimal(1 + _FLOAT_NOISE)


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
    """Grade ``answer`` and print the verdict ("Correct: ..." or "Not yet: <hint>"), wrapped at the kit's
    line width; returns the Result, whose ``message`` is one line.

    Raises KeyError for an unknown exercise id.
    """
    result = grade(exercise_id, answer)
    print(wrap(str(result)))
    return result


def priced_model() -> str:
    """The image model the pricing exercises use: the lessons' model when the registry has its per-image
    table, else the cheapest at medium 1024x1024 of the served models with a table that do not shut down
    before it (``pricing.comparison_models``); the exercises name it.

    Asked on the kit's day. A model without a table would make "not found" the right answer, which is
    also every placeholder's, so an exercise could not tell a worked answer from an untouched one.
    """
    from .. import pricing, registry

    model = registry.lesson_image_model()
    if registry.get(model).per_image_prices is not None:
        return model
    # The comparison set leaves out models that shut down before the lessons' model does.
    priced = [m for m in pricing.comparison_models(model) if registry.get(m).per_image_prices is not None]
    if not priced:
        return model
    return min(priced, key=lambda m: pricing.per_image_price(m, "medium", "1024x1024") or math.inf)

