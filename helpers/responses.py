"""Small tools for image work on the Responses API: build the tool, read its calls, price them.

The top-level ``model`` of a Responses request is a mainline model; the image model is chosen
inside the ``image_generation`` tool. When the tool names no model the API uses its own default
(``registry.IMAGE_TOOL_DEFAULT_MODEL``), which is not the lessons' model, so the lessons always
pass the model explicitly.

Every function accepts SDK objects and plain dicts alike, so the same code reads a live
``Response`` and a response saved as JSON.
"""

from __future__ import annotations

import datetime as dt

import base64
import os
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from openai.types.responses.tool_param import ImageGeneration

from . import files, imaging, pricing, registry
from .pricing import field_of

IMAGE_CALL = "image_generation_call"
TOOL_TYPE = "image_generation"


def _sdk_values(hint: Any) -> tuple[str, ...]:
    """The literal strings a typed-dict field allows, unwrapping Optional and nested Literals."""
    values: list[str] = []
    for arg in typing.get_args(hint):
        values += [arg] if isinstance(arg, str) else list(_sdk_values(arg))
    return tuple(values)


# Parameter names and allowed values come from the pinned SDK's typed dict, so a renamed parameter
# or a new value shows up here without an edit.
_TOOL_HINTS = typing.get_type_hints(ImageGeneration)
TOOL_PARAMS = frozenset(_TOOL_HINTS) - {"type"}
SDK_CHOICES = {name: _sdk_values(_TOOL_HINTS[name])
               for name in ("action", "background", "moderation", "quality", "output_format", "input_fidelity")}
DATA_URL_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_SIZE = re.compile(r"(\d+)x(\d+)")

ImageSource = Union[bytes, bytearray, str, os.PathLike]


class ToolSpecError(ValueError):
    """An image_generation tool spec the tool model cannot accept; raised before anything is sent."""


class ImageCallFailed(RuntimeError):
    """The response holds no usable image: no image call, or the call did not complete."""

    def __init__(self, message: str, call: Optional["ImageCall"] = None):
        super().__init__(message)
        self.call = call


@dataclass(frozen=True)
class CallError:
    """What a failed ``image_generation_call`` carries in its ``error`` field."""

    type: str
    message: str
    code: Optional[str] = None
    param: Optional[str] = None
    moderation_stage: Optional[str] = None
    categories: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.type}"
        if self.code:
            text += f" / {self.code}"
        text += f": {self.message}"
        if self.moderation_stage or self.categories:
            text += (f" [moderation stage: {self.moderation_stage or 'not given'}; "
                     f"categories: {', '.join(self.categories) or 'none given'}]")
        return text


@dataclass(frozen=True)
class ImageCall:
    """One ``image_generation_call`` output item, with the image as base64 (None unless completed)."""

    id: str
    status: str
    image_b64: Optional[str]
    revised_prompt: Optional[str]
    action: Optional[str]
    size: Optional[str]
    quality: Optional[str]
    error: Optional[CallError]
    output_format: Optional[str] = None

    @classmethod
    def from_item(cls, item: Any) -> "ImageCall":
        if field_of(item, "type") != IMAGE_CALL:
            raise ValueError(f"not an {IMAGE_CALL} item: type is {field_of(item, 'type')!r}")
        return cls(
            id=field_of(item, "id"),
            status=field_of(item, "status"),
            image_b64=field_of(item, "result"),
            revised_prompt=field_of(item, "revised_prompt"),
            action=field_of(item, "action"),
            size=field_of(item, "size"),
            quality=field_of(item, "quality"),
            error=_call_error(field_of(item, "error")),
            output_format=field_of(item, "output_format"),
        )

    def __str__(self) -> str:
        image = "image" if self.image_b64 else "no image"
        shown = [self.id, self.status, f"action={self.action or 'not given'}",
                 f"size={self.size or 'not given'}", f"quality={self.quality or 'not given'}", image]
        return " | ".join(shown)


def _call_error(error: Any) -> Optional[CallError]:
    if error is None:
        return None
    details = field_of(error, "moderation_details")
    return CallError(
        type=field_of(error, "type") or "error",
        message=field_of(error, "message") or "",
        code=field_of(error, "code"),
        param=field_of(error, "param"),
        moderation_stage=field_of(details, "moderation_stage"),
        categories=tuple(field_of(details, "categories") or ()),
    )


def image_calls(response: Any) -> list[ImageCall]:
    """Every ``image_generation_call`` in a response's output, in order (object or dict)."""
    return [ImageCall.from_item(item) for item in field_of(response, "output") or () if field_of(item, "type") == IMAGE_CALL]


