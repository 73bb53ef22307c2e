"""HTTP transports injected into the OpenAI client: replay, simulate, record, and a spending cap.

Each is an ``httpx2.BaseTransport`` and an ``httpx2.AsyncBaseTransport``, so the same stack serves
``openai.OpenAI`` (``client.make_client``) and ``openai.AsyncOpenAI`` (``client.make_async_client``).
The async side reads the request body first (``aread``), then answers as the sync side does: the
simulator and recordings answer from memory. Nothing is patched globally, so notebooks behave the
same under JupyterLab, nbconvert and nbval.
"""

from __future__ import annotations

import json
import sys
import time
from typing import AsyncIterator, Callable, Iterator, Optional

import anyio
import httpx2

from .. import budget as budget_module
from . import recording as rec
from . import errors as simulator_errors
from . import wire


def read_request(request: httpx2.Request, scenario: Optional[str] = None) -> dict:
    """The normalised form of an outgoing request, as stored in recordings.

    A failure scenario (see ``make_client(scenario=...)``) is part of the key, so a recorded 401 is
    only ever replayed to a client that asked for that scenario.
    """
    body = request.read()
    normalised = rec.normalise_request(request.method, request.url.path, request.url.params.multi_items(),
                                       request.headers.get("content-type", ""), body)
    if scenario:
        normalised["scenario"] = scenario
    return normalised


# Keys under which an SSE event carries image bytes (Images API and Responses API streams).
_IMAGE_KEYS = ("b64_json", "partial_image_b64", "result")


def _carries_an_image(event: dict) -> bool:
    data = event.get("data")
    if not isinstance(data, dict):
        return False
    item = data.get("item")
    return any(data.get(k) for k in _IMAGE_KEYS) or (isinstance(item, dict) and bool(item.get("result")))


class _EventStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """Serves SSE frames one at a time, optionally paced so partial images appear progressively.

    Only frames that carry an image wait (after the first frame): that is what a learner sees arrive,
    while bookkeeping events (created, in_progress, text deltas) would only add seconds of waiting.
    """

    def __init__(self, events: list[dict], delay: float):
        self._events, self._delay = events, delay

    def __iter__(self) -> Iterator[bytes]:
        for index, (event, frame) in enumerate(zip(self._events, wire.encode_sse(self._events))):
            if index and self._delay and _carries_an_image(event):
                time.sleep(self._delay)
            yield frame

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index, (event, frame) in enumerate(zip(self._events, wire.encode_sse(self._events))):
            if index and self._delay and _carries_an_image(event):
                await anyio.sleep(self._delay)
            yield frame


