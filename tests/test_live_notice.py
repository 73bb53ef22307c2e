"""A lesson says at its top what a full live run costs, and says nothing where nothing is billed."""

import pytest

from helpers import budget, lessons, pricing, run_plan
from helpers.client import ModeError

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")


@pytest.mark.parametrize("mode", ["offline", "replay"])
def test_nothing_is_printed_where_nothing_is_billed(mode, monkeypatch, capsys):
    monkeypatch.setenv("COOKBOOK_MODE", mode)
    run_plan.live_cost_notice("01_generate")
    assert capsys.readouterr().out == ""


def test_recording_from_the_simulator_is_not_billed(monkeypatch, capsys):
    monkeypatch.setenv("COOKBOOK_MODE", "record")
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    run_plan.live_cost_notice("01_generate")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("lesson", lessons.LESSONS)
def test_live_mode_prints_the_planned_cost_of_a_full_run(lesson, monkeypatch, capsys):
    monkeypatch.setenv("COOKBOOK_MODE", "live")
    monkeypatch.delenv("COOKBOOK_BUDGET_USD", raising=False)
    run_plan.live_cost_notice(lesson)
    printed = capsys.readouterr().out
    plan = run_plan.plan_lesson(lesson)
    assert plan.recording_found
    assert printed.startswith("Live mode, real requests, billed.")
    assert pricing.usd(plan.priced_usd) in printed
    assert f"{len(plan.live)} request(s) would be sent live" in printed
    assert pricing.usd_total(budget.DEFAULT_BUDGET_USD) in printed


def test_the_notice_weighs_the_run_against_this_kernels_cap(monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "0.01")
    text = run_plan.live_cost_text("01_generate", "live")
    assert "does NOT fit" in text and pricing.usd_total(0.01) in text


def test_bad_input_is_refused_before_anything_is_read(monkeypatch):
    with pytest.raises(ValueError, match="not one of the kit's lessons"):
        run_plan.live_cost_text("01_generate-Copy1", "live")
    monkeypatch.setenv("COOKBOOK_MODE", "loud")
    with pytest.raises(ModeError):
        run_plan.live_cost_notice("01_generate")
