"""The spending cap: each live request's worst-case cost is reserved on the kernel's cap before it is sent,
then settled from the answer."""

from __future__ import annotations

import threading
from typing import AsyncIterator, Callable, Iterator, Optional

import httpx2

from .. import budget as budget_module
from .. import request as request_record
from .. import wire
from . import recording as rec
from .memory import from_httpx, read_request, to_httpx


# Errors raised before any byte of the request reached the API: its hold is released.
_NEVER_LEFT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
# Statuses of a background response that is not finished yet (its hold stays).
_UNFINISHED = ("queued", "in_progress")


def _background_create(normalised: dict) -> bool:
    """True for ``POST /v1/responses`` with ``background: true`` and no stream (answered before it is done)."""
    body = normalised.get("json") or {}
    return (normalised.get("method") == "POST" and normalised.get("path", "").rstrip("/").endswith("/responses")
            and body.get("background") is True and body.get("stream") is not True)


class SpendingCapTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Reserves each live request's worst-case cost on the kernel's cap before sending, then settles it.

    ``inner`` is an ``httpx2.HTTPTransport`` for the sync client, ``httpx2.AsyncHTTPTransport`` for
    the async one; both draw on the same thread-safe ``budget.SpendingCap`` (``budget.kernel_cap()``),
    from any thread or task. Refused requests raise ``budget.BudgetExceeded`` and nothing is sent.

    - Reserved: the worst case of what can come back (``budget.expected_cost``): every image a
      Responses answer may hold, each ``batches.create`` priced for its whole input file (read from
      its upload or downloaded; a file that cannot be read is refused, even with
      COOKBOOK_ALLOW_UNPRICED), however often that file is reused.
    - Settled from the answer's ``usage`` (a stream's from its last event); where usage is missing or
      implausible (``budget.actual_cost``), at the reservation's bound, never below zero.
    - A background Responses create (``background=true``) keeps its hold until the finished
      response is retrieved (or cancelled), then settles from it; retrieving a response already
      settled is free, like every GET.
    - Released when the API refuses the request (4xx) or it never left (connection refused, connect
      or pool timeout); kept in full when the outcome is unknown (read timeout, dropped connection,
      5xx, a stream closed early), because the API may have made and billed the images.
    """

    def __init__(self, inner, cap: budget_module.SpendingCap):
        self.inner, self.cap = inner, cap

    # --- the steps both clients share ---

    def _content_request(self, request: httpx2.Request, file_id: str) -> httpx2.Request:
        url = request.url.copy_with(path=request.url.path.rsplit("/batches", 1)[0] + f"/files/{file_id}/content",
                                    query=None)
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("authorization", "openai-organization", "openai-project")}
        return httpx2.Request("GET", url, headers=headers)

    @staticmethod
    def _batch_file_id(request: httpx2.Request, normalised: dict) -> Optional[str]:
        if request.method == "POST" and request.url.path.rstrip("/").endswith("/batches"):
            file_id = (normalised.get("json") or {}).get("input_file_id")
            return file_id if isinstance(file_id, str) else ""
        return None

    def _expected(self, normalised: dict, file_id: Optional[str], data: Optional[bytes]) -> budget_module.ExpectedCost:
        if file_id is None:
            return budget_module.expected_cost(normalised)
        if data is None:
            return budget_module.unreadable_batch_file(file_id)
        return budget_module.batch_file_cost(data)

    def _settle(self, request: httpx2.Request, normalised: dict, expected: budget_module.ExpectedCost,
                reservation: budget_module.Reservation, stored: rec.StoredResponse) -> None:
        if 400 <= stored.status < 500:
            return self.cap.release(reservation)
        if stored.status >= 500:
            return self.cap.keep(reservation)
        self._remember_batch_file(request, stored)
        body = stored.json if isinstance(stored.json, dict) else {}
        if _background_create(normalised) and body.get("status") in _UNFINISHED and isinstance(body.get("id"), str):
            return self.cap.hold_background(body["id"], reservation, expected)
        if expected.usd == 0.0 and not expected.unpriced:
            # A free request (a retrieve, a cancel, an upload): nothing it returns is billed again, but it
            # may carry the finished form of a background response, whose hold is settled now.
            self.cap.release(reservation)
            return self._finish_background(body)
        self.cap.settle(reservation, budget_module.actual_cost(normalised, body or stored.json),
                        budget_module.settle_bound(expected, reservation, body))

    def _finish_background(self, body: dict) -> None:
        if body.get("object") != "response" or body.get("status") in _UNFINISHED:
            return
        held = self.cap.take_background(body.get("id"))
        if held is not None:
            reservation, expected = held
            self.cap.settle(reservation, budget_module.actual_cost({"json": body}, body),
                            budget_module.settle_bound(expected, reservation, body))

    def _settle_stream(self, expected: budget_module.ExpectedCost, reservation: budget_module.Reservation,
                       normalised: dict, status: int, body: Optional[bytes]) -> None:
        """Settle a stream from the usage its last event reports; keep the hold if it was cut short."""
        if status >= 400 and body is not None:
            return self.cap.release(reservation)
        usage_body = None
        try:
            events = wire.decode_sse(body) if body is not None else []
        except ValueError:
            events = []
        for event in events:
            data = event.get("data")
            if isinstance(data, dict) and data.get("type") == "response.completed":
                usage_body = data.get("response")
            elif isinstance(data, dict) and data.get("usage") is not None:
                usage_body = {"usage": data["usage"]}
        actual = budget_module.actual_cost(normalised, usage_body) if usage_body else None
        self.cap.settle(reservation, actual, budget_module.settle_bound(expected, reservation, usage_body))

    def _remember_batch_file(self, request: httpx2.Request, stored: rec.StoredResponse) -> None:
        if request.method != "POST" or not request.url.path.rstrip("/").endswith("/files"):
            return
        parsed = request_record.read(request)
        if not parsed.parts or not isinstance(stored.json, dict):
            return
        if parsed.fields.get("purpose") == "batch" and stored.json.get("id"):
            upload = next((p.data for p in parsed.files), b"")
            self.cap.batch_files[stored.json["id"]] = upload

    def _unsent(self, error: BaseException, reservation: budget_module.Reservation) -> None:
        if isinstance(error, _NEVER_LEFT):
            self.cap.release(reservation)  # no connection was made: the request never reached the API
        else:
            self.cap.keep(reservation)  # a timeout or dropped connection: it may have been made and billed

    # --- sync ---

    def _batch_file(self, request: httpx2.Request, file_id: str) -> Optional[bytes]:
        """The input file's bytes: remembered from its upload, else downloaded (a free GET)."""
        known = self.cap.batch_files.get(file_id)
        if known is not None or not file_id:
            return known
        response = self.inner.handle_request(self._content_request(request, file_id))
        try:
            body = response.read()
        finally:
            response.close()
        return body if response.status_code == 200 else None

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        normalised = read_request(request)
        file_id = self._batch_file_id(request, normalised)
        data = self._batch_file(request, file_id) if file_id is not None else None
        expected = self._expected(normalised, file_id, data)
        reservation = self.cap.reserve(expected)
        try:
            response = self.inner.handle_request(request)
        except BaseException as error:
            self._unsent(error, reservation)
            raise
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx2.Response(response.status_code, headers=response.headers, request=request,
                                   stream=_SettlingStream(response, lambda body: self._settle_stream(
                                       expected, reservation, normalised, response.status_code, body)))
        try:
            stored = from_httpx(response)
        except BaseException:
            self.cap.keep(reservation)
            raise
        finally:
            response.close()
        self._settle(request, normalised, expected, reservation, stored)
        return to_httpx(stored, request)

    # --- async ---

    async def _abatch_file(self, request: httpx2.Request, file_id: str) -> Optional[bytes]:
        known = self.cap.batch_files.get(file_id)
        if known is not None or not file_id:
            return known
        response = await self.inner.handle_async_request(self._content_request(request, file_id))
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return body if response.status_code == 200 else None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        normalised = read_request(request)
        file_id = self._batch_file_id(request, normalised)
        data = await self._abatch_file(request, file_id) if file_id is not None else None
        expected = self._expected(normalised, file_id, data)
        reservation = self.cap.reserve(expected)
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException as error:
            self._unsent(error, reservation)
            raise
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx2.Response(response.status_code, headers=response.headers, request=request,
                                   stream=_AsyncSettlingStream(response, lambda body: self._settle_stream(
                                       expected, reservation, normalised, response.status_code, body)))
        try:
            await response.aread()
            stored = from_httpx(response)
        except BaseException:
            self.cap.keep(reservation)
            raise
        finally:
            await response.aclose()
        self._settle(request, normalised, expected, reservation, stored)
        return to_httpx(stored, request)


