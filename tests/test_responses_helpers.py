"""helpers.responses: the image_generation tool spec, reading image calls, and pricing both bills."""

import base64
import io
from pathlib import Path

import httpx2
import pytest
from openai.types.responses.response_output_item import ImageGenerationCall
from PIL import Image

from helpers import edits, pricing, registry, responses
from helpers.offline import simulator
from helpers.offline.transport import SimulatorTransport
from helpers import api_errors as errors
from tests.conftest import sdk_client

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

SAMPLES = Path(__file__).resolve().parent.parent / "sample_inputs"
MINI = "gpt-image-1-mini"
MAINLINE = registry.LESSON_MAINLINE_MODEL


class CountingTransport(httpx2.BaseTransport):
    """Answers with the simulator and counts what reached it."""

    def __init__(self):
        self.inner = SimulatorTransport(simulator.Simulator())
        self.requests = 0

    def handle_request(self, request):
        self.requests += 1
        return self.inner.handle_request(request)


@pytest.fixture
def counting():
    return CountingTransport()


@pytest.fixture
def client(counting):
    return sdk_client(counting)


def create(client, **tool):
    return client.responses.create(model=MAINLINE, input="Draw a lighthouse at dusk",
                                   tools=[responses.image_tool(model=MINI, quality="low", size="1024x1024", **tool)])


def failed_item(**error):
    body = errors.error_body("moderation_blocked", categories=("violence",), stage="input")[1]["error"]
    return {"id": "ig_failed", "type": "image_generation_call", "status": "failed", "result": None,
            "error": {**body, **error}}


# --- reading image calls ---------------------------------------------------------------------

def test_image_calls_reads_an_sdk_response(client):
    response = create(client)
    calls = responses.image_calls(response)
    assert len(calls) == 1
    call = calls[0]
    assert call.id.startswith("ig_") and call.status == "completed"
    assert call.action == "generate" and call.size == "1024x1024" and call.quality == "low"
    assert call.output_format == "png"
    assert call.revised_prompt and call.error is None
    assert Image.open(io.BytesIO(base64.b64decode(call.image_b64))).size == (1024, 1024)
    assert responses.first_image(response) == call.image_b64


def test_image_calls_reads_a_dict_and_skips_other_items():
    response = {"output": [
        {"id": "msg_1", "type": "message", "role": "assistant", "content": []},
        {"id": "ig_1", "type": "image_generation_call", "status": "completed", "result": "QUJD"},
        failed_item(),
    ]}
    assert [c.id for c in responses.image_calls(response)] == ["ig_1", "ig_failed"]
    assert responses.image_calls({"output": []}) == []


def test_a_failed_call_carries_its_error_and_moderation_details():
    call = responses.ImageCall.from_item(ImageGenerationCall.model_validate(failed_item()))
    assert call.status == "failed" and call.image_b64 is None
    assert call.error.code == "moderation_blocked"
    assert call.error.moderation_stage == "input" and call.error.categories == ("violence",)
    assert "moderation stage: input" in str(call.error) and "violence" in str(call.error)


def test_first_image_explains_a_failed_call():
    with pytest.raises(responses.ImageCallFailed, match="status 'failed'.*moderation_blocked") as caught:
        responses.first_image({"output": [failed_item()]})
    assert caught.value.call.id == "ig_failed"


def test_first_image_explains_a_failed_call_without_details():
    item = {"id": "ig_2", "type": "image_generation_call", "status": "failed", "result": None}
    with pytest.raises(responses.ImageCallFailed, match="no error details"):
        responses.first_image({"output": [item]})


def test_first_image_explains_a_text_only_answer():
    with pytest.raises(responses.ImageCallFailed, match="no image_generation_call.*message"):
        responses.first_image({"output": [{"type": "message", "id": "msg_1"}]})


def test_from_item_refuses_other_items():
    with pytest.raises(ValueError, match="message"):
        responses.ImageCall.from_item({"type": "message"})


def test_str_of_a_call_never_holds_the_image(client):
    call = responses.image_calls(create(client))[0]
    assert call.image_b64 not in str(call) and "| image" in str(call)


# --- building the tool -----------------------------------------------------------------------

def test_image_tool_builds_the_spec():
    assert responses.image_tool(model=MINI, quality="low", action="edit") == {
        "type": "image_generation", "model": MINI, "quality": "low", "action": "edit"}


def test_the_default_tool_model_is_not_the_lesson_model():
    assert registry.IMAGE_TOOL_DEFAULT_MODEL != MINI
    assert responses.image_tool() == {"type": "image_generation"}


def test_defaults_are_checked_against_the_tool_default_model():
    # mini accepts input_fidelity="low"; the default tool model's support is not found, so it passes
    # there, while gpt-image-2 (no input_fidelity at all) refuses it.
    assert responses.image_tool(input_fidelity="low")["input_fidelity"] == "low"
    with pytest.raises(responses.ToolSpecError, match="leave it out"):
        responses.image_tool(model="gpt-image-2", input_fidelity="low")


