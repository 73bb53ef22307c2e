"""The offline simulator, driven through the real SDK over an in-memory transport."""

from __future__ import annotations

import base64
import io
import json

import httpx2
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types import ImageEditStreamEvent, ImageGenStreamEvent, ImagesResponse, Model
from openai.types.responses import Response, ResponseStreamEvent
from PIL import Image
from pydantic import TypeAdapter

from helpers import registry
from helpers import api_errors as errors
from helpers import wire
from helpers.api_errors import ERRORS, SIMULATED, error_body
from helpers.offline.answers import DAY_SPREAD_S, SimulatedResponse, day_start
from helpers.offline.simulator import Simulator

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

MINI = "gpt-image-1-mini"
MAINLINE = registry.LESSON_MAINLINE_MODEL
LOBEHUB_MESSAGE = "input_fidelity 'high' is only supported for model gpt-model-1"


class Adapter:
    """httpx2 handler around a Simulator; keeps every answer so tests can validate the raw JSON."""

    def __init__(self, sim: Simulator):
        self.sim, self.log = sim, []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        result = self.sim.handle(request.method, request.url.path, dict(request.url.params),
                                 dict(request.headers), request.read())
        self.log.append(result)
        if result.events is not None:
            return httpx2.Response(result.status, headers=dict(result.headers),
                                   content=b"".join(wire.encode_sse(result.events)))
        return httpx2.Response(result.status, headers=dict(result.headers), json=result.body)

    @property
    def last(self) -> SimulatedResponse:
        return self.log[-1]


def make_client(sim: Simulator | None = None) -> tuple[openai.OpenAI, Adapter]:
    adapter = Adapter(sim or Simulator())
    client = openai.OpenAI(api_key="sk-test", base_url="http://sim.invalid/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=httpx2.MockTransport(adapter)))
    return client, adapter


@pytest.fixture
def sdk():
    return make_client()


def png(width: int = 64, height: int = 64, *, mode: str = "RGB", alpha: int = 255) -> bytes:
    color = (40, 120, 200) if mode == "RGB" else (40, 120, 200, alpha)
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, "PNG")
    return out.getvalue()


