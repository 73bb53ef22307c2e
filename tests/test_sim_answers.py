"""The simulator answers real client code like the API (issue #11, items 2-4): every minimal input, tested."""

from __future__ import annotations


import openai
import pytest
from openai.types.responses import Response

from helpers import pricing, registry, responses
from helpers.offline import simulator as sim_module
from helpers.offline.answers import day_start
from helpers.offline.simulator import Simulator
from tests.test_simulator import MAINLINE, MINI, decoded, make_client, png, tool

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

TODAY = registry.as_of_day()


@pytest.fixture
def sdk():
    return make_client()


# --- item 2: any client code works ----------------------------------------------------------

SERVED_MAINLINE = sorted(m.id for m in registry.mainline_models() if m.served_on(TODAY))


def test_the_registry_holds_the_gpt5_family_and_newer_from_the_sdk():
    from typing import get_args

    from openai.types.shared.chat_model import ChatModel

    sdk_ids = set(get_args(ChatModel))
    assert {"gpt-5", "gpt-5-mini", "gpt-5.4", "gpt-5.6-sol", "gpt-6-astra", "gpt-6.1-sol"} <= set(SERVED_MAINLINE)
    assert {m.id for m in registry.mainline_models()} <= sdk_ids
    assert registry.get("gpt-5-mini").lifecycle.shutdown_date == "2026-12-11"


@pytest.mark.parametrize("model", SERVED_MAINLINE)
def test_every_served_mainline_model_takes_the_image_tool(sdk, model):
    client, _ = sdk
    answer = client.responses.create(model=model, input="Draw a cat",
                                     tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640"}])
    assert answer.model == model and responses.first_image(answer)


def test_a_mainline_model_is_refused_from_its_shutdown_date_with_the_observed_404():
    client, _ = make_client(Simulator(day=registry.on("gpt-5", TODAY).record.lifecycle.shutdown()))
    with pytest.raises(openai.NotFoundError) as info:
        client.responses.create(model="gpt-5", input="Draw a cat", tools=tool())
    assert info.value.code == "model_not_found" and "`gpt-5` has been deprecated" in info.value.message


def test_the_issues_minimal_input_with_a_served_gpt5_model(sdk):
    client, _ = sdk
    answer = client.responses.create(model="gpt-5-mini", input="Draw a cat", tools=[{"type": "image_generation"}])
    assert answer.tools[0].model == registry.IMAGE_TOOL_DEFAULT_MODEL and responses.first_image(answer)


def test_only_the_observed_mainline_pairing_is_refused(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Draw a cat",
                                tools=[{"type": "image_generation", "model": "gpt-image-2"}])
    assert info.value.status_code == 400
    assert info.value.body["message"] == ("There was an issue with your request. Please check your inputs and "
                                          "try again")
    # The same report shows gpt-4o working with another tool model: no other pairing is refused.
    for mainline, image_tool in (("gpt-4o", {"type": "image_generation"}),
                                 ("gpt-4.1-mini", {"type": "image_generation"}),
                                 ("o3", {"type": "image_generation", "model": "gpt-image-2.6-flare"})):
        answer = client.responses.create(model=mainline, input="Draw a cat", tools=[image_tool])
        assert responses.first_image(answer)


def test_file_id_inputs_and_masks(sdk):
    client, _ = sdk
    picture = client.files.create(file=("cat.png", png(), "image/png"), purpose="vision")
    mask = client.files.create(file=("mask.png", png(mode="RGBA", alpha=0), "image/png"), purpose="vision")
    answer = client.responses.create(
        model=MAINLINE, tools=tool(input_image_mask={"file_id": mask.id}),
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Add a hat"},
                                            {"type": "input_image", "file_id": picture.id}]}])
    assert responses.image_calls(answer)[0].action == "edit"
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MAINLINE, tools=tool(), input=[{"role": "user", "content": [
            {"type": "input_text", "text": "Add a hat"}, {"type": "input_image", "file_id": "file-missing"}]}])


