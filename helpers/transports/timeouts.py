"""Timeouts that fit image work: a timed-out image request is never retried on its own.

The SDK retries a timeout like any connection error (openai/_base_client.py), but an image request
that timed out after it was sent may still have been made, and billed, by the API. This transport
turns such a timeout into ``PossiblyBilledTimeout`` (an ``openai.APITimeoutError``, which the SDK
re-raises without retrying), so each possibly billed attempt is one the learner chose to send.
A timeout before the request left (connecting, or waiting for a pooled connection) stays retryable.
"""

from __future__ import annotations

import httpx2
import openai

from .. import request as request_record

# High quality on gpt-image-2 was reported to take more than two minutes per image, and 120 s too
# short a timeout: https://github.com/vercel-labs/ai-cli/issues/63 (2026-06-16, fixed with 300 s).
SRC_LONG_GENERATIONS = "[3P] https://github.com/vercel-labs/ai-cli/issues/63 (2026-06-16): high quality > 2 minutes"
IMAGE_TIMEOUT = httpx2.Timeout(300.0, connect=10.0)  # seconds: read, write and pool 300, connect 10
BILLED_ROUTES = ("images.generate", "images.edit", "responses")


class PossiblyBilledTimeout(openai.APITimeoutError):
    """An image request timed out after it was sent: not retried, because it may have been billed."""

    def __init__(self, request: httpx2.Request, waited: str):
        openai.APIConnectionError.__init__(
            self, request=request,
            message=(f"Request timed out ({waited}) after it was sent; not retried, because the API may have "
                     "made and billed the image. Check your usage before sending it again."))


def _sent_and_billable(request: httpx2.Request, error: BaseException) -> bool:
    if isinstance(error, (httpx2.ConnectTimeout, httpx2.PoolTimeout)):
        return False  # the request never left
    return request.method == "POST" and request_record.read(request).route in BILLED_ROUTES


class NoRetryOnTimeoutTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Raises ``PossiblyBilledTimeout`` for a read or write timeout of an image request; passes the rest."""

    def __init__(self, inner):
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return self.inner.handle_request(request)
        except httpx2.TimeoutException as error:
            if _sent_and_billable(request, error):
                raise PossiblyBilledTimeout(request, type(error).__name__) from error
            raise

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await self.inner.handle_async_request(request)
        except httpx2.TimeoutException as error:
            if _sent_and_billable(request, error):
                raise PossiblyBilledTimeout(request, type(error).__name__) from error
            raise
