"""The API's rules for image requests: parameter names per route, accepted values per model, sizes,
input images and masks, each with its source.

The registry (``helpers.registry``) holds the facts per model; this module applies them to a request.
The live pre-send check (``transports.precheck``), the offline simulator, the playground and the
spending cap all read these rules, so they never disagree. A broken rule raises
``api_errors.Rejected`` carrying the API's error body: the publicly observed one where there is one
(``api_errors``), else a message marked "(simulated) ", with the rule's ``source``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from . import api_errors, imaging, registry
from .api_errors import bad_value, reject

# The SDK's stream events (openai/types/image_gen_completed_event.py, image_edit_completed_event.py) carry
# one image and no image index, so a stream has no shape for n > 1. The kit's reading of the SDK: no
# API message for it was found.
# Mainline models paired with the image_generation tool that were seen to fail: only these pairs are
# refused. The same report shows gpt-4o working with gpt-image-1, so no other pairing is refused.
SRC_ORCHESTRATOR_REFUSAL = ("observed 400 for gpt-4o with the gpt-image-2 tool, "
                            "https://github.com/garrytan/gstack/issues/1771 (after 2026-05-21)")
OBSERVED_ORCHESTRATOR_REFUSALS = frozenset({("gpt-4o", "gpt-image-2")})


def check_orchestrator(mainline: object, tool_model: object) -> None:
    """Raise Rejected (the observed generic 400) for a mainline/tool pairing that was seen to fail; the
    pairs are ``OBSERVED_ORCHESTRATOR_REFUSALS`` and nothing else is refused here."""
    if (mainline, tool_model) in OBSERVED_ORCHESTRATOR_REFUSALS:
        raise reject("orchestrator_unsupported", model=mainline, source=SRC_ORCHESTRATOR_REFUSAL)


SRC_STREAM_ONE_IMAGE = ("[SDK] openai/types/image_gen_completed_event.py: one image per completed event, "
                        "no image index (no API message observed)")

# --- request checks --------------------------------------------------------------------------

# Parameter names per the SDK's image_generate_params.py, image_edit_params.py and the tool's
# ImageGeneration (responses/tool_param.py); anything else is an unknown parameter.
_COMMON = {"background", "complexity", "frame_count", "frame_duration_ms", "model", "output_compression",
           "output_format", "partial_images", "quality", "size", "svg"}
GENERATE_PARAMS = _COMMON | {"prompt", "moderation", "n", "response_format", "safety_identifier", "stream",
                             "style", "user"}
EDIT_PARAMS = _COMMON | {"prompt", "input_fidelity", "n", "response_format", "safety_identifier", "stream",
                         "user", "image", "mask", "markup"}
TOOL_PARAMS = _COMMON | {"type", "action", "input_fidelity", "input_image_mask", "moderation"}

SDK_QUALITIES = ("low", "medium", "high", "xhigh", "max", "auto")
SDK_BACKGROUNDS = ("transparent", "opaque", "auto")
SDK_FORMATS = ("png", "webp", "jpeg", "gif", "svg")
EDIT_MIMETYPES = ("image/jpeg", "image/png", "image/webp")

# What the kit assumes where the real API decides for itself (the simulator draws it, the cap prices it):
# quality "auto" renders as "medium", size "auto" as 1024x1024 and background "auto" as opaque.
AUTO_QUALITY, AUTO_SIZE = "medium", (1024, 1024)


@dataclass(frozen=True)
class ImageRequest:
    """An image request after the checks, with "auto" values resolved."""

    model: str
    prompt: str
    width: int
    height: int
    quality: str
    background: str  # "transparent" or "opaque"
    output_format: str
    compression: Optional[int]
    n: int = 1
    stream: bool = False
    partial_images: int = 0
    input_fidelity: Optional[str] = None
    safety_identifier: Optional[str] = None
    requested_quality: Optional[str] = None  # as sent; "auto" when omitted

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def usage_quality(self) -> str:
        """The quality ``usage`` is counted at: an omitted quality bills as the model's own estimate for
        one where the registry has it (2.6: [derived] 5,800 tokens at 1024x1024), else as it renders."""
        estimated = registry.get(self.model).estimated_output_tokens
        if self.requested_quality == "auto" and estimated is not None and ("auto", self.size) in estimated.tokens:
            return "auto"
        return self.quality

    def render(self, **kw: Any) -> dict:
        return dict(output_format=self.output_format, background=self.background, compression=self.compression,
                    model=self.model, **kw)


def _int(fields: Mapping[str, Any], name: str, default: Optional[int]) -> Optional[int]:
    value = fields.get(name)
    if value is None:
        return default
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise bad_value(name, f"Invalid type for '{name}': expected an integer, got {value!r}.", "invalid_type")


def _bool(fields: Mapping[str, Any], name: str) -> bool:
    value = fields.get(name)
    if value in (None, False, "false"):
        return False
    if value in (True, "true"):
        return True
    raise bad_value(name, f"Invalid type for '{name}': expected a boolean, got {value!r}.", "invalid_type")


def _choice(fields: Mapping[str, Any], name: str, default: str, allowed: tuple[str, ...],
            supported: Optional[tuple[str, ...]], model: str) -> str:
    value = fields.get(name)
    value = default if value is None else value
    if value not in allowed or (supported is not None and value not in supported):
        # Name only what this model accepts when the registry knows it, never another model's values.
        accepted = allowed if supported is None else supported
        raise bad_value(name, f"Invalid value: '{value}'. {model} supports: {', '.join(accepted)}.")
    return value


def _check_model(model_id: Any, *, tool: bool, day: Optional[dt.date] = None) -> registry.ModelRecord:
    """The registry record of a served image model; refusals as the API gives them (see errors.py)."""
    day = day or registry.as_of_day()
    if not isinstance(model_id, str) or not model_id:
        raise bad_value("model", "Specify a model explicitly.", "missing_required_parameter")
    try:
        record = registry.get(model_id)
    except registry.UnknownModel:
        raise bad_value("model", f"Invalid value: '{model_id}'. The kit's registry has no such model.",
                   "model_not_found") from None
    if not record.served_on(day):
        raise reject("model_shut_down", model=model_id, day=day, route="tool" if tool else "images")
    caps = record.capabilities
    if record.kind != "image" or caps is None or (tool and not caps.image_tool_model):
        where = "the image_generation tool" if tool else "the Images API"
        raise bad_value("tools" if tool else "model", f"The model '{model_id}' is not an image model for {where}.")
    return record


def _check_size(value: Any, caps: registry.Capabilities, model: str, param: str = "size",
                drawn: bool = False) -> tuple[int, int]:
    """(width, height); the registry's size rule decides what is refused (``Capabilities.size_problem``).

    ``drawn``: the simulator must draw the answer, so a size the registry gives no rule for is bounded by
    the gpt-image-2 family's documented rule, refused with a "(simulated)" message. The live check never
    sets it: where the registry knows no rule, it does not say the API refuses the size.
    """
    if value is None:  # omitted: the API picks the size
        return AUTO_SIZE
    problem = caps.size_problem(value) if isinstance(value, str) else f"Invalid size {value!r}: give 'WIDTHxHEIGHT'."
    parsed = registry.parse_size(value) if value != "auto" else AUTO_SIZE
    if (drawn and problem is None and caps.size_rule is None and caps.arbitrary_sizes is None and value != "auto"
            and parsed):
        problem = registry.ARBITRARY_SIZE_RULE.problem(*parsed)
    if problem is not None:
        raise bad_value(param, f"{problem} (model {model})", "invalid_value")
    return parsed


def _check_input_fidelity(value: Any, caps: registry.Capabilities, model: str, route: str) -> Optional[str]:
    if value is None:
        return None
    allowed = caps.input_fidelity
    if value not in ("high", "low") and allowed != ():
        raise bad_value("input_fidelity", f"Invalid value: '{value}'. Supported values are: 'high' and 'low'.")
    if allowed is not None and value not in allowed:
        raise reject("input_fidelity_unsupported", model=model, value=value, route=route)
    return value


def check_image_request(fields: Mapping[str, Any], *, route: str, prompt: Optional[str] = None,
                        stream: bool = False, day: Optional[dt.date] = None, drawn: bool = False) -> ImageRequest:
    """Validate Images API parameters (route "generate" or "edit") or the tool's ("tool") against the registry.

    The model's lifecycle is asked on ``day`` (default: the registry's as-of date). Parameters the
    registry marks as not found (``None``) are accepted. Raises Rejected with the API's error body.
    """
    known = {"generate": GENERATE_PARAMS, "edit": EDIT_PARAMS, "tool": TOOL_PARAMS}[route]
    for name in fields:
        if name.split("[", 1)[0] not in known:
            raise reject("unknown_parameter", param=name)
    tool = route == "tool"
    model = fields.get("model") or (registry.IMAGE_TOOL_DEFAULT_MODEL if tool else None)
    caps = _check_model(model, tool=tool, day=day).capabilities
    if not tool:
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise bad_value("prompt", "Missing required parameter: 'prompt'.", "missing_required_parameter")
    if len(prompt) > caps.prompt_max_chars:
        raise bad_value("prompt", f"The prompt is {len(prompt)} characters; the maximum is {caps.prompt_max_chars}.",
                   "string_above_max_length")
    for name in ("response_format", "style"):
        if fields.get(name) is not None:
            # The SDK: "unsupported for GPT image models, which always return base64"; the API answers
            # an unknown parameter (observed for response_format, see api_errors).
            raise reject("unknown_parameter", param=name, source=(
                api_errors.SRC_UNKNOWN_RESPONSE_FORMAT if name == "response_format" else registry.SRC_SDK_GENERATE_PARAMS))
    width, height = _check_size(fields.get("size"), caps, model, "tools" if tool else "size", drawn)
    quality = _choice(fields, "quality", "auto", SDK_QUALITIES, caps.qualities, model)
    output_format = _choice(fields, "output_format", "png", SDK_FORMATS, caps.output_formats, model)
    background = _choice(fields, "background", "auto", SDK_BACKGROUNDS, None, model)
    if background == "transparent":
        if output_format not in ("png", "webp"):
            raise bad_value("background", "A transparent background needs output_format png or webp.")
        if caps.transparent_background == "no":
            raise reject("transparent_unsupported", route=route)
    compression = _int(fields, "output_compression", None)
    if compression is not None:
        if not 0 <= compression <= 100:
            raise bad_value("output_compression", "output_compression must be between 0 and 100.")
        if output_format not in ("jpeg", "webp") and compression < 100:
            # Single source: the SDK documents compression for webp and jpeg only and defaults it to 100;
            # the one report found refuses a png request below 100. 100 (the default) is accepted.
            raise bad_value("output_compression", "output_compression below 100 is only supported with jpeg and webp.",
                            source=registry.SRC_SDK_GENERATE_PARAMS)
    n = 1
    if not tool:
        n = _int(fields, "n", 1)
        low, high = caps.n_range
        if not low <= n <= high:
            raise bad_value("n", f"n must be between {low} and {high}.")
        stream = _bool(fields, "stream")
    if stream and caps.streaming is False:
        raise bad_value("stream", f"{model} does not support streaming.")
    if stream and tool and not _int(fields, "partial_images", 0):
        raise reject("streaming_without_partials")
    if stream and n > 1:
        raise bad_value("n", "stream=true takes n=1: a streamed answer carries one image.",
                        source=SRC_STREAM_ONE_IMAGE)
    partial_images = _int(fields, "partial_images", 0)
    low, high = caps.partial_images_range
    if not low <= partial_images <= high:
        raise bad_value("partial_images", f"partial_images must be between {low} and {high}.")
    if partial_images and not stream and not tool:
        raise bad_value("partial_images", "partial_images is only supported with stream=true.")
    moderation = fields.get("moderation")
    if moderation is not None and moderation not in ("low", "auto"):
        raise bad_value("moderation", f"Invalid value: '{moderation}'. Supported values are: 'low' and 'auto'.")
    fidelity = _check_input_fidelity(fields.get("input_fidelity"), caps, model, route)
    return ImageRequest(
        model=model, prompt=prompt, width=width, height=height,
        quality=AUTO_QUALITY if quality == "auto" else quality, requested_quality=quality,
        background="transparent" if background == "transparent" else "opaque",
        output_format=output_format, compression=compression, n=n, stream=stream,
        partial_images=partial_images if stream else 0, input_fidelity=fidelity,
        safety_identifier=fields.get("safety_identifier") or fields.get("user") or None,
    )


def check_upload(data: bytes, param: str, limit_mb: int, number: int = 1) -> Any:
    if len(data) >= limit_mb * 1024 * 1024:
        raise bad_value(param, f"Each '{param}' must be smaller than {limit_mb} MB.")
    try:
        image = imaging.decode_image(data)
    except ValueError:
        raise bad_value(param, f"The '{param}' upload is not a readable image.", "invalid_image") from None
    if image.format == "MPO" or image.mode == "CMYK":
        # Phone photos (MPO) and CMYK JPEGs: the kit sends neither (edits.check_input_image converts
        # first); the API's answer for an image it cannot take is the observed one.
        raise reject("invalid_image_file", number=number, source=api_errors.SRC_INVALID_IMAGE_FILE)
    if image.format not in ("PNG", "JPEG", "WEBP"):
        raise bad_value(param, f"The '{param}' upload must be png, webp or jpg, not {image.format}.", "invalid_image_format")
    return image


def check_inputs(inputs: list[bytes], caps: registry.Capabilities, param: str) -> list[Any]:
    if not inputs:
        raise bad_value(param, f"Missing required parameter: '{param}'.", "missing_required_parameter")
    if len(inputs) > caps.max_input_images:
        raise bad_value(param, f"{len(inputs)} images were sent; the maximum is {caps.max_input_images}.")
    return [check_upload(data, param, caps.max_input_image_mb, number) for number, data in enumerate(inputs, 1)]


def check_mask(data: bytes, first: Any, caps: registry.Capabilities, param: str) -> None:
    if caps.masks is False:
        raise bad_value(param, "This model does not support masks.")
    mask = check_upload(data, param, caps.max_mask_mb)
    if mask.format != "PNG" or not imaging.has_alpha(mask):
        raise bad_value(param, "The mask must be a PNG with an alpha channel.", "invalid_image_format")
    if mask.size != first.size:
        raise bad_value(param, f"The mask is {mask.size[0]}x{mask.size[1]} but the first image is "
                          f"{first.size[0]}x{first.size[1]}; they must have the same dimensions.")
