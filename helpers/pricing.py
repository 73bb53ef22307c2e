"""Pure cost arithmetic on top of the registry: estimates before a call, exact cost after it.

Two official sources disagree for gpt-image-1-mini: the per-image table and the token table
times the output rate. ``Estimate`` keeps both; nothing here picks one silently.

The ``*_table`` functions build the text tables the cost lesson prints (prices with their
sources, "not found" where the registry has no value); they compute, they never print.
"""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass
from typing import Any, Optional

from . import registry, wrapping

PER_MILLION = 1_000_000
# The guide: each partial image adds 100 image output tokens (the registry's token tables carry it too).
PARTIAL_IMAGE_TOKENS = registry.PRE_GPT_IMAGE_2_OUTPUT_TOKENS.partial_image_tokens


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
    # Where ``output_tokens`` comes from: the model's documented table, a [3P] measurement or a [derived]
    # conservative estimate (``output_tokens_source``); None when no count is known.
    tokens_source: Optional[registry.Source] = None

    @property
    def tokens_reported(self) -> bool:
        """True when the token count rests on a third party's measurement or an estimate from one, not on
        an official table: shown as reported, and the spending cap still takes its own bound if higher."""
        return self.tokens_source is not None and self.tokens_source.tag in ("[3P]", "[derived]")

    @property
    def sources_disagree(self) -> bool:
        a, b = self.from_token_table, self.from_per_image_table
        return a is not None and b is not None and abs(a - b) > 0.0005 * self.images

    @property
    def upper(self) -> Optional[float]:
        """The larger known estimate: what a spending cap should assume."""
        known = [v for v in (self.from_token_table, self.from_per_image_table) if v is not None]
        return max(known) if known else None


