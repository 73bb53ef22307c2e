"""Every exercise's solution passes its check and says so; wrong and placeholder answers fail with a hint
that never gives the expected answer away; numeric answers pass within the stated tolerance."""

import importlib.util
import math
import re
from pathlib import Path

import pytest

from helpers import exercises
from helpers.exercises import lesson_01, lesson_04
from helpers.wrapping import LINE_WIDTH

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

SOLUTIONS = Path(__file__).resolve().parent.parent / "exercises" / "solutions"
ALL = exercises.load_all()


def load_solution(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solution_files():
    return sorted(SOLUTIONS.glob("[0-9][0-9]_*.py"))


def test_every_exercise_has_exactly_one_solution_file():
    ids = [load_solution(p).EXERCISE for p in solution_files()]
    assert sorted(ids) == sorted(ALL), "each registered exercise needs exercises/solutions/NN_slug.py"


@pytest.mark.parametrize("path", solution_files(), ids=lambda p: p.name)
def test_solution_passes_its_check_and_running_it_says_so(path, capsys):
    solution = load_solution(path)
    result = exercises.grade(solution.EXERCISE, solution.answer)
    assert result.passed, result.message
    # What a learner sees after %load and run: the check's verdict, printed (wrapped at the kit's width).
    assert f"Correct: {result.message}" in unwrapped(capsys.readouterr().out)
    assert solution.result == result


def unwrapped(printed: str) -> str:
    """``printed`` with its line breaks and indents as single spaces: a phrase wrapped across lines is still found."""
    return " ".join(printed.split())


def gives_away(text: str, giveaway: str) -> bool:
    """``giveaway`` appears in ``text`` as a whole token (gpt-image-1 is not given away by gpt-image-1-mini)."""
    return re.search(r"(?<![\w.-])" + re.escape(giveaway) + r"(?![\w-]|\.\d)", text) is not None


@pytest.mark.parametrize("exercise_id", sorted(ALL))
@pytest.mark.parametrize("answer", ["placeholder", "zero", "wrong"])
def test_a_placeholder_or_wrong_answer_never_prints_the_expected_one(exercise_id, answer, capsys):
    giveaways = ALL[exercise_id].giveaways()
    assert giveaways and all(giveaways), "say what would give the answer away"
    # None, and 0.0 (a numeric lesson's starting value), are what a learner runs before answering.
    given = {"placeholder": None, "zero": 0.0, "wrong": ALL[exercise_id].wrong_answer}[answer]
    result = exercises.check(exercise_id, given)
    printed = capsys.readouterr().out
    assert not result.passed and printed.startswith("Not yet: ")
    assert all(len(line) <= LINE_WIDTH for line in printed.splitlines()), printed
    leaked = [g for g in giveaways if gives_away(unwrapped(printed), g)]
    assert not leaked, f"the hint gives the answer away: {leaked} in {printed!r}"


def test_the_giveaway_check_can_see_a_leak():
    assert gives_away("expected 60 s, got 84 s", "60 s")
    assert gives_away("use gpt-image-1.", "gpt-image-1")
    assert not gives_away("use gpt-image-1-mini or gpt-image-1.5", "gpt-image-1")


@pytest.mark.parametrize("exercise_id, exact", [
    ("01.usage_cost", lesson_01._usage_cost),
    ("04.accepted_cost", lambda: lesson_04._per_attempt() / lesson_04.ACCEPTED_SHARE),
])
def test_a_rounded_number_passes_within_the_stated_tolerance(exercise_id, exact):
    value = exact()
    for figures in (2, 3, 4):
        rounded = float(f"{value:.{figures}g}")  # e.g. 0.018 for 0.0183
        result = exercises.grade(exercise_id, rounded)
        assert result.passed and exercises.TOLERANCE_NOTE in result.message, (rounded, result.message)
    second_figure = 10 ** (math.floor(math.log10(value)) - 1)
    assert not exercises.grade(exercise_id, float(f"{value:.2g}") + second_figure).passed
    assert not exercises.grade(exercise_id, value * 1.01).passed


@pytest.mark.parametrize("answer, expected, right", [
    (0.018, 0.018312, True), (0.0183, 0.018312, True), (0.01, 0.01011, True), (0.01, 0.0106, False), (0.01831, 0.018312, True), (0.02, 0.018312, False),
    (0.017, 0.018312, False), (0.0184, 0.018312, False), (0.018312 * (1 + 1e-12), 0.018312, True),
    (0.010048, 0.010110, False), (True, 1.0, False), ("0.018", 0.018312, False), (0.0, 0.0101, False),
    (0, 0.0101, False), (0.0, 0.0, True), (-0.018, 0.018312, False),
])
def test_close_enough_means_a_rounding_of_the_exact_figure(answer, expected, right):
    assert exercises.close_enough(answer, expected) is right


@pytest.mark.parametrize("answer, step", [
    (lambda rates, u: u["output_tokens"] * rates.image_out / 1e6, "only the image output"),
    (lambda rates, u: u["input_tokens_details"]["text_tokens"] * rates.text_in / 1e6, "only the text input"),
    (lambda rates, u: u["input_tokens_details"]["text_tokens"] * rates.text_in
     + u["output_tokens"] * rates.image_out, "divide the sum by 1,000,000"),
    (lambda rates, u: u["total_tokens"] * rates.image_out / 1e6, "total_tokens mixes"),
])
def test_a_wrong_usage_cost_is_told_which_step_went_wrong(answer, step):
    rates = lesson_01.registry.get(lesson_01._model()).token_prices
    result = exercises.grade("01.usage_cost", answer(rates, lesson_01.USAGE))
    assert not result.passed and step in result.message


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_a_wrong_answer_fails_with_a_hint(exercise_id):
    result = exercises.grade(exercise_id, ALL[exercise_id].wrong_answer)
    assert not result.passed
    assert len(result.message) > 20, "a failing check should say what to look at"


def test_an_answer_that_raises_becomes_a_hint():
    exercise_id = next(iter(sorted(ALL)), None)
    if exercise_id is None:
        pytest.skip("no exercises registered yet")

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("oops")

    assert not exercises.grade(exercise_id, broken).passed


def test_pricing_exercises_use_a_priced_stand_in_when_the_lesson_model_has_no_table(monkeypatch):
    from helpers import registry
    from helpers.exercises import priced_model

    monkeypatch.setenv("COOKBOOK_IMAGE_MODEL", "gpt-image-2.6-flare")
    stand_in = priced_model()
    assert registry.get("gpt-image-2.6-flare").per_image_prices is None
    assert registry.get(stand_in).per_image_prices is not None and stand_in != "gpt-image-1-mini"
    # With a priced stand-in the untouched placeholder can no longer be the right answer.
    assert not exercises.check("04.accepted_cost", None).passed
    assert not exercises.check("01.afford", None).passed
