import json

import httpx2
import openai
import pytest

from helpers import budget
from helpers import transports
from helpers.transports import recording as rec
from helpers import wire
from tests.conftest import b64_png, png_bytes, sdk_client

CANARY_KEY = "sk-canary-0000000000000000000000000000"
CANARY_ORG = "org-canary000000000000000000"
CANARY_PROJECT = "proj_canary00000000000000000"


class FakeAPI:
    """Stands in for the real API behind the recorder: canned answers, every request logged."""

    def __init__(self, *answers: httpx2.Response):
        self.answers, self.requests = list(answers), []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.requests.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def record_then_replay(tmp_path, fake: FakeAPI, call, **client_kwargs):
    path = tmp_path / "lesson.json"
    recorder = transports.RecordingTransport(httpx2.MockTransport(fake), rec.Recording(path), rec.OPENAI_API)
    first = call(sdk_client(recorder, **client_kwargs))
    replay = transports.ReplayTransport(rec.Recording.load(path))
    return first, call(sdk_client(replay, **client_kwargs)), path, replay


def test_generate_replays_the_recorded_answer(tmp_path, images_response):
    fake = FakeAPI(httpx2.Response(200, json=images_response, headers={"x-request-id": "req_1"}))

    def call(client):
        return client.images.generate(model="gpt-image-1-mini", prompt="Draw a kite", size="1024x1024")

    recorded, replayed, _, replay = record_then_replay(tmp_path, fake, call)
    assert replayed.usage.output_tokens == recorded.usage.output_tokens == 1056
    assert replayed.size == "1024x1024"
    assert len(fake.requests) == 1
    assert replay.log == [("POST", "/v1/images/generations", 200)]


def test_a_changed_request_fails_in_replay_without_sending(tmp_path, images_response):
    fake = FakeAPI(httpx2.Response(200, json=images_response))
    _, _, path, _ = record_then_replay(
        tmp_path, fake, lambda c: c.images.generate(model="gpt-image-1-mini", prompt="Draw a kite"))
    client = sdk_client(transports.ReplayTransport(rec.Recording.load(path)), max_retries=2)
    with pytest.raises(rec.RecordingMismatch, match='"prompt": "Draw a kit"'):
        client.images.generate(model="gpt-image-1-mini", prompt="Draw a kit")
    assert len(fake.requests) == 1


def test_multipart_edit_replays_even_when_the_upload_is_re_encoded(tmp_path, images_response):
    fake = FakeAPI(httpx2.Response(200, json=images_response))
    uploads = iter([png_bytes(compress_level=1), png_bytes(compress_level=9)])

    def call(client):
        return client.images.edit(model="gpt-image-1-mini", prompt="Edit it", input_fidelity="low",
                                  image=[("room.png", next(uploads), "image/png")],
                                  mask=("mask.png", png_bytes(color=(0, 0, 0, 0)), "image/png"))

    _, replayed, path, _ = record_then_replay(tmp_path, fake, call)
    stored = json.loads(path.read_text())["interactions"][0]["request"]
    assert stored["form"] == {"input_fidelity": "low", "model": "gpt-image-1-mini", "prompt": "Edit it"}
    assert set(stored["files"]) == {"image[]", "mask"}
    assert replayed.data[0].b64_json