def field_of(obj: Any, name: str, default: Any = None) -> Any:
    """A field of an SDK response object or of its plain-dict form (recordings, JSON)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def usage_tokens(usage: Any) -> UsageTokens:
    """Read an Images ``usage`` block or a Responses ``tool_usage.image_gen`` block (object or dict)."""
    in_details = field_of(usage, "input_tokens_details")
    out_details = field_of(usage, "output_tokens_details")
    cached = field_of(usage, "cached_tokens_details")
    cached_text = field_of(cached, "cached_text_tokens", 0) or 0
    cached_image = field_of(cached, "cached_image_tokens", 0) or 0
    text_in = (field_of(in_details, "text_tokens", 0) or 0) - cached_text
    image_in = (field_of(in_details, "image_tokens", 0) or 0) - cached_image
    if out_details is not None:
        image_out = field_of(out_details, "image_tokens", 0) or 0
        text_out = field_of(out_details, "text_tokens", 0) or 0
    else:
        image_out, text_out = field_of(usage, "output_tokens", 0) or 0, 0
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


def output_tokens_source(model_id: str, quality: str, size: str) -> Optional[tuple[int, registry.OutputTokenTable]]:
    """(tokens per image, the table they come from) for one image of ``model_id``, or None.

    In order: the model's output-token table; counts someone measured for it ([3P]); its conservative
    [derived] estimate (``ModelRecord.estimated_output_tokens``, where only third-party evidence exists).
    An exact ``quality`` entry wins (the estimate has one for an omitted quality, "auto"); otherwise
    "auto" is looked up as "high" and size "auto" as the largest standard size.
    """
    record = registry.get(model_id)
    tables = [t for t in (record.output_tokens, record.measured_output_tokens, record.estimated_output_tokens) if t]
    for key in ((quality, size), (_priced_quality(quality)[0], _priced_size(size)[0])):
        for table in tables:
            if key in table.tokens:
                return table.tokens[key], table
    return None


def output_tokens(model_id: str, quality: str, size: str, *, images: int = 1, partial_images: int = 0) -> Optional[int]:
    """Output tokens for a request, partial images included (100 each), from ``output_tokens_source``; None
    when the registry has no count for that quality and size."""
    found = output_tokens_source(model_id, quality, size)
    if found is None:
        return None
    per_image, table = found
    return images * (per_image + partial_images * table.partial_image_tokens)


def output_tokens_documented(model_id: str, quality: str, size: str) -> Optional[int]:
    """Image output tokens for one image of ``model_id`` at an exact ``quality`` and ``size``, from that
    model's own facts only, or None when it has none (the count must then be labelled simulated).

    In order: the model's output-token table; tokens someone measured for it
    (``ModelRecord.measured_output_tokens``, [3P]); its own per-image price divided by its own image
    output rate ([derived], e.g. the gpt-image-2 calculator prices at $30 per 1M). Another model's
    table is never used, and no figure is scaled to another size or quality.
    """
    record = registry.get(model_id)
    for table in (record.output_tokens, record.measured_output_tokens):
        if table is not None and (quality, size) in table.tokens:
            return table.tokens[(quality, size)]
    price = record.per_image_prices.usd.get((quality, size)) if record.per_image_prices else None
    rate = record.token_prices.image_out if record.token_prices else None
    if price is not None and rate:
        return round(price * PER_MILLION / rate)
    return None


def per_image_price(model_id: str, quality: str, size: str) -> Optional[float]:
    table = registry.get(model_id).per_image_prices
    if table is None:
        return None
    return table.usd.get((_priced_quality(quality)[0], _priced_size(size)[0]))


def estimate(model_id: str, quality: str, size: str, *, images: int = 1, partial_images: int = 0,
             batch: bool = False) -> Estimate:
    """Output cost of a request before it is sent (input tokens are extra and small for text)."""
    notes = [n for n in (_priced_quality(quality)[1], _priced_size(size)[1]) if n]
    found = output_tokens_source(model_id, quality, size)
    if found is not None and (quality, size) in found[1].tokens:
        notes = []  # the count is for exactly this quality and size
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
        standard = record.token_prices
        if discount is not None:
            partial_cost = 0.0
            if partial_images and standard is not None and standard.image_out is not None:
                # Standard rate here: the Batch discount is applied once, to the whole image below.
                partial_cost = partial_images * PARTIAL_IMAGE_TOKENS * standard.image_out / PER_MILLION
            from_table = images * (price + partial_cost) * discount
    if batch and _batch_support(model_id) is False:
        notes.append("Batch is not supported for this model")
        from_tokens = from_table = None
    return Estimate(model_id, quality, size, images, tokens, from_tokens, from_table, "; ".join(notes),
                    found[1].source if found else None)


def sources_verdict(model_id: str, quality: str, size: str) -> str:
    """One sentence: whether the per-image table and the token table agree for this request, or which is missing."""
    est = estimate(model_id, quality, size)
    what = f"{model_id}, {quality} {size}"
    if est.from_per_image_table is None and est.from_token_table is None:
        return (f"{what}: neither a per-image table nor a documented output-token count gives a price "
                f"({registry.NOT_FOUND}); only a response's usage can be priced.")
    if est.from_per_image_table is None or est.from_token_table is None:
        known = "the per-image table" if est.from_token_table is None else "the output-token table x rate"
        return f"{what}: one price source only ({known}); the other is {registry.NOT_FOUND}, so nothing to compare."
    verdict = "disagree" if est.sources_disagree else "agree"
    return (f"{what}: the two sources {verdict} ({usd(est.from_per_image_table)} per-image table, "
            f"{usd(est.from_token_table)} tokens x rate).")


def size_verdict(model_id: str, quality: str, sizes: tuple[str, ...] = ("1024x1024", "1536x1024", "1024x1536")) -> str:
    """One sentence: at ``quality``, whether larger sizes cost more than the square one for ``model_id``."""
    by_table = [per_image_price(model_id, quality, s) for s in sizes]
    by_tokens = [estimate(model_id, quality, s).from_token_table for s in sizes]
    for label, prices in (("per-image table", by_table), ("output-token table", by_tokens)):
        if None not in prices:
            square, larger = prices[0], prices[1:]
            if all(p > square for p in larger):
                return f"{model_id}, {quality}: every larger size costs more than {sizes[0]} ({label})."
            return (f"{model_id}, {quality}: a larger size is not always dearer than {sizes[0]} ({label}: "
                    + ", ".join(f"{s} {usd(p)}" for s, p in zip(sizes, prices)) + ").")
    return f"{model_id}, {quality}: prices by size {registry.NOT_FOUND} (no per-image table, no output-token count)."


def rates_note(model_id: str, *, batch: bool = False) -> str:
    """Where the token rates used to price ``model_id`` come from, flagged when only a third party reports them."""
    rates = token_rates(model_id, batch=batch)
    if rates is None:
        return f"token rates for {model_id}: {registry.NOT_FOUND}"
    reported = " (reported by a third party, not settled)" if rates.source.citation.startswith("[3P]") else ""
    return f"token rates{reported}: {rates.source}"


def total_of(costs) -> Optional[float]:
    """The sum of ``Cost`` totals, or None when any of them is not found."""
    totals = [c.total for c in costs]
    return None if any(t is None for t in totals) else sum(totals)


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


def usd_fine(value: Optional[float]) -> str:
    """Format a per-token cost, where a few tokens cost a fraction of a hundredth of a cent."""
    if value is None:
        return registry.NOT_FOUND
    return f"${value:.6f}"


def usd_total(value: Optional[float]) -> str:
    """Format a sum for learners (cents, thousands separated); unknown sums say so."""
    if value is None:
        return registry.NOT_FOUND
    return f"${value:,.2f}"


# --- what is not known ------------------------------------------------------------------------

# The guide says high input fidelity uses more image input tokens but gives no figure.
HIGH_INPUT_FIDELITY_EXTRA_TOKENS: Optional[int] = None
HIGH_INPUT_FIDELITY_SOURCE = registry.Source(
    '[OAI] image generation guide (1.5-era): "when using high input fidelity, more image input tokens will be '
    'used per request"; no per-image figure is given', registry.SRC_GUIDE_COSTS.url)


def _batch_support(model_id: str) -> Optional[bool]:
    caps = registry.get(model_id).capabilities
    return None if caps is None else caps.batch


# --- text tables ------------------------------------------------------------------------------

# A column wrapped to fit the line keeps at least this many characters; a table that would need a
# narrower one stays wide rather than break every word onto its own line.
MIN_WRAPPED_COLUMN = 12
TABLE_GAP = 2  # spaces between columns


@dataclass(frozen=True)
class Table:
    """A small text table for printing in a notebook: aligned columns, then notes (sources).

    Printed, it fits the kit's line width (``wrapping.LINE_WIDTH``): when the columns are too wide, the
    widest one's cells wrap onto more lines within the room the other columns leave (at least
    ``MIN_WRAPPED_COLUMN`` characters), and each note wraps on its own.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"row {row!r} has {len(row)} cells for {len(self.headers)} columns")

    def __str__(self) -> str:
        cells = [[[str(c)] for c in row] for row in (self.headers, *self.rows)]
        widths = [max(len(row[i][0]) for row in cells) for i in range(len(self.headers))]
        wide = max(range(len(widths)), key=widths.__getitem__)
        room = wrapping.LINE_WIDTH - (sum(widths) - widths[wide]) - TABLE_GAP * (len(widths) - 1)
        if MIN_WRAPPED_COLUMN <= room < widths[wide]:
            for row in cells:
                row[wide] = wrapping.lines(row[wide][0], room)
            widths[wide] = max(len(piece) for row in cells for piece in row[wide])
        cells.insert(1, [["-" * w] for w in widths])
        lines = []
        for row in cells:
            for k in range(max(len(cell) for cell in row)):
                lines.append((" " * TABLE_GAP).join((cell[k] if k < len(cell) else "").ljust(w)
                                                    for cell, w in zip(row, widths)).rstrip())
        return "\n".join(lines + [wrapping.wrap(f"* {note}") for note in self.notes])


