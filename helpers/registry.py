"""The one model registry: lifecycle, capabilities, prices and limits, each with its source.

Every model name, price, limit and date that a learner sees comes from here. Values that the
reference could not find are ``None`` and are shown as "not found", never guessed.

Sources are the facts gathered for this kit as of ``AS_OF`` (see README, "Where the numbers
come from"). Tags: [OAI] an official OpenAI page, [SDK] the pinned ``openai`` package,
[3P] a third-party claim, [derived] our own arithmetic on cited numbers.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Mapping, Optional

AS_OF = "2026-11-20"

NOT_FOUND = "not found"

# The image model every lesson uses. Change it here (or with COOKBOOK_IMAGE_MODEL) when the
# model is retired: the lessons, the simulator and the cost estimates all follow.
LESSON_IMAGE_MODEL = "gpt-image-1-mini"

# The mainline model the Responses lessons put at the top level (image models cannot go there).
LESSON_MAINLINE_MODEL = "gpt-5.5"

STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536")
SIZES_WITH_AUTO = STANDARD_SIZES + ("auto",)
GPT_IMAGE_QUALITIES = ("low", "medium", "high", "auto")
EXTENDED_QUALITIES = ("low", "medium", "high", "xhigh", "max", "auto")
RASTER_FORMATS = ("png", "webp", "jpeg")

ACTIVE, DEPRECATED, SHUT_DOWN = "active", "deprecated", "shut down"


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: a tagged citation, optionally with an address."""

    citation: str
    url: Optional[str] = None
    as_of: str = AS_OF

    def __str__(self) -> str:
        where = f" <{self.url}>" if self.url else ""
        return f"{self.citation}{where} (as of {self.as_of})"


@dataclass(frozen=True)
class Lifecycle:
    status: str
    source: Source
    deprecated_on: Optional[str] = None
    shutdown_date: Optional[str] = None
    successors: tuple[str, ...] = ()
    note: str = ""

    def shutdown(self) -> Optional[_dt.date]:
        return _dt.date.fromisoformat(self.shutdown_date) if self.shutdown_date else None


@dataclass(frozen=True)
class Capabilities:
    """What a model accepts. ``None`` in a field means the reference found no statement."""

    source: Source
    sizes: Optional[tuple[str, ...]]
    arbitrary_sizes: Optional[bool]
    qualities: Optional[tuple[str, ...]]
    output_formats: Optional[tuple[str, ...]]
    transparent_background: Optional[str]  # "yes", "preview", "no" or None
    # Accepted ``input_fidelity`` values; () means the parameter must be omitted.
    input_fidelity: Optional[tuple[str, ...]]
    masks: Optional[bool]
    streaming: Optional[bool]
    batch: Optional[bool]
    responses_top_level: bool
    image_tool_model: bool
    max_input_images: int = 16
    max_input_image_mb: int = 50
    max_mask_mb: int = 4
    n_range: tuple[int, int] = (1, 10)
    partial_images_range: tuple[int, int] = (0, 3)
    prompt_max_chars: int = 32000


@dataclass(frozen=True)
class TokenPrices:
    """USD per 1M tokens, standard tier. ``None`` means not found."""

    source: Source
    text_in: Optional[float]
    text_cached_in: Optional[float]
    image_in: Optional[float]
    image_cached_in: Optional[float]
    image_out: Optional[float]
    text_out: Optional[float] = None


@dataclass(frozen=True)
class PerImagePrices:
    """Official per-image output prices (input tokens are extra), keyed by (quality, size)."""

    source: Source
    usd: Mapping[tuple[str, str], float]


@dataclass(frozen=True)
class OutputTokenTable:
    """Documented image output tokens per image, keyed by (quality, size)."""

    source: Source
    tokens: Mapping[tuple[str, str], int]
    partial_image_tokens: int = 100


@dataclass(frozen=True)
class RateLimits:
    """Images per minute and tokens per minute by usage tier."""

    source: Source
    by_tier: Mapping[int, tuple[int, int]]


@dataclass(frozen=True)
class BatchPrices:
    source: Source
    discount: float
    token_prices: Optional[TokenPrices]
    inferred: bool


