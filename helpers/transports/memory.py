"""What the other transports share: requests read into the recordings' form, and answers built from
stored ones (``to_httpx``) or read into them (``from_httpx``), with SSE streams paced like the API's.
Each transport is an ``httpx2.BaseTransport`` and an ``httpx2.AsyncBaseTransport``, so one stack serves
``openai.OpenAI`` and ``openai.AsyncOpenAI``; nothing is patched globally.
"""

from __future__ import annotations

import time
from typing import AsyncIterator, Iterator, Optional

import anyio
import httpx2

from .. import request as request_record
from .. import wire
from . import recording as rec


def read_request(request: httpx2.Request, scenario: Optional[str] = None) -> dict:
    """The normalised form of an outgoing request, as stored in recordings.

    A failure scenario (see ``make_client(scenario=...)``) is part of the key, so a recorded 401 is
    only ever replayed to a client that asked for that scenario.
    """
    normalised = rec.normalise(request_record.read(request))
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


class EventStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
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


class AnswersFromMemory(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """A transport whose answers need no I/O: the async side reads the body, then answers like the sync side."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return self.handle_request(request)


def to_httpx(stored: rec.StoredResponse, request: httpx2.Request, *, event_delay: float = 0.0) -> httpx2.Response:
    headers = dict(stored.headers)
    if stored.sse is not None:
        headers["content-type"] = "text/event-stream"
        return httpx2.Response(stored.status, headers=headers, stream=EventStream(stored.sse, event_delay),
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