def first_image(response: Any) -> str:
    """The base64 image of the response's first image call; a clear error when there is none."""
    calls = image_calls(response)
    if not calls:
        kinds = ", ".join(str(field_of(item, "type")) for item in field_of(response, "output") or ()) or "nothing"
        raise ImageCallFailed(f"The response holds no {IMAGE_CALL} (its output: {kinds}). The mainline model "
                              "chose not to call the tool: ask for an image explicitly, or force it with "
                              "tool_choice={'type': 'image_generation'}.")
    call = calls[0]
    if call.status == "completed" and call.image_b64:
        return call.image_b64
    reason = str(call.error) if call.error else "no error details were given"
    raise ImageCallFailed(f"Image call {call.id} ended with status '{call.status}' and no image: {reason}", call)


# Observed 400 for a streamed call whose tool asks for no partial images,
# https://github.com/QuantumNous/new-api/issues/1234 (2025-06-16).
STREAM_NEEDS_PARTIALS = "Streaming must have non-zero partial images."


def image_tool(*, for_stream: bool = False, **params: Any) -> dict:
    """The ``image_generation`` tool spec, checked against the tool model's registry capabilities.

    Leave out ``model`` and the API picks its own default (``registry.IMAGE_TOOL_DEFAULT_MODEL``);
    the spec is then checked against that model. Values the registry marks as not found are
    accepted, since there is nothing to check them against. Sizes follow the model's registry size
    rule (``Capabilities.size_problem``), the same one the simulator applies. ``for_stream=True``
    checks the spec for a ``stream=True`` call, which the API refuses without ``partial_images``
    of 1 or more. Raises ToolSpecError before anything is sent.
    """
    unknown = sorted(set(params) - TOOL_PARAMS)
    if unknown:
        raise ToolSpecError(f"Unknown image_generation tool parameter(s): {', '.join(unknown)}. "
                            f"The SDK knows: {', '.join(sorted(TOOL_PARAMS))}.")
    model = params.get("model", registry.IMAGE_TOOL_DEFAULT_MODEL)
    caps = _tool_model_capabilities(model)
    for name, allowed in SDK_CHOICES.items():
        _one_of(name, params.get(name), allowed)
    _supported("quality", params.get("quality"), caps.qualities, model)
    _supported("output_format", params.get("output_format"), caps.output_formats, model)
    _check_size(params.get("size"), caps, model)
    _check_fidelity(params.get("input_fidelity"), caps, model)
    found = files.format_problems(model, output_format=params.get("output_format", "png"),
                                  background=params.get("background"),
                                  output_compression=params.get("output_compression"))
    if found:
        raise ToolSpecError(found[0])
    partials = params.get("partial_images")
    if for_stream and not partials:
        raise ToolSpecError(f"A streamed call needs partial_images of 1 or more: the API answers 400 "
                            f"\"{STREAM_NEEDS_PARTIALS}\" (observed, https://github.com/QuantumNous/new-api/issues/1234).")
    if partials is not None:
        low, high = caps.partial_images_range
        if not isinstance(partials, int) or not low <= partials <= high:
            raise ToolSpecError(f"partial_images must be an integer from {low} to {high}, got {partials!r}.")
    mask = params.get("input_image_mask")
    if mask is not None and not (isinstance(mask, Mapping) and ("image_url" in mask or "file_id" in mask)):
        raise ToolSpecError("input_image_mask must be {'image_url': <data URL>} or {'file_id': <id>}.")
    return {"type": TOOL_TYPE, **params}


def _tool_model_capabilities(model: Any, day: Optional[dt.date] = None) -> registry.Capabilities:
    try:
        found = registry.on(model, day or registry.kit_day())
        record = found.record
    except (registry.UnknownModel, TypeError):
        raise ToolSpecError(f"{model!r} is not an image model in the registry (helpers/registry.py).") from None
    caps = record.capabilities
    if record.kind != "image" or caps is None or not caps.image_tool_model:
        raise ToolSpecError(f"{model} cannot be the image_generation tool's model; the tool takes an image model.")
    if not found.served:
        raise ToolSpecError(str(registry.ModelShutDown(found)))
    return caps


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ToolSpecError(f"{name}={value!r} is not one of: {', '.join(allowed)}.")


def _supported(name: str, value: Any, supported: Optional[tuple[str, ...]], model: str) -> None:
    if value is not None and supported is not None and value not in supported:
        raise ToolSpecError(f"{model} does not support {name}={value!r}; it supports: {', '.join(supported)}.")


