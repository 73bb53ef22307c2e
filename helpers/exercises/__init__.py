"""Exercises with automatic checks, and hints that escalate.

Each lesson's checks live in ``helpers/exercises/lesson_NN.py`` and register themselves with
``@exercise``. A notebook cell calls ``check("NN.slug", answer)``; the solution is a plain file,
``exercises/solutions/NN_slug.py``, that defines ``answer`` and can be pulled into a cell with
``%load``; run, it calls the check and prints "Correct: ...".

What a learner sees, in order:

- **The placeholder** (``...`` as the answer, a function whose body is only ``...``, or a dict whose values
  are all ``...``): only what to do next, ``PLACEHOLDER_TEXT``. No method step and no expected value, so
  a stored output gives nothing away.
- **A first wrong answer**: a targeted hint (``Hint.first``): what is wrong with this answer.
- **A second wrong answer**: a more specific hint (``Hint.second``): where to look, or which piece to change.
- **A third and later**: the more specific hint and the method (``Exercise.method``): the steps, never the value.

The count is per exercise and per kernel (``attempts``); a right answer resets it, and so does
``reset_attempts``. An exercise whose answer rests on the registry's prices or lifecycle (``facts=True``)
says which day it holds for: the kit's day (``registry.kit_day``) and the facts' as-of date.

The test suite runs every solution through its check, sends every placeholder (which must print only the
placeholder text) and two wrong answers (whose hints must escalate), and checks that no message
contains an expected value (``giveaways``) and that the placeholder text holds no method step.

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
from typing import Any, Callable, Union

from ..wrapping import wrap

MIN_SIGNIFICANT = 2
TOLERANCE_NOTE = (f"a rounded answer counts when it is the exact figure rounded to {MIN_SIGNIFICANT} or more "
                  "significant figures")
# Float noise between two correct ways of computing the same figure (x / 1e6 against x * 1e-6).
_FLOAT_NOISE = 1e-9


PLACEHOLDER_TEXT = "replace the placeholder (...) with your answer, then run this cell again."


@dataclass(frozen=True)
class Result:
    """A verdict: ``passed``, and the one-line ``message`` printed after "Correct: " or "Not yet: ".

    ``stage`` says which message a failing answer got: "placeholder", "first", "second" or "method"
    (a passing answer has stage "correct").
    """
    passed: bool
    message: str
    stage: str = "correct"

    def __str__(self) -> str:
        return ("Correct: " if self.passed else "Not yet: ") + self.message


@dataclass(frozen=True)
class Hint:
    """What a grader returns for a wrong answer: ``first``, a targeted hint (what is wrong with it), and
    ``second``, a more specific one (where to look or which piece to change). Neither may contain the
    expected value; the method is the exercise's, shown from the third wrong answer on."""
    first: str
    second: str


