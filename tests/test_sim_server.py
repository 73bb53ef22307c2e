"""The simulator over real HTTP on 127.0.0.1, with the SDK's default transport."""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
import time
from urllib.parse import urlsplit

import openai
import pytest
from PIL import Image

from helpers import registry, wire
from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator

MINI = "gpt-image-1-mini"


class Spy:
    """Wraps a Simulator and keeps what it answered, to see the statuses the client got."""

    def __init__(self, sim: Simulator):
        self.sim, self.answers = sim, []

    def handle(self, *args):
        answer = self.sim.handle(*args)
        self.answers.append(answer)
        return answer


def png(width: int = 64, height: int = 64, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (10, 20, 30) if mode == "RGB" else (10, 20, 30, 0)).save(out, "PNG")
    return out.getvalue()


def size_of(b64: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(b64))).size


@pytest.fixture
def server():
    spy = Spy(Simulator())
    with serve(spy) as url:
        yield url, spy


def test_serves_on_loopback_only(server):
    url, _ = server
    assert urlsplit(url).hostname == "127.0.0.1" and url.endswith("/v1")
    with pytest.raises(ValueError):
        with serve(Simulator(), host="0.0.0.0"):
            pass


def test_generate_over_http(server):
    url, _ = server
    client = openai.OpenAI(base_url=url, api_key="sk-test")
    answer = client.images.generate(model=MINI, prompt="A red fox", size="1536x1024", quality="medium")
    assert size_of(answer.data[0].b64_json) == (1536, 1024)
    assert answer.usage.output_tokens == 1568


def test_multipart_edit_with_mask_over_http(server):
    url, _ = server
    client = openai.OpenAI(base_url=url, api_key="sk-test")
    answer = client.images.edit(model=MINI, prompt="Fill the hole", image=[("a.png", png(), "image/png")] * 2,
                                mask=("mask.png", png(mode="RGBA"), "image/png"))
    assert size_of(answer.data[0].b64_json) == (1024, 1024)
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model=MINI, prompt="Fill the hole", image=("a.png", png(), "image/png"),
                           mask=("mask.png", png(32, 32, mode="RGBA"), "image/png"))
    assert info.value.param == "mask"


def raw_chunks(url: str, path: str, body: dict) -> tuple[str, list[bytes]]:
    """POST over a bare socket and return the response head and its transfer-encoding chunks, unjoined."""
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"POST {parts.path}{path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    chunks = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return head.decode(), chunks
        chunks.append(rest[:size])
        rest = rest[size + 2:]


def test_streamed_generate_arrives_one_event_per_chunk(server):
    url, _ = server
    head, chunks = raw_chunks(url, "/images/generations", {"model": MINI, "prompt": "A red fox", "stream": True,
                                                            "partial_images": 2, "quality": "low"})
    assert "text/event-stream" in head and "chunked" in head.lower()
    events = [wire.decode_sse(chunk) for chunk in chunks]
    assert [len(e) for e in events] == [1, 1, 1]
    assert [e[0]["event"] for e in events] == ["image_generation.partial_image", "image_generation.partial_image",
                                               "image_generation.completed"]
    client = openai.OpenAI(base_url=url, api_key="sk-test")
    seen = list(client.images.generate(model=MINI, prompt="A red fox", stream=True, partial_images=2, quality="low"))
    assert [e.type for e in seen] == [e[0]["event"] for e in events]
    assert seen[-1].usage.output_tokens == 272 + 200


