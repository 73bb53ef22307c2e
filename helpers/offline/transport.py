"""HTTP transports injected into the OpenAI client: replay, simulate, record, and for live requests
the registry checks before sending, the spending cap and the scrubbing of keys and ids.

Each is an ``httpx2.BaseTransport`` and an ``httpx2.AsyncBaseTransport``, so the same stack serves
``openai.OpenAI`` (``client.make_client``) and ``openai.AsyncOpenAI`` (``client.make_async_client``).
The async side reads the request body first (``aread``), then answers as the sync side does: the
simulator and recordings answer from memory. Nothing is patched globally, so notebooks behave the
same under JupyterLab, nbconvert and nbval.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import time
from typing import AsyncIterator, Callable, Iterator, Optional

import anyio
import httpx2

from .. import budget as budget_module
from .. import edits, registry
from ..wrapping import wrap
from ..writes import scrub_bytes, scrub_text
from . import recording as rec
from . import errors as simulator_errors
from . import simulator, wire


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


# On an answer the offline simulator drew because the recording did not hold the request.
NOT_RECORDED_HEADER = "x-cookbook-simulated-not-recorded"


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
            warning = (f"SIMULATED, NOT RECORDED: {request.method} {request.url.path} is not in "
                       f"{self.recording.path.name}; the kit's offline simulator drew this answer.")
            self.warn(wrap(warning))  # the header below keeps it on one line, as headers must be
            stored = self.fallback.answer(request)
            # Code that shows no stderr (a widget's button) reads the same warning from the answer.
            stored = rec.StoredResponse(stored.status, {**stored.headers, NOT_RECORDED_HEADER: warning},
                                        json=stored.json, sse=stored.sse)
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
    """Reserves each live request's worst-case cost on the kernel's cap before sending, then settles it.

    ``inner`` is an ``httpx2.HTTPTransport`` for the sync client, ``httpx2.AsyncHTTPTransport`` for
    the async one; both draw on the same thread-safe ``budget.SpendingCap``. Refused requests raise
    ``budget.BudgetExceeded`` and nothing is sent. The reservation is settled from the answer's
    ``usage`` (a stream's from its last event); released when the API refuses the request (4xx) or
    it never left (connection refused); kept in full when the outcome is unknown (timeout, dropped
    connection, 5xx, a stream closed early), because the API may have made and billed the images.
    Each ``batches.create`` is priced for its whole input file, however often that file is reused.
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
            return budget_module.ExpectedCost(None, f"batch over input file {file_id!r}, which could not be read",
                                              (f"batch input file {file_id!r}: not readable, so not priced",))
        return budget_module.batch_file_cost(data)

    def _settle(self, request: httpx2.Request, normalised: dict, reservation: budget_module.Reservation,
                stored: rec.StoredResponse) -> None:
        if 400 <= stored.status < 500:
            self.cap.release(reservation)
        elif stored.status >= 500:
            self.cap.keep(reservation)
        else:
            self._remember_batch_file(request, stored)
            self.cap.settle(reservation, budget_module.actual_cost(normalised, stored.json))

    def _settle_stream(self, reservation: budget_module.Reservation, normalised: dict, status: int,
                       body: Optional[bytes]) -> None:
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
        self.cap.settle(reservation, actual)

    def _remember_batch_file(self, request: httpx2.Request, stored: rec.StoredResponse) -> None:
        if request.method != "POST" or not request.url.path.rstrip("/").endswith("/files"):
            return
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data") or not isinstance(stored.json, dict):
            return
        parts = wire.parse_multipart(content_type, request.content)
        if wire.form_fields(parts).get("purpose") == "batch" and stored.json.get("id"):
            upload = next((p.data for p in parts if p.is_file), b"")
            self.cap.batch_files[stored.json["id"]] = upload

    def _unsent(self, error: BaseException, reservation: budget_module.Reservation) -> None:
        if isinstance(error, httpx2.ConnectError):
            self.cap.release(reservation)  # the request never reached the API
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
        reservation = self.cap.reserve(self._expected(normalised, file_id, data))
        try:
            response = self.inner.handle_request(request)
        except BaseException as error:
            self._unsent(error, reservation)
            raise
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx2.Response(response.status_code, headers=response.headers, request=request,
                                   stream=_SettlingStream(response, lambda body: self._settle_stream(
                                       reservation, normalised, response.status_code, body)))
        try:
            stored = from_httpx(response)
        except BaseException:
            self.cap.keep(reservation)
            raise
        finally:
            response.close()
        self._settle(request, normalised, reservation, stored)
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
        reservation = self.cap.reserve(self._expected(normalised, file_id, data))
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException as error:
            self._unsent(error, reservation)
            raise
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return httpx2.Response(response.status_code, headers=response.headers, request=request,
                                   stream=_AsyncSettlingStream(response, lambda body: self._settle_stream(
                                       reservation, normalised, response.status_code, body)))
        try:
            await response.aread()
            stored = from_httpx(response)
        except BaseException:
            self.cap.keep(reservation)
            raise
        finally:
            await response.aclose()
        self._settle(request, normalised, reservation, stored)
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


class RequestRefused(ValueError):
    """A live request the registry knows the API refuses, stopped before sending.

    The message names the rule and its source. To send it anyway (the registry may be out of
    date), pass ``extra_headers={SKIP_CHECKS_HEADER: "1"}`` to that one call. The transport answers
    it locally as the HTTP 400 the API would give (``refusal_response``), so learner code that
    catches ``openai.BadRequestError`` works the same offline and live.
    """

    def __init__(self, message: str, *, param: Optional[str] = None, code: Optional[str] = "invalid_value"):
        super().__init__(message)
        self.param, self.code = param, code


# Marks an answer the kit gave locally instead of sending the request (triage reads it).
NOT_SENT_HEADER = "x-cookbook-not-sent"


def refusal_response(refusal: RequestRefused, request: httpx2.Request) -> httpx2.Response:
    """The 400 the API would answer, given locally: nothing was sent, and the body and header say so."""
    body = {"error": {"message": str(refusal), "type": "invalid_request_error", "param": refusal.param,
                      "code": refusal.code}}
    return httpx2.Response(400, json=body, request=request,
                           headers={NOT_SENT_HEADER: "refused by the registry's rules", "x-should-retry": "false"})


# The per-call override: the header is removed before the request leaves.
SKIP_CHECKS_HEADER = "X-Cookbook-Skip-Registry-Checks"
INPUT_IMAGE_FIELDS = ("image", "image[]")


class PreSendCheckTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Checks live Images, Responses and Batch requests against the registry before they leave.

    The lifecycle is asked on ``day()`` (today, or COOKBOOK_TODAY): a model shut down that day
    raises ``registry.ModelShutDown`` and nothing is sent. Then the same parameter rules the
    simulator applies, and the input images' format, mode, bit depth, animation, dimensions and
    size (from their headers only). A broken parameter rule is answered locally as the API's HTTP 400
    (``refusal_response``: the SDK raises ``openai.BadRequestError``, marked not sent); a bad input
    image raises ``edits.EditInputError``.
    A call carrying ``SKIP_CHECKS_HEADER`` skips all of this (the registry may be out of date, or the
    point is to see what the API answers, as ``verify_facts`` does); the spending cap still applies.
    """

    def __init__(self, inner: httpx2.BaseTransport, day: Callable[[], dt.date] = registry.today):
        self.inner, self.day = inner, day

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self._checked(request):
            try:
                self.check(request, day=self.day())
            except RequestRefused as refusal:
                return refusal_response(refusal, request)
        return self.inner.handle_request(request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        if self._checked(request):
            try:
                self.check(request, day=self.day())
            except RequestRefused as refusal:
                return refusal_response(refusal, request)
        return await self.inner.handle_async_request(request)

    @staticmethod
    def _checked(request: httpx2.Request) -> bool:
        """False for a GET, or when the call carries the override (removed here: it never leaves)."""
        skip = request.headers.get(SKIP_CHECKS_HEADER) is not None
        if skip:
            del request.headers[SKIP_CHECKS_HEADER]
        return request.method == "POST" and not skip

    def check(self, request: httpx2.Request, *, day: dt.date) -> None:
        """Raise registry.ModelShutDown, RequestRefused or edits.EditInputError for a request not to send."""
        path = request.url.path.rstrip("/")
        content_type = request.headers.get("content-type", "")
        body = request.read()
        if path.endswith("/images/generations"):
            fields = self._json(body)
            self._served(fields.get("model"), day)
            self._rules(fields, "generate", day)
        elif path.endswith("/images/edits") and content_type.startswith("multipart/form-data"):
            parts = wire.parse_multipart(content_type, body)
            fields = wire.form_fields(parts)
            self._served(fields.get("model"), day)
            self._rules(fields, "edit", day)
            self._edit_files(parts, fields.get("model"))
        elif path.endswith("/responses"):
            fields = self._json(body)
            self._served(fields.get("model"), day)
            tools = [t for t in fields.get("tools") or []
                     if isinstance(t, dict) and t.get("type") == "image_generation"]
            for tool in tools:
                self._served(tool.get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL, day)
            self._responses_rules(fields, tools, day)
        elif path.endswith("/files") and content_type.startswith("multipart/form-data"):
            parts = wire.parse_multipart(content_type, body)
            if wire.form_fields(parts).get("purpose") == "batch":
                for part in parts:
                    if part.is_file:
                        for model in budget_module.batch_models(part.data):
                            self._served(model, day)

    @staticmethod
    def _json(body: bytes) -> dict:
        try:
            parsed = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @staticmethod
    def _served(model: object, day: dt.date) -> None:
        if isinstance(model, str) and model in registry.MODELS:
            found = registry.on(model, day)
            if not found.served:
                raise registry.ModelShutDown(found)

    @staticmethod
    def _refuse(rejected: simulator_errors.Rejected, model: object) -> RequestRefused:
        _, body, _ = rejected.args[0]
        error = body["error"]
        record = registry.MODELS.get(model) if isinstance(model, str) else None
        caps = record.capabilities if record else None
        param = error.get("param")
        source = caps.source_of_param(param) if caps and param else (caps.source if caps else registry.SRC_SDK_EDIT_PARAMS)
        message = error["message"].removeprefix(simulator_errors.SIMULATED)
        return RequestRefused(
            f"Not sent: the registry says the API refuses this request ({param or 'request'}: {message}). "
            f"Source: {source}. If the registry is out of date, send it anyway with "
            f"extra_headers={{'{SKIP_CHECKS_HEADER}': '1'}}.", param=param, code=error.get("code"))

    def _rules(self, fields: dict, route: str, day: dt.date, prompt: Optional[str] = None,
               stream: bool = False) -> None:
        model = fields.get("model") or (registry.IMAGE_TOOL_DEFAULT_MODEL if route == "tool" else None)
        if isinstance(model, str) and model not in registry.MODELS:
            return  # a model the registry does not know: it cannot say what the API refuses
        try:
            simulator.check_image_request(fields, route=route, prompt=prompt, stream=stream, day=day)
        except simulator_errors.Rejected as rejected:
            raise self._refuse(rejected, model) from None

    def _edit_files(self, parts: list, model: object) -> None:
        record = registry.MODELS.get(model) if isinstance(model, str) else None
        caps = record.capabilities if record and record.capabilities else None
        images = [p for p in parts if p.is_file and p.name in INPUT_IMAGE_FIELDS]
        if caps is not None and len(images) > caps.max_input_images:
            raise RequestRefused(f"Not sent: {len(images)} input images; {model} takes at most "
                                 f"{caps.max_input_images}. Source: {caps.source_of('max_input_images')}.",
                                 param="image")
        for number, part in enumerate(images, 1):
            edits.check_input_image(part.data, f"input image {number} ({part.filename})",
                                    caps.max_input_image_mb if caps else edits.DEFAULT_MAX_INPUT_MB)
        for part in parts:
            if part.is_file and part.name == "mask":
                info = edits.check_input_image(part.data, f"mask ({part.filename})",
                                               caps.max_mask_mb if caps else edits.DEFAULT_MAX_INPUT_MB)
                if info.format != "PNG" or not info.has_alpha:
                    raise edits.EditInputError(f"mask ({part.filename}) must be a PNG with an alpha channel.")

    def _responses_rules(self, fields: dict, tools: list[dict], day: dt.date) -> None:
        record = registry.MODELS.get(fields.get("model")) if isinstance(fields.get("model"), str) else None
        if record is not None and (record.capabilities is None or not record.capabilities.responses_top_level):
            hint = " Image models go in tools[].model of an image_generation tool." if record.kind == "image" else ""
            source = record.capabilities.source if record.capabilities else record.lifecycle.source
            raise RequestRefused(f"Not sent: the registry says {record.id} cannot be the Responses API model.{hint} "
                                 f"Source: {source}. If the registry is out of date, send it anyway with "
                                 f"extra_headers={{'{SKIP_CHECKS_HEADER}': '1'}}.", param="model",
                                 code="model_not_supported")
        prompt, _ = budget_module.responses_prompt(fields)
        for tool in tools:
            self._rules(tool, "tool", day, prompt=prompt or " ", stream=fields.get("stream") is True)
        for number, data in enumerate(budget_module.responses_data_urls(fields), 1):
            edits.check_input_image(data, f"input image {number}", edits.DEFAULT_MAX_INPUT_MB)


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
