import ast
import inspect
import re
import typing
from pathlib import Path

import openai.types.image_model as sdk_image_model
import openai.types.shared.chat_model as sdk_chat_model
import datetime as dt

import pytest

from helpers import registry

README = Path(__file__).resolve().parent.parent / "README.md"


def sdk_literal_values(module, name: str) -> set[str]:
    return set(typing.get_args(getattr(module, name)))


def sdk_deprecated_values(module) -> set[str]:
    """Model ids listed under "Deprecated values" in the docstring that follows the SDK's Literal."""
    tree = ast.parse(inspect.getsource(module))
    docstrings = [node.value.value for node in tree.body
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str) and "Deprecated values" in node.value.value]
    assert docstrings, "the SDK no longer documents deprecated values where this test looks"
    deprecated = set()
    for line in docstrings[0].split("- ")[1:]:
        deprecated.update(re.findall(r'"([^"]+)"', line.split(":")[0]))
    return deprecated


def test_registry_knows_every_image_model_the_sdk_lists():
    missing = sdk_literal_values(sdk_image_model, "ImageModel") - set(registry.MODELS)
    assert not missing, f"add these SDK image models to helpers/registry.py: {sorted(missing)}"


def test_registry_calls_nothing_active_that_the_sdk_marks_deprecated():
    deprecated = sdk_deprecated_values(sdk_image_model)
    assert {"gpt-image-1", "dall-e-2", "dall-e-3"} <= deprecated
    wrongly_active = [m for m in deprecated if registry.get(m).status_on(registry.as_of_day()) == registry.ACTIVE]
    assert not wrongly_active


def test_the_lessons_mainline_model_is_current_in_the_sdk():
    assert registry.LESSON_MAINLINE_MODEL in sdk_literal_values(sdk_chat_model, "ChatModel")
    assert registry.LESSON_MAINLINE_MODEL not in sdk_deprecated_values(sdk_chat_model)
    assert registry.get(registry.LESSON_MAINLINE_MODEL).capabilities.responses_top_level


def test_image_models_are_never_responses_top_level_models():
    assert all(not m.capabilities.responses_top_level for m in registry.image_models() if m.capabilities)


def test_lifecycle_facts_as_of_today():
    mini = registry.get("gpt-image-1-mini")
    assert mini.status_on(registry.as_of_day()) == registry.SHUT_DOWN and mini.lifecycle.shutdown_date == "2026-12-01"
    assert registry.lane_model(registry.as_of_day()) == "gpt-image-2.6-flare"
    assert registry.get("gpt-image-1").status_on(registry.as_of_day()) == registry.SHUT_DOWN
    assert registry.get("gpt-image-1").lifecycle.shutdown_date == "2026-10-23"
    assert registry.recommended_successor("gpt-image-1-mini") in registry.MODELS
    assert registry.IMAGE_TOOL_DEFAULT_MODEL == "gpt-image-2.6-sunburst"


def test_input_fidelity_rules_follow_the_sdk():
    assert registry.get("gpt-image-1-mini").capabilities.input_fidelity == ("low",)
    assert registry.get("gpt-image-1.5").capabilities.input_fidelity == ("high", "low")
    assert registry.get("gpt-image-2").capabilities.input_fidelity == ()


def test_every_successor_is_a_registry_model():
    for model in registry.MODELS.values():
        for successor in model.lifecycle.successors:
            assert successor in registry.MODELS, (model.id, successor)


def test_every_number_has_a_dated_source():
    for model in registry.MODELS.values():
        for fact in (model.lifecycle, model.capabilities, model.token_prices, model.per_image_prices,
                     model.output_tokens, model.rate_limits, model.batch_prices):
            if fact is not None:
                assert fact.source.citation and fact.source.as_of in registry.FACT_CHECK_DAYS, model.id


def test_not_found_reads_as_not_found():
    assert registry.fmt(None) == "not found"
    assert registry.get("chatgpt-image-latest").token_prices is None
    assert registry.get("gpt-image-2.6-flare").token_prices.text_cached_in is None
    assert registry.get("gpt-image-1-mini").batch_prices.inferred


