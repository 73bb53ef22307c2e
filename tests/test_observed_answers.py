"""Answers like the real API: each publicly observed body, sent through the real SDK, offline (the
simulator behind the client's transport) and over HTTP (the simulator server), plus the live pre-send
check's refusals, which cite the rule they rest on."""

from __future__ import annotations

import base64
import io

import httpx2
import openai
import pytest
from PIL import Image

from helpers import api_errors, bulk, registry, rules, triage
from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator
from helpers.offline.transport import SimulatorTransport
from helpers.transports.precheck import PreSendCheckTransport
from helpers.transports.timeouts import NoRetryOnTimeoutTransport, PossiblyBilledTimeout

MODEL = "gpt-image-2.6-flare"


def _offline() -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url="http://sim.invalid/v1", max_retries=0,
                         http_client=openai.DefaultHttpx2Client(transport=SimulatorTransport(Simulator())))


@pytest.fixture(params=["offline", "http"])
def client(request):
    """The same SDK calls against the in-process simulator and the simulator served on 127.0.0.1."""
    if request.param == "offline":
        yield _offline()
        return
    with serve(Simulator()) as url:
        yield openai.OpenAI(api_key="sk-test", base_url=url, max_retries=0)


def _image(mode: str, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (64, 64), (10, 20, 30, 40) if mode == "CMYK" else (10, 20, 30)).save(out, fmt)
    return out.getvalue()


def test_response_format_gets_the_observed_unknown_parameter_body(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model=MODEL, prompt="A red fox", response_format="url")
    error = info.value.body
    assert info.value.status_code == 400
    assert error == {"message": "Unknown parameter: 'response_format'.", "type": "invalid_request_error",
                     "param": "response_format", "code": "unknown_parameter"}
    found = triage.diagnose(info.value)
    assert found.kind == "invalid_parameter" and "GetfroggyHoe" in found.source


def test_style_is_an_unknown_parameter_marked_simulated(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model=MODEL, prompt="A red fox", style="vivid")
    assert info.value.body["code"] == "unknown_parameter"
    assert info.value.body["message"].startswith(api_errors.SIMULATED)


def test_a_cmyk_jpeg_gets_the_observed_invalid_image_body_and_triage_explains_it(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MODEL, prompt="Add a hat", image=("photo.jpg", _image("CMYK"), "image/jpeg"))
    assert info.value.status_code == 400
    assert info.value.body["message"] == "Invalid image file or mode for image 1, please check your image file."
    assert info.value.body["type"] == "image_generation_user_error"
    found = triage.diagnose(info.value)
    assert found.kind == "invalid_image_file" and "new-api/issues/1159" in found.source
    assert "convert" in found.next_step


def test_a_phone_photo_mpo_gets_the_same_observed_body(client):
    out = io.BytesIO()
    Image.new("RGB", (64, 64)).save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 64))])
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MODEL, prompt="Add a hat", image=("phone.jpg", out.getvalue(), "image/jpeg"))
    assert info.value.body["message"].startswith("Invalid image file or mode for image 1,")


def test_the_invalid_image_body_numbers_the_image_it_is_about(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MODEL, prompt="Add a hat",
                           image=[("a.jpg", _image("RGB"), "image/jpeg"), ("b.jpg", _image("CMYK"), "image/jpeg")])
    assert info.value.body["message"].startswith("Invalid image file or mode for image 2,")


def test_output_compression_100_with_png_is_accepted_and_below_100_refused(client):
    answer = client.images.generate(model=MODEL, prompt="A red fox", output_format="png", output_compression=100)
    assert answer.data[0].b64_json
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model=MODEL, prompt="A red fox", output_format="png", output_compression=80)
    assert info.value.body["param"] == "output_compression"


def test_only_gpt_4o_with_gpt_image_2_gets_the_observed_pairing_refusal(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Draw a cat",
                                tools=[{"type": "image_generation", "model": "gpt-image-2"}])
    assert info.value.body["message"] == ("There was an issue with your request. Please check your inputs and "
                                          "try again")
    answer = client.responses.create(model="gpt-4o", input="Draw a cat",
                                     tools=[{"type": "image_generation", "model": MODEL}])
    assert any(item.type == "image_generation_call" for item in answer.output)


def _live(answers: list) -> openai.OpenAI:
    """A client over the live pre-send check, with a network stand-in that records what left."""

    def network(request: httpx2.Request) -> httpx2.Response:
        answers.append(request)
        return httpx2.Response(500, json={"error": {"message": "should not be sent"}})

    transport = PreSendCheckTransport(httpx2.MockTransport(network), day=lambda: registry.as_of_day())
    return openai.OpenAI(api_key="sk-test", max_retries=0, http_client=openai.DefaultHttpx2Client(transport=transport))


def test_a_live_stream_of_two_images_is_refused_by_the_api_rule_with_its_source():
    sent: list = []
    with pytest.raises(openai.BadRequestError) as info:
        _live(sent).images.generate(model=MODEL, prompt="A red fox", n=2, stream=True)
    message = info.value.body["message"]
    assert not sent
    assert "stream=true takes n=1" in message and rules.SRC_STREAM_ONE_IMAGE in message
    assert "simulator" not in message.lower()


