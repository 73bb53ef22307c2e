"""Scrubbing: keys, organization and project ids are removed from every answer before the SDK, a recording
or a file sees them."""

from __future__ import annotations

from typing import AsyncIterator, Iterator

import httpx2

from ..writes import scrub_bytes, scrub_text


class ScrubbingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Removes keys, organization and project ids from every answer before the SDK (or a file) sees it."""

    def __init__(self, inner: httpx2.BaseTransport):
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            headers = [(k, scrub_text(v)) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
            return httpx2.Response(response.status_code, headers=headers, stream=_ScrubbedStream(response),
                                   request=request)
        try:
            body = response.read()
        finally:
            response.close()
        headers = [(k, scrub_text(v)) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
        return httpx2.Response(response.status_code, headers=headers, content=scrub_bytes(body),
                               request=request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        headers = [(k, scrub_text(v)) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx2.Response(response.status_code, headers=headers, stream=_AsyncScrubbedStream(response),
                                   request=request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return httpx2.Response(response.status_code, headers=headers, content=scrub_bytes(body), request=request)


class _ScrubbedStream(httpx2.SyncByteStream):
    """Scrubs a stream line by line, so an id split across two network chunks is still caught."""

    def __init__(self, response: httpx2.Response):
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        pending = b""
        for chunk in self._response.iter_bytes():  # decoded: a compressed body cannot be scrubbed
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                yield scrub_bytes(b"\n".join(lines) + b"\n")
        if pending:
            yield scrub_bytes(pending)

    def close(self) -> None:
        self._response.close()


class _AsyncScrubbedStream(httpx2.AsyncByteStream):
    """``_ScrubbedStream`` for the async client."""

    def __init__(self, response: httpx2.Response):
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pending = b""
        async for chunk in self._response.aiter_bytes():
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                yield scrub_bytes(b"\n".join(lines) + b"\n")
        if pending:
            yield scrub_bytes(pending)

    async def aclose(self) -> None:
        await self._response.aclose()
