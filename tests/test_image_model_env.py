"""COOKBOOK_IMAGE_MODEL: a model that is not an image model is refused, naming the variable and listing
the image models the registry serves on the day."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers import registry

DAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize("model", [registry.LESSON_MAINLINE_MODEL, "gpt-5.4-mini"])
def test_a_text_model_is_refused_naming_the_variable_and_the_image_models_of_the_day(model):
    with pytest.raises(registry.NotAnImageModel) as refused:
        registry.lesson_image_model(DAY, env={"COOKBOOK_IMAGE_MODEL": model})
    message = str(refused.value)
    assert f"COOKBOOK_IMAGE_MODEL={model}" in message and "not an image model" in message
    served = [m.id for m in registry.served_image_models(DAY)]
    assert served and all(model_id in message for model_id in served)
    assert registry.lane_model(DAY) in message


def test_the_refusal_is_a_value_error_the_kit_commands_already_report():
    assert issubclass(registry.NotAnImageModel, ValueError)
    with pytest.raises(ValueError):
        registry.lesson_image_model(DAY, env={"COOKBOOK_IMAGE_MODEL": " gpt-5.5 "})


def test_an_image_model_is_still_taken():
    assert registry.lesson_image_model(DAY, env={"COOKBOOK_IMAGE_MODEL": "gpt-image-2"}) == "gpt-image-2"