def _sources(sources) -> tuple[str, ...]:
    seen: list[str] = []
    for source in sources:
        if source is not None and str(source) not in seen:
            seen.append(str(source))
    return tuple(seen)


def listed_models() -> list[str]:
    """Image models as the registry lists them, without dated snapshots (they share their alias's prices)."""
    return [m.id for m in registry.image_models() if not m.snapshot_of]


TABLE_QUALITIES = ("low", "medium", "high")
TABLE_SIZES = ("1024x1024", "1024x1536", "1536x1024")


def per_image_price_table(models: Optional[list[str]] = None, day: Optional[dt.date] = None) -> Table:
    """The official per-image output prices, model x quality x size; "not found" where a model has none.

    Status is the lifecycle on ``day`` (default the kit's day)."""
    day = day or registry.kit_day()
    rows, sources = [], []
    for model_id in models or listed_models():
        record = registry.get(model_id)
        table = record.per_image_prices
        if table is None:
            rows.append((model_id, record.status_on(day), "any") + (registry.NOT_FOUND,) * len(TABLE_SIZES))
            continue
        sources.append(table.source)
        for quality in TABLE_QUALITIES:
            rows.append((model_id, record.status_on(day), quality)
                        + tuple(usd(table.usd.get((quality, size))) for size in TABLE_SIZES))
    notes = ("USD per image, output only: input tokens are billed on top.",) + _sources(sources)
    return Table(("model", "status", "quality") + TABLE_SIZES, tuple(rows), notes)


