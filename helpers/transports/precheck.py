"""The pre-send check: live requests the API's rules (``helpers.rules``) or the registry's lifecycle refuse
are stopped before they leave, and answered locally as the API's 400."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Optional

import httpx2

from .. import budget as budget_module
from .. import api_errors, edits, registry, rules
from .. import request as request_record


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
    raises ``registry.ModelShutDown`` and nothing is sent. Then the API's rules
    (``helpers.rules``, which the simulator applies too), and the input images' format, mode, bit depth, animation, dimensions and
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
        parsed = request_record.read(request)
        fields = dict(parsed.fields)
        if parsed.route == "images.generate":
            self._served(fields.get("model"), day)
            self._rules(fields, "generate", day)
        elif parsed.route == "images.edit" and parsed.parts:
            self._served(fields.get("model"), day)
            self._rules(fields, "edit", day)
            self._edit_files(list(parsed.parts), fields.get("model"))
        elif parsed.route == "responses":
            self._served(fields.get("model"), day)
            tools = [t for t in fields.get("tools") or []
                     if isinstance(t, dict) and t.get("type") == "image_generation"]
            for tool in tools:
                self._served(tool.get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL, day)
            self._responses_rules(fields, tools, day)
        elif parsed.route == "files" and fields.get("purpose") == "batch":
            for part in parsed.files:
                for model in budget_module.batch_models(part.data):
                    self._served(model, day)

    @staticmethod
    def _served(model: object, day: dt.date) -> None:
        if isinstance(model, str) and model in registry.MODELS:
            found = registry.on(model, day)
            if not found.served:
                raise registry.ModelShutDown(found)

    @staticmethod
    def _refuse(rejected: api_errors.Rejected, model: object) -> RequestRefused:
        _, body, _ = rejected.args[0]
        error = body["error"]
        record = registry.MODELS.get(model) if isinstance(model, str) else None
        caps = record.capabilities if record else None
        param = error.get("param")
        source = rejected.source or (caps.source_of_param(param) if caps and param else
                                     (caps.source if caps else registry.SRC_SDK_EDIT_PARAMS))
        message = error["message"].removeprefix(api_errors.SIMULATED)
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
            rules.check_image_request(fields, route=route, prompt=prompt, stream=stream, day=day)
        except api_errors.Rejected as rejected:
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
        if record is None:
            for tool in tools:
                try:
                    rules.check_orchestrator(fields.get("model"), tool.get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL)
                except api_errors.Rejected as rejected:
                    raise self._refuse(rejected, fields.get("model")) from None
        prompt, _ = budget_module.responses_prompt(fields)
        for tool in tools:
            self._rules(tool, "tool", day, prompt=prompt or " ", stream=fields.get("stream") is True)
        for number, data in enumerate(budget_module.responses_data_urls(fields), 1):
            edits.check_input_image(data, f"input image {number}", edits.DEFAULT_MAX_INPUT_MB)