def decoded(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def size_of(size: str) -> tuple[int, int]:
    w, h = size.split("x")
    return int(w), int(h)


def assert_simulated(err: openai.APIStatusError, status: int = 400) -> None:
    assert err.status_code == status
    assert err.body["message"].startswith(SIMULATED), err.body


def validated_events(adapter: Adapter, union) -> list:
    events = adapter.last.events
    assert events, "expected an SSE answer"
    parsed = [TypeAdapter(union).validate_python(e["data"]) for e in events]
    assert [e["event"] for e in events] == [p.type for p in parsed]
    for event, model in zip(events, parsed):  # no fields beyond the SDK's (its models accept extras)
        assert set(event["data"]) <= set(type(model).model_fields), event["data"].keys()
        usage = event["data"].get("usage")
        if isinstance(usage, dict) and hasattr(model, "usage"):
            assert set(usage) <= set(type(model.usage).model_fields)
    return parsed


def tool(**params) -> list[dict]:
    return [{"type": "image_generation", "model": MINI, **params}]


# --- Images API: generations ------------------------------------------------------------------

def test_generate_answers_a_valid_images_response(sdk):
    client, adapter = sdk
    client.images.generate(model=MINI, prompt="A red fox", size="1024x1024", quality="medium")
    answer = ImagesResponse.model_validate(adapter.last.body)
    assert (answer.size, answer.quality, answer.background, answer.output_format) == (
        "1024x1024", "medium", "opaque", "png")
    assert decoded(answer.data[0].b64_json).size == (1024, 1024)
    assert answer.usage.output_tokens == 1056
    assert answer.usage.output_tokens_details.image_tokens == 1056
    assert answer.usage.total_tokens == answer.usage.input_tokens + 1056
    assert adapter.last.headers["x-request-id"].startswith("req_")


def test_auto_quality_and_size_resolve_to_medium_square(sdk):
    client, adapter = sdk
    client.images.generate(model=MINI, prompt="A red fox", size="auto", quality="auto")
    answer = ImagesResponse.model_validate(adapter.last.body)
    assert (answer.size, answer.quality, answer.usage.output_tokens) == ("1024x1024", "medium", 1056)


def test_an_omitted_quality_bills_the_models_own_estimate_for_one():
    flare = "gpt-image-2.6-flare"
    day = registry.on(MINI, registry.as_of_day()).record.lifecycle.shutdown()
    adapter = Adapter(Simulator(day=day))
    client = openai.OpenAI(api_key="sk-test", base_url="http://sim.invalid/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=httpx2.MockTransport(adapter)))
    estimate = registry.get(flare).estimated_output_tokens
    client.images.generate(model=flare, prompt="A red fox", size="1024x1024")
    answer = ImagesResponse.model_validate(adapter.last.body)
    assert answer.quality == "medium", "it still renders as the simulator's medium"
    assert answer.usage.output_tokens == estimate.tokens[("auto", "1024x1024")] > estimate.tokens[("high", "1024x1024")]
    client.images.generate(model=flare, prompt="A red fox", size="1024x1024", quality="medium")
    assert ImagesResponse.model_validate(adapter.last.body).usage.output_tokens == estimate.tokens[("medium", "1024x1024")]


@pytest.mark.parametrize("size", ["1536x1024", "1024x1536"])
def test_decoded_dimensions_match_the_claimed_size(sdk, size):
    client, adapter = sdk
    answer = client.images.generate(model=MINI, prompt="A lighthouse", size=size, quality="low",
                                    output_format="jpeg", output_compression=70)
    image = decoded(answer.data[0].b64_json)
    assert (image.size, image.format) == (size_of(answer.size), "JPEG")
    assert answer.usage.output_tokens == registry.PRE_GPT_IMAGE_2_OUTPUT_TOKENS.tokens[("low", size)]


def test_n_images_are_distinct_and_billed_each(sdk):
    client, _ = sdk
    answer = client.images.generate(model=MINI, prompt="A red fox", n=3, quality="medium", size="1024x1024")
    assert len({d.b64_json for d in answer.data}) == 3
    assert answer.usage.output_tokens == 3 * 1056


def test_transparent_background_has_alpha(sdk):
    client, _ = sdk
    answer = client.images.generate(model=MINI, prompt="A sticker of a cat", background="transparent",
                                    output_format="webp", size="1024x1024")
    image = decoded(answer.data[0].b64_json)
    assert answer.background == "transparent"
    assert image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 0


@pytest.mark.parametrize("params, param", [
    ({"size": "1000x1000"}, "size"),
    ({"size": "1536x864"}, "size"),  # arbitrary sizes are for gpt-image-2 and later
    ({"quality": "xhigh"}, "quality"),
    ({"quality": "hd"}, "quality"),
    ({"output_format": "gif"}, "output_format"),
    ({"background": "transparent", "output_format": "jpeg"}, "background"),
    ({"output_compression": 80}, "output_compression"),  # png has no compression level
    ({"output_compression": 101, "output_format": "jpeg"}, "output_compression"),
    ({"n": 0}, "n"),
    ({"n": 11}, "n"),
    ({"partial_images": 2}, "partial_images"),  # without stream
    ({"style": "vivid"}, "style"),
    ({"moderation": "strict"}, "moderation"),
    ({"prompt": "x" * 32001}, "prompt"),
    ({"prompt": ""}, "prompt"),
    ({"model": "gpt-image-9"}, "model"),
    ({"model": MAINLINE}, "model"),
    ({"extra_body": {"mood": "sunny"}}, "mood"),
])
def test_invalid_generate_params_get_a_simulated_400(sdk, params, param):
    client, _ = sdk
    kwargs = {"model": MINI, "prompt": "A red fox", **params}
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(**kwargs)
    assert_simulated(info.value)
    assert info.value.param == param


@pytest.mark.parametrize("model", ["gpt-image-1", "dall-e-3"])
def test_shut_down_models_are_refused(sdk, model):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model=model, prompt="A red fox")
    # the 400 observed for dall-e-3 after its shutdown (jsboige/CoursIA#3825), not a simulated message
    assert info.value.body == {"message": f"The model '{model}' does not exist.",
                               "type": "image_generation_user_error", "param": "model", "code": "invalid_value"}


def test_shut_down_tool_model_gets_the_observed_tool_error(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="Draw a fox", tools=tool(model="gpt-image-1"))
    assert info.value.body == {"message": "The model 'gpt-image-1' does not exist.",
                               "type": "image_generation_user_error", "param": "tools", "code": "invalid_value"}


def test_gpt_image_2_takes_arbitrary_sizes_and_stand_in_tokens(sdk):
    client, _ = sdk
    answer = client.images.generate(model="gpt-image-2", prompt="A wide valley", size="1536x864", quality="high")
    assert decoded(answer.data[0].b64_json).size == (1536, 864)
    documented = client.images.generate(model="gpt-image-2", prompt="A square", size="1024x1024", quality="high")
    assert documented.usage.output_tokens == 7024  # the calculator reading in the registry
    from_price = client.images.generate(model="gpt-image-2", prompt="A square", size="1024x1024", quality="medium")
    assert from_price.usage.output_tokens == round(0.053 * 1_000_000 / 30)


def test_stand_in_tokens_add_100_per_partial_image(sdk):
    client, adapter = sdk
    list(client.images.generate(model="gpt-image-2", prompt="A square", size="1024x1024", quality="medium",
                                stream=True, partial_images=3))
    assert adapter.last.events[-1]["data"]["usage"]["output_tokens"] == round(0.053 * 1_000_000 / 30) + 300


@pytest.mark.parametrize("size", ["1000x1008", "4096x1024", "4000x2000", "3000x3000"])
def test_gpt_image_2_size_rules(sdk, size):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-2", prompt="A valley", size=size)
    assert_simulated(info.value)


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 24), st.integers(1, 24))
def test_any_allowed_gpt_image_2_size_renders_at_that_size(w16, h16):
    client, _ = make_client()
    width, height = 16 * w16, 16 * h16
    if not 1 / 3 <= width / height <= 3 or width * height < 655_360:
        with pytest.raises(openai.BadRequestError):
            client.images.generate(model="gpt-image-2", prompt="A valley", size=f"{width}x{height}")
        return
    answer = client.images.generate(model="gpt-image-2", prompt="A valley", size=f"{width}x{height}")
    assert decoded(answer.data[0].b64_json).size == (width, height)