@pytest.mark.parametrize("params, message", [
    ({"model": MINI, "input_fidelity": "high"}, "low only"),
    ({"model": MINI, "quality": "xhigh"}, "does not support quality"),
    ({"model": MINI, "size": "1536x864"}, "does not support size"),
    ({"model": MINI, "action": "inpaint"}, "action='inpaint'"),
    ({"model": MINI, "partial_images": 4}, "from 0 to 3"),
    ({"model": MINI, "output_compression": 80}, "jpeg and webp only"),
    ({"model": MINI, "background": "transparent", "output_format": "jpeg"}, "png or webp"),
    ({"model": MINI, "input_image_mask": "mask.png"}, "image_url"),
    ({"model": MINI, "n": 2}, "Unknown image_generation tool parameter"),
    ({"model": MAINLINE}, "takes an image model"),
    ({"model": "gpt-image-1"}, "shut down on 2026-10-23"),
    ({"model": "gpt-imag-1-mini"}, "not an image model in the registry"),
])
def test_bad_specs_fail_before_anything_is_sent(client, counting, params, message):
    with pytest.raises(responses.ToolSpecError, match=message):
        client.responses.create(model=MAINLINE, input="Draw a kite", tools=[responses.image_tool(**params)])
    assert counting.requests == 0


def test_arbitrary_sizes_follow_the_registry():
    assert responses.image_tool(model="gpt-image-2", size="1536x864")["size"] == "1536x864"
    assert responses.image_tool(model="gpt-image-2", size="auto")["size"] == "auto"


def test_a_good_spec_is_accepted_by_the_simulator(client, counting):
    response = create(client, output_format="jpeg", output_compression=80)
    assert counting.requests == 1 and responses.image_calls(response)[0].status == "completed"


# --- input images and masks ------------------------------------------------------------------

def test_data_url_from_a_path_and_from_bytes():
    url = responses.data_url(SAMPLES / "room.png")
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == (SAMPLES / "room.png").read_bytes()
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    assert responses.data_url(out.getvalue()).startswith("data:image/jpeg;base64,")
    assert responses.data_url(str(SAMPLES / "room.png")) == url


def test_data_url_refuses_what_the_api_would_refuse(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "GIF")
    with pytest.raises(ValueError, match="PNG, JPEG or WebP, not GIF"):
        responses.data_url(out.getvalue())
    with pytest.raises(ValueError, match="not a readable image"):
        responses.data_url(b"not an image")
    with pytest.raises(FileNotFoundError):
        responses.data_url(tmp_path / "missing.png")
    with pytest.raises(TypeError):
        responses.data_url(12)


def test_an_input_image_and_mask_go_through_the_tool(client):
    room = (SAMPLES / "room.png").read_bytes()
    mask = edits.rectangle_mask((1024, 1024), (96, 150, 456, 500))
    tool = responses.image_tool(model=MINI, quality="low", size="1024x1024", action="edit",
                                input_image_mask={"image_url": responses.data_url(mask)})
    response = client.responses.create(model=MAINLINE, tools=[tool], input=[{"role": "user", "content": [
        {"type": "input_text", "text": "Make the window show a night sky"},
        {"type": "input_image", "image_url": responses.data_url(room)}]}])
    assert responses.image_calls(response)[0].action == "edit"


# --- cost ------------------------------------------------------------------------------------

def test_tool_cost_prices_the_tool_usage_with_the_tool_model(client):
    response = create(client)
    cost = responses.tool_cost(response, MINI)
    image_gen = response.tool_usage.image_gen
    rates = registry.get(MINI).token_prices
    expected = (image_gen.input_tokens_details.text_tokens * rates.text_in
                + image_gen.output_tokens_details.image_tokens * rates.image_out) / pricing.PER_MILLION
    assert cost.image.total == pytest.approx(expected)
    assert cost.mainline_input_tokens == response.usage.input_tokens


def test_tool_cost_says_the_mainline_price_is_not_found(client):
    unpriced_mainline = "gpt-5"
    assert registry.get(unpriced_mainline).token_prices is None
    cost = responses.tool_cost(create(client).model_copy(update={"model": unpriced_mainline}), MINI)
    assert cost.mainline_usd is None and cost.total is None
    text = "\n".join(cost.lines())
    assert "not found in the registry" in text and "total: not found" in text


def test_tool_cost_uses_a_mainline_price_when_the_registry_has_one():
    # No mainline model has prices in the registry yet; any record with text in and out rates
    # shows that the arithmetic is ready for one.
    stand_in = "gpt-image-1.5"
    rates = registry.get(stand_in).token_prices
    response = {"model": stand_in, "usage": {"input_tokens": 2_000_000, "output_tokens": 1_000_000}}
    cost = responses.tool_cost(response, MINI)
    assert cost.mainline_usd == pytest.approx(2 * rates.text_in + rates.text_out)


def test_tool_cost_without_tool_usage_says_so():
    cost = responses.tool_cost({"model": MAINLINE, "usage": {"input_tokens": 3, "output_tokens": 4}}, MINI)
    assert cost.image is None and cost.total is None
    assert "not reported" in cost.lines()[0]


def test_tool_cost_of_an_unpriced_tool_model_is_not_found(client):
    cost = responses.tool_cost(create(client), "chatgpt-image-latest")
    assert cost.image.total is None and "not found" in cost.lines()[0]

