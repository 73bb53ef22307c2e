"""The spending cap for live calls: expected cost from the registry, checked before anything is sent.

The cap holds for the running kernel (one Python process): COOKBOOK_BUDGET_USD sets it
(default ``DEFAULT_BUDGET_USD``). A request the registry cannot price is refused unless
COOKBOOK_ALLOW_UNPRICED=1, because an unknown price cannot be checked against a budget.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from . import pricing, registry

DEFAULT_BUDGET_USD = 1.00


class BudgetExceeded(RuntimeError):
    """Raised before sending a request that would take spending past the cap."""


@dataclass(frozen=True)
class ExpectedCost:
    usd: Optional[float]
    description: str


def _int(value: Any, default: int) -> int:
    return default if value in (None, "") else int(value)


def _image_request_cost(model: str, params: dict, what: str, *, batch: bool = False) -> ExpectedCost:
    quality = params.get("quality") or "auto"
    size = params.get("size") or "auto"
    images = _int(params.get("n"), 1)
    partials = _int(params.get("partial_images"), 0) if str(params.get("stream")).lower() == "true" else 0
    if model not in registry.MODELS:
        return ExpectedCost(None, f"{what} with {model!r}, which the registry does not know")
    est = pricing.estimate(model, quality, size, images=images, partial_images=partials, batch=batch)
    detail = f"{what}: {images} x {model} {quality} {size}" + (f" + {partials} partial(s)" if partials else "")
    if est.assumption:
        detail += f" ({est.assumption})"
    return ExpectedCost(est.upper, detail)


def batch_file_cost(jsonl: bytes) -> ExpectedCost:
    """Expected cost of a Batch input file: every line priced at the model's Batch rate."""
    total, unpriced = 0.0, []
    lines = [json.loads(line) for line in jsonl.splitlines() if line.strip()]
    for line in lines:
        url = line.get("url", "")
        if not url.endswith(("/images/generations", "/images/edits")):
            unpriced.append(f"{line.get('custom_id')}: {url}")
            continue
        body = line.get("body", {})
        # An edit line's output is priced like a generation's; its input images add tokens that no
        # documented table gives, so the estimate covers the output only, as for synchronous edits.
        what = "batch edit line" if url.endswith("/images/edits") else "batch line"
        cost = _image_request_cost(body.get("model", ""), body, what, batch=True)
        if cost.usd is None:
            unpriced.append(f"{line.get('custom_id')}: {cost.description}")
        else:
            total += cost.usd
    if unpriced:
        return ExpectedCost(None, f"Batch input file with {len(unpriced)} unpriced line(s): {unpriced[0]}")
    return ExpectedCost(total, f"Batch input file: {len(lines)} image line(s) at Batch rates")


def expected_cost(request: dict, uploads: Optional[dict[str, bytes]] = None) -> ExpectedCost:
    """Expected cost of a normalised request (see recording.normalise_request).

    ``uploads`` holds the raw uploaded files by form field; a Batch input file is priced when it is
    uploaded, because that is the last point before the work is committed that the client sees it.
    """
    path = request["path"]
    if request["method"] == "GET":
        return ExpectedCost(0.0, f"GET {path} is free")
    if path.endswith("/files") and request.get("form", {}).get("purpose") == "batch" and uploads:
        return batch_file_cost(uploads.get("file", b""))
    if path.endswith("/batches"):
        return ExpectedCost(0.0, "creating a batch: its lines were priced when the input file was uploaded")
    if path.endswith("/images/generations"):
        body = request.get("json", {})
        body = {**body, "stream": str(body.get("stream", False)).lower()}
        return _image_request_cost(body.get("model", ""), body, "image generation")
    if path.endswith("/images/edits"):
        # multipart (the SDK) or the JSON body (registry.EDITS_JSON_BODY): the same parameters either way
        form = request.get("form") or request.get("json") or {}
        return _image_request_cost(form.get("model", ""), form, "image edit")
    if path.endswith("/responses"):
        body = request.get("json", {})
        tools = [t for t in body.get("tools", []) if t.get("type") == "image_generation"]
        tool = tools[0] if tools else {}
        params = {**tool, "stream": str(body.get("stream", False)).lower()}
        image_part = _image_request_cost(tool.get("model", registry.IMAGE_TOOL_DEFAULT_MODEL), params,
                                         "Responses image tool")
        mainline = registry.MODELS.get(body.get("model", ""))
        if mainline is None or mainline.token_prices is None:
            return ExpectedCost(None, image_part.description + f"; mainline model {body.get('model')!r} tokens: "
                                f"price {registry.NOT_FOUND} in the registry")
        return image_part
    return ExpectedCost(None, f"{request['method']} {path}: no price in the registry")


def actual_cost(request: dict, body: Any) -> Optional[float]:
    """Cost from the usage a JSON response reported, when the registry prices it."""
    if not isinstance(body, dict):
        return None
    if body.get("object") == "response":
        image_gen = (body.get("tool_usage") or {}).get("image_gen")
        tool = next((t for t in request.get("json", {}).get("tools", []) if t.get("type") == "image_generation"), {})
        model = tool.get("model", registry.IMAGE_TOOL_DEFAULT_MODEL)
        return pricing.cost_of_usage(model, image_gen).total if image_gen else None
    usage = body.get("usage")
    model = request.get("json", request.get("form", {})).get("model")
    if usage is None or model not in registry.MODELS:
        return None
    return pricing.cost_of_usage(model, usage).total


@dataclass
class SpendingCap:
    limit_usd: float
    allow_unpriced: bool = False
    spent_usd: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, expected: ExpectedCost) -> None:
        with self._lock:
            if expected.usd is None:
                if not self.allow_unpriced:
                    raise BudgetExceeded(
                        f"Not sent: {expected.description}. The expected cost cannot be checked against the "
                        f"spending cap. Set COOKBOOK_ALLOW_UNPRICED=1 to send it anyway.")
                return
            if self.spent_usd + expected.usd > self.limit_usd:
                raise BudgetExceeded(
                    f"Not sent: {expected.description} is expected to cost {pricing.usd(expected.usd)}, and "
                    f"{pricing.usd(self.spent_usd)} of this kernel's {pricing.usd(self.limit_usd)} budget is "
                    f"spent. Raise COOKBOOK_BUDGET_USD and restart the kernel to allow more.")

    def charge(self, usd: float) -> None:
        with self._lock:
            self.spent_usd += usd

    @property
    def remaining_usd(self) -> float:
        return self.limit_usd - self.spent_usd


def cap_from_environment() -> SpendingCap:
    raw = os.environ.get("COOKBOOK_BUDGET_USD", str(DEFAULT_BUDGET_USD))
    try:
        limit = float(raw)
    except ValueError:
        raise ValueError(f"COOKBOOK_BUDGET_USD must be a number of US dollars, got {raw!r}") from None
    return SpendingCap(limit, allow_unpriced=os.environ.get("COOKBOOK_ALLOW_UNPRICED") == "1")


# One cap per kernel: every live client made in this process draws on it.
KERNEL_CAP: Optional[SpendingCap] = None


def kernel_cap() -> SpendingCap:
    global KERNEL_CAP
    if KERNEL_CAP is None:
        KERNEL_CAP = cap_from_environment()
    return KERNEL_CAP