def test_streamed_generate_events_and_partial_image_tokens(sdk):
    client, adapter = sdk
    seen = list(client.images.generate(model=MINI, prompt="A red fox", stream=True, partial_images=2,
                                       size="1024x1024", quality="medium"))
    events = validated_events(adapter, ImageGenStreamEvent)
    assert [e.type for e in seen] == [e.type for e in events] == [
        "image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    assert all(decoded(e.b64_json).size == (1024, 1024) for e in events)
    assert events[-1].usage.output_tokens == 1056 + 200


def test_stream_without_partials_sends_only_the_final_image(sdk):
    client, adapter = sdk
    list(client.images.generate(model=MINI, prompt="A red fox", stream=True, size="1024x1024", quality="medium"))
    events = validated_events(adapter, ImageGenStreamEvent)
    assert [e.type for e in events] == ["image_generation.completed"]
    assert events[0].usage.output_tokens == 1056


# --- Images API: edits --------------------------------------------------------------------------

def test_edit_with_one_image_part(sdk):
    client, adapter = sdk
    client.images.edit(model=MINI, image=("in.png", png(), "image/png"), prompt="Add a hat", size="1024x1536")
    answer = ImagesResponse.model_validate(adapter.last.body)
    assert decoded(answer.data[0].b64_json).size == (1024, 1536)
    assert answer.usage.input_tokens_details.image_tokens > 0
    assert answer.usage.output_tokens == 1584


def test_edit_accepts_16_images_and_refuses_17(sdk):
    client, adapter = sdk
    images = [(f"{k}.png", png(), "image/png") for k in range(17)]
    client.images.edit(model=MINI, image=images[:16], prompt="Combine them", quality="low")
    ImagesResponse.model_validate(adapter.last.body)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MINI, image=images, prompt="Combine them", quality="low")
    assert_simulated(info.value)
    assert info.value.param == "image"