class _Settles:
    """Calls ``settle(body)`` once: the whole body when read to the end, None when closed early or broken."""

    def __init__(self, response: httpx2.Response, settle: Callable[[Optional[bytes]], None]):
        self._response, self._settle, self._settled = response, settle, False
        self._lock = threading.Lock()

    def _finish(self, body: Optional[bytes]) -> None:
        with self._lock:
            if self._settled:
                return
            self._settled = True
        self._settle(body)


class _SettlingStream(_Settles, httpx2.SyncByteStream):
    """Passes a sync stream through, then settles its reservation (see ``_Settles``)."""

    def __iter__(self) -> Iterator[bytes]:
        chunks = []
        try:
            for chunk in self._response.iter_raw():
                chunks.append(chunk)
                yield chunk
        except BaseException:
            self._finish(None)
            raise
        self._finish(b"".join(chunks))

    def close(self) -> None:
        self._response.close()
        self._finish(None)


class _AsyncSettlingStream(_Settles, httpx2.AsyncByteStream):
    """Passes an async stream through, then settles its reservation (see ``_Settles``)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = []
        try:
            async for chunk in self._response.aiter_raw():
                chunks.append(chunk)
                yield chunk
        except BaseException:
            self._finish(None)
            raise
        self._finish(b"".join(chunks))

    async def aclose(self) -> None:
        await self._response.aclose()
        self._finish(None)