@dataclass(frozen=True)
class ModelRecord:
    id: str
    kind: str  # "image" or "mainline"
    description: str
    lifecycle: Lifecycle
    capabilities: Optional[Capabilities]
    token_prices: Optional[TokenPrices]
    per_image_prices: Optional[PerImagePrices] = None
    output_tokens: Optional[OutputTokenTable] = None
    rate_limits: Optional[RateLimits] = None
    batch_prices: Optional[BatchPrices] = None
    snapshot_of: Optional[str] = None

    @property
    def is_available(self) -> bool:
        return self.lifecycle.status != SHUT_DOWN


# --- sources -------------------------------------------------------------------------------

_MODEL_PAGE = "https://developers.openai.com/api/docs/models/{}"
_GUIDE = "https://developers.openai.com/api/docs/guides/image-generation"
_DEPRECATIONS = "https://developers.openai.com/api/docs/deprecations"
_BATCH_GUIDE = "https://developers.openai.com/api/docs/guides/batch"
_DEVTO = (
    "https://dev.to/max_bob/openai-api-deprecations-2026-2027-every-shutdown-date-and-"
    "recommended-replacement-gpt-4o-2ffm"
)

SRC_SDK_IMAGE_MODEL = Source("[SDK] openai 3.52.0, openai/types/image_model.py")
SRC_SDK_EDIT_PARAMS = Source("[SDK] openai 3.52.0, openai/types/image_edit_params.py")
SRC_SDK_TOOL = Source("[SDK] openai 3.52.0, openai/types/responses/tool_param.py:348-381")
SRC_SDK_CHAT_MODEL = Source("[SDK] openai 3.52.0, openai/types/shared/chat_model.py")
SRC_GUIDE_COSTS = Source('[OAI] image generation guide, "Calculating costs"', _GUIDE)
SRC_GUIDE_TOP_LEVEL = Source(
    '[OAI] image generation guide: "gpt-5 and newer models should support the image generation tool"',
    _GUIDE,
)
SRC_BATCH_GUIDE = Source('[OAI] Batch guide: "50% cost discount compared to synchronous APIs"', _BATCH_GUIDE)
SRC_ORG_VERIFICATION = Source(
    "[OAI] image generation guide: organization verification may be needed for GPT Image models", _GUIDE
)
SRC_MINI_SHUTDOWN = Source(
    '[OAI] mini page (de-DE) labels it "Veraltet" (deprecated); shutdown 2026-12-01 from [3P] dev.to list '
    "(copied from the deprecations page, matched to GET /v1/models shutdown_date on 2026-10-27) and "
    "[3P] capability matrix (2026-09-08). The official deprecations entry itself was not found.",
    _DEVTO,
)
SRC_SUCCESSOR_NOTE = (
    "Sources disagree on the replacement: [3P] dev.to list (citing the deprecations page on "
    "2026-10-27) names gpt-image-2.5-sunburst or gpt-image-2.5-flare; [3P] aiweekly (June) and the "
    "[3P] matrix (2026-09-08) name gpt-image-2."
)

_TIER_TABLE = {1: (5, 100_000), 2: (20, 250_000), 3: (50, 800_000), 4: (150, 3_000_000), 5: (250, 8_000_000)}


def _page(model_id: str, what: str, locale: str = "") -> Source:
    url = _MODEL_PAGE.format(model_id) if not locale else (
        f"https://developers.openai.com/{locale}/api/docs/models/{model_id}"
    )
    return Source(f"[OAI] {model_id} model page{f' ({locale})' if locale else ''}: {what}", url)


def _tiers(model_id: str) -> RateLimits:
    return RateLimits(_page(model_id, "rate limits (default)"), dict(_TIER_TABLE))


def _grid(values: tuple[float, ...] | tuple[int, ...]) -> dict[tuple[str, str], float]:
    """Rows low/medium/high by columns 1024x1024, 1024x1536, 1536x1024."""
    qualities = ("low", "medium", "high")
    sizes = ("1024x1024", "1024x1536", "1536x1024")
    return {(q, s): values[i * 3 + j] for i, q in enumerate(qualities) for j, s in enumerate(sizes)}


