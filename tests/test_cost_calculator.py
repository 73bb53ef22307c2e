"""The calculator's arithmetic, its chart and its widget front end."""

import dataclasses
import io

import pytest
from PIL import Image

from helpers import cost_calculator as calc
from helpers import pricing, registry

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


def test_chart_is_a_deterministic_png():
    settings = calc.default_settings()
    first, second = calc.chart_for(settings), calc.chart_for(settings)
    assert first == second
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG"
    assert image.size == (round(calc.CHART_SIZE_IN[0] * calc.CHART_DPI), round(calc.CHART_SIZE_IN[1] * calc.CHART_DPI))


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
    assert pricing.usd(0.011) in widget.result.value and bytes(widget.chart.value).startswith(b"\x89PNG")
    widget.batch.value = True
    assert "Batch" in widget.result.value and pricing.usd(0.0055) in widget.result.value
    widget.model.value = "gpt-image-2"
    assert "gpt-image-2 (active)" in widget.result.value