def _check_size(size: Any, caps: registry.Capabilities, model: str) -> None:
    if size is None or (caps.sizes is not None and size in caps.sizes):
        return
    if caps.arbitrary_sizes is None and size == "auto":
        return
    if caps.arbitrary_sizes is False or not isinstance(size, str) or not _SIZE.fullmatch(size):
        listed = ", ".join(caps.sizes) if caps.sizes else "WIDTHxHEIGHT"
        raise ToolSpecError(f"{model} does not support size={size!r}; it supports: {listed}.")
    problem = caps.size_problem(size)
    if problem is not None:
        source = caps.size_rule.source if caps.size_rule else caps.source_of("sizes")
        raise ToolSpecError(f"{model}: {problem} (source: {source.citation})")


def _check_fidelity(value: Any, caps: registry.Capabilities, model: str) -> None:
    if value is None or caps.input_fidelity is None:
        return
    if caps.input_fidelity == ():
        raise ToolSpecError(f"{model} takes no input_fidelity parameter: leave it out.")
    if value not in caps.input_fidelity:
        raise ToolSpecError(f"{model} supports input_fidelity {', '.join(caps.input_fidelity)} only, "
                            f"not {value!r} ({caps.source_of('input_fidelity').citation}).")


def data_url(image: ImageSource) -> str:
    """A ``data:image/...;base64,`` URL for an input image or a mask (a path or encoded bytes)."""
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"no image file at {path}")
        data = path.read_bytes()
    elif isinstance(image, (bytes, bytearray)):
        data = bytes(image)
    else:
        raise TypeError(f"expected a path or image bytes, got {type(image).__name__}")
    picture = imaging.decode_image(data)
    media = DATA_URL_FORMATS.get(picture.format or "")
    if media is None:
        raise ValueError(f"input images must be PNG, JPEG or WebP, not {picture.format}")
    return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class ToolCost:
    """The two bills of one Responses call: the image tool's tokens and the mainline model's tokens."""

    tool_model: str
    image: Optional[pricing.Cost]  # None when the response reported no tool_usage.image_gen
    image_tokens: Optional[pricing.UsageTokens]
    mainline_model: str
    mainline_input_tokens: int
    mainline_output_tokens: int
    mainline_usd: Optional[float]

    @property
    def total(self) -> Optional[float]:
        if self.image is None or self.image.total is None or self.mainline_usd is None:
            return None
        return self.image.total + self.mainline_usd

    def lines(self) -> list[str]:
        image_usd = pricing.usd(self.image.total if self.image else None)
        if self.image_tokens is None:
            image_line = (f"image tool ({self.tool_model}): tool_usage.image_gen not reported "
                          "(the API may skip it; use billing records)")
        else:
            t = self.image_tokens
            image_line = (f"image tool ({self.tool_model}), tool_usage.image_gen: {t.text_in} text in, "
                          f"{t.image_in} image in, {t.image_out} image out -> {image_usd}")
        mainline_line = (f"mainline ({self.mainline_model}), usage: {self.mainline_input_tokens} in, "
                         f"{self.mainline_output_tokens} out -> {pricing.usd(self.mainline_usd)}")
        if self.mainline_usd is None:
            mainline_line += " (its token price is not found in the registry)"
        return [image_line, mainline_line, f"total: {pricing.usd(self.total)}"]


def tool_cost(response: Any, tool_model: str) -> ToolCost:
    """Price a Responses call: ``tool_usage.image_gen`` with ``tool_model``'s rates, ``usage`` with the mainline's."""
    image_gen = field_of(field_of(response, "tool_usage"), "image_gen")
    tokens = pricing.usage_tokens(image_gen) if image_gen is not None else None
    image = pricing.cost_of_usage(tool_model, tokens) if tokens is not None else None
    usage = field_of(response, "usage")
    mainline = field_of(response, "model")
    tokens_in = field_of(usage, "input_tokens", 0) or 0
    tokens_out = field_of(usage, "output_tokens", 0) or 0
    return ToolCost(tool_model, image, tokens, mainline, tokens_in, tokens_out,
                    _mainline_usd(mainline, tokens_in, tokens_out))


def _mainline_usd(model: Any, tokens_in: int, tokens_out: int) -> Optional[float]:
    record = registry.MODELS.get(model) if isinstance(model, str) else None
    prices = record.token_prices if record else None
    if prices is None or prices.text_in is None or prices.text_out is None:
        return None
    return (tokens_in * prices.text_in + tokens_out * prices.text_out) / pricing.PER_MILLION