PRE_GPT_IMAGE_2_OUTPUT_TOKENS = OutputTokenTable(
    Source('[OAI] image generation guide: output tokens for "GPT Image models prior to gpt-image-2"', _GUIDE),
    _grid((272, 408, 400, 1056, 1584, 1568, 4160, 6240, 6208)),
)

GPT_IMAGE_2_CALCULATOR_TOKENS = OutputTokenTable(
    Source(
        "[3P] forum post reading the official calculator (only high quality, two sizes)",
        "https://community.openai.com/t/livestream-starting-now-chatgpt-images-2-0/1379464?page=2",
    ),
    {("high", "1024x1024"): 7024, ("high", "1536x1024"): 5488},
)


def _standard_capabilities(source: Source, *, input_fidelity, batch, transparent="yes") -> Capabilities:
    return Capabilities(
        source=source,
        sizes=SIZES_WITH_AUTO,
        arbitrary_sizes=False,
        qualities=GPT_IMAGE_QUALITIES,
        output_formats=RASTER_FORMATS,
        transparent_background=transparent,
        input_fidelity=input_fidelity,
        masks=True,
        streaming=True,
        batch=batch,
        responses_top_level=False,
        image_tool_model=True,
    )


_GPT_IMAGE_2_TOKENS = TokenPrices(
    Source("[3P] capability matrix (2026-09-08) and GPT Image 2 report (2026-07-10)"), 5.00, 1.25, 8.00, 2.00, 30.00
)
_GPT_IMAGE_25_TOKENS = TokenPrices(
    _page("gpt-image-2.5-flare", '"Token rates match GPT Image 2." Text output is not billed'),
    5.00, 1.25, 8.00, 2.00, 30.00, 0.0,
)
_MINI_TOKENS = TokenPrices(_page("gpt-image-1-mini", "pricing (English and de-DE pages)"), 2.00, 0.20, 2.50, 0.25, 8.00)
_ONE_FIVE_TOKENS = TokenPrices(_page("gpt-image-1.5", "pricing"), 5.00, 1.25, 8.00, 2.00, 32.00, 10.00)


def _half(prices: TokenPrices, source: Source) -> TokenPrices:
    def half(v):
        return None if v is None else round(v / 2, 6)

    return TokenPrices(
        source, half(prices.text_in), half(prices.text_cached_in), half(prices.image_in),
        half(prices.image_cached_in), half(prices.image_out), half(prices.text_out),
    )


_MINI_CAPS = _standard_capabilities(
    Source(
        "[SDK] image_edit_params.py:71-77 (input_fidelity: mini supports only low); [OAI] mini page "
        "(Batch supported); [OAI] guide 1.5-era (transparency)",
    ),
    input_fidelity=("low",),
    batch=True,
)

_FLARE_25 = Capabilities(
    source=Source("[OAI] gpt-image-2.5-flare model page; [SDK] image_generate_params.py quality/size docstrings"),
    sizes=STANDARD_SIZES, arbitrary_sizes=True, qualities=EXTENDED_QUALITIES, output_formats=RASTER_FORMATS,
    transparent_background="yes", input_fidelity=None, masks=True, streaming=True, batch=False,
    responses_top_level=False, image_tool_model=True,
)
_SUNBURST_25 = Capabilities(
    source=Source("[SDK] image_generate_params.py quality/size docstrings; Batch support not found"),
    sizes=STANDARD_SIZES, arbitrary_sizes=True, qualities=EXTENDED_QUALITIES, output_formats=RASTER_FORMATS,
    transparent_background="yes", input_fidelity=None, masks=True, streaming=True, batch=None,
    responses_top_level=False, image_tool_model=True,
)
_GEN_26 = Capabilities(
    source=Source(
        "[SDK] 3.52.0 docstrings name 2.6 only in the model lists; sizes, qualities and Batch for 2.6 not found"
    ),
    sizes=STANDARD_SIZES, arbitrary_sizes=None, qualities=None, output_formats=RASTER_FORMATS + ("gif", "svg"),
    transparent_background=None, input_fidelity=None, masks=None, streaming=None, batch=None,
    responses_top_level=False, image_tool_model=True,
)
_GPT_IMAGE_2_CAPS = Capabilities(
    source=Source(
        "[SDK] image_edit_params.py:71-77 (omit input_fidelity), image_generate_params.py (arbitrary sizes, "
        "transparency in preview); [OAI] gpt-image-2 model page (Batch supported)"
    ),
    sizes=SIZES_WITH_AUTO, arbitrary_sizes=True, qualities=GPT_IMAGE_QUALITIES, output_formats=RASTER_FORMATS,
    transparent_background="preview", input_fidelity=(), masks=True, streaming=True, batch=True,
    responses_top_level=False, image_tool_model=True,
)