def test_edit_with_mask_on_the_first_image(sdk):
    client, _ = sdk
    answer = client.images.edit(model=MINI, image=[("a.png", png(), "image/png"), ("b.png", png(), "image/png")],
                                mask=("mask.png", png(mode="RGBA", alpha=0), "image/png"), prompt="Fill it")
    assert decoded(answer.data[0].b64_json).size == (1024, 1024)


@pytest.mark.parametrize("mask", [png(32, 64, mode="RGBA", alpha=0), png(mode="RGB")],
                         ids=["wrong size", "no alpha"])
def test_bad_masks_are_refused(sdk, mask):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MINI, image=("a.png", png(), "image/png"), mask=("m.png", mask, "image/png"),
                           prompt="Fill it")
    assert_simulated(info.value)
    assert info.value.param == "mask"


def test_edit_refuses_images_that_are_not_images(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MINI, image=("a.png", b"not a picture", "image/png"), prompt="Fix it")
    assert_simulated(info.value)


def test_mini_input_fidelity_high_gives_the_observed_error(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MINI, image=("a.png", png(), "image/png"), prompt="Keep the face",
                           input_fidelity="high")
    assert info.value.body == {"message": LOBEHUB_MESSAGE, "type": "invalid_request_error",
                               "param": "input_fidelity", "code": None}
    client.images.edit(model=MINI, image=("a.png", png(), "image/png"), prompt="Keep the face", input_fidelity="low")


def test_gpt_image_2_refuses_input_fidelity(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-2", image=("a.png", png(), "image/png"), prompt="Keep the face",
                           input_fidelity="low")
    assert_simulated(info.value)
    assert info.value.code == "invalid_input_fidelity_model"


def test_high_input_fidelity_costs_more_image_input_tokens(sdk):
    client, _ = sdk
    low = client.images.edit(model="gpt-image-1.5", image=("a.png", png(), "image/png"), prompt="Keep it",
                             input_fidelity="low")
    high = client.images.edit(model="gpt-image-1.5", image=("a.png", png(), "image/png"), prompt="Keep it",
                              input_fidelity="high")
    assert high.usage.input_tokens_details.image_tokens > low.usage.input_tokens_details.image_tokens


def test_moderation_is_not_an_edit_parameter(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MINI, image=("a.png", png(), "image/png"), prompt="Fix it",
                           extra_body={"moderation": "low"})
    assert_simulated(info.value)
    assert info.value.param == "moderation"


def test_streamed_edit_events(sdk):
    client, adapter = sdk
    list(client.images.edit(model=MINI, image=("a.png", png(), "image/png"), prompt="Add a hat", stream=True,
                            partial_images=1, quality="medium", size="1024x1024"))
    events = validated_events(adapter, ImageEditStreamEvent)
    assert [e.type for e in events] == ["image_edit.partial_image", "image_edit.completed"]
    assert events[-1].usage.output_tokens == 1056 + 100


# --- Responses API ------------------------------------------------------------------------------