def test_mini_rate_limits_per_tier():
    assert registry.rate_limits("gpt-image-1-mini", 1) == (5, 100_000)
    assert registry.rate_limits("gpt-image-1-mini", 5) == (250, 8_000_000)
    assert registry.rate_limits("gpt-image-2.6-sunburst", 1) is None


def test_lesson_model_can_be_switched_in_one_place(monkeypatch):
    assert registry.lesson_image_model() == registry.lane_model(registry.as_of_day())
    monkeypatch.setenv("COOKBOOK_IMAGE_MODEL", "gpt-image-2")
    assert registry.lesson_image_model() == "gpt-image-2"
    monkeypatch.setenv("COOKBOOK_IMAGE_MODEL", "gpt-image-9")
    with pytest.raises(registry.UnknownModel):
        registry.lesson_image_model()


def test_readme_model_table_is_generated_from_the_registry():
    assert registry.markdown_model_table() in README.read_text(encoding="utf-8")


DAY_BEFORE = dt.date(2026, 11, 29)
DAY_AFTER = dt.date(2026, 12, 2)


def test_status_is_derived_from_the_dates_on_the_day_asked():
    mini = registry.get("gpt-image-1-mini")
    assert mini.status_on(dt.date(2026, 6, 1)) == registry.ACTIVE
    assert mini.status_on(DAY_BEFORE) == registry.DEPRECATED
    assert mini.status_on(dt.date(2026, 12, 1)) == registry.SHUT_DOWN
    assert mini.served_on(DAY_BEFORE) and not mini.served_on(DAY_AFTER)


def test_lesson_model_follows_the_budget_lane_successor_after_shutdown(lessons_on_mini):
    assert registry.lesson_image_model(DAY_BEFORE, env={}) == "gpt-image-1-mini"
    assert registry.lesson_image_model(DAY_AFTER, env={}) == "gpt-image-2.6-flare"
    assert registry.lesson_image_model(DAY_AFTER, env={"COOKBOOK_IMAGE_MODEL": "gpt-image-2"}) == "gpt-image-2"


def test_an_override_naming_a_model_shut_down_that_day_is_refused_before_any_lesson_cell_runs():
    assert registry.lesson_image_model(DAY_BEFORE, env={"COOKBOOK_IMAGE_MODEL": "gpt-image-1-mini"}) == "gpt-image-1-mini"
    with pytest.raises(registry.ModelShutDown, match="gpt-image-1-mini was shut down on 2026-12-01"):
        registry.lesson_image_model(DAY_AFTER, env={"COOKBOOK_IMAGE_MODEL": "gpt-image-1-mini"})
    with pytest.raises(registry.ModelShutDown, match="gpt-image-1 was shut down on 2026-10-23"):
        registry.lesson_image_model(DAY_BEFORE, env={"COOKBOOK_IMAGE_MODEL": "gpt-image-1"})


def test_kit_day_is_today_live_and_the_as_of_date_offline():
    env = {"COOKBOOK_TODAY": "2026-12-02"}
    assert registry.kit_day("live", env) == DAY_AFTER
    assert registry.kit_day("record", env) == DAY_AFTER  # recording from the API is the default
    assert registry.kit_day("record", {**env, "COOKBOOK_RECORD_FROM": "simulator"}) == registry.as_of_day()
    for mode in ("offline", "replay"):
        assert registry.kit_day(mode, env) == registry.as_of_day()
    with pytest.raises(ValueError, match="COOKBOOK_TODAY"):
        registry.today({"COOKBOOK_TODAY": "tomorrow"})


def test_countdown_always_names_the_day_it_counts_from():
    assert registry.on("gpt-image-1-mini", DAY_BEFORE).status_line() == (
        "deprecated, shuts down 2026-12-01 (2 days after 2026-11-29)")
    assert registry.on("gpt-image-1-mini", DAY_AFTER).status_line() == "shut down on 2026-12-01 (1 day before 2026-12-02)"