TOKEN_RATE_FIELDS = (("text in", "text_in"), ("cached text in", "text_cached_in"), ("image in", "image_in"),
                     ("cached image in", "image_cached_in"), ("image out", "image_out"), ("text out", "text_out"))


def token_rate_table(models: Optional[list[str]] = None, *, batch: bool = False,
                     day: Optional[dt.date] = None) -> Table:
    """USD per 1M tokens by kind, one row per model; "not found" for every rate the registry lacks."""
    day = day or registry.kit_day()
    rows, sources = [], []
    for model_id in models or listed_models():
        record = registry.get(model_id)
        rates = token_rates(model_id, batch=batch)
        if rates is not None:
            sources.append(rates.source)
        rows.append((model_id, record.status_on(day))
                    + tuple(registry.fmt(None if rates is None else getattr(rates, name))
                            for _, name in TOKEN_RATE_FIELDS))
    what = "Batch" if batch else "standard"
    notes = (f"USD per 1M tokens, {what} tier.",) + _sources(sources)
    return Table(("model", "status") + tuple(label for label, _ in TOKEN_RATE_FIELDS), tuple(rows), notes)


def source_comparison_table(model_id: str) -> Table:
    """The per-image table next to (documented output tokens x image output rate), cell by cell.

    ``implied tokens`` is our arithmetic: the per-image price divided by the output rate.
    """
    record = registry.get(model_id)
    rate = record.token_prices.image_out if record.token_prices else None
    rows = []
    for quality in TABLE_QUALITIES:
        for size in TABLE_SIZES:
            est = estimate(model_id, quality, size)
            price = est.from_per_image_table
            implied = None if price is None or not rate else round(price * PER_MILLION / rate)
            ratio = (None if price is None or not est.from_token_table
                     else f"{price / est.from_token_table:.2f}x")
            rows.append((quality, size, usd(price), registry.fmt(est.output_tokens), usd(est.from_token_table),
                         registry.fmt(implied), registry.fmt(ratio)))
    notes = _sources([record.per_image_prices.source if record.per_image_prices else None,
                      record.output_tokens.source if record.output_tokens else None,
                      record.token_prices.source if record.token_prices else None])
    notes += ("implied tokens = per-image price / image output rate (our arithmetic, not a published figure).",)
    return Table(("quality", "size", "per-image table", "table tokens", "tokens x rate", "implied tokens",
                  "table / tokens"), tuple(rows), notes)