_NEW_FAMILY_SUCCESSORS = ("gpt-image-2.5-flare", "gpt-image-2.5-sunburst")


def _deprecated_dec_1() -> Lifecycle:
    return Lifecycle(
        status=DEPRECATED,
        source=SRC_MINI_SHUTDOWN,
        deprecated_on="2026-06-02",
        shutdown_date="2026-12-01",
        successors=_NEW_FAMILY_SUCCESSORS,
        note=SRC_SUCCESSOR_NOTE + " Deprecation announced about 2026-06-02 ([3P] aiweekly).",
    )


def _active(source: Source, note: str = "") -> Lifecycle:
    return Lifecycle(status=ACTIVE, source=source, note=note)


def _build() -> dict[str, ModelRecord]:
    records: list[ModelRecord] = [
        ModelRecord(
            id="gpt-image-1-mini",
            kind="image",
            description="A cost-efficient version of GPT Image 1; text and image in, image out.",
            lifecycle=_deprecated_dec_1(),
            capabilities=_MINI_CAPS,
            token_prices=_MINI_TOKENS,
            per_image_prices=PerImagePrices(
                Source('[OAI] image generation guide, "Calculating costs"; also the mini model page', _GUIDE),
                _grid((0.005, 0.006, 0.006, 0.011, 0.015, 0.015, 0.036, 0.052, 0.052)),
            ),
            output_tokens=PRE_GPT_IMAGE_2_OUTPUT_TOKENS,
            rate_limits=_tiers("gpt-image-1-mini"),
            batch_prices=BatchPrices(
                Source("[derived] the Batch guide's 50% rule applied to mini's rates; mini Batch table not found",
                       _BATCH_GUIDE),
                0.5,
                _half(_MINI_TOKENS, Source("[derived] 50% of the mini token rates (inference)")),
                inferred=True,
            ),
        ),
        ModelRecord(
            id="gpt-image-1.5",
            kind="image",
            description="The previous image generation model, with better instruction following.",
            lifecycle=_deprecated_dec_1(),
            capabilities=_standard_capabilities(
                Source("[SDK] image_edit_params.py:71-77 (input_fidelity high and low); [OAI] 1.5 page (Batch)"),
                input_fidelity=("high", "low"),
                batch=True,
            ),
            token_prices=_ONE_FIVE_TOKENS,
            per_image_prices=PerImagePrices(
                SRC_GUIDE_COSTS, _grid((0.009, 0.013, 0.013, 0.034, 0.05, 0.05, 0.133, 0.2, 0.2))
            ),
            output_tokens=PRE_GPT_IMAGE_2_OUTPUT_TOKENS,
            rate_limits=_tiers("gpt-image-1.5"),
            batch_prices=BatchPrices(SRC_BATCH_GUIDE, 0.5, None, inferred=True),
        ),
        ModelRecord(
            id="chatgpt-image-latest",
            kind="image",
            description="[3P] alias of the model formerly used by ChatGPT; official description not found.",
            lifecycle=_deprecated_dec_1(),
            capabilities=Capabilities(
                source=Source("[SDK] image_edit_params.py:15-24 (same input constraints as GPT image models)"),
                sizes=None, arbitrary_sizes=None, qualities=None, output_formats=None, transparent_background=None,
                input_fidelity=None, masks=None, streaming=None, batch=None, responses_top_level=False,
                image_tool_model=True,
            ),
            token_prices=None,
        ),
        ModelRecord(
            id="gpt-image-1",
            kind="image",
            description="The former flagship image model.",
            lifecycle=Lifecycle(
                status=SHUT_DOWN,
                source=Source("[SDK] image_model.py:25-26; [OAI] gpt-image-1 page (ja-JP)",
                              "https://developers.openai.com/ja-JP/api/docs/models/gpt-image-1"),
                deprecated_on="2026-04-22",
                shutdown_date="2026-10-23",
                successors=_NEW_FAMILY_SUCCESSORS,
                note="[3P] weighmyprompt named gpt-image-1.5 in April; the SDK now names the 2.5 family.",
            ),
            capabilities=_standard_capabilities(
                Source("historical: shut down 2026-10-23"), input_fidelity=("high", "low"), batch=None
            ),
            token_prices=TokenPrices(_page("gpt-image-1", "pricing", "ja-JP"), 5.00, 1.25, 10.00, 2.50, 40.00),
            per_image_prices=PerImagePrices(
                SRC_GUIDE_COSTS, _grid((0.011, 0.016, 0.016, 0.042, 0.063, 0.063, 0.167, 0.25, 0.25))
            ),
            output_tokens=PRE_GPT_IMAGE_2_OUTPUT_TOKENS,
            rate_limits=_tiers("gpt-image-1"),
        ),
        ModelRecord(
            id="gpt-image-2",
            kind="image",
            description="Image generation and editing with flexible sizes and high-fidelity image inputs.",
            lifecycle=_active(Source("[OAI] gpt-image-2 model page; [3P] matrix: no shutdown as of 2026-09-08",
                                     _MODEL_PAGE.format("gpt-image-2"))),
            capabilities=_GPT_IMAGE_2_CAPS,
            token_prices=_GPT_IMAGE_2_TOKENS,
            per_image_prices=PerImagePrices(
                SRC_GUIDE_COSTS, _grid((0.006, 0.005, 0.005, 0.053, 0.041, 0.041, 0.211, 0.165, 0.165))
            ),
            output_tokens=GPT_IMAGE_2_CALCULATOR_TOKENS,
            rate_limits=None,
            batch_prices=BatchPrices(
                Source("[3P] GPT Image 2 report (2026-07-10): half of standard"),
                0.5,
                TokenPrices(Source("[3P] GPT Image 2 report (2026-07-10)"), 2.50, 0.625, 4.00, 1.00, 15.00),
                inferred=False,
            ),
        ),
        ModelRecord(
            id="gpt-image-2.5-flare",
            kind="image",
            description="The fastest model for high-quality, everyday image generation.",
            lifecycle=_active(_page("gpt-image-2.5-flare", "launched 2026-09-08")),
            capabilities=_FLARE_25,
            token_prices=_GPT_IMAGE_25_TOKENS,
            rate_limits=_tiers("gpt-image-2.5-flare"),
        ),
        ModelRecord(
            id="gpt-image-2.5-sunburst",
            kind="image",
            description="[3P quoting OAI] the most capable model for image generation and editing.",
            lifecycle=_active(Source("[3P] capability matrix (2026-09-08); [SDK] image_model.py:11-12")),
            capabilities=_SUNBURST_25,
            token_prices=_GPT_IMAGE_25_TOKENS,
        ),
        ModelRecord(
            id="gpt-image-2.6-sunburst",
            kind="image",
            description="Generates and edits images from text and image inputs; the Responses tool's default.",
            lifecycle=_active(_page("gpt-image-2.6-sunburst", "released 2026-11-04 ([3P] apiyi)", "de-DE")),
            capabilities=_GEN_26,
            token_prices=TokenPrices(_page("gpt-image-2.6-sunburst", "pricing", "de-DE"), 5.00, 1.25, 8.00, 2.00, 30.00),
        ),
        ModelRecord(
            id="gpt-image-2.6-flare",
            kind="image",
            description="Official description not found.",
            lifecycle=_active(Source("[SDK] image_model.py:15; [3P] apiyi / laozhang (released 2026-11-04)")),
            capabilities=_GEN_26,
            token_prices=None,
        ),
    ]
    for snapshot, alias in (
        ("gpt-image-2-2026-04-21", "gpt-image-2"),
        ("gpt-image-2.5-flare-2026-09-08", "gpt-image-2.5-flare"),
        ("gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-sunburst"),
    ):
        base = next(r for r in records if r.id == alias)
        records.append(
            ModelRecord(
                id=snapshot, kind="image", description=f"Dated snapshot of {alias}.", lifecycle=base.lifecycle,
                capabilities=base.capabilities, token_prices=base.token_prices,
                per_image_prices=base.per_image_prices, output_tokens=base.output_tokens,
                rate_limits=base.rate_limits, batch_prices=base.batch_prices, snapshot_of=alias,
            )
        )
    for dalle in ("dall-e-2", "dall-e-3"):
        records.append(
            ModelRecord(
                id=dalle, kind="image", description="Legacy DALL-E model.",
                lifecycle=Lifecycle(
                    status=SHUT_DOWN, source=SRC_SDK_IMAGE_MODEL, shutdown_date="2026-05-12",
                    note='"Use a GPT image model instead." The variations endpoint is retired too.',
                ),
                capabilities=None, token_prices=None,
            )
        )
    records.append(
        ModelRecord(
            id="gpt-5.5",
            kind="mainline",
            description="Mainline model for the Responses lessons (not in the SDK's deprecated list).",
            lifecycle=_active(SRC_SDK_CHAT_MODEL),
            capabilities=Capabilities(
                source=SRC_GUIDE_TOP_LEVEL, sizes=None, arbitrary_sizes=None, qualities=None, output_formats=None,
                transparent_background=None, input_fidelity=None, masks=None, streaming=True, batch=None,
                responses_top_level=True, image_tool_model=False,
            ),
            token_prices=None,
        )
    )
    return {r.id: r for r in records}