Verdict = Union[Result, Hint]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its grader, its method, a typical wrong answer, and what would give its answer away.

    ``grade(answer)`` returns a passing ``Result`` or a ``Hint``. ``method`` holds the steps shown from the
    third wrong answer on (never the value). ``giveaways()`` returns strings (the expected value as a
    learner would read it); no failing message may contain one. ``facts`` marks an answer that rests on
    the registry's prices or lifecycle on the kit's day.
    """
    id: str
    title: str
    grade: Callable[[Any], Verdict]
    wrong_answer: Any
    giveaways: Callable[[], tuple[str, ...]]
    method: tuple[str, ...]
    facts: bool = False


EXERCISES: dict[str, Exercise] = {}
_ATTEMPTS: dict[str, int] = {}


def exercise(exercise_id: str, *, title: str, wrong_answer: Any, giveaways: Callable[[], tuple[str, ...]],
             method: tuple[str, ...], facts: bool = False):
    """Register a grader ``grade(answer) -> Result | Hint`` under ``exercise_id``.

    ``method`` is a tuple of steps (each a short sentence); ``facts=True`` when the expected answer comes
    from the registry's prices or lifecycle. Raises ValueError if the id is registered twice or the
    method is empty.
    """

    def register(grade: Callable[[Any], Verdict]) -> Callable[[Any], Verdict]:
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        if not method:
            raise ValueError(f"exercise {exercise_id!r} needs a method (the steps shown after two wrong answers)")
        EXERCISES[exercise_id] = Exercise(exercise_id, title, grade, wrong_answer, giveaways, tuple(method), facts)
        return grade

    return register


def _does_nothing(function: Callable) -> bool:
    """True for a function whose body is only ``...`` or ``pass`` (with or without a docstring)."""
    code = getattr(function, "__code__", None)
    return code is not None and code.co_code == (lambda: None).__code__.co_code


def is_placeholder(answer: Any) -> bool:
    """True for an untouched placeholder: ``...`` or ``None``, a function whose body is only ``...``, or a
    dict, list or tuple whose values are all ``...``."""
    if answer is Ellipsis or answer is None:
        return True
    if callable(answer) and _does_nothing(answer):
        return True
    values = list(answer.values()) if isinstance(answer, dict) else list(answer) if isinstance(answer, (list, tuple)) else None
    return bool(values) and all(v is Ellipsis for v in values)


def facts_day_text() -> str:
    """"The answer holds for <kit day> (registry facts as of <AS_OF>).", for exercises that rest on facts."""
    from .. import registry

    return f"The answer holds for {registry.kit_day()} (registry facts as of {registry.AS_OF})."


def method_text(exercise_id: str) -> str:
    """The exercise's method as one sentence list: "Method: 1) ...; 2) ...". Raises KeyError if unknown."""
    steps = load_all()[exercise_id].method
    return "Method: " + " ".join(f"{i}) {step}" for i, step in enumerate(steps, 1))


def attempts(exercise_id: str) -> int:
    """How many wrong (non-placeholder) answers ``check`` has seen for this exercise in this kernel."""
    return _ATTEMPTS.get(exercise_id, 0)


def reset_attempts(exercise_id: str | None = None) -> None:
    """Forget the wrong answers seen for one exercise (or, with no id, for all): the next hint is the first."""
    if exercise_id is None:
        _ATTEMPTS.clear()
    else:
        _ATTEMPTS.pop(exercise_id, None)


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
    """Import every ``lesson_NN`` module and return the registered exercises by id."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("lesson_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return EXERCISES


def grade(exercise_id: str, answer: Any, *, attempt: int = 1) -> Result:
    """Grade ``answer`` as the ``attempt``-th wrong answer would be (1: the targeted hint, 2: the more
    specific one, 3 or more: that and the method); counts nothing. A placeholder gets ``PLACEHOLDER_TEXT``.

    Raises KeyError for an unknown exercise id; an answer that raises is turned into a hint.
    """
    exercises = load_all()
    if exercise_id not in exercises:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(sorted(exercises))}")
    found = exercises[exercise_id]
    day = (" " + facts_day_text()) if found.facts else ""
    if is_placeholder(answer):
        return Result(False, PLACEHOLDER_TEXT + day, "placeholder")
    try:
        verdict = found.grade(answer)
    except Exception as error:  # a learner's answer may raise anything; turn it into a hint
        said = f"your answer raised {type(error).__name__}: {error}"
        verdict = Hint(said, said + " Run your code on the example above to see where.")
    if isinstance(verdict, Result):
        return Result(True, verdict.message + day) if verdict.passed else Result(False, verdict.message, "first")
    if attempt <= 1:
        return Result(False, verdict.first, "first")
    if attempt == 2:
        return Result(False, verdict.second, "second")
    return Result(False, f"{verdict.second} {method_text(exercise_id)}", "method")


def check(exercise_id: str, answer: Any) -> Result:
    """Grade ``answer``, count it if it is wrong, and print the verdict ("Correct: ..." or "Not yet: <hint>"),
    wrapped at the kit's line width; returns the Result, whose ``message`` is one line.

    The first wrong answer gets a targeted hint, the second a more specific one, later ones the method too;
    a placeholder is not counted, and a right answer resets the count. Raises KeyError for an unknown id.
    """
    result = grade(exercise_id, answer, attempt=attempts(exercise_id) + 1)
    if result.passed:
        reset_attempts(exercise_id)
    elif result.stage != "placeholder":
        _ATTEMPTS[exercise_id] = attempts(exercise_id) + 1
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