# --- exact cost after a call ------------------------------------------------------------------

def cost_breakdown(model_id: str, usage: Any, *, batch: bool = False) -> Table:
    """Each kind of token a response reported, its rate and its cost; the total is "not found" if any rate is."""
    tokens = usage if isinstance(usage, UsageTokens) else usage_tokens(usage)
    rates = token_rates(model_id, batch=batch)
    items = (("text in", tokens.text_in, "text_in"), ("cached text in", tokens.cached_text_in, "text_cached_in"),
             ("image in", tokens.image_in, "image_in"), ("cached image in", tokens.cached_image_in, "image_cached_in"),
             ("image out", tokens.image_out, "image_out"), ("text out", tokens.text_out, "text_out"))
    rows = []
    for label, count, name in items:
        rate = None if rates is None else getattr(rates, name)
        rows.append((label, f"{count:,}", registry.fmt(rate), usd_fine(_times(count, rate))))
    total = cost_of_usage(model_id, tokens, batch=batch).total
    rows.append(("total", f"{sum(c for _, c, _ in items):,}", "", usd_fine(total)))
    notes = _sources([rates.source if rates else None]) or (f"token rates for {model_id}: {registry.NOT_FOUND}",)
    return Table(("tokens", "count", "USD per 1M", "cost"), tuple(rows), notes)


@dataclass(frozen=True)
class ResponseCost:
    """A Responses call: the image tool priced with its image model, the mainline model with its own rates."""

    tool_model: str
    tool: Cost
    mainline_model: str
    mainline_input_tokens: int
    mainline_output_tokens: int
    mainline: Optional[float]

    @property
    def total(self) -> Optional[float]:
        return None if self.tool.total is None or self.mainline is None else self.tool.total + self.mainline


def tool_model_of(response: Any) -> str:
    """The image model the response's image_generation tool ran (the SDK default when none is named)."""
    for tool in field_of(response, "tools", None) or ():
        if field_of(tool, "type") == "image_generation":
            return field_of(tool, "model") or registry.IMAGE_TOOL_DEFAULT_MODEL
    return registry.IMAGE_TOOL_DEFAULT_MODEL


def cost_of_response(response: Any) -> ResponseCost:
    """Price ``tool_usage.image_gen`` with the tool's image model and ``usage`` with the mainline model."""
    tool_model = tool_model_of(response)
    image_gen = field_of(field_of(response, "tool_usage"), "image_gen")
    tool_cost = cost_of_usage(tool_model, image_gen if image_gen is not None else UsageTokens())
    usage = field_of(response, "usage")
    tokens_in = field_of(usage, "input_tokens", 0) or 0
    tokens_out = field_of(usage, "output_tokens", 0) or 0
    cached = field_of(field_of(usage, "input_tokens_details"), "cached_tokens", 0) or 0
    mainline_id = field_of(response, "model", "")
    record = registry.MODELS.get(mainline_id)
    rates = record.token_prices if record else None
    mainline = None
    if rates is not None and None not in (rates.text_in, rates.text_cached_in, rates.text_out):
        mainline = ((tokens_in - cached) * rates.text_in + cached * rates.text_cached_in
                    + tokens_out * rates.text_out) / PER_MILLION
    return ResponseCost(tool_model, tool_cost, mainline_id, tokens_in, tokens_out, mainline)


# --- cost per accepted image ------------------------------------------------------------------

def _check_rate(name: str, value: float) -> None:
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}")


