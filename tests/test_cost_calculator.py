"""The calculator's arithmetic, its chart and its widget front end."""

import dataclasses
import json

import pytest

from helpers import cost_calculator as calc
from helpers import display, pricing, registry

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

MINI = "gpt-image-1-mini"


@pytest.mark.parametrize("changes,message", [
    (dict(quality="ultra"), "quality must be"),
    (dict(size="999x999"), "size must be"),
    (dict(images=0), "images must be"),
    (dict(retry_rate=0.95), "retry_rate must be"),
    (dict(retry_rate=-0.1), "retry_rate must be"),
])
def test_settings_reject_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        calc.Settings(MINI, **changes)


def test_unknown_models_are_rejected():
    with pytest.raises(registry.UnknownModel):
        calc.Settings("no-such-model")


def test_expected_spend_counts_the_retries():
    result = calc.calculate(calc.Settings(MINI, "medium", "1024x1024", images=100, retry_rate=0.5))
    assert result.attempts == pytest.approx(200)
    assert result.total_table == pytest.approx(200 * 0.011)
    assert result.total_tokens == pytest.approx(200 * 1056 * 8.00 / 1e6)


def test_batch_halves_the_spend_and_unsupported_batch_is_not_found():
    settings = calc.Settings(MINI, images=10, retry_rate=0.0)
    assert calc.calculate(dataclasses.replace(settings, batch=True)).total_table == pytest.approx(
        calc.calculate(settings).total_table / 2)
    flare = calc.calculate(calc.Settings("gpt-image-2.5-flare", batch=True))
    assert flare.total_table is None and "not supported" in flare.note
    assert str(calc.result_table(calc.Settings("chatgpt-image-latest"))).count(registry.NOT_FOUND) == 4


def test_result_table_shows_status_shutdown_and_as_of():
    text = str(calc.result_table(calc.default_settings()))
    life = registry.get(registry.lesson_image_model()).lifecycle
    assert registry.get(registry.lesson_image_model()).status_on(registry.as_of_day()) in text and registry.fmt(life.shutdown_date) in text and registry.AS_OF in text


def layers_by_mark(spec):
    return {(layer["mark"]["type"], layer["mark"].get("filled")): layer for layer in spec["layer"]}


def test_price_chart_draws_each_table_price_and_names_what_is_missing():
    models = [MINI, "gpt-image-2", "gpt-image-2.6-flare"]
    chart = calc.price_chart(models, "1024x1536")
    spec = chart.spec
    assert spec["mark"]["type"] == "bar"
    assert {channel: spec["encoding"][channel]["field"] for channel in ("x", "xOffset", "y", "color")} == {
        "x": "model", "xOffset": "quality", "y": "usd", "color": "quality"}
    expected = [{"model": m, "quality": q, "usd": pricing.per_image_price(m, q, "1024x1536")}
                for m in (MINI, "gpt-image-2") for q in pricing.TABLE_QUALITIES]
    assert spec["data"]["values"] == expected
    title = spec["title"]
    assert "1024x1536" in title["text"] and registry.AS_OF in title["text"]
    subtitle = " ".join(title["subtitle"])
    assert "[OAI] for gpt-image-1-mini, gpt-image-2" in subtitle
    assert f"({registry.NOT_FOUND}): gpt-image-2.6-flare" in subtitle
    assert pricing.usd(pricing.per_image_price("gpt-image-2", "high", "1024x1536")) in chart.text
    assert "gpt-image-2.6-flare" in chart.text and registry.AS_OF in chart.text


