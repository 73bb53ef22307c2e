"""The kit's offline simulator: answers the image endpoints the lessons call, without OpenAI.

It checks each request against the model registry the way the real API would, then answers with
the shapes of the pinned ``openai`` SDK: ``ImagesResponse`` and its stream events, a Responses
``Response`` with an ``image_generation_call`` and its stream events, and ``Model``. Pictures come
from ``rendering`` and carry a visible SIMULATED mark.

Two honesty rules hold throughout:

* Error bodies that were publicly observed are reproduced exactly, with their source next to them.
  Every other error message starts with ``(simulated) ``.
* Output tokens come from the model's own facts (``pricing.output_tokens_documented``). Where a
  model has none for a quality and size, the count is a stand-in (``SIM_STAND_IN_OUTPUT_TOKENS``);
  ``output_tokens_simulated`` tells which, since ``usage`` has no field to say so. Input tokens
  are stand-ins too, labelled where they are defined.
* Response headers carry what the SDK and user code read: ``x-request-id`` and the
  ``x-ratelimit-*`` family. Their values are simulated (see ``rate_limit_headers``).

Answers are deterministic: ids, timestamps, request ids and pictures derive from a hash of the
request and of how many identical requests came before it, so the same sequence of calls gives
the same recording on every run.
"""

from __future__ import annotations

import datetime as dt

import base64
import binascii
import hashlib
import json
import math
import re
import contextlib
import threading
import time
import typing
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from openai.types.shared.chat_model import ChatModel

from .. import pricing, registry, rules
from . import batches, rendering
from .shared_state import SharedState
from .. import wire
from ..api_errors import Rejected, bad_value, reject
from .answers import SimulatedResponse, created_at, hex_id, json_body, multipart_parts

# --- token counts ----------------------------------------------------------------------------

# Simulator stand-in, not a documented fact: image output tokens per 1024x1024 of area, by quality,
# for a model that has no documented count at the requested quality and size (the 2.5/2.6 families
# at most sizes, gpt-image-2 away from its calculator sizes). No model's table is stretched over
# another model, size or quality; these invented figures are used instead.
SIM_STAND_IN_OUTPUT_TOKENS = {"low": 250, "medium": 1000, "high": 4000, "xhigh": 6000, "max": 8000}
# The guide: each partial image adds 100 image output tokens.
PARTIAL_IMAGE_TOKENS = registry.PRE_GPT_IMAGE_2_OUTPUT_TOKENS.partial_image_tokens

# Simulated, not documented: the guide publishes no input-token formula. Text is counted at about
# four characters per token; an input image costs a base plus a figure per 512 px tile of the
# picture scaled to fit 2048 px. The guide says high input fidelity "will use more image input
# tokens" (and gpt-image-2 always processes inputs at high fidelity) without giving a figure, so
# the multiplier below is invented.
SIM_CHARS_PER_TOKEN = 4
SIM_IMAGE_BASE_TOKENS = 65
SIM_IMAGE_TILE_TOKENS = 129
SIM_HIGH_FIDELITY_FACTOR = 4


def text_tokens(text: str) -> int:
    """Simulated text token count."""
    return max(1, math.ceil(len(text) / SIM_CHARS_PER_TOKEN))


def image_input_tokens(width: int, height: int, *, high_fidelity: bool = False) -> int:
    """Simulated image input token count (see the constants above)."""
    scale = min(1.0, 2048 / max(width, height))
    tiles = math.ceil(width * scale / 512) * math.ceil(height * scale / 512)
    tokens = SIM_IMAGE_BASE_TOKENS + SIM_IMAGE_TILE_TOKENS * tiles
    return tokens * (SIM_HIGH_FIDELITY_FACTOR if high_fidelity else 1)


def output_tokens_simulated(model: str, quality: str, size: str) -> bool:
    """True when the simulator's output-token count for one image is its stand-in, not a fact about ``model``."""
    return pricing.output_tokens_documented(model, quality, size) is None