def test_sse_streams_replay_event_by_event(tmp_path):
    partial = {"type": "image_generation.partial_image", "b64_json": b64_png((256, 256)), "background": "opaque",
               "created_at": 1, "output_format": "png", "partial_image_index": 0, "quality": "low",
               "size": "1024x1024"}
    done = {**{k: v for k, v in partial.items() if k != "partial_image_index"},
            "type": "image_generation.completed",
            "usage": {"input_tokens": 5, "input_tokens_details": {"image_tokens": 0, "text_tokens": 5},
                      "output_tokens": 372, "total_tokens": 377}}
    body = b"".join(wire.encode_sse([{"event": e["type"], "data": e} for e in (partial, done)]))
    fake = FakeAPI(httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"}))

    def call(client):
        stream = client.images.generate(model="gpt-image-1-mini", prompt="p", stream=True, partial_images=1)
        return [event.type for event in stream]

    recorded, replayed, path, _ = record_then_replay(tmp_path, fake, call)
    assert recorded == replayed == ["image_generation.partial_image", "image_generation.completed"]
    assert len(json.loads(path.read_text())["interactions"][0]["response"]["sse"]) == 2


def test_errors_replay_as_the_sdks_own_exception(tmp_path):
    body = {"error": {"message": "Your organization must be verified", "type": "invalid_request_error",
                      "param": None, "code": None}}
    fake = FakeAPI(httpx2.Response(403, json=body, headers={"x-request-id": "req_403"}))

    def call(client):
        with pytest.raises(openai.PermissionDeniedError) as info:
            client.images.generate(model="gpt-image-1-mini", prompt="p")
        return info.value

    recorded, replayed, _, _ = record_then_replay(tmp_path, fake, call)
    assert replayed.status_code == 403 and replayed.request_id == "req_403"
    assert replayed.body == recorded.body == body["error"]


def test_retry_headers_replay_so_a_429_then_200_succeeds_quickly(tmp_path, images_response):
    limited = httpx2.Response(429, json={"error": {"message": "slow down", "type": "requests", "param": None,
                                                   "code": "rate_limit_exceeded"}},
                              headers={"retry-after-ms": "10", "retry-after": "1"})
    fake = FakeAPI(limited, httpx2.Response(200, json=images_response))

    def call(client):
        response = client.images.with_raw_response.generate(model="gpt-image-1-mini", prompt="p")
        return response.retries_taken

    recorded, replayed, path, _ = record_then_replay(tmp_path, fake, call, max_retries=2)
    assert recorded == replayed == 1
    headers = json.loads(path.read_text())["interactions"][0]["response"]["headers"]
    assert headers["retry-after-ms"] == "10"


def test_recordings_never_hold_keys_organization_or_project(tmp_path, images_response):
    fake = FakeAPI(httpx2.Response(200, json=images_response,
                                   headers={"openai-organization": CANARY_ORG, "openai-project": CANARY_PROJECT,
                                            "set-cookie": f"k={CANARY_KEY}"}))

    def call(client):
        return client.images.generate(model="gpt-image-1-mini", prompt="p")

    _, _, path, _ = record_then_replay(tmp_path, fake, call, api_key=CANARY_KEY, organization=CANARY_ORG,
                                       project=CANARY_PROJECT)
    sent = fake.requests[0].headers
    assert sent["authorization"] == f"Bearer {CANARY_KEY}" and sent["openai-organization"] == CANARY_ORG
    text = path.read_text()
    for secret in (CANARY_KEY, CANARY_ORG, CANARY_PROJECT, "canary"):
        assert secret not in text


def test_the_spending_cap_refuses_before_sending(images_response):
    fake = FakeAPI(httpx2.Response(200, json=images_response))
    cap = budget.SpendingCap(limit_usd=0.02)
    client = sdk_client(transports.SpendingCapTransport(httpx2.MockTransport(fake), cap))
    client.images.generate(model="gpt-image-1-mini", prompt="p", quality="medium", size="1024x1024")
    assert len(fake.requests) == 1
    # Charged from usage: 12 text tokens at $2/M + 1056 image tokens at $8/M.
    assert cap.spent_usd == pytest.approx(12 * 2.0e-6 + 1056 * 8.0e-6)
    with pytest.raises(budget.BudgetExceeded, match="expected to cost"):
        client.images.generate(model="gpt-image-1-mini", prompt="p", quality="high", size="1024x1536")
    assert len(fake.requests) == 1


def test_the_spending_cap_refuses_what_it_cannot_price(images_response):
    fake = FakeAPI(httpx2.Response(200, json=images_response))
    client = sdk_client(transports.SpendingCapTransport(httpx2.MockTransport(fake), budget.SpendingCap(10.0)))
    with pytest.raises(budget.BudgetExceeded, match="COOKBOOK_ALLOW_UNPRICED"):
        client.images.generate(model="chatgpt-image-latest", prompt="p")
    assert fake.requests == []


def test_each_batch_is_priced_for_its_input_file_however_often_the_file_is_reused():
    line = {"custom_id": "a", "method": "POST", "url": "/v1/images/generations",
            "body": {"model": "gpt-image-1-mini", "prompt": "p", "quality": "low", "size": "1024x1024"}}
    jsonl = ("\n".join(json.dumps({**line, "custom_id": str(i)}) for i in range(10)) + "\n").encode()
    uploaded = {"id": "file-1", "object": "file", "bytes": len(jsonl), "created_at": 1, "filename": "b.jsonl",
                "purpose": "batch", "status": "processed"}
    batch = {"id": "batch_1", "object": "batch", "endpoint": "/v1/images/generations", "input_file_id": "file-1",
             "completion_window": "24h", "status": "validating", "created_at": 1}

    fake = FakeAPI(httpx2.Response(200, json=uploaded), httpx2.Response(200, json=batch))
    cap = budget.SpendingCap(limit_usd=0.04)
    client = sdk_client(transports.SpendingCapTransport(httpx2.MockTransport(fake), cap))
    client.files.create(file=("b.jsonl", jsonl), purpose="batch")
    assert cap.spent_usd == 0.0  # an upload commits nothing
    client.batches.create(input_file_id="file-1", endpoint="/v1/images/generations", completion_window="24h")
    # 10 lines x (the larger official figure for mini low square, $0.005, + the prompt's byte and the
    # request's overhead at $2/M) at 50%.
    each = budget.batch_file_cost(jsonl).usd
    assert each == pytest.approx(10 * (0.005 + (1 + budget.REQUEST_OVERHEAD_TOKENS) * 2.00 / 1e6) * 0.5)
    assert cap.spent_usd == pytest.approx(each)
    with pytest.raises(budget.BudgetExceeded, match="Batch input file"):
        client.batches.create(input_file_id="file-1", endpoint="/v1/images/generations", completion_window="24h")
    assert len(fake.requests) == 2