def test_responses_image_generation_call(sdk):
    client, adapter = sdk
    client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool(quality="medium", size="1024x1024"))
    response = Response.model_validate(adapter.last.body)
    call, message = response.output
    assert call.type == "image_generation_call" and call.id.startswith("ig_") and call.status == "completed"
    assert call.action == "generate" and call.revised_prompt.startswith("Draw a lighthouse")
    assert decoded(call.result).size == size_of(call.size)
    assert "simulated" in response.output_text
    assert response.tool_usage.image_gen.output_tokens == 1056
    assert response.tool_usage.web_search.num_requests == 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_tool_model_defaults_to_the_registry_default(sdk):
    client, adapter = sdk
    client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=[{"type": "image_generation"}])
    response = Response.model_validate(adapter.last.body)
    assert response.tools[0].model == registry.IMAGE_TOOL_DEFAULT_MODEL


def test_image_model_at_the_top_level_is_refused(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MINI, input="Draw a lighthouse", tools=tool())
    assert_simulated(info.value)
    assert info.value.param == "model"


def test_follow_up_by_previous_response_id_edits_the_last_image(sdk):
    client, adapter = sdk
    first = client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool())
    second = client.responses.create(model=MAINLINE, input="Make it night", previous_response_id=first.id,
                                     tools=tool())
    Response.model_validate(adapter.last.body)
    assert second.output[0].action == "edit" and second.previous_response_id == first.id
    assert second.output[0].result != first.output[0].result
    assert second.tool_usage.image_gen.input_tokens_details.image_tokens > 0


def test_follow_up_by_image_generation_call_id(sdk):
    client, _ = sdk
    first = client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool())
    second = client.responses.create(
        model=MAINLINE, tools=tool(),
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Add a boat"}]},
               {"type": "image_generation_call", "id": first.output[0].id}])
    assert second.output[0].action == "edit"


@pytest.mark.parametrize("kwargs, param", [
    ({"previous_response_id": "resp_unknown"}, "previous_response_id"),
    ({"input": [{"role": "user", "content": "Add a boat"}, {"type": "image_generation_call", "id": "ig_unknown"}]},
     "input"),
])
def test_unknown_follow_up_ids_are_refused(sdk, kwargs, param):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, tools=tool(), **{"input": "Add a boat", **kwargs})
    assert info.value.param == param
    unknown = "resp_unknown" if param == "previous_response_id" else "ig_unknown"
    assert info.value.body["message"] in (f"Previous response with id '{unknown}' not found.",
                                          f"Item with id '{unknown}' not found.")


def test_remember_registers_a_recorded_response():
    client, _ = make_client()
    recorded = client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool())
    fresh, _ = make_client(sim := Simulator())
    sim.remember(recorded.model_dump(mode="json"))
    follow = fresh.responses.create(model=MAINLINE, input="Make it night", previous_response_id=recorded.id,
                                    tools=tool())
    assert follow.output[0].action == "edit"
    by_id = fresh.responses.create(model=MAINLINE, tools=tool(), input=[
        {"role": "user", "content": "Add a boat"}, {"type": "image_generation_call", "id": recorded.output[0].id}])
    assert by_id.output[0].action == "edit"


def test_forced_edit_without_an_image_is_refused(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="Edit it", tools=tool(action="edit"))
    assert_simulated(info.value)


def test_input_image_and_mask_in_the_conversation(sdk):
    client, adapter = sdk
    content = [{"type": "input_text", "text": "Put a hat on it"}, {"type": "input_image", "image_url": data_url(png())}]
    client.responses.create(model=MAINLINE, input=[{"role": "user", "content": content}],
                            tools=tool(input_image_mask={"image_url": data_url(png(mode="RGBA", alpha=0))}))
    assert Response.model_validate(adapter.last.body).output[0].action == "edit"
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input=[{"role": "user", "content": content}],
                                tools=tool(input_image_mask={"image_url": data_url(png(32, 32, mode="RGBA"))}))
    assert_simulated(info.value)