def output_tokens(model: str, quality: str, size: str, *, images: int = 1, partial_images: int = 0) -> int:
    """Image output tokens: the model's own documented count, else its own conservative estimate at that
    quality and size (``ModelRecord.estimated_output_tokens``), else the stand-in above; both of those are
    labelled simulated (``output_tokens_simulated``)."""
    per_image = pricing.output_tokens_documented(model, quality, size)
    estimated = registry.get(model).estimated_output_tokens
    if per_image is None and estimated is not None:
        per_image = estimated.tokens.get((quality, size))
    if per_image is None:
        width, height = registry.parse_size(size) or rules.AUTO_SIZE
        per_image = round(SIM_STAND_IN_OUTPUT_TOKENS.get(quality, SIM_STAND_IN_OUTPUT_TOKENS["high"])
                          * width * height / (1024 * 1024))
    return images * (per_image + partial_images * PARTIAL_IMAGE_TOKENS)


def _usage(model: str, quality: str, size: str, *, images: int, partial_images: int, text: int, image: int,
           details: bool = True) -> dict:
    out = output_tokens(model, quality, size, images=images, partial_images=partial_images)
    usage = {"input_tokens": text + image, "input_tokens_details": {"image_tokens": image, "text_tokens": text},
             "output_tokens": out, "total_tokens": text + image + out}
    if details:
        usage["output_tokens_details"] = {"image_tokens": out, "text_tokens": 0}
    return usage


RENDERED_FORMATS = ("png", "webp", "jpeg")


def rendered(req: rules.ImageRequest) -> rules.ImageRequest:
    """``req`` if the simulator can draw its output format; else the simulator's own 400.

    Not an API rule (the registry's formats are checked in ``check_image_request``, which the live
    pre-send check shares): only the simulator's pictures are limited to png, webp and jpeg.
    """
    if req.output_format not in RENDERED_FORMATS:
        raise bad_value("output_format", f"The simulator renders {', '.join(RENDERED_FORMATS)} only, "
                                         f"not {req.output_format}.")
    return req


def _data_url(url: Any, param: str) -> bytes:
    match = re.fullmatch(r"data:image/[\w.+-]+;base64,(.*)", url, re.S) if isinstance(url, str) else None
    if match is None:
        raise bad_value(param, "The offline simulator takes images as base64 'data:image/...;base64,' URLs or "
                               "file ids, not web addresses (it cannot fetch them).")
    try:
        return base64.b64decode("".join(match[1].split()), validate=True)
    except binascii.Error:
        raise bad_value(param, "The data URL does not hold valid base64.") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# The SDK's mainline model ids (openai/types/shared/chat_model.py): a Responses call with the image
# tool on one of these that the registry does not list (older than the gpt-5 family) is answered,
# unless its pairing was seen to fail (rules.OBSERVED_ORCHESTRATOR_REFUSALS).
SDK_CHAT_MODELS = frozenset(typing.get_args(ChatModel))

# Simulated rate-limit headers: the names are the API's (x-ratelimit-limit-requests, ...); the values
# are the simulator's images_per_minute when set, else the lesson model's Tier 1 limits from the
# registry, or, where those are not found, the first listed image model's that are (the API always sends
# the headers and client code reads them; the values are simulated either way). Remaining requests count
# the simulator's own last 60 s; tokens are not counted.
RATE_LIMIT_TIER = 1

# A background response's statuses as retrieve reports them, one step per retrieve ([SDK]
# openai/types/responses/response_status.py lists queued, in_progress, completed, cancelled, ...).
BACKGROUND_STAGES = ("queued", "in_progress", "completed", "cancelled")


def simulated_tier_limits() -> Optional[tuple[int, int]]:
    """(requests, tokens) per minute the simulated headers show: the lesson model's Tier 1 limits, else the
    first image model's the registry lists; None when no image model has them."""
    found = (registry.rate_limits(m, RATE_LIMIT_TIER)
             for m in (registry.lesson_image_model(), *(r.id for r in registry.image_models())))
    return next((limits for limits in found if limits is not None), None)


# --- the simulator ---------------------------------------------------------------------------