def test_a_live_response_format_refusal_cites_the_observed_report():
    sent: list = []
    with pytest.raises(openai.BadRequestError) as info:
        _live(sent).images.generate(model=MODEL, prompt="A red fox", response_format="b64_json")
    assert not sent and api_errors.SRC_UNKNOWN_RESPONSE_FORMAT in info.value.body["message"]


def test_a_live_pairing_refusal_is_only_the_observed_one():
    sent: list = []
    with pytest.raises(openai.BadRequestError) as info:
        _live(sent).responses.create(model="gpt-4o", input="Draw a cat",
                                     tools=[{"type": "image_generation", "model": "gpt-image-2"}])
    assert not sent and rules.SRC_ORCHESTRATOR_REFUSAL in info.value.body["message"]
    with pytest.raises(openai.InternalServerError):  # not refused: it reaches the network stand-in
        _live(sent).responses.create(model="gpt-4o", input="Draw a cat", tools=[{"type": "image_generation"}])
    assert len(sent) == 1


def test_an_unrecognised_400_points_at_the_request_not_the_account():
    request = httpx2.Request("POST", "https://api.openai.com/v1/images/generations")
    error = openai.BadRequestError("Error code: 400", response=httpx2.Response(400, request=request),
                                   body={"message": "Something new went wrong.", "type": "invalid_request_error"})
    found = triage.diagnose(error)
    assert "parameters" in found.next_step and "access order" not in found.next_step


def _timing_out(calls: list, error: type) -> openai.OpenAI:
    def network(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        raise error("timed out", request=request)

    transport = NoRetryOnTimeoutTransport(httpx2.MockTransport(network))
    return openai.OpenAI(api_key="sk-test", max_retries=2, http_client=openai.DefaultHttpx2Client(transport=transport))


def test_a_generation_that_timed_out_after_sending_is_not_retried_and_says_it_may_be_billed():
    calls: list = []
    with pytest.raises(PossiblyBilledTimeout) as info:
        _timing_out(calls, httpx2.ReadTimeout).images.generate(model=MODEL, prompt="A red fox", quality="high")
    assert len(calls) == 1  # max_retries=2 would have sent it three times
    found = triage.diagnose(info.value)
    assert found.kind == "timeout" and "did not retry" in found.what_happened


def test_a_connect_timeout_never_left_so_the_sdk_still_retries_it():
    calls: list = []
    with pytest.raises(openai.APITimeoutError) as info:
        _timing_out(calls, httpx2.ConnectTimeout).images.generate(model=MODEL, prompt="A red fox")
    assert not isinstance(info.value, PossiblyBilledTimeout) and len(calls) == 3


def test_the_kits_clients_wait_long_enough_for_a_high_quality_generation():
    from helpers.client import make_client

    assert make_client("01_generate", quiet=True).timeout.read >= 300


def test_bulk_does_not_retry_a_timed_out_job_and_counts_it_as_possibly_billed():
    request = httpx2.Request("POST", "https://api.openai.com/v1/images/generations")
    assert bulk.classify(PossiblyBilledTimeout(request, "ReadTimeout")) == bulk.FAIL
    assert bulk.classify(openai.APIConnectionError(request=request)) == bulk.RETRY


def test_batch_line_refuses_more_than_16_images_and_an_overlong_data_url():
    small = {"image_url": "data:image/png;base64," + base64.b64encode(b"x").decode()}
    bulk.batch_line("ok", {"model": MODEL, "prompt": "p", "images": [small] * 16}, url=bulk.EDITS)
    with pytest.raises(ValueError, match="at most 16 images"):
        bulk.batch_line("many", {"model": MODEL, "prompt": "p", "images": [small] * 17}, url=bulk.EDITS)
    long = {"image_url": "data:image/png;base64," + "A" * bulk.BATCH_IMAGE_URL_MAX_CHARS}
    with pytest.raises(ValueError, match="file_id"):
        bulk.batch_line("long", {"model": MODEL, "prompt": "p", "images": [long]}, url=bulk.EDITS)


def test_a_background_response_is_queued_then_in_progress_then_completed_over_retrieve(client):
    created = client.responses.create(model=registry.LESSON_MAINLINE_MODEL, input="Draw a cat", background=True,
                                      tools=[{"type": "image_generation"}])
    assert (created.status, created.background, created.output, created.usage) == ("queued", True, [], None)
    seen = [client.responses.retrieve(created.id) for _ in range(3)]
    assert [r.status for r in seen] == ["in_progress", "completed", "completed"]
    done = seen[-1]
    assert done.background is True and any(item.type == "image_generation_call" for item in done.output)
    assert done.usage is not None  # billed once: only the finished response carries usage


def test_a_background_response_can_be_cancelled_before_it_finishes_and_then_has_no_output(client):
    created = client.responses.create(model=registry.LESSON_MAINLINE_MODEL, input="Draw a cat", background=True,
                                      tools=[{"type": "image_generation"}])
    cancelled = client.responses.cancel(created.id)
    assert cancelled.status == "cancelled" and cancelled.output == [] and cancelled.usage is None
    assert client.responses.retrieve(created.id).status == "cancelled"
