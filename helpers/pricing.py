"""Pure cost arithmetic on top of the registry: estimates before a call, exact cost after it.

Two official sources disagree for gpt-image-1-mini: the per-image table and the token table
times the output rate. ``Estimate`` keeps both; nothing here picks one silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import registry

PER_MILLION = 1_000_000


@dataclass(frozen=True)
class UsageTokens:
    """The token counts a response reports, whatever object they came in."""

    text_in: int = 0
    image_in: int = 0
    cached_text_in: int = 0
    cached_image_in: int = 0
    image_out: int = 0
    text_out: int = 0


@dataclass(frozen=True)
class Cost:
    """USD by line item. ``total`` is None when a needed rate is not found in the registry."""

    model: str
    text_in: Optional[float]
    image_in: Optional[float]
    cached_in: Optional[float]
    image_out: Optional[float]
    text_out: Optional[float]
    batch: bool = False

    @property
    def total(self) -> Optional[float]:
        parts = (self.text_in, self.image_in, self.cached_in, self.image_out, self.text_out)
        return None if any(p is None for p in parts) else sum(parts)


@dataclass(frozen=True)
class Estimate:
    """Expected cost of one request, by each official method that has numbers."""

    model: str
    quality: str
    size: str
    images: int
    output_tokens: Optional[int]
    from_token_table: Optional[float]
    from_per_image_table: Optional[float]
    assumption: str = ""

    @property
    def sources_disagree(self) -> bool:
        a, b = self.from_token_table, self.from_per_image_table
        return a is not None and b is not None and abs(a - b) > 0.0005 * self.images

    @property
    def upper(self) -> Optional[float]:
        """The larger known estimate: what a spending cap should assume."""
        known = [v for v in (self.from_token_table, self.from_per_image_table) if v is not None]
        return max(known) if known else None


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def usage_tokens(usage: Any) -> UsageTokens:
    """Read an Images ``usage`` block or a Responses ``tool_usage.image_gen`` block (object or dict)."""
    in_details = _field(usage, "input_tokens_details")
    out_details = _field(usage, "output_tokens_details")
    cached = _field(usage, "cached_tokens_details")
    cached_text = _field(cached, "cached_text_tokens", 0) or 0
    cached_image = _field(cached, "cached_image_tokens", 0) or 0
    text_in = (_field(in_details, "text_tokens", 0) or 0) - cached_text
    image_in = (_field(in_details, "image_tokens", 0) or 0) - cached_image
    if out_details is not None:
        image_out = _field(out_details, "image_tokens", 0) or 0
        text_out = _field(out_details, "text_tokens", 0) or 0
    else:
        image_out, text_out = _field(usage, "output_tokens", 0) or 0, 0
    return UsageTokens(max(text_in, 0), max(image_in, 0), cached_text, cached_image, image_out, text_out)


def _times(tokens: int, rate: Optional[float]) -> Optional[float]:
    if tokens == 0:
        return 0.0
    return None if rate is None else tokens * rate / PER_MILLION


def token_rates(model_id: str, *, batch: bool = False) -> Optional[registry.TokenPrices]:
    record = registry.get(model_id)
    if batch:
        return record.batch_prices.token_prices if record.batch_prices else None
    return record.token_prices


def cost_of_usage(model_id: str, usage: Any, *, batch: bool = False) -> Cost:
    """Exact cost of a call from the ``usage`` it reported, priced with the registry's token rates."""
    tokens = usage if isinstance(usage, UsageTokens) else usage_tokens(usage)
    rates = token_rates(model_id, batch=batch)

    def rate(name: str) -> Optional[float]:
        return None if rates is None else getattr(rates, name)

    cached = [_times(tokens.cached_text_in, rate("text_cached_in")), _times(tokens.cached_image_in, rate("image_cached_in"))]
    return Cost(
        model=model_id,
        text_in=_times(tokens.text_in, rate("text_in")),
        image_in=_times(tokens.image_in, rate("image_in")),
        cached_in=None if None in cached else sum(cached),
        image_out=_times(tokens.image_out, rate("image_out")),
        text_out=_times(tokens.text_out, rate("text_out")),
        batch=batch,
    )


def _priced_size(size: str) -> tuple[str, str]:
    """Sizes the tables have. ``auto`` is priced as the dearest standard size, and says so."""
    if size == "auto":
        return "1024x1536", "size=auto priced as the largest standard size"
    return size, ""


def _priced_quality(quality: str) -> tuple[str, str]:
    if quality == "auto":
        return "high", "quality=auto priced as high"
    return quality, ""


def output_tokens(model_id: str, quality: str, size: str, *, images: int = 1, partial_images: int = 0) -> Optional[int]:
    """Documented output tokens for a request, partial images included (100 each)."""
    table = registry.get(model_id).output_tokens
    if table is None:
        return None
    per_image = table.tokens.get((_priced_quality(quality)[0], _priced_size(size)[0]))
    if per_image is None:
        return None
    return images * (per_image + partial_images * table.partial_image_tokens)


def per_image_price(model_id: str, quality: str, size: str) -> Optional[float]:
    table = registry.get(model_id).per_image_prices
    if table is None:
        return None
    return table.usd.get((_priced_quality(quality)[0], _priced_size(size)[0]))


def estimate(model_id: str, quality: str, size: str, *, images: int = 1, partial_images: int = 0,
             batch: bool = False) -> Estimate:
    """Output cost of a request before it is sent (input tokens are extra and small for text)."""
    notes = [n for n in (_priced_quality(quality)[1], _priced_size(size)[1]) if n]
    tokens = output_tokens(model_id, quality, size, images=images, partial_images=partial_images)
    rates = token_rates(model_id, batch=batch)
    from_tokens = None
    if tokens is not None and rates is not None and rates.image_out is not None:
        from_tokens = tokens * rates.image_out / PER_MILLION
    price = per_image_price(model_id, quality, size)
    from_table = None
    if price is not None:
        record = registry.get(model_id)
        discount = record.batch_prices.discount if batch and record.batch_prices else (None if batch else 1.0)
        if discount is not None:
            partial_cost = 0.0
            if partial_images and rates is not None and rates.image_out is not None:
                partial_cost = partial_images * 100 * rates.image_out / PER_MILLION
            from_table = images * (price + partial_cost) * discount
    return Estimate(model_id, quality, size, images, tokens, from_tokens, from_table, "; ".join(notes))


def cost_per_accepted_image(cost_per_attempt: float, acceptance_rate: float) -> float:
    """Expected spend per image you keep when only ``acceptance_rate`` of attempts are usable."""
    if not 0 < acceptance_rate <= 1:
        raise ValueError(f"acceptance_rate must be in (0, 1], got {acceptance_rate}")
    return cost_per_attempt / acceptance_rate


def usd(value: Optional[float]) -> str:
    """Format a price for learners; unknown prices say so."""
    if value is None:
        return registry.NOT_FOUND
    return f"${value:.4f}"