def test_tool_input_fidelity_on_gpt_image_2_gives_the_observed_body(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="Draw a lighthouse",
                                tools=[{"type": "image_generation", "model": "gpt-image-2", "input_fidelity": "high"}])
    assert info.value.body == {"message": "The model 'gpt-image-2' does not support the 'input_fidelity' parameter.",
                               "type": "image_generation_user_error", "param": "tools",
                               "code": "invalid_input_fidelity_model"}


def test_tool_input_fidelity_high_on_mini_gives_the_observed_message(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool(input_fidelity="high"))
    assert info.value.body["message"] == LOBEHUB_MESSAGE


def test_tool_params_are_checked_against_the_tool_model(sdk):
    client, _ = sdk
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MAINLINE, input="Draw", tools=tool(quality="max"))
    assert_simulated(info.value)


def test_streamed_response_events(sdk):
    client, adapter = sdk
    seen = [e.type for e in client.responses.create(model=MAINLINE, input="Draw a lighthouse", stream=True,
                                                     tools=tool(partial_images=2, quality="medium"))]
    events = validated_events(adapter, ResponseStreamEvent)
    assert seen == [e.type for e in events] == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.image_generation_call.in_progress", "response.image_generation_call.generating",
        "response.image_generation_call.partial_image", "response.image_generation_call.partial_image",
        "response.image_generation_call.completed", "response.output_item.done",
        "response.output_item.added", "response.content_part.added", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert [e.partial_image_index for e in events if e.type.endswith("partial_image")] == [0, 1]
    final = events[-1].response
    assert final.status == "completed" and final.tool_usage.image_gen.output_tokens == 1056 + 200
    follow = client.responses.create(model=MAINLINE, input="Make it night", previous_response_id=final.id,
                                     tools=tool())
    assert follow.output[0].action == "edit"


# --- models and routes --------------------------------------------------------------------------

def test_model_lookup_reports_the_shutdown_date(sdk):
    client, adapter = sdk
    client.models.retrieve(MINI)
    model = Model.model_validate(adapter.last.body)
    assert (model.id, model.object, model.owned_by, model.shutdown_date) == (MINI, "model", "system", "2026-12-01")
    assert client.models.retrieve("gpt-image-2").shutdown_date is None


def test_unknown_model_and_route_are_simulated_404s(sdk):
    client, _ = sdk
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("gpt-image-9")
    assert_simulated(info.value, 404)
    with pytest.raises(openai.NotFoundError) as info:
        client.get("/images/variations", cast_to=dict)
    assert_simulated(info.value, 404)


# --- rate limit ---------------------------------------------------------------------------------

def test_rate_limit_counts_images_and_frees_up_with_the_clock():
    now = [1000.0]
    client, adapter = make_client(Simulator(clock=lambda: now[0], images_per_minute=3))
    client.images.generate(model=MINI, prompt="one", n=2, quality="low")
    now[0] += 10
    with pytest.raises(openai.RateLimitError) as info:
        client.images.generate(model=MINI, prompt="two", n=2, quality="low")
    headers = adapter.last.headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("50", "50000")
    assert info.value.body["message"] == ("You've exceeded the rate limit, please slow down and try again after "
                                  "50.00 seconds.")
    client.images.generate(model=MINI, prompt="three", quality="low")  # the third slot is still free
    now[0] += 49.5
    with pytest.raises(openai.RateLimitError):
        client.images.generate(model=MINI, prompt="two", n=2, quality="low")
    assert adapter.last.headers["retry-after-ms"] == "500"
    now[0] += 0.5
    client.images.generate(model=MINI, prompt="two", n=2, quality="low")