def test_files_keep_uploads_within_a_bound(monkeypatch, sdk):
    from helpers.offline import batches

    monkeypatch.setattr(batches, "KEPT_UPLOAD_BYTES", len(png()) + 10)
    client, _ = sdk
    first = client.files.create(file=("a.png", png(), "image/png"), purpose="vision")
    client.files.create(file=("b.png", png(32, 32), "image/png"), purpose="vision")
    with pytest.raises(openai.BadRequestError, match="no longer keeps"):
        client.responses.create(model=MAINLINE, tools=tool(), input=[{"role": "user", "content": [
            {"type": "input_text", "text": "Add a hat"}, {"type": "input_image", "file_id": first.id}]}])


def test_retrieve_returns_the_stored_response_and_not_an_unstored_one(sdk):
    client, _ = sdk
    made = client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool())
    assert client.responses.retrieve(made.id) == made
    unstored = client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool(), store=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(unstored.id)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="Add a boat", tools=tool(), previous_response_id=unstored.id)
    assert info.value.body["message"] == f"Previous response with id '{unstored.id}' not found."
    call_id = responses.image_calls(unstored)[0].id
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, tools=tool(), input=[
            {"role": "user", "content": "Add a boat"}, {"type": "image_generation_call", "id": call_id}])
    assert info.value.body["message"] == f"Item with id '{call_id}' not found."


@pytest.mark.parametrize("kwargs", [
    {"instructions": "Draw a red kite", "input": []},
    {"input": [{"role": "system", "content": "Draw a red kite"}]},
    {"input": [{"role": "developer", "content": [{"type": "input_text", "text": "Draw a red kite"}]}]},
])
def test_instructions_or_a_system_message_are_enough(sdk, kwargs):
    client, _ = sdk
    answer = client.responses.create(model=MAINLINE, tools=tool(), **kwargs)
    assert "Draw a red kite" in responses.image_calls(answer)[0].revised_prompt


def test_headers_and_created_date(sdk):
    client, _ = sdk
    raw = client.images.with_raw_response.generate(model=MINI, prompt="A fox", quality="low")
    assert raw.headers["x-request-id"].startswith("req_")
    ipm, tpm = sim_module.simulated_tier_limits()
    assert raw.headers["x-ratelimit-limit-requests"] == str(ipm)
    assert raw.headers["x-ratelimit-limit-tokens"] == str(tpm)
    for name in ("remaining-requests", "reset-requests", "remaining-tokens", "reset-tokens"):
        assert f"x-ratelimit-{name}" in raw.headers
    # The simulator answers for today (here a day mini was served, tests/conftest.py).
    assert day_start(registry.today()) <= raw.parse().created < day_start(registry.today()) + 86400


def test_rate_limit_headers_show_the_lesson_models_limits(lessons_on_mini):
    assert sim_module.simulated_tier_limits() == registry.rate_limits(MINI, sim_module.RATE_LIMIT_TIER)


def test_rate_limit_headers_stay_when_the_lesson_models_limits_are_not_found(monkeypatch):
    monkeypatch.setenv("COOKBOOK_IMAGE_MODEL", "gpt-image-2")
    assert registry.rate_limits("gpt-image-2", sim_module.RATE_LIMIT_TIER) is None
    first_listed = next(m.id for m in registry.image_models() if m.rate_limits is not None)
    assert sim_module.simulated_tier_limits() == registry.rate_limits(first_listed, sim_module.RATE_LIMIT_TIER)
    client, _ = make_client(Simulator())
    assert int(client.images.with_raw_response.generate(model="gpt-image-2", prompt="A fox", quality="low")
               .headers["x-ratelimit-limit-requests"]) > 0


def test_rate_limit_headers_follow_the_simulators_window():
    now = [1000.0]
    client, _ = make_client(Simulator(images_per_minute=2, clock=lambda: now[0]))
    seen = [client.images.with_raw_response.generate(model=MINI, prompt="A fox", quality="low").headers
            for _ in range(2)]
    assert [h["x-ratelimit-remaining-requests"] for h in seen] == ["1", "0"]
    assert seen[1]["x-ratelimit-reset-requests"] == "60s"


# --- item 3: refuse what the real API refuses ----------------------------------------------

def test_streaming_responses_without_partial_images(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="Draw a cat", tools=tool(), stream=True)
    assert info.value.param == "tools" and info.value.body["message"] == "Streaming must have non-zero partial images."
    with pytest.raises(responses.ToolSpecError, match="partial"):
        responses.image_tool(model=MINI, for_stream=True)