class Simulator:
    """Answers ``(method, path, query, headers, body)`` like the OpenAI API would, offline.

    ``images_per_minute`` turns on a rate limit counted over the last 60 s of ``clock``; a scaled
    or fake clock makes the limit usable in tests and lessons. ``day`` is the date it answers for
    (default: today, ``registry.today()``, so a model shut down today is refused as the real API would;
    recording a lesson passes the registry's as-of date): lifecycles are asked on it, and every
    ``created`` timestamp falls on it.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, images_per_minute: Optional[int] = None,
                 day: Optional[dt.date] = None, state_dir: Optional[Path] = None):
        self.clock = clock
        # The day whose lifecycle the simulator answers for: a model shut down by then is refused.
        self.day = day or registry.today()
        self.images_per_minute = images_per_minute
        self._window: deque[float] = deque()
        self._requests: deque[float] = deque()  # every request's time, for the x-ratelimit-* headers
        self._seen: dict[str, int] = defaultdict(int)
        self._images: dict[str, str] = {}  # image_generation_call id -> base64 result
        self._responses: dict[str, dict] = {}  # response id -> Response JSON (stored ones only)
        # Background responses (background=true): id -> what retrieve answers now, and id -> the finished one.
        self._background: dict[str, dict] = {}
        self._background_done: dict[str, dict] = {}
        self._lock = threading.Lock()
        # A Batch worker reads file ids from the simulator that owns the batch (a weak reference).
        self.files_owner: Optional[Callable[[], Any]] = None
        # With a state folder, what the API would keep (stored responses, files, batches) is shared by
        # every process that uses the folder: a batch created by a script can be polled from a notebook.
        self.shared = SharedState(Path(state_dir)) if state_dir is not None else None

    def export_state(self) -> dict:
        """What the API would keep, as JSON-ready data: stored responses and their images, background
        responses, files and batches (not the request counts that seed ids, which stay per process)."""
        return {"responses": self._responses, "images": self._images, "background": self._background,
                "background_done": self._background_done, **batches.export_state(self)}

    def import_state(self, state: dict) -> None:
        """Add ``state`` (``export_state``'s form, maybe another process's) to what the simulator keeps;
        an object both hold is taken from ``state``, the newer write."""
        self._responses.update(state.get("responses", {}))
        self._images.update(state.get("images", {}))
        self._background.update(state.get("background", {}))
        self._background_done.update(state.get("background_done", {}))
        batches.import_state(self, state)

    def remember(self, response_json: dict) -> None:
        """Register a Response (e.g. a recorded one) so later turns can refer to it and its images."""
        with self._lock:
            self._remember(response_json)

    def _remember(self, response: dict) -> None:
        if response.get("store") is False:
            return  # store=false: the API keeps nothing to refer back to
        self._responses[response["id"]] = response
        for item in response.get("output") or ():
            if item.get("type") == "image_generation_call" and item.get("result"):
                self._images[item["id"]] = item["result"]

    def handle(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
               body: bytes) -> SimulatedResponse:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        key = _request_key(method, path, query, content_type, body)
        with self._lock, (self.shared.held(self) if self.shared else contextlib.nullcontext()):
            occurrence = self._seen[key]
            self._seen[key] += 1
            seed = hashlib.sha256(f"{key}#{occurrence}".encode()).hexdigest()
            try:
                payload = self._route(method.upper(), path.rstrip("/"), content_type, body, seed)
                status, extra = 200, {}
            except Rejected as rejected:
                status, payload, extra = rejected.args[0]
            headers_out = {"x-request-id": "req_" + seed[:32], **self.rate_limit_headers(), **extra}
        if isinstance(payload, tuple):
            return SimulatedResponse(status, events=payload,
                                     headers={"content-type": "text/event-stream", **headers_out})
        return SimulatedResponse(status, body=payload, headers={"content-type": "application/json", **headers_out})

    def rate_limit_headers(self) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers for the request being answered (simulated values, see above).

        With ``images_per_minute`` set they follow the simulator's own 60 s window on its clock;
        otherwise they are fixed, so recordings stay the same from run to run.
        """
        tier = simulated_tier_limits()
        if tier is None:
            return {}
        requests, remaining, reset = tier[0], tier[0] - 1, 0.0
        if self.images_per_minute is not None:
            now = self.clock()
            self._requests.append(now)
            while self._requests and self._requests[0] <= now - 60:
                self._requests.popleft()
            requests = self.images_per_minute
            remaining = max(0, requests - len(self._requests))
            reset = max(0.0, self._requests[0] + 60 - now) if remaining == 0 else 0.0
        return {"x-ratelimit-limit-requests": str(requests), "x-ratelimit-remaining-requests": str(remaining),
                "x-ratelimit-reset-requests": f"{reset:g}s",
                "x-ratelimit-limit-tokens": str(tier[1]), "x-ratelimit-remaining-tokens": str(tier[1]),
                "x-ratelimit-reset-tokens": "0s"}

    def _route(self, method: str, path: str, content_type: str, body: bytes, seed: str) -> dict | tuple:
        if method == "POST" and path == "/v1/images/generations":
            return self._generate(json_body(body), seed)
        if method == "POST" and path == "/v1/images/edits":
            if content_type.startswith("application/json"):
                return self._edit_json(json_body(body), seed)
            return self._edit(content_type, body, seed)
        if method == "POST" and path == "/v1/responses":
            return self._respond(json_body(body), seed)
        if method == "POST" and path.startswith("/v1/responses/") and path.endswith("/cancel"):
            return self._cancel(path[len("/v1/responses/"):-len("/cancel")])
        if method == "GET" and path.startswith("/v1/responses/"):
            return self._retrieve(path[len("/v1/responses/"):])
        if method == "GET" and path.startswith("/v1/models/"):
            return _model(path[len("/v1/models/"):])
        if path.startswith(("/v1/files", "/v1/batches")):
            return batches.route(self, method, path, content_type, body, seed)
        raise reject("not_found", message=f"The simulator has no route for {method} {path}.")

    def _take_slots(self, images: int) -> None:
        """Sliding 60 s window of images; over the limit -> 429 with when enough slots free up."""
        if self.images_per_minute is None:
            return
        now = self.clock()
        while self._window and self._window[0] <= now - 60:
            self._window.popleft()
        excess = len(self._window) + images - self.images_per_minute
        if excess > 0:
            frees_at = self._window[excess - 1] + 60 if excess <= len(self._window) else now + 60
            raise reject("rate_limit", retry_after_s=frees_at - now)
        self._window.extend([now] * images)

    def _file(self, file_id: Any, param: str) -> bytes:
        owner = self.files_owner() if self.files_owner is not None else self
        return batches.file_bytes(owner if owner is not None else self, file_id, param)

    def _image_ref(self, ref: Any, param: str) -> bytes:
        """An image given as ``{"image_url": data URL}`` or ``{"file_id": id}`` (JSON edits, masks, inputs)."""
        if isinstance(ref, dict) and ref.get("file_id") is not None:
            return self._file(ref["file_id"], param)
        if isinstance(ref, dict) and "image_url" in ref:
            return _data_url(ref["image_url"], param)
        raise bad_value(param, "Give each image as {'image_url': <data URL>} or {'file_id': <id>}.")

    # --- Images API ---

    def _generate(self, body: dict, seed: str) -> dict | tuple:
        req = rendered(rules.check_image_request(body, route="generate", day=self.day, drawn=True))
        self._take_slots(req.n)

        def render(variant: int) -> bytes:
            return rendering.render_generated(req.prompt, req.width, req.height, **req.render(variant=variant))

        return _images_answer(req, seed, render, dict(text=text_tokens(req.prompt), image=0), "image_generation",
                              self.day)

    def _edit(self, content_type: str, body: bytes, seed: str) -> dict | tuple:
        parts = multipart_parts(content_type, body,
                                not_multipart="Image edits take a multipart/form-data or JSON body.")
        for part in parts:
            if part.is_file and part.name not in ("image", "image[]", "mask", "markup"):
                raise reject("unknown_parameter", param=part.name)
            if part.is_file and part.content_type not in rules.EDIT_MIMETYPES:
                raise reject("unsupported_mimetype", param=part.name.removesuffix("[]"), mimetype=part.content_type)
        fields = wire.form_fields(parts)
        inputs = [p.data for p in wire.file_parts(parts, "image", "image[]")]
        masks = wire.file_parts(parts, "mask")
        return self._edit_images(fields, inputs, masks[0].data if masks else None,
                                 bool(wire.file_parts(parts, "markup")), seed)

    def _edit_json(self, body: dict, seed: str) -> dict | tuple:
        """The JSON body for /v1/images/edits (registry.EDITS_JSON_BODY): images and mask by image_url or file_id."""
        images = body.get("images")
        if not isinstance(images, list) or not images:
            raise bad_value("images", "Missing required parameter: 'images' (a list of {image_url | file_id}).",
                            "missing_required_parameter")
        inputs = [self._image_ref(ref, "images") for ref in images]
        mask = self._image_ref(body["mask"], "mask") if body.get("mask") is not None else None
        fields = {k: v for k, v in body.items() if k not in ("images", "mask")}
        for name in ("image", "markup"):
            if name in fields:
                raise reject("unknown_parameter", param=name)
        return self._edit_images(fields, inputs, mask, False, seed)

    def _edit_images(self, fields: Mapping[str, Any], inputs: list[bytes], mask: Optional[bytes], markup: bool,
                     seed: str) -> dict | tuple:
        req = rendered(rules.check_image_request(fields, route="edit", day=self.day, drawn=True))
        caps = registry.get(req.model).capabilities
        images = rules.check_inputs(inputs, caps, "image")
        if mask is not None:
            rules.check_mask(mask, images[0], caps, "mask")
        if markup:
            if mask is not None:
                raise bad_value("markup", "markup cannot be combined with mask.")
            raise bad_value("markup", "The simulator does not draw markup-guided edits.", "unsupported_parameter")
        self._take_slots(req.n)

        def render(variant: int) -> bytes:
            return rendering.render_edit(inputs, req.prompt, req.width, req.height, mask=mask,
                                         **req.render(variant=variant))

        high = req.input_fidelity == "high" or caps.input_fidelity == ()
        usage = dict(text=text_tokens(req.prompt),
                     image=sum(image_input_tokens(*im.size, high_fidelity=high) for im in images))
        return _images_answer(req, seed, render, usage, "image_edit", self.day)

    # --- Responses API ---

    def _retrieve(self, response_id: str) -> dict:
        """A stored response; a background one moves one stage per retrieve: queued, in_progress, completed."""
        pending = self._background.get(response_id)
        if pending is not None:
            stage = BACKGROUND_STAGES.index(pending["status"])
            if pending["status"] not in ("completed", "cancelled"):
                next_status = BACKGROUND_STAGES[stage + 1]
                if next_status == "completed":
                    done = self._background_done[response_id]
                    self._background[response_id] = done
                    self._remember(done)
                    return done
                self._background[response_id] = {**pending, "status": next_status}
            return self._background[response_id]
        if response_id not in self._responses:
            raise reject("not_found", message=f"Response with id '{response_id}' not found.")
        return self._responses[response_id]

    def _cancel(self, response_id: str) -> dict:
        """Cancel a background response that has not finished: it ends ``cancelled``, with no output and
        no usage (nothing billed). A finished one cannot be cancelled (simulated message)."""
        pending = self._background.get(response_id)
        if pending is None:
            raise reject("not_found", message=f"Response with id '{response_id}' not found.")
        if pending["status"] == "cancelled":
            return pending
        if pending["status"] == "completed":
            raise bad_value(None, f"Cannot cancel a response that is {pending['status']}.")
        cancelled = {**pending, "status": "cancelled"}
        self._background[response_id] = cancelled
        self._background_done.pop(response_id, None)
        return cancelled

    def _mainline(self, mainline: Any, tool: Optional[dict]) -> Optional[registry.ModelRecord]:
        """The mainline model's record; None for an SDK chat model the registry does not list, which
        answers unless its pairing with the tool's model was seen to fail (``rules.check_orchestrator``)."""
        record = registry.MODELS.get(mainline) if isinstance(mainline, str) else None
        if record is None:
            if tool is not None and mainline in SDK_CHAT_MODELS:
                rules.check_orchestrator(mainline, tool.get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL)
                return None
            raise bad_value("model", f"Invalid value: '{mainline}'. The simulator's registry has no such model.",
                            "model_not_found")
        if not record.served_on(self.day):
            raise reject("model_shut_down", model=mainline, day=self.day, route="mainline")
        if not record.capabilities or not record.capabilities.responses_top_level:
            hint = " Image models go in tools[].model of an image_generation tool." if record.kind == "image" else ""
            raise bad_value("model", f"The model '{mainline}' is not supported as the Responses API model.{hint}",
                            "model_not_supported")
        return record

    def _respond(self, body: dict, seed: str) -> dict | tuple:
        mainline = body.get("model")
        tools = body.get("tools") or []
        tool = next((t for t in tools if isinstance(t, dict) and t.get("type") == "image_generation"), None)
        self._mainline(mainline, tool)
        if tool is None:
            raise bad_value("tools", "The simulator answers Responses requests that include an image_generation tool.")
        stream = body.get("stream") is True
        prompt, inputs = self._context(body)
        req = rendered(rules.check_image_request(tool, route="tool", prompt=prompt, stream=stream,
                                                 day=self.day, drawn=True))
        caps = registry.get(req.model).capabilities
        action = tool.get("action") or "auto"
        if action not in ("generate", "edit", "auto"):
            raise bad_value("tools", f"Invalid value for action: '{action}'. Supported values are: generate, edit, auto.")
        if action == "edit" and not inputs:
            raise bad_value("tools", "action 'edit' needs an image in the conversation, and there is none.")
        action = "edit" if inputs and action != "generate" else "generate"
        decoded = rules.check_inputs(inputs, caps, "input") if inputs else []
        mask = None
        if tool.get("input_image_mask") is not None:
            if not decoded:
                raise bad_value("tools", "input_image_mask needs an image in the conversation to apply to.")
            mask = self._image_ref(tool["input_image_mask"], "tools")
            rules.check_mask(mask, decoded[0], caps, "tools")
        self._take_slots(1)

        revised = req.prompt + ", rendered in a clean illustrative style"
        if action == "edit":
            result = rendering.render_edit(inputs, revised, req.width, req.height, mask=mask, **req.render())
        else:
            result = rendering.render_generated(revised, req.width, req.height, **req.render())
        high = req.input_fidelity == "high" or caps.input_fidelity == ()
        image_in = sum(image_input_tokens(*im.size, high_fidelity=high) for im in decoded) if action == "edit" else 0
        created = created_at(seed, self.day)
        call_id, msg_id = "ig_" + hex_id(seed, "ig", 48), "msg_" + hex_id(seed, "msg", 48)
        text = ("(simulated) Here is the edited image. It was drawn by the kit's offline simulator, not by OpenAI."
                if action == "edit" else
                "(simulated) Here is the image. It was drawn by the kit's offline simulator, not by OpenAI.")
        call = {"id": call_id, "type": "image_generation_call", "status": "completed", "result": _b64(result),
                "revised_prompt": revised, "action": action, "background": req.background,
                "output_format": req.output_format, "quality": req.quality, "size": req.size}
        message = {"id": msg_id, "type": "message", "role": "assistant", "status": "completed",
                   "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}
        mainline_in = text_tokens(prompt) + sum(image_input_tokens(*im.size) for im in decoded)
        mainline_out = text_tokens(revised) + text_tokens(text)
        response = {
            "id": "resp_" + hex_id(seed, "resp", 48), "object": "response", "created_at": created,
            "status": "completed", "completed_at": created + 1, "error": None, "incomplete_details": None,
            "instructions": body.get("instructions"), "metadata": body.get("metadata") or {},
            "model": mainline, "output": [call, message],
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "store": body.get("store", True), "background": body.get("background") is True,
            "temperature": body.get("temperature", 1.0), "top_p": body.get("top_p", 1.0),
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": [dict(t, model=req.model) if t is tool else t for t in tools],
            # Simulated counts for the mainline model (see the text and image token constants).
            "usage": {"input_tokens": mainline_in,
                      "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                      "output_tokens": mainline_out, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": mainline_in + mainline_out},
            "tool_usage": {
                "image_gen": _usage(req.model, req.usage_quality, req.size, images=1, partial_images=req.partial_images,
                                    text=text_tokens(revised), image=image_in),
                "web_search": {"num_requests": 0},
            },
        }
        if body.get("background") is True:
            if stream:
                raise bad_value("stream", "The simulator does not stream background responses: retrieve them.")
            return self._queue(response)
        self._remember(response)
        if not stream:
            return response
        partials = [rendering.render_partial(revised, req.width, req.height, index=k, total=req.partial_images,
                                             **req.render()) for k in range(req.partial_images)]
        return _response_events(response, partials)

    def _queue(self, response: dict) -> dict:
        """Hold a background response: answered ``queued`` now (no output, no usage); ``retrieve`` moves it
        on. The API bills it once, when it completes; the completed one carries the usage."""
        done = {**response, "background": True}
        queued = {**done, "status": "queued", "output": [], "usage": None, "completed_at": None}
        queued.pop("tool_usage", None)
        self._background_done[done["id"]] = done
        self._background[done["id"]] = queued
        return queued

    def _context(self, body: dict) -> tuple[str, list[bytes]]:
        """The prompt and the images in context, oldest first: the first one is the edit base.

        What steers the drawing: ``instructions``, system and developer messages, and the user's
        words (in that order); assistant turns do not.
        """
        texts: list[str] = [body["instructions"]] if isinstance(body.get("instructions"), str) else []
        images: list[bytes] = []
        previous = body.get("previous_response_id")
        if previous is not None:
            earlier = self._responses.get(previous)
            if earlier is None:
                raise reject("previous_response_not_found", response_id=previous)
            results = [i["result"] for i in earlier.get("output") or ()
                       if i.get("type") == "image_generation_call" and i.get("result")]
            images += [base64.b64decode(results[-1])] if results else []
        items = body.get("input")
        for item in [{"role": "user", "content": items}] if isinstance(items, str) else items or []:
            kind = item.get("type", "message")
            if kind in ("image_generation_call", "item_reference"):
                result = item.get("result") or self._images.get(item.get("id"))
                if result is None:
                    raise reject("item_not_found", item_id=item.get("id"))
                images.append(base64.b64decode(result))
            elif kind == "message":
                if item.get("role") not in ("user", "system", "developer"):
                    continue  # the assistant's own earlier words do not steer the simulated drawing
                content = item.get("content")
                for part in [{"type": "input_text", "text": content}] if isinstance(content, str) else content or []:
                    if part.get("type") == "input_text":
                        texts.append(part.get("text", ""))
                    elif part.get("type") == "input_image":
                        images.append(self._image_ref(part, "input"))
                    else:
                        raise bad_value("input", f"The simulator does not read '{part.get('type')}' content parts.")
            else:
                raise bad_value("input", f"The simulator does not read '{kind}' input items.")
        prompt = " ".join(t.strip() for t in texts if t.strip())
        if not prompt:
            raise bad_value("input", "The simulator needs some text (input, instructions or a system message) to "
                                     "draw from.", "missing_required_parameter")
        return prompt, images

# --- answers ---------------------------------------------------------------------------------


def _images_answer(req: rules.ImageRequest, seed: str, render: Callable[[int], bytes], usage: Mapping[str, int],
                   prefix: str, day: Optional[dt.date] = None) -> dict | tuple:
    """An ImagesResponse, or its stream: ``prefix`` is "image_generation" or "image_edit"."""
    created = created_at(seed, day)
    count = dict(images=req.n, partial_images=req.partial_images, **usage)
    shared = {"background": req.background, "output_format": req.output_format, "quality": req.quality,
              "size": req.size}
    if req.stream:
        events = [{"type": f"{prefix}.partial_image", "created_at": created, "partial_image_index": k, **shared,
                   "b64_json": _b64(rendering.render_partial(req.prompt, req.width, req.height, index=k,
                                                           total=req.partial_images, **req.render()))}
                  for k in range(req.partial_images)]
        done = {"type": f"{prefix}.completed", "b64_json": _b64(render(0)), "created_at": created, **shared,
                "usage": _usage(req.model, req.usage_quality, req.size, details=False, **count)}
        if req.safety_identifier:
            done["safety_identifier"] = req.safety_identifier
        return tuple({"event": e["type"], "data": e} for e in events + [done])
    answer = {"created": created, **shared, "data": [{"b64_json": _b64(render(i))} for i in range(req.n)],
              "usage": _usage(req.model, req.usage_quality, req.size, **count)}
    if req.safety_identifier:
        answer["safety_identifier"] = req.safety_identifier
    return answer


def _response_events(response: dict, partials: list[bytes]) -> tuple[dict, ...]:
    """The Responses stream, in the order the API sends it, numbered from 0."""
    call, message = response["output"]
    text = message["content"][0]["text"]
    pending = dict(response, status="in_progress", completed_at=None, output=[], usage=None, tool_usage=None)
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    ids = {"item_id": call["id"], "output_index": 0}
    msg = {"item_id": message["id"], "output_index": 1, "content_index": 0}
    events: list[dict] = [
        {"type": "response.created", "response": pending},
        {"type": "response.in_progress", "response": pending},
        {"type": "response.output_item.added", "output_index": 0,
         "item": dict(call, status="in_progress", result=None)},
        {"type": "response.image_generation_call.in_progress", **ids},
        {"type": "response.image_generation_call.generating", **ids},
        *({"type": "response.image_generation_call.partial_image", **ids, "partial_image_b64": _b64(data),
           "partial_image_index": k, "background": call["background"], "output_format": call["output_format"],
           "quality": call["quality"], "size": call["size"]} for k, data in enumerate(partials)),
        {"type": "response.image_generation_call.completed", **ids},
        {"type": "response.output_item.done", "output_index": 0, "item": call},
        {"type": "response.output_item.added", "output_index": 1,
         "item": dict(message, status="in_progress", content=[])},
        {"type": "response.content_part.added", **msg, "part": part},
        {"type": "response.output_text.delta", **msg, "delta": text, "logprobs": []},
        {"type": "response.output_text.done", **msg, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **msg, "part": dict(part, text=text)},
        {"type": "response.output_item.done", "output_index": 1, "item": message},
        {"type": "response.completed", "response": response},
    ]
    return tuple({"event": e["type"], "data": dict(e, sequence_number=n)} for n, e in enumerate(events))


def _model(model_id: str) -> dict:
    try:
        record = registry.get(model_id)
    except registry.UnknownModel:
        raise reject("not_found", message=f"The model '{model_id}' is not in the simulator's registry.") from None
    # The registry holds no creation dates, so ``created`` is a simulated, stable timestamp.
    return {"id": record.id, "object": "model", "created": created_at(hashlib.sha256(record.id.encode()).hexdigest()),
            "owned_by": "system", "shutdown_date": record.lifecycle.shutdown_date}


def _request_key(method: str, path: str, query: Mapping[str, str], content_type: str, body: bytes) -> str:
    """A hash of what the request means: JSON parsed, multipart by parts (its boundary is random)."""
    try:
        if content_type.startswith("multipart/form-data"):
            meaning: Any = [[p.name, p.filename, p.content_type, hashlib.sha256(p.data).hexdigest()]
                            for p in wire.parse_multipart(content_type, body)]
        else:
            meaning = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        meaning = hashlib.sha256(body).hexdigest()
    canonical = json.dumps([method.upper(), path, sorted(query.items()), meaning], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
