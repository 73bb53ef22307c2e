"""The spending cap for live calls: each request's worst-case cost is reserved before it is sent.

The cap holds for the running kernel (one Python process): COOKBOOK_BUDGET_USD sets it (default
``DEFAULT_BUDGET_USD``; a finite number of US dollars >= 0). Every live client of the kernel draws
on the one ``kernel_cap()``, from any thread.

How a request is counted (``SpendingCap.reserve`` / ``settle`` / ``release``):

1. Before sending, its worst-case cost (``expected_cost``) is reserved. Reservations in flight count
   against the cap, so concurrent requests can never together pass it.
2. After a successful answer, the reservation is replaced by the cost its ``usage`` reports.
3. An answer the API does not bill (a 4xx refusal, a connection that never opened) releases it.
   Anything else keeps it: a client-side timeout, a dropped connection or a 5xx may still have
   produced (and billed) images, so the kit assumes it did.

Estimates cover input tokens (prompt text, input images and masks), image output and partial
images. Where the registry documents no count, a stated conservative bound is used and named in
the description (``*_BOUND`` constants below). A request the registry cannot price at all is
refused unless COOKBOOK_ALLOW_UNPRICED=1, which lets it through at ``UNPRICED_BOUND_USD`` per
unpriced part on top of what can be counted, and never once the cap is spent.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from . import pricing, registry, settings

DEFAULT_BUDGET_USD = settings.DEFAULT_BUDGET_USD

# --- stated bounds where the registry documents no count ---------------------------------------
# A token of a byte-pair encoding covers at least one UTF-8 byte, so the byte count bounds the
# number of text tokens from above; REQUEST_OVERHEAD_TOKENS covers the request's own overhead ([3P]
# measured about 6 tokens on gpt-image-2,
# community.openai.com/t/the-half-penny-gpt-image-2-challenge-api-only-gallery/1381388).
REQUEST_OVERHEAD_TOKENS = 64
TEXT_TOKENS_BOUND_NOTE = (f"text tokens bounded by the prompt's UTF-8 bytes (a token covers at least one byte) "
                          f"+ {REQUEST_OVERHEAD_TOKENS} for the request's overhead")
# Image input tokens per input image or mask: not documented for GPT image models. Bound: four times
# (high input fidelity) the largest count of the published vision tile rule (85 + 170 x 8 tiles = 1,445).
INPUT_IMAGE_TOKENS_BOUND = 4 * (85 + 170 * 8)
# Image output tokens of a model with token rates but no documented count for a quality and size: the
# largest count any image model in the registry documents, reports or implies (per-image price / image
# output rate) for that quality at 1024x1024, scaled by the image's area. A quality no table has
# (xhigh, max, auto) takes the largest count of any quality.


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _counts_at_1024(quality: Optional[str]) -> list[int]:
    counts = []
    for record in registry.MODELS.values():
        for table in (record.output_tokens, record.estimated_output_tokens):
            if table is not None:
                counts += [t for (q, size), t in table.tokens.items() if size == "1024x1024" and quality in (None, q)]
        rate = record.token_prices.image_out if record.token_prices else None
        if record.per_image_prices is not None and rate:
            counts += [math.ceil(usd * 1_000_000 / rate) for (q, size), usd in record.per_image_prices.usd.items()
                       if size == "1024x1024" and quality in (None, q)]
    return [c for c in counts if _positive(c)]  # a zero or negative count (a bad fold) bounds nothing


def output_tokens_bound_per_megapixel(quality: str) -> int:
    """Stated bound on image output tokens per 1024x1024 image at ``quality`` (see the comment above).

    "auto" (or an omitted quality) lets the model pick any level, so it takes the largest count of any quality.
    """
    return max((_counts_at_1024(quality) if quality != "auto" else []) or _counts_at_1024(None))
# The size the bound assumes for size="auto" or an omitted size: the largest standard size.
AUTO_SIZE_FOR_BOUND = (1536, 1024)
# Output tokens of a mainline (text) model in a Responses call when the request sets no
# max_output_tokens: an assumption, not a bound, since only max_output_tokens makes it a hard one.
MAINLINE_OUTPUT_TOKENS_ASSUMED = 4096
# What COOKBOOK_ALLOW_UNPRICED lets one unpriced part of a request cost (an assumption: no price is known).
UNPRICED_BOUND_USD = 0.50
# Image generation calls one Responses answer may hold. ``max_tool_calls`` bounds them ([SDK]
# openai/types/responses/response_create_params.py:127-133: "The maximum number of total calls to
# built-in tools that can be processed in a response ... further attempts ... will be ignored").
# A request without it has no documented bound: the cap then assumes this many (the most seen in one
# answer, issue 20's probe: four), says so, and settles from the answer's count if it holds more.
RESPONSES_IMAGE_CALLS_ASSUMED = 4


class BudgetExceeded(RuntimeError):
    """Raised before sending a request that would take spending past the cap (nothing is sent)."""


class BudgetConfigError(settings.SettingError):
    """COOKBOOK_BUDGET_USD (or a cap's limit) is not a finite number of US dollars >= 0."""


@dataclass(frozen=True)
class ExpectedCost:
    """The worst-case cost of one request: ``usd`` for what is priced (None when nothing is),
    ``unpriced`` names each part the registry cannot price (each needs COOKBOOK_ALLOW_UNPRICED)."""

    usd: Optional[float]
    description: str
    unpriced: tuple[str, ...] = ()
    # True when a part is priced from a stated bound (an undocumented count), not a documented figure.
    bounded: bool = False
    # Why the request may not be sent at all, even with COOKBOOK_ALLOW_UNPRICED (None: it may).
    refused: Optional[str] = None
    # Responses: the image calls the reservation covers and the worst case of each (USD), so an
    # answer holding more calls than reserved is settled at its own count.
    image_calls: int = 0
    per_image_call_usd: float = 0.0

    @property
    def fully_priced(self) -> bool:
        return self.usd is not None and not self.unpriced


def validate_limit(value: Any, name: str = "COOKBOOK_BUDGET_USD") -> float:
    """A budget in US dollars as a float. Raises BudgetConfigError unless it is a finite number >= 0."""
    try:
        return settings.dollars(value, name)
    except settings.SettingError as error:
        raise BudgetConfigError(str(error)) from None


# --- estimates ---------------------------------------------------------------------------------

def _int(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default


def _area_factor(size: Any) -> float:
    """The image's area in units of 1024x1024 (the size the output-token bound is stated for)."""
    width, height = AUTO_SIZE_FOR_BOUND
    if isinstance(size, str) and "x" in size:
        try:
            width, height = (int(v) for v in size.lower().split("x", 1))
        except ValueError:
            pass
    return max(width * height, 1024 * 1024) / (1024 * 1024)


def text_tokens_bound(text: str) -> int:
    """An upper bound on the text tokens of a request with ``text``: UTF-8 bytes + overhead (TEXT_TOKENS_BOUND_NOTE)."""
    return len(text.encode("utf-8")) + REQUEST_OVERHEAD_TOKENS


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@dataclass(frozen=True)
class _Part:
    usd: Optional[float]
    description: str
    bounded: bool = False


def _image_output(model: str, params: dict, what: str, *, batch: bool) -> _Part:
    quality = params.get("quality") or "auto"
    size = params.get("size") or "auto"
    images = _int(params.get("n"), 1)
    partials = _int(params.get("partial_images"), 0) if str(params.get("stream")).lower() == "true" else 0
    record = registry.MODELS.get(model)
    if record is None:
        return _Part(None, f"{what} with {model!r}, which the registry does not know")
    try:
        est = pricing.estimate(model, quality, size, images=images, partial_images=partials, batch=batch)
    except (ValueError, TypeError, ArithmeticError) as error:  # a malformed fact in the registry
        return _Part(None, f"{what} with {model!r}: its registry figures cannot be priced ({error})")
    detail = f"{what}: {images} x {model} {quality} {size}" + (f" + {partials} partial(s)" if partials else "")
    upper = est.upper if _positive(est.upper) else None  # a zero or negative figure bounds nothing
    if upper is not None and not est.tokens_reported:
        return _Part(upper, detail + (f" ({est.assumption})" if est.assumption else ""))
    rates = pricing.token_rates(model, batch=batch)
    if rates is None or not _positive(rates.image_out):
        return _Part(None, f"{detail}: image output price {registry.NOT_FOUND} in the registry (or not positive)")
    if not _counts_at_1024(None):
        return _Part(None, f"{detail}: no positive output-token count in the registry to bound it by")
    per_megapixel = output_tokens_bound_per_megapixel(quality)
    tokens = images * (math.ceil(per_megapixel * _area_factor(size)) + partials * pricing.PARTIAL_IMAGE_TOKENS)
    bound = tokens * rates.image_out / pricing.PER_MILLION
    if upper is not None and upper >= bound:
        # A third party's count (or an estimate from one) above the registry-wide bound: the higher figure.
        return _Part(upper, f"{detail} (output tokens not documented: {est.output_tokens:,} tokens, the "
                                f"registry's {est.tokens_source.tag} figure for the model, above its conservative "
                                "bound)", bounded=True)
    return _Part(bound, f"{detail} (output tokens not documented: conservative bound of {tokens:,} tokens, the "
                        f"registry's largest {quality} count, {per_megapixel:,} per 1024x1024, scaled by area)",
                 bounded=True)


def _per_million(tokens: int, rate: Optional[float]) -> Optional[float]:
    if tokens == 0:
        return 0.0
    return None if rate is None else tokens * rate / pricing.PER_MILLION


def _input(model: str, prompt_bytes: int, input_images: int, *, batch: bool, mainline: bool = False) -> _Part:
    """Input text and images priced at the model's uncached rates (cached ones are never higher)."""
    rates = pricing.token_rates(model, batch=batch) if model in registry.MODELS else None
    image_tokens = input_images * INPUT_IMAGE_TOKENS_BOUND
    text_rate = None if rates is None else rates.text_in
    # A mainline model bills input images as input tokens; the registry has no separate image rate for it.
    image_rate = text_rate if mainline else (None if rates is None else rates.image_in)
    text_usd = _per_million(prompt_bytes, text_rate)
    image_usd = _per_million(image_tokens, image_rate)
    what = f"input: {prompt_bytes:,} text tokens at most ({TEXT_TOKENS_BOUND_NOTE})"
    if input_images:
        what += f", {input_images} image(s) at a bound of {INPUT_IMAGE_TOKENS_BOUND:,} tokens each (not documented)"
    if text_usd is None or image_usd is None:
        return _Part(None, f"{what}: input price for {model} {registry.NOT_FOUND} in the registry")
    return _Part(text_usd + image_usd, what)


def _sane(part: _Part, billable: bool) -> _Part:
    """A part whose price is not a finite number >= 0 (> 0 for ``billable`` image output) is unpriced:
    a folded fact of zero or negative tokens or rates must never make the cap hold nothing."""
    usd = part.usd
    if usd is None or (math.isfinite(usd) and (usd > 0 or (usd == 0 and not billable))):
        return part
    return _Part(None, f"{part.description}: the registry gives it no positive price ({usd!r}), so it is not priced")


def _combine(parts: list[_Part], head: str) -> ExpectedCost:
    priced = [p for p in parts if p.usd is not None]
    unpriced = tuple(p.description for p in parts if p.usd is None)
    usd = sum(p.usd for p in priced) if priced else None
    description = head + "; ".join(p.description for p in parts)
    return ExpectedCost(usd, description, unpriced, any(p.bounded for p in parts))


def image_request_cost(model: str, params: dict, what: str, *, prompt: str = "", input_images: int = 0,
                       batch: bool = False) -> ExpectedCost:
    """Worst-case cost of one Images request: input (prompt, images, masks) plus output and partials."""
    output = _sane(_image_output(model, params, what, batch=batch), billable=True)
    if model not in registry.MODELS:
        return ExpectedCost(None, output.description, (output.description,))
    return _combine([output, _sane(_input(model, text_tokens_bound(prompt), input_images, batch=batch), False)], "")


def batch_file_cost(jsonl: bytes) -> ExpectedCost:
    """Worst-case cost of a Batch input file (USD): every image line at the model's Batch rate, every
    /v1/responses line at its own worst case (``responses_cost``, Standard rates: never below Batch ones).

    A line that is not JSON, or of another endpoint, cannot be priced (COOKBOOK_ALLOW_UNPRICED holds it
    at ``UNPRICED_BOUND_USD``).
    """
    total, unpriced, image_lines, responses_lines = 0.0, [], 0, 0
    for number, raw in enumerate(jsonl.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            unpriced.append(f"line {number}: not JSON")
            continue
        url = str(line.get("url", "")) if isinstance(line, dict) else ""
        body = line.get("body") if isinstance(line, dict) and isinstance(line.get("body"), dict) else {}
        if url.endswith("/responses"):
            responses_lines += 1
            cost = responses_cost(body)
        elif url.endswith(("/images/generations", "/images/edits")):
            image_lines += 1
            edit = url.endswith("/images/edits")
            cost = image_request_cost(str(body.get("model", "")), body, "batch edit line" if edit else "batch line",
                                      prompt=str(body.get("prompt", "")),
                                      input_images=_json_images(body) if edit else 0, batch=True)
        else:
            unpriced.append(f"line {number}: {line.get('url') if isinstance(line, dict) else line!r}")
            continue
        total += cost.usd or 0.0
        custom_id = line.get("custom_id")
        unpriced += [f"{custom_id}: {part}" for part in cost.unpriced]
    if unpriced:
        return ExpectedCost(total or None, f"Batch input file with {len(unpriced)} unpriced part(s): {unpriced[0]}",
                            tuple(unpriced))
    described = [f"{image_lines} image line(s) at Batch rates"] * bool(image_lines) + [
        f"{responses_lines} Responses line(s) at their own worst case"] * bool(responses_lines)
    return ExpectedCost(total, f"Batch input file: {', '.join(described) or 'no lines'}, input included")


def unreadable_batch_file(file_id: str) -> ExpectedCost:
    """A Batch whose input file the cap could not read: refused, even with COOKBOOK_ALLOW_UNPRICED (the
    file may hold any number of lines, so no per-part bound can hold it)."""
    reason = (f"batch input file {file_id!r} could not be read, so its lines cannot be priced; a Batch is "
              "only sent once every line is counted")
    return ExpectedCost(None, f"batch over input file {file_id!r}", (reason,), refused=reason)


def batch_models(jsonl: bytes) -> list[str]:
    """The model named by each line of a Batch input file that names one (for the lifecycle check)."""
    models = []
    for raw in jsonl.splitlines():
        try:
            line = json.loads(raw) if raw.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        body = line.get("body") if isinstance(line, dict) else None
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            models.append(body["model"])
    return models


def _count_files(request: dict, *names: str) -> int:
    files = request.get("files") or {}
    return sum(len(files.get(name) or ()) for name in names)


def _json_images(body: dict) -> int:
    """Input images and mask of an edit's JSON body (registry.EDITS_JSON_BODY: ``images`` and ``mask``)."""
    images = body.get("images")
    count = len(images) if isinstance(images, (list, tuple)) else 0
    return count + (1 if body.get("mask") else 0)


def responses_prompt(body: dict) -> tuple[str, int]:
    """The text and the number of images a Responses request puts in context (an earlier turn's image counts)."""
    texts = [body.get("instructions") or ""]
    images = 0
    items = body.get("input")
    for item in [items] if isinstance(items, str) else items or []:
        if isinstance(item, str):
            texts.append(item)
            continue
        if not isinstance(item, dict):
            continue
        if item.get("type") in ("image_generation_call", "item_reference"):
            images += 1
        content = item.get("content")
        for part in [content] if isinstance(content, str) else content or []:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") == "input_image":
                images += 1
            elif isinstance(part, dict):
                texts.extend(_strings(part.get("text")))
    if body.get("previous_response_id"):
        images += 1  # the image the earlier turn made is in context
    return " ".join(texts), images


def responses_data_urls(body: dict) -> list[bytes]:
    """The decoded ``data:image/...;base64,`` inputs of a Responses request (input images and masks)."""
    found = []
    for text in _strings(body.get("input")):
        if text.startswith("data:image/") and ";base64," in text:
            try:
                found.append(base64.b64decode(text.split(",", 1)[1], validate=False))
            except (ValueError, binascii.Error):
                continue
    for tool in body.get("tools") or []:
        mask = tool.get("input_image_mask") if isinstance(tool, dict) else None
        if isinstance(mask, dict):
            found += responses_data_urls({"input": mask.get("image_url")})
    return found


def responses_image_calls(body: dict) -> tuple[int, str]:
    """How many image generation calls one answer to ``body`` may hold, and why: ``max_tool_calls`` when
    the request sets it (a hard bound), else ``RESPONSES_IMAGE_CALLS_ASSUMED`` (an assumption, said so)."""
    limit = body.get("max_tool_calls")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
        return limit, f"at most {limit} image call(s) (max_tool_calls)"
    return RESPONSES_IMAGE_CALLS_ASSUMED, (f"assumed {RESPONSES_IMAGE_CALLS_ASSUMED} image calls, as the request sets no "
                                           "max_tool_calls (set it for a hard bound)")


def responses_cost(body: dict) -> ExpectedCost:
    """Worst-case cost of a Responses call (USD): every image the answer may hold (``responses_image_calls``)
    with the tool's image model, each reading the prompt and input images again, plus the mainline model's
    input and output tokens at its own rates. The same for a Batch line to /v1/responses (Standard rates)."""
    prompt, images = responses_prompt(body)
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "image_generation"]
    calls, calls_note = responses_image_calls(body) if tools else (0, "")
    parts: list[_Part] = []
    per_call = 0.0
    for tool in tools[:1] if calls else []:  # every call runs the first image tool's settings, at worst
        model = tool.get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL
        params = {**tool, "stream": str(body.get("stream", False)).lower()}
        output = _sane(_image_output(model, params, "Responses image tool", batch=False), billable=True)
        mask = 1 if tool.get("input_image_mask") else 0
        inputs = _sane(_input(model, text_tokens_bound(prompt), images + mask, batch=False), billable=False)
        for part in (output, inputs):
            if part.usd is None:
                parts.append(part)
        if output.usd is not None and inputs.usd is not None:
            per_call = output.usd + inputs.usd
            parts.append(_Part(calls * per_call, f"{calls_note}, each: {output.description}; {inputs.description}",
                               bounded=output.bounded))
    mainline = str(body.get("model", ""))
    record = registry.MODELS.get(mainline)
    rates = record.token_prices if record else None
    out_tokens = _int(body.get("max_output_tokens"), 0) or MAINLINE_OUTPUT_TOKENS_ASSUMED
    out_note = ("max_output_tokens" if body.get("max_output_tokens") else
                f"assumed {MAINLINE_OUTPUT_TOKENS_ASSUMED:,} output tokens (set max_output_tokens for a hard bound)")
    if rates is None or not _positive(rates.text_in) or not _positive(rates.text_out):
        parts.append(_Part(None, f"mainline model {mainline!r} tokens: price {registry.NOT_FOUND} in the registry"))
    else:
        inputs = _input(mainline, text_tokens_bound(prompt), images, batch=False, mainline=True)
        parts.append(_Part((inputs.usd or 0.0) + out_tokens * rates.text_out / pricing.PER_MILLION,
                           f"mainline {mainline}: {inputs.description}; {out_tokens:,} output tokens ({out_note})"))
    combined = _combine(parts, "")
    return ExpectedCost(combined.usd, combined.description, combined.unpriced, combined.bounded,
                        image_calls=calls, per_image_call_usd=per_call)


def expected_cost(request: dict) -> ExpectedCost:
    """Worst-case cost of a normalised request (see recording.normalise_request), in USD.

    Uploaded files are counted from the request's ``files`` (one entry per input image or mask).
    Uploading a file costs nothing; each ``batches.create`` is priced for its input file by
    ``SpendingCapTransport``, which reads the file (``batch_file_cost``).
    """
    path = request["path"]
    if request["method"] in ("GET", "DELETE"):
        return ExpectedCost(0.0, f"{request['method']} {path} is free")
    if path.endswith("/files"):
        return ExpectedCost(0.0, "uploading a file is free; a Batch input file is priced when a batch uses it")
    if path.endswith("/cancel"):
        return ExpectedCost(0.0, "cancelling a batch is free")
    if path.endswith("/images/generations"):
        body = request.get("json", {})
        body = {**body, "stream": str(body.get("stream", False)).lower()}
        return image_request_cost(str(body.get("model", "")), body, "image generation",
                                  prompt=str(body.get("prompt", "")))
    if path.endswith("/images/edits"):
        # multipart (the SDK) or the JSON body (registry.EDITS_JSON_BODY): the same parameters either way
        form = request.get("form") or request.get("json") or {}
        images = _count_files(request, "image", "image[]", "mask") + (0 if request.get("form") else _json_images(form))
        return image_request_cost(str(form.get("model", "")), form, "image edit", prompt=str(form.get("prompt", "")),
                                  input_images=images)
    if path.endswith("/responses"):
        return responses_cost(request.get("json", {}))
    return ExpectedCost(None, f"{request['method']} {path}: no price in the registry",
                        (f"{request['method']} {path}",))


def _usage_cost(model: str, usage: Any) -> Optional[float]:
    """Cost of a usage block; a cached rate the registry lacks is bounded by the uncached one."""
    tokens = pricing.usage_tokens(usage)
    cost = pricing.cost_of_usage(model, tokens)
    if cost.total is not None or model not in registry.MODELS:
        return cost.total
    uncached = pricing.UsageTokens(text_in=tokens.text_in + tokens.cached_text_in,
                                   image_in=tokens.image_in + tokens.cached_image_in,
                                   image_out=tokens.image_out, text_out=tokens.text_out)
    return pricing.cost_of_usage(model, uncached).total


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def plausible_usage(usage: Any, *, output_required: bool) -> bool:
    """True if a usage block (dict) holds token counts the API could bill: whole numbers >= 0, its nested
    details too, and ``output_tokens`` > 0 when ``output_required`` (an answer that holds images)."""
    if not isinstance(usage, dict):
        return False
    for name in ("input_tokens", "output_tokens"):
        if name in usage and not _count(usage[name]):
            return False
    if "input_tokens" not in usage or "output_tokens" not in usage:
        return False
    if output_required and usage["output_tokens"] <= 0:
        return False
    for details in ("input_tokens_details", "output_tokens_details", "cached_tokens_details"):
        block = usage.get(details)
        if block is not None and not (isinstance(block, dict) and all(_count(v) for v in block.values()
                                                                      if not isinstance(v, (dict, list)))):
            return False
    return True


def answer_image_calls(body: Any) -> int:
    """The ``image_generation_call`` items of a Responses answer (each may have made and billed an image)."""
    output = body.get("output") if isinstance(body, dict) else None
    return sum(1 for item in output or [] if isinstance(item, dict) and item.get("type") == "image_generation_call")


def actual_cost(request: dict, body: Any) -> Optional[float]:
    """Cost of what a JSON answer's usage reports, for the parts the registry prices (USD, >= 0).

    None when no part can be priced or the usage is missing or implausible (``plausible_usage``: a
    Responses answer holding image calls but no ``tool_usage.image_gen``, an image answer without
    ``usage``, zero, negative or non-numeric tokens): the reservation's bound is then counted instead
    (``SpendingCap.settle``). A part without a price (e.g. an unpriced mainline model) is left out:
    its reservation's stated bound stays counted instead.
    """
    if not isinstance(body, dict):
        return None
    if body.get("object") == "response":
        image_gen = (body.get("tool_usage") or {}).get("image_gen") if isinstance(body.get("tool_usage"), dict) \
            else None
        if answer_image_calls(body) or image_gen is not None:
            if not plausible_usage(image_gen, output_required=True):
                return None
            tool = _usage_cost(pricing.tool_model_of(request.get("json", {})), image_gen)
        else:
            tool = 0.0
        if not plausible_usage(body.get("usage"), output_required=False) or not body["usage"]["input_tokens"]:
            return None
        mainline = pricing.cost_of_response(body).mainline
        known = [c for c in (tool, mainline) if c is not None]
        return max(sum(known), 0.0) if known else None
    usage = body.get("usage")
    model = request.get("json", request.get("form", {})).get("model")
    if model not in registry.MODELS or not plausible_usage(usage, output_required=True):
        return None
    cost = _usage_cost(model, usage)
    return None if cost is None or not math.isfinite(cost) else max(cost, 0.0)


def settle_bound(expected: ExpectedCost, reservation: "Reservation", body: Any) -> float:
    """What an answer without plausible usage is counted at (USD): its reservation, plus the worst case of
    each image call it holds beyond the ones reserved (a Responses request without max_tool_calls)."""
    extra = max(answer_image_calls(body) - expected.image_calls, 0)
    return reservation.usd + extra * (expected.per_image_call_usd or UNPRICED_BOUND_USD)


# --- the cap -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reservation:
    """What one request holds of the cap while it is in flight (USD)."""

    usd: float
    counted_usd: float  # the part priced from the registry; the rest is UNPRICED_BOUND_USD per unpriced part
    description: str


@dataclass
class SpendingCap:
    """A budget in USD shared by every request of a kernel; thread-safe.

    ``spent_usd`` is settled spending; ``reserved_usd`` is held by requests in flight. A request is
    sent only if ``spent + reserved + its worst case <= limit``. Raises BudgetConfigError for a
    limit that is not a finite number >= 0.
    """

    limit_usd: float
    allow_unpriced: bool = False
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    batch_files: dict = field(default_factory=dict, repr=False)  # uploaded Batch file id -> its JSONL bytes
    # Background Responses created but not finished: response id -> (its Reservation, its ExpectedCost).
    # Their holds stay in ``reserved_usd`` until the finished response is retrieved.
    background: dict = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.limit_usd = validate_limit(self.limit_usd, "the spending cap's limit")

    def _refusal(self, expected: ExpectedCost, amount: float) -> str:
        return (f"Not sent: {expected.description} is expected to cost at most {pricing.usd(amount)}, and "
                f"{pricing.usd(self.spent_usd)} of this kernel's {pricing.usd(self.limit_usd)} budget is spent"
                + (f" ({pricing.usd(self.reserved_usd)} more held by requests in flight)" if self.reserved_usd else "")
                + ". Raise COOKBOOK_BUDGET_USD and restart the kernel to allow more.")

    def reserve(self, expected: ExpectedCost) -> Reservation:
        """Hold ``expected``'s worst case, or raise BudgetExceeded (then nothing may be sent)."""
        counted = expected.usd or 0.0
        if expected.refused:
            raise BudgetExceeded(f"Not sent: {expected.refused}. COOKBOOK_ALLOW_UNPRICED does not change this.")
        if not math.isfinite(counted) or counted < 0:
            raise BudgetExceeded(f"Not sent: {expected.description} has no usable worst case ({counted!r}).")
        with self._lock:
            if expected.unpriced:
                if not self.allow_unpriced:
                    raise BudgetExceeded(
                        f"Not sent: {expected.unpriced[0]}. Its cost cannot be checked against the spending cap. "
                        f"Set COOKBOOK_ALLOW_UNPRICED=1 to send it at an assumed {pricing.usd(UNPRICED_BOUND_USD)} "
                        "per unpriced part (never once the cap is spent).")
                if self.spent_usd + self.reserved_usd >= self.limit_usd:
                    raise BudgetExceeded(self._refusal(expected, counted) + " Unpriced requests stop too.")
            amount = counted + UNPRICED_BOUND_USD * len(expected.unpriced)
            if self.spent_usd + self.reserved_usd + amount > self.limit_usd:
                shown = expected if not expected.unpriced else ExpectedCost(
                    amount, f"{expected.description} (unpriced parts at the stated bound of "
                            f"{pricing.usd(UNPRICED_BOUND_USD)} each)")
                raise BudgetExceeded(self._refusal(shown, amount))
            self.reserved_usd += amount
            return Reservation(amount, counted, expected.description)

    def settle(self, reservation: Reservation, actual: Optional[float], bound: Optional[float] = None) -> None:
        """The request was answered: replace the hold by ``actual`` (USD from usage, >= 0), or, when that is
        unknown (None, or not a finite number >= 0: a broken proxy's usage never lowers spending), by
        ``bound`` (USD, default the hold itself; ``settle_bound`` for an answer holding more than reserved)."""
        if actual is not None and not (isinstance(actual, (int, float)) and math.isfinite(actual) and actual >= 0):
            actual = None
        with self._lock:
            self.reserved_usd = max(self.reserved_usd - reservation.usd, 0.0)
            if actual is None:
                self.spent_usd += max(reservation.usd, bound or 0.0)
            else:
                # An unpriced part cannot be read from usage, so its bound stays counted.
                self.spent_usd += actual + (reservation.usd - reservation.counted_usd)

    def keep(self, reservation: Reservation) -> None:
        """The outcome is unknown (timeout, dropped connection, 5xx): count it as billed in full."""
        self.settle(reservation, None)

    def release(self, reservation: Reservation) -> None:
        """The API did not bill the request (refused with a 4xx, or never reached)."""
        with self._lock:
            self.reserved_usd = max(self.reserved_usd - reservation.usd, 0.0)

    def check(self, expected: ExpectedCost) -> None:
        """Raise BudgetExceeded if ``expected`` would not fit now (nothing is held)."""
        self.release(self.reserve(expected))

    def charge(self, usd: float) -> None:
        """Count ``usd`` (USD, a finite number >= 0; anything else raises ValueError) as spent."""
        if not (isinstance(usd, (int, float)) and math.isfinite(usd) and usd >= 0):
            raise ValueError(f"a charge must be a finite number of US dollars >= 0, not {usd!r}")
        with self._lock:
            self.spent_usd += usd

    def hold_background(self, response_id: str, reservation: Reservation, expected: ExpectedCost) -> None:
        """A background Responses create was accepted: keep its hold until the finished response is read."""
        with self._lock:
            self.background[response_id] = (reservation, expected)

    def take_background(self, response_id: Any) -> Optional[tuple[Reservation, ExpectedCost]]:
        """The hold of an unfinished background response (removed: it is settled once), or None."""
        with self._lock:
            return self.background.pop(response_id, None) if isinstance(response_id, str) else None

    @property
    def remaining_usd(self) -> float:
        with self._lock:
            return self.limit_usd - self.spent_usd - self.reserved_usd


def cap_from_environment() -> SpendingCap:
    """A new cap from COOKBOOK_BUDGET_USD and COOKBOOK_ALLOW_UNPRICED; raises BudgetConfigError for a bad budget."""
    try:
        limit = settings.budget_usd()
    except settings.SettingError as error:
        raise BudgetConfigError(str(error)) from None
    return SpendingCap(limit, allow_unpriced=settings.allow_unpriced())


# One cap per kernel: every live client made in this process draws on it.
KERNEL_CAP: Optional[SpendingCap] = None
_KERNEL_CAP_LOCK = threading.Lock()


def kernel_cap() -> SpendingCap:
    """The kernel's one cap, made from the environment on first use (thread-safe)."""
    global KERNEL_CAP
    with _KERNEL_CAP_LOCK:
        if KERNEL_CAP is None:
            KERNEL_CAP = cap_from_environment()
        return KERNEL_CAP