@pytest.mark.parametrize("image", [png(), ("photo", png())])
def test_an_octet_stream_upload_is_refused(sdk, image):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MINI, image=image, prompt="Add a hat")
    assert info.value.body["message"] == (
        "Invalid file 'image': unsupported mimetype ('application/octet-stream'). Supported file formats are "
        "'image/jpeg', 'image/png', and 'image/webp'.")


BAD_SIZES = ["1000x1000", "4800x1200", "1024x4096", "3840x2176", "4096x2160"]


@pytest.mark.parametrize("size", BAD_SIZES)
def test_gpt_image_2_sizes_follow_the_registry_rule_everywhere(sdk, size):
    client, _ = sdk
    caps = registry.get("gpt-image-2").capabilities
    assert caps.size_problem(size) and size in caps.size_problem(size)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-2", prompt="A valley", size=size)
    assert size in info.value.message and info.value.param == "size"
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="A valley", tools=tool(model="gpt-image-2", size=size))
    assert size in info.value.message and info.value.param == "tools"
    with pytest.raises(responses.ToolSpecError, match=size):
        responses.image_tool(model="gpt-image-2", size=size)


def test_gpt_image_2_accepts_sizes_within_the_budget(sdk):
    client, _ = sdk
    assert "3840" in str(registry.get("gpt-image-2").capabilities.size_rule.source)
    answer = client.images.generate(model="gpt-image-2", prompt="A valley", size="2880x960", quality="low")
    assert decoded(answer.data[0].b64_json).size == (2880, 960)
    assert responses.image_tool(model="gpt-image-2", size="3840x2160")["size"] == "3840x2160"


def test_gpt_image_2_transparent_background(sdk):
    client, _ = sdk
    for call in (lambda: client.images.generate(model="gpt-image-2", prompt="A logo", background="transparent"),
                 lambda: client.responses.create(model=MAINLINE, input="A logo",
                                                 tools=tool(model="gpt-image-2", background="transparent"))):
        with pytest.raises(openai.BadRequestError) as info:
            call()
        assert info.value.body["message"] == "Transparent background is not supported for this model."


# --- item 4: answer like the API -------------------------------------------------------------

def test_output_tokens_come_from_each_models_own_facts():
    assert sim_module.output_tokens("gpt-image-2.5-flare", "low", "1024x1024") == 196
    assert sim_module.output_tokens("gpt-image-2", "low", "976x704") == 129
    assert sim_module.output_tokens("gpt-image-2", "high", "1024x1024") == 7024
    assert sim_module.output_tokens(MINI, "low", "1024x1024") == 272
    # no table for 2.5-flare at 1536x1024 and none for 2.6: the stand-in, said to be one
    for model, size in (("gpt-image-2.5-flare", "1536x1024"), ("gpt-image-2.6-flare", "1024x1024")):
        assert sim_module.output_tokens_simulated(model, "low", size)
        assert pricing.output_tokens_documented(model, "low", size) is None
    assert sim_module.output_tokens("gpt-image-2.5-flare", "low", "1536x1024") != round(196 * 1.5)
    assert not sim_module.output_tokens_simulated("gpt-image-2.5-flare", "low", "1024x1024")


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_transparent_edits_are_transparent(sdk, fmt):
    client, _ = sdk
    answer = client.images.edit(model=MINI, image=("a.png", png(), "image/png"), prompt="Cut it out",
                                background="transparent", output_format=fmt)
    picture = decoded(answer.data[0].b64_json)
    assert picture.mode == "RGBA" and picture.getchannel("A").getextrema()[0] == 0


def test_output_text_parts_carry_logprobs(sdk):
    client, adapter = sdk
    client.responses.create(model=MAINLINE, input="Draw a cat", tools=tool())
    parts = [p for item in adapter.last.body["output"] if item["type"] == "message" for p in item["content"]]
    assert parts and all(p["logprobs"] == [] for p in parts)
    Response.model_validate(adapter.last.body)


def test_moderation_details_only_on_the_responses_route():
    from helpers.api_errors import error_body

    assert "moderation_details" in error_body("moderation_blocked")[1]["error"]
    assert "moderation_details" not in error_body("moderation_blocked", route="images")[1]["error"]