MODELS: Mapping[str, ModelRecord] = _build()

# The Responses image_generation tool's default model ([SDK] tool_param.py:371-372).
IMAGE_TOOL_DEFAULT_MODEL = "gpt-image-2.6-sunburst"
IMAGE_TOOL_DEFAULT_SOURCE = SRC_SDK_TOOL


class UnknownModel(KeyError):
    def __str__(self) -> str:
        return f"{self.args[0]!r} is not in the kit's model registry (helpers/registry.py)."


def get(model_id: str) -> ModelRecord:
    try:
        return MODELS[model_id]
    except KeyError:
        raise UnknownModel(model_id) from None


def image_models() -> list[ModelRecord]:
    return [m for m in MODELS.values() if m.kind == "image"]


def lesson_image_model() -> str:
    """The image model the lessons use: ``LESSON_IMAGE_MODEL`` unless COOKBOOK_IMAGE_MODEL overrides it."""
    model_id = os.environ.get("COOKBOOK_IMAGE_MODEL", LESSON_IMAGE_MODEL)
    get(model_id)
    return model_id


def rate_limits(model_id: str, tier: int) -> Optional[tuple[int, int]]:
    """(images per minute, tokens per minute) at a usage tier, or None when not found."""
    limits = get(model_id).rate_limits
    return None if limits is None else limits.by_tier.get(tier)