def test_streamed_responses_over_http(server):
    url, _ = server
    client = openai.OpenAI(base_url=url, api_key="sk-test")
    events = list(client.responses.create(model="gpt-5.5", input="Draw a lighthouse", stream=True,
                                          tools=[{"type": "image_generation", "model": MINI, "partial_images": 1}]))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_chunked_request_body(server):
    url, _ = server
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    body = json.dumps({"model": MINI, "prompt": "A red fox", "quality": "low"}).encode()
    conn.request("POST", f"{parts.path}/images/generations", body=iter([body[:10], body[10:]]),
                 headers={"Content-Type": "application/json"}, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["quality"] == "low"
    conn.close()


def test_sdk_retries_a_429_after_retry_after_and_succeeds():
    offset = [0.0]

    def clock():
        return time.monotonic() + offset[0]

    spy = Spy(Simulator(clock=clock, images_per_minute=1))
    with serve(spy) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-test", max_retries=2)
        sent_at = clock()
        client.images.generate(model=MINI, prompt="first", quality="low")
        # Jump the clock to 0.8 s before that slot frees, however long the first call took.
        offset[0] += sent_at + 59.2 - clock()
        started = time.monotonic()
        raw = client.images.with_raw_response.generate(model=MINI, prompt="second", quality="low")
        waited = time.monotonic() - started
    assert [a.status for a in spy.answers] == [200, 429, 200]
    limited = spy.answers[1].headers
    assert limited["retry-after"] == "1" and 0 < int(limited["retry-after-ms"]) <= 900
    assert raw.retries_taken == 1 and raw.parse().data
    assert waited >= int(limited["retry-after-ms"]) / 1000, "the SDK must wait as long as the server asked"


def test_a_simulator_failure_is_a_500_that_is_not_retried():
    class Broken:
        calls = 0

        def handle(self, *args):
            Broken.calls += 1
            raise RuntimeError("boom")

    with serve(Broken()) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-test", max_retries=2)
        with pytest.raises(openai.InternalServerError) as info:
            client.images.generate(model=MINI, prompt="A red fox")
    assert info.value.body["message"].startswith("(simulated) ") and Broken.calls == 1


def test_batch_results_download_as_a_jsonl_file_over_http():
    line = {"custom_id": "one", "method": "POST", "url": "/v1/images/generations",
            "body": {"model": MINI, "prompt": "A red fox", "quality": "low", "size": "1024x1024"}}
    with serve(Simulator()) as url:
        client = openai.OpenAI(base_url=url, api_key="sk-test", max_retries=0)
        upload = client.files.create(file=("in.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch")
        batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/images/generations",
                                      completion_window="24h")
        for _ in range(10):
            batch = client.batches.retrieve(batch.id)
            if batch.status == "completed":
                break
        content = client.files.content(batch.output_file_id)
    lines = [json.loads(raw) for raw in content.text.splitlines()]
    assert [entry["custom_id"] for entry in lines] == ["one"]
    assert lines[0]["response"]["status_code"] == 200


# --- bad HTTP (issue #12, item 6) ------------------------------------------------------------

def raw_exchange(url: str, head: str, body: bytes = b"") -> tuple[int, dict]:
    """Send ``head`` (request line and headers, without the blank line) and ``body``; the status and JSON body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(payload)


POST = "POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
GOOD = json.dumps({"model": MINI, "prompt": "A red fox", "quality": "low"}).encode()


@pytest.mark.parametrize("head, body, status", [
    (POST + "\r\nContent-Length: ten", GOOD, 400),
    (POST + "\r\nContent-Length: -5", GOOD, 400),
    (POST + f"\r\nContent-Length: {len(GOOD)}\r\nContent-Length: {len(GOOD) + 1}", GOOD, 400),
    (POST + f"\r\nContent-Length: {len(GOOD)}\r\nTransfer-Encoding: chunked", GOOD, 400),
    (POST + "\r\nContent-Length: 99999999999", b"", 413),
    (POST + "\r\nTransfer-Encoding: chunked", b"zz\r\n" + GOOD + b"\r\n0\r\n\r\n", 400),
    (POST + "\r\nTransfer-Encoding: chunked", b"5\r\n" + GOOD + b"\r\n0\r\n\r\n", 400),
    (POST + "\r\nTransfer-Encoding: gzip", GOOD, 400),
])
def test_bad_framing_gets_a_400(server, head, body, status):
    url, spy = server
    got, payload = raw_exchange(url, head, body)
    assert got == status and payload["error"]["message"].startswith("(simulated) ")
    assert spy.answers == []  # refused before the simulator saw it


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_json_nested_too_deep_gets_a_400(server, content_type):
    url, spy = server
    deep = b'{"model": "' + MINI.encode() + b'", "prompt": "x", "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    head = POST.replace("application/json", content_type) + f"\r\nContent-Length: {len(deep)}"
    status, payload = raw_exchange(url, head, deep)
    assert status == 400 and "nests deeper" in payload["error"]["message"] and spy.answers == []


def test_brackets_inside_strings_do_not_count_as_nesting(server):
    url, _ = server
    body = json.dumps({"model": MINI, "prompt": "[" * 200 + "{" * 200, "quality": "low"}).encode()
    status, payload = raw_exchange(url, POST + f"\r\nContent-Length: {len(body)}\r\nConnection: close", body)
    assert status == 200 and payload["data"]


def test_an_incomplete_body_times_out_with_a_408():
    with serve(Simulator(), body_timeout_s=0.2) as url:
        status, payload = raw_exchange(url, POST + f"\r\nContent-Length: {len(GOOD) + 50}", GOOD)
    assert status == 408 and "did not arrive" in payload["error"]["message"]


def test_a_busy_port_gets_one_line_not_a_traceback(capsys):
    from helpers.maintainer import simulator_server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            simulator_server.main(["--port", str(port)], ready=lambda line: None, wait=lambda: None)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert f"cannot serve on 127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err


def test_a_simulated_timestamp_answering_for_today_is_never_in_the_future():
    from helpers.offline.answers import created_at

    for seed in ("f" * 64, "0" * 64, "8" * 64):
        assert created_at(seed, registry.today()) <= time.time()