def test_retry_after_waits_for_as_many_slots_as_the_request_needs():
    now = [0.0]
    client, adapter = make_client(Simulator(clock=lambda: now[0], images_per_minute=3))
    for _ in range(3):
        client.images.generate(model=MINI, prompt="one", quality="low")
        now[0] += 10
    with pytest.raises(openai.RateLimitError):
        client.images.generate(model=MINI, prompt="two", n=2, quality="low")
    assert adapter.last.headers["retry-after"] == "40"  # the second-oldest image leaves the window at 70 s


def test_more_images_than_the_limit_is_a_429():
    client, _ = make_client(Simulator(clock=lambda: 0.0, images_per_minute=2))
    with pytest.raises(openai.RateLimitError):
        client.images.generate(model=MINI, prompt="many", n=3)


# --- determinism --------------------------------------------------------------------------------

def run_sequence() -> list[SimulatedResponse]:
    client, adapter = make_client()
    client.images.generate(model=MINI, prompt="A red fox", quality="low")
    client.images.edit(model=MINI, image=("a.png", png(), "image/png"), prompt="Add a hat", quality="low")
    first = client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool(quality="low"))
    client.responses.create(model=MAINLINE, input="Draw a lighthouse", tools=tool(quality="low"))
    client.responses.create(model=MAINLINE, input="Night", previous_response_id=first.id, tools=tool(quality="low"))
    return adapter.log


def test_same_sequence_gives_identical_answers():
    one, two = run_sequence(), run_sequence()
    assert [json.dumps(r.body, sort_keys=True) for r in one] == [json.dumps(r.body, sort_keys=True) for r in two]
    assert [dict(r.headers) for r in one] == [dict(r.headers) for r in two]
    repeat_a, repeat_b = one[2].body, one[3].body  # identical requests still get fresh ids, like the API
    assert repeat_a["id"] != repeat_b["id"] and repeat_a["output"][0]["id"] != repeat_b["output"][0]["id"]
    assert one[2].headers["x-request-id"] != one[3].headers["x-request-id"]
    created = [r.body.get("created", r.body.get("created_at")) for r in one]
    # created falls on the simulator's day (the registry's as-of date), never after it
    assert all(day_start() <= c < day_start() + DAY_SPREAD_S for c in created)


# --- error table --------------------------------------------------------------------------------