class _AnswersFromMemory(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """A transport whose answers need no I/O: the async side reads the body, then answers like the sync side."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return self.handle_request(request)


def to_httpx(stored: rec.StoredResponse, request: httpx2.Request, *, event_delay: float = 0.0) -> httpx2.Response:
    headers = dict(stored.headers)
    if stored.sse is not None:
        headers["content-type"] = "text/event-stream"
        return httpx2.Response(stored.status, headers=headers, stream=_EventStream(stored.sse, event_delay),
                               request=request)
    if rec.is_jsonl_payload(stored.json):
        if headers.get("content-type", "application/json").startswith("application/json"):
            headers["content-type"] = rec.JSONL_MEDIA_TYPE  # the simulator's answers are labelled JSON
        return httpx2.Response(stored.status, headers=headers, content=rec.jsonl_bytes(stored.json), request=request)
    headers.setdefault("content-type", "application/json")
    return httpx2.Response(stored.status, headers=headers, json=stored.json, request=request)


def from_httpx(response: httpx2.Response) -> rec.StoredResponse:
    """Read a response fully into the stored form (SSE parsed into events, JSON parsed)."""
    body = response.read()
    headers = rec.kept_headers(response.headers.multi_items())
    media = headers.get("content-type", "").split(";")[0].strip()
    if media == "text/event-stream":
        return rec.StoredResponse(response.status_code, headers, sse=wire.decode_sse(body))
    lines = rec.parse_jsonl(body) if media not in ("", "application/json") else None
    if lines is not None:
        return rec.StoredResponse(response.status_code, headers, json=lines)
    try:
        payload = response.json() if body else None
    except ValueError:
        payload = {"text": body.decode("utf-8", "replace")}
    return rec.StoredResponse(response.status_code, headers, json=payload)


def _json_model(request: httpx2.Request) -> Optional[str]:
    """The ``model`` of a JSON request body, or None (multipart or no body)."""
    try:
        body = json.loads(request.read() or b"null")
    except ValueError:
        return None
    return body.get("model") if isinstance(body, dict) else None


class SimulatorTransport(_AnswersFromMemory):
    """Answers every request with the kit's offline simulator."""

    def __init__(self, simulator, *, event_delay: float = 0.0, scenario: Optional[str] = None):
        self.simulator, self.event_delay, self.scenario = simulator, event_delay, scenario

    def answer(self, request: httpx2.Request) -> rec.StoredResponse:
        if self.scenario:
            # moderation_details was observed only on the Responses route (errors._moderation_blocked);
            # the observed 403 names the requested model, so the simulated one names it too.
            extra = {}
            if self.scenario == "moderation_blocked":
                extra["route"] = "responses" if request.url.path.endswith("/responses") else "images"
            if self.scenario == "org_not_verified" and _json_model(request):
                extra["model"] = _json_model(request)
            status, body, headers = simulator_errors.error_body(self.scenario, **extra)
            return rec.StoredResponse(status, {"content-type": "application/json", **headers}, json=body)
        body = request.read()
        sim = self.simulator.handle(request.method, request.url.path, dict(request.url.params.multi_items()),
                                    dict(request.headers), body)
        headers = dict(sim.headers)
        if sim.events is not None:
            return rec.StoredResponse(sim.status, headers, sse=[dict(e) for e in sim.events])
        return rec.StoredResponse(sim.status, headers, json=sim.body)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return to_httpx(self.answer(request), request, event_delay=self.event_delay)


class ReplayTransport(_AnswersFromMemory):
    """Answers from a recording. Strict unless a simulator fallback is given (offline mode)."""

    def __init__(self, recording: rec.Recording, *, fallback: Optional[SimulatorTransport] = None,
                 event_delay: float = 0.0, scenario: Optional[str] = None,
                 warn: Callable[[str], None] = lambda m: print(m, file=sys.stderr)):
        self.recording, self.fallback, self.event_delay, self.warn = recording, fallback, event_delay, warn
        self.scenario = scenario
        self.log: list[tuple[str, str, int]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        normalised = read_request(request, self.scenario)
        try:
            stored, _ = self.recording.lookup(normalised)
        except rec.RecordingMismatch:
            if self.fallback is None:
                raise
            self.warn(f"SIMULATED, NOT RECORDED: {request.method} {request.url.path} is not in "
                      f"{self.recording.path.name}; the kit's offline simulator drew this answer.")
            stored = self.fallback.answer(request)
        else:
            if self.fallback is not None:
                self._share_with_simulator(stored)
        self.log.append((request.method, request.url.path, stored.status))
        return to_httpx(stored, request, event_delay=self.event_delay)


    def _share_with_simulator(self, stored: rec.StoredResponse) -> None:
        """Let the simulator continue a conversation that started in the recording."""
        if isinstance(stored.json, dict) and stored.json.get("object") == "response":
            self.fallback.simulator.remember(stored.json)
        for event in stored.sse or ():
            if isinstance(event["data"], dict) and event["data"].get("type") == "response.completed":
                self.fallback.simulator.remember(event["data"]["response"])


class RecordingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Forwards to ``inner`` (the real API or the simulator) and stores each exchange."""

    def __init__(self, inner, recording: rec.Recording, source: str, scenario: Optional[str] = None):
        self.inner, self.recording, self.source, self.scenario = inner, recording, source, scenario

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        normalised = read_request(request, self.scenario)
        response = self.inner.handle_request(request)
        try:
            stored = from_httpx(response)
        finally:
            response.close()
        self.recording.add(normalised, stored, self.source)
        return to_httpx(stored, request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        normalised = read_request(request, self.scenario)
        response = await self.inner.handle_async_request(request)
        try:
            await response.aread()
            stored = from_httpx(response)
        finally:
            await response.aclose()
        self.recording.add(normalised, stored, self.source)
        return to_httpx(stored, request)


class SpendingCapTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Refuses a live request whose expected cost would exceed the kernel's budget; nothing is sent.

    ``inner`` is an ``httpx2.HTTPTransport`` for the sync client, ``httpx2.AsyncHTTPTransport`` for the async one.
    """

    def __init__(self, inner, cap: budget_module.SpendingCap):
        self.inner, self.cap = inner, cap

    def _check(self, request: httpx2.Request) -> tuple[dict, budget_module.ExpectedCost]:
        normalised = read_request(request)
        content_type = request.headers.get("content-type", "")
        uploads = ({p.name: p.data for p in wire.parse_multipart(content_type, request.content) if p.is_file}
                   if content_type.startswith("multipart/form-data") else None)
        expected = budget_module.expected_cost(normalised, uploads)
        self.cap.check(expected)
        return normalised, expected

    def _charge(self, normalised: dict, expected: budget_module.ExpectedCost, stored: rec.StoredResponse) -> None:
        actual = budget_module.actual_cost(normalised, stored.json) if stored.status == 200 else 0.0
        self.cap.charge(actual if actual is not None else (expected.usd or 0.0))

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        normalised, expected = self._check(request)
        response = self.inner.handle_request(request)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            self.cap.charge(expected.usd or 0.0)
            return response
        stored = from_httpx(response)
        response.close()
        self._charge(normalised, expected, stored)
        return to_httpx(stored, request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        normalised, expected = self._check(request)
        response = await self.inner.handle_async_request(request)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            self.cap.charge(expected.usd or 0.0)
            return response
        await response.aread()
        stored = from_httpx(response)
        await response.aclose()
        self._charge(normalised, expected, stored)
        return to_httpx(stored, request)
