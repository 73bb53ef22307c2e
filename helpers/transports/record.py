"""Record: forwards to an inner transport (the real API or the stand-in) and stores each exchange."""

from __future__ import annotations

from typing import Optional

import httpx2

from ..secrets import credentials_of
from . import recording as rec
from .memory import from_httpx, read_request, to_httpx


class RecordingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Forwards to ``inner`` (the real API or the simulator) and stores each exchange; the credentials the
    request carried (``secrets.credentials_of``) are removed from the stored answer wherever they appear."""

    def __init__(self, inner, recording: rec.Recording, source: str, scenario: Optional[str] = None):
        self.inner, self.recording, self.source, self.scenario = inner, recording, source, scenario

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        normalised = read_request(request, self.scenario)
        response = self.inner.handle_request(request)
        try:
            stored = from_httpx(response)
        finally:
            response.close()
        self.recording.add(normalised, stored, self.source, credentials_of(request.headers.multi_items()))
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
        self.recording.add(normalised, stored, self.source, credentials_of(request.headers.multi_items()))
        return to_httpx(stored, request)