def test_a_reported_shutdown_is_not_a_status():
    gpt2 = registry.on("gpt-image-2", DAY_AFTER)
    assert gpt2.status == registry.ACTIVE and gpt2.record.lifecycle.reported.shutdown_date == "2027-02-10"
    assert gpt2.record.lifecycle.reported.source.citation.startswith("[3P]")
    assert registry.get("gpt-image-2").served_on(dt.date(2027, 3, 1))
    assert "[3P] reported 2027-02-10" in registry.markdown_model_table()


def test_mini_successors_are_the_official_26_replacements_flare_first():
    for model_id in ("gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"):
        life = registry.get(model_id).lifecycle
        assert life.successors == ("gpt-image-2.6-flare", "gpt-image-2.6-sunburst")
        assert "[OAI] deprecations page" in life.source.citation and life.source.as_of == "2026-11-29"
        assert "2.5" in life.note  # the replacement history is kept as a note


def test_shut_down_error_names_date_successor_and_switch():
    message = str(registry.ModelShutDown(registry.on("gpt-image-1-mini", DAY_AFTER)))
    assert "2026-12-01" in message and "gpt-image-2.6-flare" in message and "COOKBOOK_IMAGE_MODEL" in message
    assert "nothing was sent" in message


def test_consumers_ask_on_the_day(lessons_on_mini):
    from helpers import cost_calculator, edits, playground, pricing

    assert "gpt-image-1-mini" in [m for _, m in playground.offered_models(DAY_BEFORE)]
    assert "gpt-image-1-mini" not in [m for _, m in playground.offered_models(DAY_AFTER)]
    assert playground.default_model(DAY_AFTER) == "gpt-image-2.6-flare"
    assert "gpt-image-1-mini" not in [m for _, m in cost_calculator.model_choices(DAY_AFTER)]
    assert "gpt-image-1-mini" not in edits.models_accepting_fidelity("low", DAY_AFTER)
    assert "gpt-image-1-mini" in edits.models_accepting_fidelity("low", DAY_BEFORE)
    assert "gpt-image-1-mini" not in pricing.comparison_models("gpt-image-2", DAY_AFTER)


def test_calendar_notice_only_after_an_event_the_recordings_predate(lessons_on_mini):
    assert registry.calendar_notice(DAY_BEFORE) is None
    assert registry.calendar_notice(registry.as_of_day()) is None
    notice = registry.calendar_notice(DAY_AFTER)
    assert notice == ("These recordings describe 2026-11-29; since then gpt-image-1-mini shut down on 2026-12-01; "
                      "live, the lessons use gpt-image-2.6-flare.")


def test_bulk_the_tool_builder_and_the_simulator_ask_on_the_day(monkeypatch):
    from helpers import bulk, responses
    from helpers import api_errors as errors
    from helpers.offline.simulator import Simulator
    from helpers.rules import check_image_request

    jobs = [bulk.Job("a", "Draw a kite")]
    bulk.check_jobs(jobs, "gpt-image-1-mini", DAY_BEFORE)
    with pytest.raises(registry.ModelShutDown):
        bulk.check_jobs(jobs, "gpt-image-1-mini", DAY_AFTER)
    # The tool builder reads the kit's day: live mode on COOKBOOK_TODAY.
    monkeypatch.setenv("COOKBOOK_MODE", "live")
    monkeypatch.setenv("COOKBOOK_TODAY", DAY_AFTER.isoformat())
    with pytest.raises(responses.ToolSpecError, match="2026-12-01"):
        responses.image_tool(model="gpt-image-1-mini")
    monkeypatch.setenv("COOKBOOK_TODAY", DAY_BEFORE.isoformat())
    assert responses.image_tool(model="gpt-image-1-mini")["model"] == "gpt-image-1-mini"
    fields = {"model": "gpt-image-1-mini", "prompt": "Draw a kite"}
    check_image_request(fields, route="generate", day=DAY_BEFORE)
    with pytest.raises(errors.Rejected):
        check_image_request(fields, route="generate", day=DAY_AFTER)
    assert Simulator(day=DAY_AFTER).day == DAY_AFTER