def days_until_shutdown(model_id: str, today: _dt.date) -> Optional[int]:
    date = get(model_id).lifecycle.shutdown()
    return None if date is None else (date - today).days


def recommended_successor(model_id: str) -> Optional[str]:
    successors = get(model_id).lifecycle.successors
    return successors[0] if successors else None


def fmt(value) -> str:
    """Show a registry value for learners; ``None`` reads as "not found"."""
    if value is None:
        return NOT_FOUND
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "omit the parameter"
    return str(value)


def markdown_model_table() -> str:
    """The README's model table, generated from the registry (a test keeps them equal)."""
    lines = [
        f"| Model | Status (as of {AS_OF}) | Shutdown | Successor | input_fidelity | Batch | Image out $/1M |",
        "|---|---|---|---|---|---|---:|",
    ]
    for m in image_models():
        if m.snapshot_of:
            continue
        caps = m.capabilities
        prices = m.token_prices
        lines.append(
            "| `{}` | {} | {} | {} | {} | {} | {} |".format(
                m.id,
                m.lifecycle.status,
                m.lifecycle.shutdown_date or "none announced",
                ", ".join(f"`{s}`" for s in m.lifecycle.successors) or "—",
                fmt(caps.input_fidelity) if caps else NOT_FOUND,
                fmt(caps.batch) if caps else NOT_FOUND,
                fmt(prices.image_out) if prices else NOT_FOUND,
            )
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_model_table())