def break_even_acceptance(cost: float, *, versus_cost: float, versus_acceptance: float) -> Optional[float]:
    """The acceptance rate at which attempts costing ``cost`` match the other option per accepted image.

    Above it, this option is cheaper per accepted image. None when even 100% acceptance would not
    be enough (the other option always wins).
    """
    _check_rate("versus_acceptance", versus_acceptance)
    if cost <= 0 or versus_cost <= 0:
        raise ValueError("costs per attempt must be positive")
    needed = cost * versus_acceptance / versus_cost
    return None if needed > 1 else needed


def _lasts_as_long(candidate: str, model_id: str) -> bool:
    """True when ``candidate`` has no announced shutdown, or one no earlier than ``model_id``'s own."""
    own = registry.get(model_id).lifecycle.shutdown()
    theirs = registry.get(candidate).lifecycle.shutdown()
    return theirs is None or (own is not None and theirs >= own)


def comparison_models(model_id: str, day: Optional[dt.date] = None) -> list[str]:
    """The model, its served successors, and every model served on ``day`` with an official per-image table
    that stays at least as long as ``model_id`` (no announced shutdown, or not before its own): a model
    that shuts down sooner is no alternative to move to."""
    day = day or registry.kit_day()
    priced = [m for m in listed_models() if registry.get(m).per_image_prices and registry.get(m).served_on(day)
              and _lasts_as_long(m, model_id)]
    successors = [m for m in registry.get(model_id).lifecycle.successors if registry.get(m).served_on(day)]
    ordered = [model_id, *successors, *priced]
    return list(dict.fromkeys(ordered))


def batch_model(model_id: str, day: Optional[dt.date] = None) -> tuple[Optional[str], str]:
    """The model to run Batch work with, and why: ``model_id`` when the registry says it supports Batch,
    else the cheapest model served on ``day`` that supports Batch and stays at least as long (its medium
    1024x1024 per-image price, else its image-output token rate). (None, why) when there is none."""
    day = day or registry.kit_day()
    caps = registry.get(model_id).capabilities
    source = caps.source_of("batch") if caps else registry.NOT_FOUND
    if _batch_support(model_id):
        return model_id, f"{model_id} supports Batch ({source})."
    support = "not supported" if _batch_support(model_id) is False else registry.NOT_FOUND
    candidates = [m for m in listed_models() if _batch_support(m) and registry.get(m).served_on(day)
                  and _lasts_as_long(m, model_id)]

    def price(m: str) -> float:
        known = per_image_price(m, "medium", "1024x1024")
        rates = registry.get(m).token_prices
        if known is not None:
            return known
        return rates.image_out / PER_MILLION * 10_000 if rates and rates.image_out is not None else float("inf")

    if not candidates:
        return None, f"{model_id}: Batch {support} ({source}), and no served model with Batch support was found."
    chosen = min(candidates, key=price)
    return chosen, (f"{model_id}: Batch {support} ({source}). The cheapest model served on {day} that supports "
                    f"Batch and has no earlier shutdown is {chosen} "
                    f"({registry.on(chosen, day).status_line()}).")


def compact_price_table(models: Optional[list[str]] = None, size: str = "1024x1024",
                        day: Optional[dt.date] = None) -> Table:
    """One row per model: status, per-image price by quality at ``size``, image-output rate, and the tags of
    their sources; "not found" where the registry has no value."""
    day = day or registry.kit_day()
    rows = []
    for model_id in models or listed_models():
        record = registry.get(model_id)
        table, rates = record.per_image_prices, record.token_prices
        tags = sorted({src.tag for src in
                       (table.source if table else None, rates.source if rates else None) if src})
        rows.append((model_id, record.status_on(day))
                    + tuple(usd(table.usd.get((q, size)) if table else None) for q in TABLE_QUALITIES)
                    + (registry.fmt(rates.image_out if rates else None), " ".join(tags) or registry.NOT_FOUND))
    notes = (f"Per-image prices at {size}, USD, output only; image out in USD per 1M tokens. Sources with their "
             "addresses: pricing.per_image_price_table() and pricing.token_rate_table().",)
    return Table(("model", "status", *TABLE_QUALITIES, "image out /1M", "sources"), tuple(rows), notes)


