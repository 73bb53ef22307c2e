"""Every exercise's solution passes its check; an obviously wrong answer fails it with a hint."""

import importlib.util
from pathlib import Path

import pytest

from helpers import exercises

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
def test_solution_passes_its_check(path):
    solution = load_solution(path)
    result = exercises.grade(solution.EXERCISE, solution.answer)
    assert result.passed, result.message


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