def test_accepted_cost_chart_draws_price_over_acceptance_and_the_break_even_points():
    models = [MINI, "gpt-image-1.5", "gpt-image-2", "gpt-image-2.6-flare"]
    chart = calc.accepted_cost_chart(models, "low", "1024x1024", model=MINI, acceptance=0.7)
    layers = layers_by_mark(chart.spec)
    curves = layers[("line", None)]
    assert (curves["encoding"]["x"]["field"], curves["encoding"]["y"]["field"]) == ("acceptance", "usd")
    assert curves["encoding"]["strokeDash"]["field"] == "method"
    points = curves["data"]["values"]
    mini = pricing.estimate(MINI, "low", "1024x1024")
    table_curve = [p for p in points if p["model"] == MINI and p["method"] == calc.TABLE_METHOD]
    assert [p["acceptance"] for p in table_curve] == list(calc.ACCEPTANCE_AXIS)
    assert [p["usd"] for p in table_curve] == [pytest.approx(mini.from_per_image_table / a, abs=1e-6)
                                               for a in calc.ACCEPTANCE_AXIS]
    # A second curve only where the token table x rate disagrees with the per-image table.
    dashed = {p["model"] for p in points if p["method"] == calc.TOKEN_METHOD}
    assert dashed == {m for m in models if pricing.estimate(m, "low", "1024x1024").sources_disagree}
    assert "gpt-image-2.6-flare" not in {p["model"] for p in points}
    level = mini.from_per_image_table / 0.7
    assert layers[("rule", None)]["data"]["values"][0]["usd"] == pytest.approx(level, abs=1e-6)
    assert layers[("point", True)]["data"]["values"][0]["acceptance"] == 0.7
    needed = pricing.break_even_acceptance(pricing.per_image_price("gpt-image-2", "low", "1024x1024"),
                                           versus_cost=mini.from_per_image_table, versus_acceptance=0.7)
    [circle] = layers[("point", False)]["data"]["values"]
    assert circle["model"] == "gpt-image-2" and circle["acceptance"] == pytest.approx(needed, abs=1e-4)
    assert f"above {needed:.0%}" in chart.text and "gpt-image-1.5 never breaks even" in chart.text
    assert registry.AS_OF in chart.spec["title"]["text"]
    assert f"({registry.NOT_FOUND}): gpt-image-2.6-flare" in " ".join(chart.spec["title"]["subtitle"])


def test_accepted_cost_chart_without_a_marked_model_has_only_curves():
    chart = calc.accepted_cost_chart([MINI, "gpt-image-2"], "medium", "1024x1024")
    assert [layer["mark"]["type"] for layer in chart.spec["layer"]] == ["line"]
    assert "breaks even" not in chart.text


def test_a_reported_price_is_tagged_as_reported():
    # gpt-image-2's Batch discount comes from a third-party report only.
    assert registry.get("gpt-image-2").batch_prices.source.tag == "[3P]"
    chart = calc.accepted_cost_chart([MINI, "gpt-image-2"], "low", "1024x1024", batch=True)
    assert "[3P] for gpt-image-2" in " ".join(chart.spec["title"]["subtitle"])
    assert "Batch" in chart.spec["title"]["text"]
    row = next(line for line in chart.text.splitlines() if line.startswith("gpt-image-2 "))
    assert "[3P]" in row


def test_chart_spec_is_deterministic_and_survives_a_notebook_round_trip():
    settings = calc.default_settings()
    first, second = calc.chart_for(settings), calc.chart_for(settings)
    assert first == second
    assert json.loads(json.dumps(first.spec)) == first.spec
    assert first._repr_mimebundle_() == {display.VEGA_LITE_MIME: first.spec, "text/plain": first.text}


def test_model_choices_offer_only_models_that_can_be_called():
    ids = [model_id for _, model_id in calc.model_choices()]
    assert MINI in ids and "gpt-image-1" not in ids and "dall-e-3" not in ids
    label = dict((v, k) for k, v in calc.model_choices())[MINI]
    assert "deprecated" in label and "2026-12-01" in label


def test_widget_starts_on_the_lessons_model():
    assert calc.Calculator().model.value == registry.lesson_image_model()


def test_widget_updates_and_keeps_a_stable_plain_text():
    widget = calc.Calculator(calc.Settings(MINI))
    bundle = widget._repr_mimebundle_()
    assert bundle["text/plain"] == calc.Calculator.PLAIN_TEXT
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert pricing.usd(0.011) in widget.result.value
    [shown] = widget.chart.outputs
    assert shown["data"] == calc.chart_for(widget.settings())._repr_mimebundle_()
    widget.batch.value = True
    assert "Batch" in widget.result.value and pricing.usd(0.0055) in widget.result.value
    [shown] = widget.chart.outputs
    assert "Batch" in shown["data"][display.VEGA_LITE_MIME]["title"]["text"]
    widget.model.value = "gpt-image-2"
    assert "gpt-image-2 (active)" in widget.result.value
