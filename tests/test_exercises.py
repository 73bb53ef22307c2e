"""Exercises teach: an untouched placeholder says only what to do next; wrong answers get a targeted hint,
then a more specific one, then the method, and never the expected value; every solution passes."""

import importlib.util
import json
import math
import re
from pathlib import Path

import pytest

from helpers import exercises, registry
from helpers.exercises import lesson_01, lesson_04
from helpers.wrapping import LINE_WIDTH

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"
NOTEBOOKS = ROOT / "notebooks"
ALL = exercises.load_all()
PLACEHOLDER_LINE = "Not yet: " + exercises.PLACEHOLDER_TEXT


@pytest.fixture(autouse=True)
def fresh_attempts():
    exercises.reset_attempts()
    yield
    exercises.reset_attempts()


def load_solution(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solution_files():
    return sorted(SOLUTIONS.glob("[0-9][0-9]_*.py"))


def unwrapped(printed: str) -> str:
    """``printed`` with its line breaks and indents as single spaces: a phrase wrapped across lines is still found."""
    return " ".join(printed.split())


def gives_away(text: str, giveaway: str) -> bool:
    """``giveaway`` appears in ``text`` as a whole token (gpt-image-1 is not given away by gpt-image-1-mini)."""
    return re.search(r"(?<![\w.-])" + re.escape(giveaway) + r"(?![\w-]|\.\d)", text) is not None


def expected_placeholder(exercise_id: str) -> str:
    day = f" The answer holds for {registry.kit_day()} (registry facts as of {registry.AS_OF})."
    return PLACEHOLDER_LINE + (day if ALL[exercise_id].facts else "")


def leaks(text: str, exercise_id: str) -> list[str]:
    found = [g for g in ALL[exercise_id].giveaways() if gives_away(unwrapped(text), g)]
    return found + [s for s in ALL[exercise_id].method if unwrapped(s) in unwrapped(text)]


def test_every_exercise_has_exactly_one_solution_file():
    ids = [load_solution(p).EXERCISE for p in solution_files()]
    assert sorted(ids) == sorted(ALL), "each registered exercise needs exercises/solutions/NN_slug.py"


@pytest.mark.parametrize("path", solution_files(), ids=lambda p: p.name)
def test_solution_passes_its_check_and_running_it_says_so(path, capsys):
    solution = load_solution(path)
    result = exercises.grade(solution.EXERCISE, solution.answer)
    assert result.passed, result.message
    assert f"Correct: {result.message}" in unwrapped(capsys.readouterr().out)
    assert solution.result == result


def _do_nothing(*_args):
    ...


PLACEHOLDERS = {"ellipsis": ..., "none": None, "empty function": _do_nothing, "dict of ellipses": {"A": ..., "B": ...}}


@pytest.mark.parametrize("exercise_id", sorted(ALL))
@pytest.mark.parametrize("placeholder", sorted(PLACEHOLDERS))
def test_an_untouched_placeholder_says_only_what_to_do_next(exercise_id, placeholder, capsys):
    result = exercises.check(exercise_id, PLACEHOLDERS[placeholder])
    printed = capsys.readouterr().out
    assert not result.passed and result.stage == "placeholder"
    assert unwrapped(printed) == expected_placeholder(exercise_id)
    assert not leaks(printed, exercise_id)
    assert exercises.attempts(exercise_id) == 0, "a placeholder is not a wrong answer"


def exercise_cells():
    """(lesson, exercise id, cell) for every stored cell that calls check(...)."""
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            found = re.search(r"""check\(["'](\d\d\.\w+)["']""", source)
            if cell["cell_type"] == "code" and found:
                yield path.name, found[1], cell


@pytest.mark.parametrize("lesson, exercise_id, cell", list(exercise_cells()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_exercise_cell_starts_from_a_placeholder_and_its_output_gives_nothing_away(lesson, exercise_id, cell):
    # nbval runs each of these cells and compares its output with this stored one, so this is the output
    # a learner sees on running the untouched cell.
    assert "..." in "".join(cell["source"]), f"{lesson}: the exercise cell should start from a placeholder"
    printed = "".join("".join(o["text"]) for o in cell["outputs"] if o.get("name") == "stdout")
    assert expected_placeholder(exercise_id) in unwrapped(printed), printed
    assert "Method:" not in printed and not leaks(printed, exercise_id), printed


def test_every_exercise_is_in_a_lesson():
    assert {exercise_id for _lesson, exercise_id, _cell in exercise_cells()} == set(ALL)


@pytest.mark.parametrize("exercise_id", sorted(ALL))
def test_two_wrong_answers_get_escalating_hints_then_the_method_never_the_value(exercise_id, capsys):
    wrong = ALL[exercise_id].wrong_answer
    results, outputs = [], []
    for _ in range(3):
        results.append(exercises.check(exercise_id, wrong))
        outputs.append(capsys.readouterr().out)
    assert [r.stage for r in results] == ["first", "second", "method"]
    first, second, third = (r.message for r in results)
    assert first != second, "the second hint must say more than the first"
    assert exercises.method_text(exercise_id) in third and second in third
    for stage, printed in zip(("first", "second"), outputs):
        assert "Method:" not in printed, f"the {stage} hint must not give the method"
    for printed in outputs:
        assert printed.startswith("Not yet: ") and not exercises.PLACEHOLDER_TEXT in printed
        assert all(len(line) <= LINE_WIDTH for line in printed.splitlines()), printed
        found = [g for g in ALL[exercise_id].giveaways() if gives_away(unwrapped(printed), g)]
        assert not found, f"the hint gives the answer away: {found} in {printed!r}"


def test_a_second_different_wrong_answer_gets_its_own_more_specific_hint():
    rates = registry.get(lesson_01._model()).token_prices
    usage = lesson_01.USAGE
    only_output = usage["output_tokens"] * rates.image_out / 1e6
    total = usage["total_tokens"] * rates.image_out / 1e6
    assert exercises.check("01.usage_cost", only_output).stage == "first"
    second = exercises.check("01.usage_cost", total)
    assert second.stage == "second" and "separately" in second.message


def test_a_right_answer_resets_the_hints():
    wrong = ALL["05.last_start"].wrong_answer
    exercises.check("05.last_start", wrong)
    exercises.check("05.last_start", wrong)
    assert exercises.check("05.last_start", load_solution(SOLUTIONS / "05_last_start.py").answer).passed
    assert exercises.check("05.last_start", wrong).stage == "first"


def test_answers_that_rest_on_the_registry_say_which_day_they_hold_for():
    facts = {exercise_id for exercise_id, found in ALL.items() if found.facts}
    assert {"01.usage_cost", "01.afford", "04.accepted_cost", "04.cheaper_model", "05.batch_line",
            "07.fix_call"} <= facts
    for path in solution_files():
        solution = load_solution(path)
        if solution.EXERCISE in facts:
            assert f"holds for {registry.kit_day()}" in solution.result.message


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
    (0.018, 0.018312, True), (0.0183, 0.018312, True), (0.01, 0.01011, True), (0.01, 0.0106, False),
    (0.01831, 0.018312, True), (0.02, 0.018312, False), (0.017, 0.018312, False), (0.0184, 0.018312, False),
    (0.018312 * (1 + 1e-12), 0.018312, True), (0.010048, 0.010110, False), (True, 1.0, False),
    ("0.018", 0.018312, False), (0.0, 0.0101, False), (0, 0.0101, False), (0.0, 0.0, True), (-0.018, 0.018312, False),
])
def test_close_enough_means_a_rounding_of_the_exact_figure(answer, expected, right):
    assert exercises.close_enough(answer, expected) is right


@pytest.mark.parametrize("answer, first, second", [
    (lambda rates, u: u["output_tokens"] * rates.image_out / 1e6, "prompt's tokens", "only the image output"),
    (lambda rates, u: u["input_tokens_details"]["text_tokens"] * rates.text_in / 1e6, "model send back",
     "only the text input"),
    (lambda rates, u: u["input_tokens_details"]["text_tokens"] * rates.text_in
     + u["output_tokens"] * rates.image_out, "unit of the rates", "divide the sum by 1,000,000"),
    (lambda rates, u: u["total_tokens"] * rates.image_out / 1e6, "total_tokens mixes", "separately"),
])
def test_a_wrong_usage_cost_is_told_which_step_went_wrong(answer, first, second):
    rates = registry.get(lesson_01._model()).token_prices
    given = answer(rates, lesson_01.USAGE)
    assert first in exercises.grade("01.usage_cost", given, attempt=1).message
    assert second in exercises.grade("01.usage_cost", given, attempt=2).message


def test_an_answer_that_raises_becomes_a_hint():
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("oops")

    result = exercises.grade("05.last_start", broken)
    assert not result.passed and "ZeroDivisionError" in result.message


@pytest.mark.parametrize("answer, placeholder", [
    (..., True), (None, True), (_do_nothing, True), ({"A": ..., "B": ...}, True), ([..., ...], True),
    (lambda key: key, False), ({"A": "rate_limit", "B": ...}, False), ((0, 0, 10, 10), False), (0.0, False),
])
def test_what_counts_as_an_untouched_placeholder(answer, placeholder):
    assert exercises.is_placeholder(answer) is placeholder


def test_pricing_exercises_use_a_priced_stand_in_when_the_lesson_model_has_no_table(monkeypatch):
    from helpers.exercises import priced_model

    monkeypatch.setenv("COOKBOOK_IMAGE_MODEL", "gpt-image-2.6-flare")
    stand_in = priced_model()
    assert registry.get("gpt-image-2.6-flare").per_image_prices is None
    assert registry.get(stand_in).per_image_prices is not None and stand_in != "gpt-image-1-mini"
    assert not exercises.grade("04.accepted_cost", 0.0).passed
    assert not exercises.grade("01.afford", "high").passed