def accepted_cost_table(models: list[str], quality: str, size: str, acceptance: dict[str, float],
                        day: Optional[dt.date] = None) -> Table:
    """Per attempt (both official methods) and per accepted image, at each model's acceptance rate."""
    day = day or registry.kit_day()
    rows = []
    for model_id in models:
        rate = acceptance[model_id]
        _check_rate(f"acceptance for {model_id}", rate)
        est = estimate(model_id, quality, size)
        table = est.from_per_image_table
        rows.append((model_id, registry.get(model_id).status_on(day), usd(table), usd(est.from_token_table),
                     f"{rate:.0%}", usd(None if table is None else cost_per_accepted_image(table, rate)),
                     usd(None if est.from_token_table is None
                         else cost_per_accepted_image(est.from_token_table, rate))))
    notes = (f"{quality} quality, {size}. USD per attempt by the per-image table and by tokens x rate; kept = "
             "share of attempts accepted; per kept image = per attempt / acceptance rate.",)
    return Table(("model", "status", "attempt: table", "attempt: tokens", "kept",
                  "kept: table", "kept: tokens"), tuple(rows), notes)


def break_even_table(model_id: str, quality: str, size: str, acceptance: float, others: list[str]) -> Table:
    """For each other model: the acceptance rate it needs to beat ``model_id`` per accepted image."""
    _check_rate("acceptance", acceptance)
    base = per_image_price(model_id, quality, size)
    rows = []
    for other in others:
        price = per_image_price(other, quality, size)
        if base is None or price is None:
            needed = registry.NOT_FOUND + " (no per-image table)"
        else:
            rate = break_even_acceptance(price, versus_cost=base, versus_acceptance=acceptance)
            needed = "never: it would need more than 100%" if rate is None else f"above {rate:.0%}"
        rows.append((other, usd(price), needed))
    notes = (f"{model_id} at {quality} quality, {size}: {usd(base)} per attempt, accepted {acceptance:.0%} "
             f"of the time.",)
    return Table(("model", "per attempt (table)", f"acceptance needed to beat {model_id}"), tuple(rows), notes)


# --- Batch and volume -------------------------------------------------------------------------

def batch_note(model_id: str) -> str:
    support = _batch_support(model_id)
    if support is False:
        return "Batch not supported"
    if support is None:
        return f"Batch support {registry.NOT_FOUND}"
    prices = registry.get(model_id).batch_prices
    if prices is None:
        return f"Batch supported; Batch prices {registry.NOT_FOUND}"
    kind = "inferred from the Batch guide's rule" if prices.inferred else "published"
    return f"Batch supported; {prices.discount:.0%} discount {kind} ({prices.source.citation})"


def volume_table(models: list[str], quality: str, size: str, volumes: tuple[int, ...]) -> Table:
    """Output cost of N images, synchronous and through Batch, from the official per-image tables."""
    rows = []
    for model_id in models:
        for count in volumes:
            sync = estimate(model_id, quality, size, images=count).from_per_image_table
            support = _batch_support(model_id)
            batched = estimate(model_id, quality, size, images=count, batch=True).from_per_image_table
            rows.append((model_id, registry.fmt(support), f"{count:,}", usd_total(sync),
                         "not supported" if support is False else usd_total(batched)))
    notes = (f"{quality} quality, {size}; output only, from the per-image tables.",
             registry.SRC_BATCH_GUIDE.citation + f" <{registry.SRC_BATCH_GUIDE.url}> (as of {registry.AS_OF})")
    notes += tuple(f"{m}: {batch_note(m)}" for m in models)
    return Table(("model", "Batch", "images", "synchronous", "Batch"), tuple(rows), notes)