OBSERVED_MESSAGES = {
    # These tests run on a day the lane was still at its origin, mini (lessons_on_mini).
    "org_not_verified": f"Your organization must be verified to use the model `{registry.LANE_ORIGIN}`.",
    "insufficient_quota": "You exceeded your current quota, please check your plan and billing details.",
    "billing_hard_limit": "Billing hard limit has been reached",
    "rate_limit": "You've exceeded the rate limit, please slow down and try again after 51.84 seconds.",
    "moderation_blocked": "Your request was rejected by the safety system.",
    "input_fidelity_unsupported": LOBEHUB_MESSAGE,
    "model_shut_down": "The model 'gpt-image-1' does not exist.",
    "orchestrator_unsupported": "There was an issue with your request. Please check your inputs and try again",
    "streaming_without_partials": "Streaming must have non-zero partial images.",
    "unsupported_mimetype": "Invalid file 'image': unsupported mimetype ('application/octet-stream').",
    "transparent_unsupported": "Transparent background is not supported for this model.",
    "previous_response_not_found": "Previous response with id 'resp_unknown' not found.",
    "item_not_found": "Item with id 'ig_unknown' not found.",
    "invalid_image_file": "Invalid image file or mode for image 1, please check your image file.",
    "project_model_access": "Project `proj_workshop` does not have access to model `",
}
EXPECTED = {
    "org_not_verified": (403, openai.PermissionDeniedError),
    "invalid_api_key": (401, openai.AuthenticationError),
    "project_model_access": (403, openai.PermissionDeniedError),
    "insufficient_quota": (429, openai.RateLimitError),
    "billing_hard_limit": (400, openai.BadRequestError),
    "rate_limit": (429, openai.RateLimitError),
    "moderation_blocked": (400, openai.BadRequestError),
    "input_fidelity_unsupported": (400, openai.BadRequestError),
    "model_shut_down": (400, openai.BadRequestError),
    "orchestrator_unsupported": (400, openai.BadRequestError),
    "streaming_without_partials": (400, openai.BadRequestError),
    "unsupported_mimetype": (400, openai.BadRequestError),
    "transparent_unsupported": (400, openai.BadRequestError),
    "previous_response_not_found": (400, openai.BadRequestError),
    "item_not_found": (400, openai.BadRequestError),
    "invalid_value": (400, openai.BadRequestError),
    "unknown_parameter": (400, openai.BadRequestError),
    "not_found": (404, openai.NotFoundError),
    "invalid_image_file": (400, openai.BadRequestError),
}


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_every_error_kind_replays_through_the_sdk(kind):
    status, body, headers = error_body(kind)
    assert set(body) == {"error"} and {"message", "type", "param", "code"} <= set(body["error"])
    message = body["error"]["message"]
    assert message.startswith(OBSERVED_MESSAGES[kind]) if kind in OBSERVED_MESSAGES else message.startswith(SIMULATED)

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers=headers, json=body)

    client = openai.OpenAI(api_key="sk-test", base_url="http://sim.invalid/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=httpx2.MockTransport(answer)))
    expected_status, expected_class = EXPECTED[kind]
    with pytest.raises(expected_class) as info:
        client.images.generate(model=MINI, prompt="A red fox")
    assert info.value.status_code == status == expected_status


def test_observed_bodies_are_exact():
    assert error_body("billing_hard_limit")[1] == {"error": {
        "code": "billing_hard_limit_reached", "message": "Billing hard limit has been reached", "param": None,
        "type": "invalid_request_error"}}
    assert error_body("insufficient_quota")[1]["error"] == {
        "message": "You exceeded your current quota, please check your plan and billing details. For more "
                   "information on this error, read the docs: "
                   "https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}
    assert error_body("org_not_verified", model="gpt-image-1")[1]["error"] == {
        "message": "Your organization must be verified to use the model `gpt-image-1`. Please go to: "
                   "https://platform.openai.com/settings/organization/general and click on Verify Organization. "
                   "If you just verified, it can take up to 15 minutes for access to propagate.",
        "type": "invalid_request_error", "param": None, "code": None}
    blocked = error_body("moderation_blocked", request_id="req_1", categories=("violence",))[1]["error"]
    assert blocked["code"] == "moderation_blocked" and blocked["type"] == "image_generation_user_error"
    assert blocked["message"].endswith("include the request ID req_1. safety_violations=[violence].")


def test_the_default_high_fidelity_refusal_is_minis_observed_one(lessons_on_mini):
    assert errors.high_fidelity_refusing_model() == MINI
    assert error_body("input_fidelity_unsupported")[1]["error"]["message"] == LOBEHUB_MESSAGE


@pytest.mark.parametrize("lesson_model", ["gpt-image-2", "gpt-image-2.6-flare"])
def test_the_default_high_fidelity_refusal_names_a_model_that_takes_input_fidelity(monkeypatch, lesson_model):
    monkeypatch.setenv("COOKBOOK_IMAGE_MODEL", lesson_model)
    model = errors.high_fidelity_refusing_model()
    fidelity = registry.get(model).capabilities.input_fidelity
    assert model != lesson_model and fidelity and "high" not in fidelity
    assert error_body("input_fidelity_unsupported")[1]["error"]["message"] == LOBEHUB_MESSAGE
    assert error_body("org_not_verified")[1]["error"]["message"].startswith(
        f"Your organization must be verified to use the model `{lesson_model}`.")


def test_rate_limit_kind_carries_retry_headers():
    status, _, headers = error_body("rate_limit", retry_after_s=2.25)
    assert (status, headers) == (429, {"retry-after": "3", "retry-after-ms": "2250"})


def test_unknown_error_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown error kind"):
        error_body("teapot")
