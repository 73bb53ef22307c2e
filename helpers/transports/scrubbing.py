"""Scrubbing: keys, organization and project ids are removed from every answer before the SDK, a recording
or a file sees them (the rules: ``helpers.secrets``)."""

from __future__ import annotations

from typing import AsyncIterator, Iterator

import httpx2

from ..secrets import credentials_of, scrub_answer_bytes, scrub_headers

_FRAMING = ("content-length", "content-encoding", "transfer-encoding")


def _headers(response: httpx2.Response, credentials: tuple[str, ...]) -> list[tuple[str, str]]:
    return scrub_headers([(k, v) for k, v in response.headers.multi_items() if k.lower() not in _FRAMING],
                         credentials)


class ScrubbingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Removes secrets from every answer (headers and body, escaped JSON forms included) before the SDK
    (or a file) sees it: key, organization and project id shapes, and the exact credentials this request
    sent (its ``Authorization`` bearer value, ``OpenAI-Organization``, ``OpenAI-Project``), whatever
    their shape. The request itself is passed on untouched."""

    def __init__(self, inner: httpx2.BaseTransport):
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        credentials = credentials_of(request.headers.multi_items())
        response = self.inner.handle_request(request)
        headers = _headers(response, credentials)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx2.Response(response.status_code, headers=headers,
                                   stream=_ScrubbedStream(response, credentials), request=request)
        try:
            body = response.read()
        finally:
            response.close()
        return httpx2.Response(response.status_code, headers=headers,
                               content=scrub_answer_bytes(body, credentials), request=request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        credentials = credentials_of(request.headers.multi_items())
        response = await self.inner.handle_async_request(request)
        headers = _headers(response, credentials)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx2.Response(response.status_code, headers=headers,
                                   stream=_AsyncScrubbedStream(response, credentials), request=request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return httpx2.Response(response.status_code, headers=headers,
                               content=scrub_answer_bytes(body, credentials), request=request)


class _ScrubbedStream(httpx2.SyncByteStream):
    """Scrubs a stream line by line, so an id split across two network chunks is still caught."""

    def __init__(self, response: httpx2.Response, credentials: tuple[str, ...]):
        self._response, self._credentials = response, credentials

    def __iter__(self) -> Iterator[bytes]:
        pending = b""
        for chunk in self._response.iter_bytes():  # decoded: a compressed body cannot be scrubbed
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                yield scrub_answer_bytes(b"\n".join(lines) + b"\n", self._credentials)
        if pending:
            yield scrub_answer_bytes(pending, self._credentials)

    def close(self) -> None:
        self._response.close()


class _AsyncScrubbedStream(httpx2.AsyncByteStream):
    """``_ScrubbedStream`` for the async client."""

    def __init__(self, response: httpx2.Response, credentials: tuple[str, ...]):
        self._response, self._credentials = response, credentials

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self._response.aiter_bytes():
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                yield scrub_answer_bytes(b"\n".join(lines) + b"\n", self._credentials)
        if pending:
            yield scrub_answer_bytes(pending, self._credentials)

    async def aclose(self) -> None:
        await self._response.aclose()
