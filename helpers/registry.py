"""The one model registry: lifecycle, capabilities, prices and limits, each with its source.

Every model name, price, limit and date that a learner sees comes from here. Values that the
reference could not find are ``None`` and are shown as "not found", never guessed.

Sources are the facts gathered for this kit as of ``AS_OF`` (see README, "Where the numbers
come from"). Tags: [OAI] an official OpenAI page, [SDK] the pinned ``openai`` package,
[3P] a third-party claim, [derived] our own arithmetic on cited numbers.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping, Optional

from . import settings, tracks

AS_OF = "2026-12-02"
# The first fact set, kept for facts that were not re-checked in the later refreshes (2026-11-29, 2026-12-02).
FIRST_AS_OF = "2026-11-20"
# Every day the facts were checked: each fact's source is dated with one of them.
FACT_CHECK_DAYS = (FIRST_AS_OF, "2026-11-29", AS_OF)

NOT_FOUND = "not found"

# The model the kit was built for: its budget lane. The lessons teach that lane as it is on the kit's
# day: ``lane_model(day)`` starts here and follows each model's first-choice successor past its shutdown
# date, so the next shutdown needs no code change. COOKBOOK_IMAGE_MODEL overrides it.
LANE_ORIGIN = "gpt-image-1-mini"

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
    as_of: str = FIRST_AS_OF

    def __str__(self) -> str:
        where = f" <{self.url}>" if self.url else ""
        return f"{self.citation}{where} (as of {self.as_of})"

    @property
    def tag(self) -> str:
        """The citation's leading tag, e.g. ``[OAI]`` or ``[3P]``: who says so, in five characters."""
        return self.citation.split("]")[0] + "]"


@dataclass(frozen=True)
class ReportedDate:
    """A lifecycle date that only a third party reports: shown as reported, never used as a status."""

    shutdown_date: str
    deprecated_on: Optional[str]
    source: Source
    confidence: str


@dataclass(frozen=True)
class Lifecycle:
    """A model's lifecycle dates (ISO ``YYYY-MM-DD``); its status is derived from them on a given day.

    ``successors`` come first-choice first: for an image model the first is the kit's budget-lane
    successor, which the lessons move to after the shutdown date.
    """

    source: Source
    deprecated_on: Optional[str] = None
    shutdown_date: Optional[str] = None
    successors: tuple[str, ...] = ()
    note: str = ""
    reported: Optional[ReportedDate] = None

    def shutdown(self) -> Optional[_dt.date]:
        return _dt.date.fromisoformat(self.shutdown_date) if self.shutdown_date else None

    def status_on(self, day: _dt.date) -> str:
        """"shut down" from the shutdown date on, "deprecated" from the notice date, else "active"."""
        if self.shutdown_date and day >= _dt.date.fromisoformat(self.shutdown_date):
            return SHUT_DOWN
        if self.deprecated_on and day >= _dt.date.fromisoformat(self.deprecated_on):
            return DEPRECATED
        return ACTIVE


@dataclass(frozen=True)
class SizeRule:
    """The rule for arbitrary ``WIDTHxHEIGHT`` sizes (pixels), with its source.

    A size fits when both edges are multiples of ``multiple_of``, the long edge is at most
    ``max_long_edge``, the long:short ratio is at most ``max_ratio`` and the area lies between
    ``min_pixels`` and ``max_pixels`` (the pixel budget). There is no cap on the short edge on its own.
    Sizes with more pixels than ``experimental_above`` are accepted but documented as experimental.
    """

    source: Source
    multiple_of: int
    max_ratio: float  # long edge / short edge, highest accepted
    max_long_edge: int
    min_pixels: int
    max_pixels: int
    experimental_above: tuple[int, int]

    def problem(self, width: int, height: int) -> Optional[str]:
        """Why ``width x height`` breaks the rule (one sentence naming the size), or None when it fits."""
        size = f"{width}x{height}"
        if width <= 0 or height <= 0:
            return f"Invalid size '{size}': width and height must be positive."
        if width % self.multiple_of or height % self.multiple_of:
            return f"Invalid size '{size}': width and height must both be divisible by {self.multiple_of}."
        if max(width, height) / min(width, height) > self.max_ratio:
            return (f"Invalid size '{size}': the long edge may be at most {round(self.max_ratio)} times the "
                    "short edge.")
        if max(width, height) > self.max_long_edge:
            return f"Invalid size '{size}': the longest edge may be at most {self.max_long_edge} pixels."
        if width * height < self.min_pixels:
            return (f"Invalid size '{size}': the image must have at least {self.min_pixels:,} pixels "
                    f"(this size has {width * height:,}).")
        if width * height > self.max_pixels:
            return (f"Invalid size '{size}': the image may have at most {self.max_pixels:,} pixels "
                    f"(this size has {width * height:,}).")
        return None

    def experimental(self, width: int, height: int) -> bool:
        """True above the documented non-experimental resolution (by pixel count)."""
        return width * height > self.experimental_above[0] * self.experimental_above[1]


ARBITRARY_SIZE_RULE = SizeRule(
    Source("[OAI] image generation guide (gpt-image-2 and the 2.5 family): edges multiples of 16, longest edge "
           "at most 3840 px, long:short ratio at most 3:1, total pixels at least 655,360 and at most 8,294,400; "
           "outputs above 2560x1440 are experimental. No short-edge cap: 2304x2304 to 2880x2880 were accepted "
           "live ([3P] openclaw/openclaw PR #118476)",
           "https://developers.openai.com/api/docs/guides/image-generation", "2026-12-02"),
    multiple_of=16, max_ratio=3.0, max_long_edge=3840, min_pixels=655_360, max_pixels=8_294_400,
    experimental_above=(2560, 1440),
)
# The 2.6 family: no official statement; third parties describe the same rule as 2.5's.
SIZE_RULE_26 = replace(ARBITRARY_SIZE_RULE, source=Source(
    "[3P] Comfy node, laozhang and Replicate's schema (medium confidence): gpt-image-2.6 follows the 2.5 size "
    "rule, which the [OAI] image generation guide gives as edges multiples of 16, longest edge at most 3840 px, "
    "long:short ratio at most 3:1, 655,360 to 8,294,400 pixels; the SDK's size docstring names only "
    "gpt-image-2 and 2.5", "https://developers.openai.com/api/docs/guides/image-generation", "2026-12-02"))


def parse_size(size: object) -> Optional[tuple[int, int]]:
    """(width, height) from a ``"WIDTHxHEIGHT"`` string, else None."""
    match = re.fullmatch(r"(\d{1,5})x(\d{1,5})", size) if isinstance(size, str) else None
    return (int(match[1]), int(match[2])) if match else None


# Request parameters whose rule is a capability field of another name.
PARAM_FIELDS = {"background": "transparent_background", "quality": "qualities", "size": "sizes",
                "output_format": "output_formats", "image": "max_input_images"}


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
    # Sources for single fields (e.g. "batch", "transparent_background"); ``source`` covers the rest.
    field_sources: Mapping[str, Source] = field(default_factory=dict)
    # The rule arbitrary sizes follow where ``arbitrary_sizes`` is True (its source is on the rule).
    size_rule: Optional[SizeRule] = None

    def size_problem(self, size: object) -> Optional[str]:
        """Why the API would refuse ``size`` for this model, or None (also None where nothing is known).

        The one place the size rules live: the pre-send checks, the Responses tool builder and the
        simulator all ask here. ``None`` and ``"auto"`` are left to the model's ``sizes`` list.
        """
        if size is None or (self.sizes is not None and size in self.sizes):
            return None
        if size == "auto":
            return None if self.sizes is None else f"Invalid size 'auto': supported sizes are {', '.join(self.sizes)}."
        parsed = parse_size(size)
        if parsed is None:
            return f"Invalid size {size!r}: give the size as 'WIDTHxHEIGHT' or 'auto'."
        if self.arbitrary_sizes is False:
            return f"Invalid size '{size}': supported sizes are {', '.join(self.sizes or ())}."
        if self.size_rule is not None:
            return self.size_rule.problem(*parsed)
        return None

    def source_of(self, name: str) -> Source:
        """The source of one capability field: its own where it has one, else the record's."""
        return self.field_sources.get(name, self.source)

    def source_of_param(self, param: str) -> Source:
        """The source of the rule on one request parameter (``"background"`` is ``transparent_background``;
        ``"size"`` is the model's size rule where it has one)."""
        if param == "size" and self.size_rule is not None:
            return self.size_rule.source
        return self.source_of(PARAM_FIELDS.get(param, param))


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
    # Output tokens that someone measured (not a published table), at sizes the table lacks.
    measured_output_tokens: Optional[OutputTokenTable] = None
    # A conservative [derived] estimate where only third-party evidence exists: estimates and the
    # spending cap use it (labelled), never the simulator's usage as if it were a fact.
    estimated_output_tokens: Optional[OutputTokenTable] = None

    def status_on(self, day: _dt.date) -> str:
        return self.lifecycle.status_on(day)

    def served_on(self, day: _dt.date) -> bool:
        """True while the API accepts requests naming this model (before its shutdown date)."""
        return self.lifecycle.status_on(day) != SHUT_DOWN


# --- sources -------------------------------------------------------------------------------

_MODEL_PAGE = "https://developers.openai.com/api/docs/models/{}"
_GUIDE = "https://developers.openai.com/api/docs/guides/image-generation"
_DEPRECATIONS = "https://developers.openai.com/api/docs/deprecations"
_BATCH_GUIDE = "https://developers.openai.com/api/docs/guides/batch"
_DEVTO = (
    "https://dev.to/max_bob/openai-api-deprecations-2026-2027-every-shutdown-date-and-"
    "recommended-replacement-gpt-4o-2ffm"
)

SRC_SDK_IMAGE_MODEL = Source("[SDK] openai 3.57.0, openai/types/image_model.py")
SRC_SDK_EDIT_PARAMS = Source("[SDK] openai 3.57.0, openai/types/image_edit_params.py")
SRC_SDK_TOOL = Source("[SDK] openai 3.57.0, openai/types/responses/tool_param.py:348-381")
SRC_SDK_CHAT_MODEL = Source("[SDK] openai 3.57.0, openai/types/shared/chat_model.py")
SRC_GUIDE_COSTS = Source('[OAI] image generation guide, "Calculating costs"', _GUIDE)
SRC_GUIDE_TOP_LEVEL = Source(
    '[OAI] image generation guide: "gpt-5 and newer models should support the image generation tool"',
    _GUIDE,
)
SRC_BATCH_GUIDE = Source('[OAI] Batch guide: "50% cost discount compared to synchronous APIs"', _BATCH_GUIDE)
SRC_ORG_VERIFICATION = Source(
    "[OAI] image generation guide: organization verification may be needed for GPT Image models", _GUIDE
)
SRC_DEPRECATIONS = Source(
    '[OAI] deprecations page: "Dec 1, 2026 | gpt-image-1-mini | Deprecated | gpt-image-2.6-sunburst or '
    'gpt-image-2.6-flare | Jun 2, 2026" (same row for gpt-image-1.5 and chatgpt-image-latest)',
    _DEPRECATIONS, "2026-11-29",
)
SRC_SUCCESSOR_HISTORY = (
    "The deprecations page's replacement cell was rewritten twice: gpt-image-2 (June; [3P] aiweekly, "
    "matrix 2026-09-08) -> gpt-image-2.5-sunburst or -flare ([3P] dev.to and modelpin, 2026-10-04 to "
    "2026-10-27) -> gpt-image-2.6-sunburst or -flare ([OAI] deprecations page; [3P] modelpin v0.5.4, "
    "2026-11-22)."
)
# Why flare is the kit's successor: the official replacement names two 2.6 models; flare is the
# everyday tier of the family ("the fastest model for high-quality, everyday image generation" on the
# 2.5-flare page) and the budget lane the kit teaches with; sunburst is the precision tier.
SUCCESSOR_CHOICE = (
    "The kit moves to gpt-image-2.6-flare: of the two official replacements it is the everyday "
    "(budget-lane) tier; gpt-image-2.6-sunburst is the editing-precision tier."
)
LIFECYCLE_STATES = {
    DEPRECATED: "OpenAI has announced the model's retirement. You can still use it until its shutdown date.",
    SHUT_DOWN: "The model no longer accepts requests through the standard API.",
}
SRC_LIFECYCLE_STATES = Source("[OAI] deprecations page: lifecycle state definitions", _DEPRECATIONS, "2026-11-29")
IMAGE_MODEL_MIN_NOTICE_MONTHS = 3
SRC_MIN_NOTICE = Source(
    '[OAI] deprecations page: "Specialized variants of generally available models and image generation '
    'models: At least 3 months." (when the rule took effect: not found)', _DEPRECATIONS, "2026-11-29",
)
# The JSON body for /v1/images/edits: images (and an optional mask) as {image_url | file_id}.
EDITS_JSON_BODY = Source(
    '[OAI] changelog, 2026-02-09: "Added support for application/json requests on /v1/images/edits for '
    'GPT image models. JSON requests use images (and optional mask) with image_url or file_id references"',
    "https://developers.openai.com/docs/changelog", "2026-11-29",
)
# Responses background mode discounts (fraction off Standard) by background_options.completion_window.
BACKGROUND_DISCOUNTS = {"soonest": 0.0, "2h": 0.30, "8h": 0.40}
SRC_BACKGROUND_DISCOUNTS = Source(
    "[OAI] background mode guide: 2h = 30% and 8h = 40% below Standard on model token rates; needs "
    "background=true and no streaming. Whether it discounts image-tool tokens: not found",
    "https://developers.openai.com/api/docs/guides/background", "2026-11-29",
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
        "[OAI] the official calculator's default, low 1024x1024 = 196 output tokens (= $0.00588, the $0.006 "
        "price; medium confidence); [3P] a forum post reading the same calculator at high quality: "
        "1024x1024 = 7,024 and 1536x1024 = 5,488",
        "https://community.openai.com/t/livestream-starting-now-chatgpt-images-2-0/1379464?page=2", "2026-12-02",
    ),
    {("low", "1024x1024"): 196, ("high", "1024x1024"): 7024, ("high", "1536x1024"): 5488},
)


GPT_IMAGE_2_MEASURED_TOKENS = OutputTokenTable(
    Source("[3P] measured in a forum thread (gpt-image-2, low quality, flexible sizes): 960x720 = 130 and "
           "976x704 = 129 output tokens",
           "https://community.openai.com/t/the-half-penny-gpt-image-2-challenge-api-only-gallery/1381388",
           "2026-11-29"),
    {("low", "960x720"): 130, ("low", "976x704"): 129},
)


FLARE_25_OUTPUT_TOKENS = OutputTokenTable(
    Source("[3P] sanand0 blog (2026-09-26) citing cellcog.ai: gpt-image-2.5-flare output tokens at 1024x1024",
           "https://github.com/sanand0/blog/blob/main/posts/2026/quality-levels-of-gpt-image-2.5-flare.md",
           "2026-11-29"),
    {("low", "1024x1024"): 196, ("medium", "1024x1024"): 439, ("high", "1024x1024"): 1756,
     ("xhigh", "1024x1024"): 3122, ("max", "1024x1024"): 7024},
)


# What gpt-image-2.6 costs: no official token table or calculator figure exists for either variant.
GEN_26_MEASURED_TOKENS = OutputTokenTable(
    Source("[3P] laozhang (2026-11-05, low-medium confidence), measured through official billing, variant not "
           "stated: 1536x1024 low = 664, 1536x1024 high = 1,353, 3840x2160 high = about 3,337 output tokens",
           as_of="2026-12-02"),
    {("low", "1536x1024"): 664, ("high", "1536x1024"): 1353, ("high", "3840x2160"): 3337},
)
# Where only that measurement exists, estimates and the spending cap use the conservative end of it.
GEN_26_ESTIMATED_TOKENS = OutputTokenTable(
    Source("[derived] from [3P] laozhang (2026-11-05): 2.6 uses 3-4x the output tokens of 2.5 at low and medium "
           "and about the same at high and above, so 4x gpt-image-2.5-flare's [3P] 1024x1024 counts at low "
           "(784) and medium (1,756), and 2.5's own at high (1,756), xhigh (3,122) and max (7,024). Quality "
           "omitted (auto): [3P] flare picks a level from the prompt and a detailed prompt used about 5,800 "
           "tokens (about $0.17); always send quality", as_of="2026-12-02"),
    {("low", "1024x1024"): 784, ("medium", "1024x1024"): 1756, ("high", "1024x1024"): 1756,
     ("xhigh", "1024x1024"): 3122, ("max", "1024x1024"): 7024, ("auto", "1024x1024"): 5800},
)


# What the SDK's parameter docs say of every GPT image model: the base source of the standard records,
# so an error about a size, quality or format cites this, not a record's fidelity or Batch source.
SRC_SDK_GENERATE_PARAMS = Source(
    "[SDK] openai 3.57.0, openai/types/image_generate_params.py: quality low, medium, high, auto and sizes "
    "1024x1024, 1536x1024, 1024x1536 for the GPT image models; output_format png, webp, jpeg"
)


def _standard_capabilities(source: Source, *, input_fidelity, batch, transparent="yes",
                           field_sources: Optional[Mapping[str, Source]] = None) -> Capabilities:
    """A GPT image model of the 1.x generation: standard sizes, qualities and formats (``source``), plus
    its own fidelity, Batch and transparency facts, each with its own source in ``field_sources``."""
    return Capabilities(
        source=source,
        field_sources=dict(field_sources or {}),
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
    SRC_SDK_GENERATE_PARAMS,
    input_fidelity=("low",),
    batch=True,
    field_sources={
        "input_fidelity": Source("[SDK] image_edit_params.py:71-77 (input_fidelity: mini supports only low)"),
        "batch": Source("[OAI] mini page (Batch supported)"),
        "transparent_background": Source("[OAI] guide 1.5-era (transparency)"),
    },
)

_FLARE_25 = Capabilities(
    source=Source("[OAI] gpt-image-2.5-flare model page; [SDK] image_generate_params.py quality/size docstrings"),
    sizes=STANDARD_SIZES, arbitrary_sizes=True, qualities=EXTENDED_QUALITIES, output_formats=RASTER_FORMATS,
    transparent_background="yes", input_fidelity=None, masks=True, streaming=True, batch=False,
    responses_top_level=False, image_tool_model=True, size_rule=ARBITRARY_SIZE_RULE,
    field_sources={"batch": Source(
        '[OAI] gpt-image-2.5-flare page: "Batch: Not supported". Conflict: [3P] AIHubMix (2026-11-05) says '
        "2.5 has Batch; kept as not supported until checked live", _MODEL_PAGE.format("gpt-image-2.5-flare"),
        "2026-11-29")},
)
_SUNBURST_25 = Capabilities(
    source=Source("[SDK] image_generate_params.py quality/size docstrings; Batch support not found"),
    sizes=STANDARD_SIZES, arbitrary_sizes=True, qualities=EXTENDED_QUALITIES, output_formats=RASTER_FORMATS,
    transparent_background="yes", input_fidelity=None, masks=True, streaming=True, batch=None,
    responses_top_level=False, image_tool_model=True, size_rule=ARBITRARY_SIZE_RULE,
)
_GEN_26 = Capabilities(
    source=Source(
        "[SDK] openai 3.57.0 docstrings name 2.6 only in the model lists; [3P] apiyi / apidog / AIHubMix "
        "(2026-11-05 to 2026-11-12) for qualities low..max, masks, streaming and transparency",
        as_of="2026-11-29",
    ),
    sizes=STANDARD_SIZES, arbitrary_sizes=True, qualities=EXTENDED_QUALITIES,
    output_formats=RASTER_FORMATS + ("gif", "svg"),
    transparent_background="yes", input_fidelity=None, masks=True, streaming=True, batch=False,
    responses_top_level=False, image_tool_model=True, size_rule=SIZE_RULE_26,
    field_sources={
        "sizes": SIZE_RULE_26.source,
        "output_formats": Source(
            "[SDK] openai 3.57.0, openai/types/image_generate_params.py: gif \"requires access to the GIF preview "
            "for the selected model\" (no streaming, partial images, masks or custom compression; 2 to 16 "
            "frames, default 9); svg requires n=1 (no streaming, partial images, prompt_rewriter or "
            "output_compression; authoring tokens billed separately in svg_usage)", as_of="2026-12-02"),
        "batch": Source('[3P] AIHubMix on Qiita and dev.to (2026-11-05): "Batch, which 2.5 has and 2.6 does not"; '
                        "official pages show the v1/batch row without a support mark (low-medium confidence)",
                        as_of="2026-11-29"),
        "transparent_background": Source(
            "[3P] apiyi measured on 2.6 (2026-11-12): png/webp give full alpha; transparent + jpeg is refused",
            "https://docs.apiyi.com/en/live/2026-11/gpt-image-output-format-background", "2026-11-29"),
        "input_fidelity": Source("[SDK] openai 3.57.0 image_edit_params.py:71-77 names only 1.5, mini and "
                                 "gpt-image-2: behaviour on 2.6 not found", as_of="2026-11-29"),
    },
)
_GPT_IMAGE_2_CAPS = Capabilities(
    source=Source("[SDK] image_generate_params.py (qualities, formats, arbitrary sizes)"),
    sizes=SIZES_WITH_AUTO, arbitrary_sizes=True, qualities=GPT_IMAGE_QUALITIES, output_formats=RASTER_FORMATS,
    transparent_background="no", input_fidelity=(), masks=True, streaming=True, batch=True,
    responses_top_level=False, image_tool_model=True, size_rule=ARBITRARY_SIZE_RULE,
    field_sources={
        "input_fidelity": Source("[SDK] image_edit_params.py:71-77 (omit input_fidelity)"),
        "batch": Source("[OAI] gpt-image-2 model page (Batch supported)"),
        "transparent_background": Source(
            "[OAI] image generation guide (copy of 2026-07-27): gpt-image-2 \"doesn't currently support transparent "
            "backgrounds\"; API reference (May 2026): it \"will return an error\" (medium-high confidence). [3P] "
            'apiyi (2026-10-15): since 2026-09-30 background="transparent" returns 400 "Transparent background is '
            'not supported for this model." The SDK 3.57 docstring\'s "preview" is the outlier',
            "https://developers.openai.com/api/docs/guides/image-generation", "2026-12-02"),
    },
)

_SUCCESSORS_26 = ("gpt-image-2.6-flare", "gpt-image-2.6-sunburst")


def _deprecated_dec_1() -> Lifecycle:
    return Lifecycle(
        source=SRC_DEPRECATIONS,
        deprecated_on="2026-06-02",
        shutdown_date="2026-12-01",
        successors=_SUCCESSORS_26,
        note=f"{SUCCESSOR_CHOICE} {SRC_SUCCESSOR_HISTORY}",
    )


def _active(source: Source, note: str = "", reported: Optional[ReportedDate] = None) -> Lifecycle:
    return Lifecycle(source=source, note=note, reported=reported)


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
                SRC_SDK_GENERATE_PARAMS,
                input_fidelity=("high", "low"),
                batch=True,
                field_sources={
                    "input_fidelity": Source("[SDK] image_edit_params.py:71-77 (input_fidelity high and low)"),
                    "batch": Source("[OAI] 1.5 page (Batch)"),
                },
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
                source=Source("[SDK] image_model.py:25-26; [OAI] gpt-image-1 page (ja-JP)",
                              "https://developers.openai.com/ja-JP/api/docs/models/gpt-image-1"),
                deprecated_on="2026-04-22",
                shutdown_date="2026-10-23",
                successors=("gpt-image-2.5-sunburst", "gpt-image-2.5-flare"),
                note="[3P] weighmyprompt named gpt-image-1.5 in April; the official page names 2.5 Sunburst.",
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
            lifecycle=_active(
                Source("[OAI] gpt-image-2 model page; no official deprecation found as of 2026-11-29",
                       _MODEL_PAGE.format("gpt-image-2"), "2026-11-29"),
                reported=ReportedDate(
                    shutdown_date="2027-02-10", deprecated_on="2026-11-10", confidence="low to medium",
                    source=Source('[3P] modelpin v0.5.4 release notes (2026-11-22): "gpt-image-2 ... deprecated on '
                                  '10 November 2026, shutting down on 10 February 2027"; no official text found; '
                                  "check GET /v1/models/gpt-image-2 shutdown_date", as_of="2026-11-29"),
                ),
            ),
            capabilities=_GPT_IMAGE_2_CAPS,
            token_prices=_GPT_IMAGE_2_TOKENS,
            per_image_prices=PerImagePrices(
                SRC_GUIDE_COSTS, _grid((0.006, 0.005, 0.005, 0.053, 0.041, 0.041, 0.211, 0.165, 0.165))
            ),
            output_tokens=GPT_IMAGE_2_CALCULATOR_TOKENS,
            measured_output_tokens=GPT_IMAGE_2_MEASURED_TOKENS,
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
            output_tokens=FLARE_25_OUTPUT_TOKENS,
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
            measured_output_tokens=GEN_26_MEASURED_TOKENS,
            estimated_output_tokens=GEN_26_ESTIMATED_TOKENS,
            token_prices=TokenPrices(
                replace(_page("gpt-image-2.6-sunburst", "pricing (de-DE, ja-JP, pt-BR, ko-KR, es-419)", "de-DE"),
                        as_of="2026-11-29"),
                5.00, 1.25, 8.00, 2.00, 30.00),
        ),
        ModelRecord(
            id="gpt-image-2.6-flare",
            kind="image",
            description="Official description not found; with 2.6 Sunburst the official replacement for mini.",
            lifecycle=_active(Source("[SDK] image_model.py:15; [3P] apiyi / laozhang (released 2026-11-04); "
                                     "[OAI] deprecations page names it as a replacement", as_of="2026-11-29")),
            capabilities=_GEN_26,
            measured_output_tokens=GEN_26_MEASURED_TOKENS,
            estimated_output_tokens=GEN_26_ESTIMATED_TOKENS,
            token_prices=TokenPrices(
                Source('[3P] apiyi and laozhang live notes (2026-11-05): "Text input, image input, and image output '
                       'remain $5 / $8 / $30 per 1M tokens"; official page not found; cached rates not found',
                       "https://docs.apiyi.com/en/live/2026-11/gpt-image-2-6-launch.md", "2026-11-29"),
                5.00, None, 8.00, None, 30.00),
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
                measured_output_tokens=base.measured_output_tokens,
            )
        )
    for dalle, successor_source in (
        ("dall-e-2", Source('[OAI] dall-e-2 model page: recommends gpt-image-2.5-sunburst', _MODEL_PAGE.format("dall-e-2"),
                            "2026-12-02")),
        ("dall-e-3", Source("[derived] by analogy with the dall-e-2 page (low confidence): the dall-e-3 page's own "
                            "recommendation not found", as_of="2026-12-02")),
    ):
        records.append(
            ModelRecord(
                id=dalle, kind="image", description="Legacy DALL-E model.",
                lifecycle=Lifecycle(
                    source=SRC_SDK_IMAGE_MODEL, shutdown_date="2026-05-12", successors=("gpt-image-2.5-sunburst",),
                    note=f'"Use a GPT image model instead." The variations endpoint is retired too. Successor: '
                         f"{successor_source}",
                ),
                capabilities=None, token_prices=None,
            )
        )
    records.extend(_mainline_models())
    return {r.id: r for r in records}


_GPT_55_TOKENS = TokenPrices(
    Source("[3P] morphllm, aigums, swfte, aicostcalc, apidog (2026): input $5.00, output $30.00 per 1M. Cached "
           "input conflicts ($0.50 vs $1.25): the higher figure is used so a spending cap is never under-run. "
           "Official pricing page: not found", as_of="2026-11-29"),
    text_in=5.00, text_cached_in=1.25, image_in=None, image_cached_in=None, image_out=None, text_out=30.00,
)
SRC_GPT5_SHUTDOWN = Source(
    "[OAI] deprecations page: the gpt-5 family (notice 2026-06-11) shuts down 2026-12-11; replacements gpt-5 -> "
    "gpt-6.1-sol, gpt-5-mini -> gpt-6.1-terra, gpt-5-nano -> gpt-6-luna (the nano row is cut off on the page; "
    "[3P] for it, medium confidence). Conflict: OpenAI's email, quoted by three repositories, says the dated "
    "snapshots are \"shut off on December 10, 2026\": treat 2026-12-10 as the last safe day",
    _DEPRECATIONS, "2026-12-02")
GPT5_NOTICE = "2026-06-11"


def _gpt5_family(successor: str) -> Lifecycle:
    return Lifecycle(source=SRC_GPT5_SHUTDOWN, deprecated_on=GPT5_NOTICE, shutdown_date="2026-12-11",
                     successors=(successor,))


SRC_SDK_CHAT_DEPRECATED = Source(
    '[SDK] openai 3.57.0, openai/types/shared/chat_model.py "Deprecated values" (announced shutdown dates)',
    as_of="2026-11-29")
# The SDK's deprecated list is a notice, present already in openai 3.52.0: that release's upload day
# (2026-11-16, facts update row 26) is the latest day the notice can have been given; the notice date
# itself: not found.
SDK_NOTICE_BY = "2026-11-16"
SRC_SDK_CHAT_MODEL_LIST = Source(
    "[SDK] openai 3.57.0, openai/types/shared/chat_model.py (listed, not in its deprecated values)",
    as_of="2026-11-29")
# The SDK's mainline models of the gpt-5 family and newer, the ones the guide says "should support
# the image generation tool". Left out: the -chat-latest and -codex aliases (their shutdown dates,
# 2026-07-23 and 2026-08-10 in the SDK, have passed) and gpt-5.1-mini ("Not a supported model ID").
# (alias, snapshots, announced shutdown date or None, successors)
_MAINLINE_FAMILY: tuple[tuple[str, tuple[str, ...], Optional[str], tuple[str, ...]], ...] = (
    ("gpt-6.2-astra", (), None, ()),  # new in openai 3.53.0 (facts update, row 29)
    ("gpt-6.2-sol", (), None, ()),
    ("gpt-6-astra", (), None, ()),
    ("gpt-6.1-terra", (), None, ()),
    ("gpt-6-sol", (), None, ()),
    ("gpt-6-luna", (), None, ()),
    ("gpt-5.6-sol", (), None, ()),
    ("gpt-5.6-terra", (), None, ()),
    ("gpt-5.6-luna", (), None, ()),
    ("gpt-5.4", (), None, ()),
    ("gpt-5.4-mini", ("gpt-5.4-mini-2026-03-17",), None, ()),
    ("gpt-5.4-nano", ("gpt-5.4-nano-2026-03-17",), "2027-04-01", ()),
    ("gpt-5.2", ("gpt-5.2-2025-12-11",), None, ()),
    ("gpt-5.2-pro", ("gpt-5.2-pro-2025-12-11",), None, ()),
    ("gpt-5.1", ("gpt-5.1-2025-11-13",), "2027-04-01", ()),
)


def _mainline_models() -> list[ModelRecord]:
    """Mainline (text) models that can sit at the top level of a Responses call with the image tool.

    Token prices are "not found" except where a source gives them (gpt-5.5, [3P]); shutdown dates
    are the SDK's announced ones; successors only where the deprecations page names one.
    """
    caps = Capabilities(
        source=SRC_GUIDE_TOP_LEVEL, sizes=None, arbitrary_sizes=None, qualities=None, output_formats=None,
        transparent_background=None, input_fidelity=None, masks=None, streaming=True, batch=None,
        responses_top_level=True, image_tool_model=False,
    )
    gpt5 = _gpt5_family("gpt-6.1-sol")
    records = [
        ModelRecord(
            id="gpt-5.5", kind="mainline",
            description="Mainline model for the Responses lessons (not in the SDK's deprecated list).",
            lifecycle=_active(SRC_SDK_CHAT_MODEL), capabilities=caps, token_prices=_GPT_55_TOKENS,
        ),
        ModelRecord(id="gpt-5.5-2026-04-23", kind="mainline", description="Dated snapshot of gpt-5.5.",
                    lifecycle=_active(SRC_SDK_CHAT_MODEL), capabilities=caps, token_prices=_GPT_55_TOKENS,
                    snapshot_of="gpt-5.5"),
        ModelRecord(
            id="gpt-5", kind="mainline", description="Mainline model; shuts down 2026-12-11.",
            lifecycle=gpt5, capabilities=caps, token_prices=None,
        ),
        ModelRecord(id="gpt-5-2025-08-07", kind="mainline", description="Dated snapshot of gpt-5.",
                    lifecycle=gpt5, capabilities=caps, token_prices=None, snapshot_of="gpt-5"),
        ModelRecord(
            id="gpt-6.1-sol", kind="mainline", description="Mainline model; the named replacement for gpt-5.",
            lifecycle=_active(Source("[SDK] openai 3.57.0 types/shared/chat_model.py", as_of="2026-11-29")),
            capabilities=caps, token_prices=None,
        ),
    ]
    for alias, snapshot, successor in (("gpt-5-mini", "gpt-5-mini-2025-08-07", "gpt-6.1-terra"),
                                       ("gpt-5-nano", "gpt-5-nano-2025-08-07", "gpt-6-luna")):
        life = _gpt5_family(successor)
        records += [ModelRecord(id=alias, kind="mainline", description="Mainline model of the gpt-5 family.",
                                lifecycle=life, capabilities=caps, token_prices=None),
                    ModelRecord(id=snapshot, kind="mainline", description=f"Dated snapshot of {alias}.",
                                lifecycle=life, capabilities=caps, token_prices=None, snapshot_of=alias)]
    for alias, snapshots, shutdown, successors in _MAINLINE_FAMILY:
        life = (Lifecycle(source=SRC_SDK_CHAT_DEPRECATED, deprecated_on=SDK_NOTICE_BY, shutdown_date=shutdown,
                          successors=successors)
                if shutdown else _active(SRC_SDK_CHAT_MODEL_LIST))
        records.append(ModelRecord(id=alias, kind="mainline", description="Mainline model (gpt-5 family or newer).",
                                   lifecycle=life, capabilities=caps, token_prices=None))
        records += [ModelRecord(id=snap, kind="mainline", description=f"Dated snapshot of {alias}.", lifecycle=life,
                                capabilities=caps, token_prices=None, snapshot_of=alias) for snap in snapshots]
    return records


def mainline_models() -> list[ModelRecord]:
    """Mainline records (aliases and dated snapshots): the models a Responses call may put at its top level."""
    return [m for m in MODELS.values() if m.kind == "mainline"]


# Reviewed live observations, tagged [LIVE <date>]: written only by ``python -m helpers.maintainer.verify_facts --fold``
# after a person has read the check's report, and applied over the records above.
OBSERVATIONS_PATH = Path(__file__).with_name("observations.json")
CAPABILITY_FIELDS = frozenset(f.name for f in fields(Capabilities)) - {"source", "field_sources"}


def _observed(record: ModelRecord, entry: Mapping, source: Source) -> ModelRecord:
    fact, value = entry["fact"], entry["value"]
    if fact == "lifecycle.shutdown_date":
        life = record.lifecycle
        if value is None:
            return replace(record, lifecycle=replace(life, shutdown_date=None, source=source))
        _dt.date.fromisoformat(value)
        # An announced shutdown date means "deprecated" (deprecations page); when the notice date is not
        # known, the day it was observed is the latest it can be.
        deprecated_on = life.deprecated_on or entry["observed_on"]
        return replace(record, lifecycle=replace(life, shutdown_date=value, deprecated_on=deprecated_on, source=source))
    if fact == "output_tokens":
        old, key = record.output_tokens, (entry["quality"], entry["size"])
        cited = replace(source, citation=f"{source.citation}: {key[0]} {key[1]} = {int(value)}"
                        + (f"; other cells: {old.source.citation}" if old else ""))
        tokens = {**(old.tokens if old else {}), key: int(value)}
        return replace(record, output_tokens=OutputTokenTable(cited, tokens) if old is None
                       else replace(old, source=cited, tokens=tokens))
    name = fact.removeprefix("capabilities.")
    if fact.startswith("capabilities.") and name in CAPABILITY_FIELDS and record.capabilities is not None:
        caps = record.capabilities
        value = tuple(value) if isinstance(value, list) else value
        return replace(record, capabilities=replace(caps, **{name: value},
                                                    field_sources={**caps.field_sources, name: source}))
    raise ValueError(f"observation {entry!r}: {record.id} has no fact {fact!r} the registry can take from a live check")


def apply_observations(records: Mapping[str, ModelRecord], entries: list) -> dict[str, ModelRecord]:
    """The records with reviewed live observations laid over them, each fact sourced ``[LIVE <date>] ...``.

    An entry is ``{"model", "fact", "value", "observed_on", "observation"}`` (plus ``"quality"`` and
    ``"size"`` for ``"output_tokens"``); facts: ``"lifecycle.shutdown_date"``, ``"output_tokens"``,
    ``"capabilities.<field>"``. A dated snapshot follows its alias. Raises ValueError for an entry the
    registry cannot apply (unknown model or fact, a date that is not ISO).
    """
    out = dict(records)
    for entry in entries:
        if entry.get("model") not in out:
            raise ValueError(f"observation {entry!r}: the registry has no model {entry.get('model')!r}")
        source = Source(f"[LIVE {entry['observed_on']}] {entry['observation']}", as_of=entry["observed_on"])
        for model_id in [entry["model"], *(r.id for r in out.values() if r.snapshot_of == entry["model"])]:
            out[model_id] = _observed(out[model_id], entry, source)
    return out


class ObservationError(ValueError):
    """An observation the registry refuses: the message names the file, the entry and the field."""


# Quality levels from cheapest to dearest: a model's image output tokens must not fall as quality rises.
QUALITY_ORDER = ("low", "medium", "high", "xhigh", "max")
# How far a live output-token count may stray from the registry's figure for the same cell (a factor).
PLAUSIBLE_TOKEN_FACTOR = 4
# Capability fields a live check may report, by the shape of their value.
_BOOL_CAPABILITIES = {"arbitrary_sizes", "masks", "streaming", "batch", "responses_top_level", "image_tool_model"}
_NULLABLE_BOOL_CAPABILITIES = {"arbitrary_sizes", "masks", "streaming", "batch"}
_COUNT_CAPABILITIES = {"max_input_images", "max_input_image_mb", "max_mask_mb", "prompt_max_chars"}
_LIST_CAPABILITIES = {"sizes", "qualities", "output_formats", "input_fidelity"}
_RANGE_CAPABILITIES = {"n_range": 1, "partial_images_range": 0}  # the lowest value each range may start at
TRANSPARENCY_VALUES = ("yes", "preview", "no")


def _is_count(value: object) -> bool:
    """A positive whole number (JSON integer; ``true`` and ``1.0`` are not counts)."""
    return type(value) is int and value > 0


def _iso_date_problem(value: object) -> Optional[str]:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return f"{value!r} is not a date like 2026-12-02"
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a calendar date"
    return None


def _value_problem(record: ModelRecord, entry: Mapping) -> Optional[tuple[str, str]]:
    """(field, why) for the first thing wrong with one entry's fact, value, quality or size, else None."""
    fact, value = entry.get("fact"), entry.get("value")
    if fact == "lifecycle.shutdown_date":
        if value is None:
            return None
        problem = _iso_date_problem(value)
        if problem:
            return "value", problem
        if record.lifecycle.deprecated_on and value < record.lifecycle.deprecated_on:
            return "value", (f"shutdown date {value} is before the model's deprecation notice of "
                             f"{record.lifecycle.deprecated_on}")
        return None
    if fact == "output_tokens":
        quality, size = entry.get("quality"), entry.get("size")
        if not isinstance(quality, str) or quality not in QUALITY_ORDER:
            return "quality", f"{quality!r} is not a priced quality ({', '.join(QUALITY_ORDER)})"
        if parse_size(size) is None:
            return "size", f"{size!r} is not a size like 1024x1024"
        if not _is_count(value):
            return "value", (f"{value!r} is not a positive whole number of output tokens: the spending cap "
                             "would reserve nothing (or less) for this image")
        table = record.output_tokens
        known = dict(table.tokens) if table else {}
        documented = known.get((quality, size))
        if documented and not documented / PLAUSIBLE_TOKEN_FACTOR <= value <= documented * PLAUSIBLE_TOKEN_FACTOR:
            return "value", (f"{value} output tokens is implausible: the registry has {documented} for {quality} "
                             f"{size}, and a live count more than {PLAUSIBLE_TOKEN_FACTOR}x away from it is a "
                             "broken answer, not a price change")
        rank = QUALITY_ORDER.index(quality)
        for (other_quality, other_size), tokens in known.items():
            if other_size != size or other_quality not in QUALITY_ORDER or other_quality == quality:
                continue
            other_rank = QUALITY_ORDER.index(other_quality)
            if (other_rank < rank and tokens > value) or (other_rank > rank and tokens < value):
                return "value", (f"{value} output tokens for {quality} {size} is implausible: the registry has "
                                 f"{tokens} for {other_quality} at the same size, and dearer qualities never "
                                 "return fewer tokens")
        return None
    name = fact.removeprefix("capabilities.") if isinstance(fact, str) else ""
    if not (isinstance(fact, str) and fact.startswith("capabilities.") and name in CAPABILITY_FIELDS) \
            or name == "size_rule" or record.capabilities is None:
        return "fact", f"{record.id} has no fact {fact!r} the registry can take from a live check"
    if name in _BOOL_CAPABILITIES:
        if value is None and name in _NULLABLE_BOOL_CAPABILITIES:
            return None
        return None if isinstance(value, bool) else ("value", f"{value!r} is not true or false")
    if name in _COUNT_CAPABILITIES:
        return None if _is_count(value) else ("value", f"{value!r} is not a positive whole number")
    if name == "transparent_background":
        return None if value in TRANSPARENCY_VALUES else (
            "value", f"{value!r} is not one of {', '.join(TRANSPARENCY_VALUES)}")
    if name in _LIST_CAPABILITIES:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return "value", f"{value!r} is not a list of names"
        if not value and name != "input_fidelity":
            return "value", "an empty list would leave the model nothing to accept"
        return None
    if name in _RANGE_CAPABILITIES:
        low = _RANGE_CAPABILITIES[name]
        if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)
                and low <= value[0] <= value[1]):
            return "value", f"{value!r} is not a range [lowest, highest] of whole numbers from {low}"
        return None
    return "fact", f"{record.id} has no fact {fact!r} the registry can take from a live check"


def check_observations(entries: object, path: Path | str, records: Mapping[str, ModelRecord],
                       today_: Optional[_dt.date] = None) -> list:
    """``entries`` unchanged if every one is an observation the registry can apply and the spending cap can
    rely on; else ObservationError naming ``path``, the entry (index, model, fact) and the field.

    An entry is ``{"model", "fact", "value", "observed_on", "observation"}`` (plus ``"quality"`` and
    ``"size"`` for ``"output_tokens"``), checked against ``records`` (the registry before observations):

    * types: strings for model, fact, observation; ``observed_on`` an ISO date (not after ``today_`` when given);
    * ``output_tokens``: a positive whole number for a quality and a ``WIDTHxHEIGHT`` size, within
      ``PLAUSIBLE_TOKEN_FACTOR`` of the registry's figure for that cell and in quality order at that size
      (zero, negative, NaN, fractional or text values would make the cap reserve nothing);
    * ``lifecycle.shutdown_date``: an ISO date or null, not before the model's deprecation notice;
    * ``capabilities.<field>``: the field's own shape (counts positive, flags true/false, lists of names).
    """
    if not isinstance(entries, list):
        raise ObservationError(f"{path}: must hold a JSON list of observations, not {type(entries).__name__}")
    for index, entry in enumerate(entries):
        where = f"{path}: observation {index + 1}"
        if not isinstance(entry, dict):
            raise ObservationError(f"{where}: must be a JSON object, not {type(entry).__name__}")
        for name in ("model", "fact", "observation", "observed_on"):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise ObservationError(f"{where}, field {name!r}: must be a non-empty string, got {entry.get(name)!r}")
        where = f"{where} ({entry['model']} {entry['fact']})"
        if "value" not in entry:
            raise ObservationError(f"{where}, field 'value': missing")
        problem = _iso_date_problem(entry["observed_on"])
        if problem is None and today_ is not None and _dt.date.fromisoformat(entry["observed_on"]) > today_:
            problem = f"{entry['observed_on']} is after today ({today_}): an observation cannot come from the future"
        if problem:
            raise ObservationError(f"{where}, field 'observed_on': {problem}")
        record = records.get(entry["model"])
        if record is None:
            raise ObservationError(f"{where}, field 'model': the registry has no model {entry['model']!r}")
        found = _value_problem(record, entry)
        if found:
            raise ObservationError(f"{where}, field {found[0]!r}: {found[1]}")
    return entries


def read_observations(path: Path = OBSERVATIONS_PATH) -> list:
    """The entries of an observations file (a JSON list), checked by ``check_observations``; no file means
    none. Raises ObservationError (a ValueError) naming the file and field for anything the registry refuses."""
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ObservationError(f"{path}: not a JSON file ({exc})") from None
    return check_observations(entries, path, BASE_MODELS)


# The records as built above, before any live observation: what observations are checked against.
BASE_MODELS: Mapping[str, ModelRecord] = _build()
MODELS: Mapping[str, ModelRecord] = apply_observations(BASE_MODELS, read_observations())

# The Responses image_generation tool's default model ([SDK] tool_param.py:371-372).
IMAGE_TOOL_DEFAULT_MODEL = "gpt-image-2.6-sunburst"
IMAGE_TOOL_DEFAULT_SOURCE = SRC_SDK_TOOL


class UnknownModel(KeyError):
    def __str__(self) -> str:
        return f"{self.args[0]!r} is not in the kit's model registry (helpers/registry.py)."


class NotAnImageModel(ValueError):
    """COOKBOOK_IMAGE_MODEL names a model the registry knows, but not an image model.

    The message names the variable and lists the image models the registry has served on ``day``.
    """

    def __init__(self, model_id: str, day: _dt.date):
        served = ", ".join(m.id for m in served_image_models(day)) or "none"
        super().__init__(f"COOKBOOK_IMAGE_MODEL={model_id} is a mainline (text) model, not an image model. Image "
                         f"models served on {day} (helpers/registry.py): {served}. Set COOKBOOK_IMAGE_MODEL to one "
                         f"of them, or unset it to follow the lessons' model ({lane_model(day)}).")


def get(model_id: str) -> ModelRecord:
    try:
        return MODELS[model_id]
    except KeyError:
        raise UnknownModel(model_id) from None


def image_models() -> list[ModelRecord]:
    return [m for m in MODELS.values() if m.kind == "image"]


def as_of_day() -> _dt.date:
    """The registry's as-of date: the day recorded answers and stored outputs describe."""
    return _dt.date.fromisoformat(AS_OF)


def today(env: Mapping[str, str] = os.environ) -> _dt.date:
    """The calendar's date, or ``COOKBOOK_TODAY`` (``YYYY-MM-DD``) when set, to try the kit on another day.

    Raises ValueError for a ``COOKBOOK_TODAY`` that is not an ISO date.
    """
    return settings.today_override(env) or _dt.date.today()


def uses_real_api(mode: str, env: Mapping[str, str] = os.environ) -> bool:
    """True when requests go to OpenAI: live mode, or record mode recording from the API (the default)."""
    return mode == "live" or (mode == "record" and settings.record_from(env) == "api")


def kit_day(mode: Optional[str] = None, env: Mapping[str, str] = os.environ) -> _dt.date:
    """The day every lifecycle question is asked on, for a ``COOKBOOK_MODE``.

    Live and recording from the API: today (``today(env)``), because the answers come from today's API.
    Offline, replay and recording from the simulator: the registry's as-of date, because the answers
    describe that day and stored notebook outputs must never change with the calendar. ``mode``
    defaults to ``COOKBOOK_MODE`` (``offline`` when unset).
    """
    mode = mode if mode is not None else settings.mode(env)
    return today(env) if uses_real_api(mode, env) else as_of_day()


@dataclass(frozen=True)
class ModelOnDay:
    """One registry record asked on one day: look it up once, then pass this down."""

    record: ModelRecord
    day: _dt.date

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def status(self) -> str:
        return self.record.status_on(self.day)

    @property
    def served(self) -> bool:
        return self.record.served_on(self.day)

    @property
    def days_until_shutdown(self) -> Optional[int]:
        date = self.record.lifecycle.shutdown()
        return None if date is None else (date - self.day).days

    @property
    def successor(self) -> Optional[str]:
        """The first-choice successor that is served on this day, or None."""
        for candidate in self.record.lifecycle.successors:
            if candidate in MODELS and MODELS[candidate].served_on(self.day):
                return candidate
        return None

    def status_line(self) -> str:
        """E.g. "deprecated, shuts down 2026-12-01 (2 days after 2026-11-29)": always says which day it counts from."""
        life = self.record.lifecycle
        days = self.days_until_shutdown
        if life.shutdown_date is None:
            reported = life.reported
            extra = (f"; [3P] reported shutdown {reported.shutdown_date} ({reported.confidence} confidence, not a "
                     "status)" if reported else "")
            return f"{self.status}, no shutdown announced (as of {self.day}){extra}"
        if days is not None and days <= 0:
            return f"shut down on {life.shutdown_date} ({days_phrase(-days)} before {self.day})"
        return f"{self.status}, shuts down {life.shutdown_date} ({days_phrase(days)} after {self.day})"


def days_phrase(days: int) -> str:
    """ "1 day", "2 days": a count of days (an int >= 0) as words read beside an absolute date."""
    return f"{days} day" if days == 1 else f"{days} days"


class ModelShutDown(ValueError):
    """A request names a model that is shut down on the day it would be sent."""

    def __init__(self, model: ModelOnDay):
        self.model = model
        life = model.record.lifecycle
        successor = model.successor
        switch = (f" Use {successor} instead: set COOKBOOK_IMAGE_MODEL={successor} (or unset it to follow the "
                  "registry), or pass model=registry.lesson_image_model(day)." if successor else "")
        super().__init__(f"{model.id} was shut down on {life.shutdown_date} (today is {model.day}): it no longer "
                         f"accepts requests, so nothing was sent.{switch} Source: {life.source}")


def on(model_id: str, day: _dt.date) -> ModelOnDay:
    """The record for ``model_id`` asked on ``day``. Raises UnknownModel for an id the registry lacks."""
    return ModelOnDay(get(model_id), day)


def served_image_models(day: _dt.date) -> list[ModelRecord]:
    """Image models (aliases, not dated snapshots) that accept requests on ``day``."""
    return [m for m in image_models() if not m.snapshot_of and m.served_on(day)]


def lane_model(day: _dt.date) -> str:
    """The budget lane's model on ``day``: ``LANE_ORIGIN``, or, once that is shut down, its first-choice
    successor (``SUCCESSOR_CHOICE`` says why), and so on past every shutdown up to ``day``.

    The lane stops at a model with no successor listed, even if that one is shut down (the registry is
    then out of date, and the lessons' pre-send checks say so).
    """
    model, seen = LANE_ORIGIN, {LANE_ORIGIN}
    while not get(model).served_on(day):
        successor = recommended_successor(model)
        if successor is None or successor in seen or successor not in MODELS:
            break
        model, seen = successor, seen | {successor}
    return model


def successor_track_on(day: _dt.date) -> bool:
    """True while the lane's model has an announced shutdown (it is "deprecated" on ``day``) and a
    successor the registry knows: the days on which the kit also executes every lesson on that successor
    (helpers/tracks.py), so learners can move before the shutdown."""
    model = get(lane_model(day))
    successor = recommended_successor(model.id)
    return model.status_on(day) == DEPRECATED and successor is not None and successor in MODELS


def lesson_tracks(day: _dt.date) -> list[tracks.Track]:
    """The tracks the kit executes on ``day``: the primary one, plus the successor track while
    ``successor_track_on(day)``."""
    names = [tracks.PRIMARY] + ([tracks.SUCCESSOR] if successor_track_on(day) else [])
    return [tracks.get(name) for name in names]


def lesson_image_model(day: Optional[_dt.date] = None, env: Mapping[str, str] = os.environ) -> str:
    """The image model the lessons use on ``day`` (default: ``kit_day()``, so live mode follows the calendar).

    ``COOKBOOK_IMAGE_MODEL`` wins when set. Otherwise the lane's model on ``day`` (``lane_model``), or on
    the successor track (helpers/tracks.py: ``COOKBOOK_TRACK`` or a kernel in ``notebooks/successor/``)
    that model's first-choice successor. Raises UnknownModel for an override the registry does not know,
    and ModelShutDown for one shut down on ``day`` (before any lesson cell sends a request, in every mode).
    """
    override = settings.image_model_override(env)
    day = day or kit_day(env=env)
    if override:
        found = on(override, day)
        if found.record.kind != "image":
            raise NotAnImageModel(override, day)
        if not found.served:
            raise ModelShutDown(found)
        return override
    return track_image_model(tracks.current(env).name, day)


def track_image_model(track: str, day: _dt.date) -> str:
    """The image model of one of the kit's lesson tracks (see helpers/tracks.py) on ``day``.

    "primary": ``lane_model(day)``. "successor": that model's first-choice successor, or the lane's model
    when it names none. Raises tracks.UnknownTrack for another name.
    """
    tracks.get(track)
    model = lane_model(day)
    if track == tracks.SUCCESSOR:
        return recommended_successor(model) or model
    return model


def calendar_notice(today_: _dt.date, as_of: Optional[_dt.date] = None) -> Optional[str]:
    """What changed between the registry's as-of date and ``today_`` for the lessons' model, or None.

    Offline answers describe the as-of date; a learner reading them later should know that the
    lessons' model has since shut down and which model live mode now uses. Shape: one sentence.
    """
    as_of = as_of or as_of_day()
    recorded = lane_model(as_of)
    life = get(recorded).lifecycle
    shutdown = life.shutdown()
    if shutdown is None or not as_of < shutdown <= today_:
        return None
    return (f"These recordings describe {as_of}; since then {recorded} shut down on "
            f"{life.shutdown_date}; live, the lessons use {lane_model(today_)}.")


def rate_limits(model_id: str, tier: int) -> Optional[tuple[int, int]]:
    """(images per minute, tokens per minute) at a usage tier, or None when not found."""
    limits = get(model_id).rate_limits
    return None if limits is None else limits.by_tier.get(tier)


def recommended_successor(model_id: str) -> Optional[str]:
    """The first-choice successor the registry lists (whether or not it is served yet), or None."""
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


def markdown_model_table(day: Optional[_dt.date] = None) -> str:
    """The README's model table on ``day`` (default: the as-of date), from the registry (a test keeps them equal).

    A shutdown date that only a third party reports is shown marked [3P], never as a status.
    """
    day = day or as_of_day()
    lines = [
        f"| Model | Status (on {day}) | Shutdown | Successor | input_fidelity | Batch | Image out $/1M |",
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
                m.status_on(day),
                m.lifecycle.shutdown_date or (f"[3P] reported {m.lifecycle.reported.shutdown_date}"
                                              if m.lifecycle.reported else "none announced"),
                ", ".join(f"`{s}`" for s in m.lifecycle.successors) or "—",
                fmt(caps.input_fidelity) if caps else NOT_FOUND,
                (fmt(caps.batch) + (" [3P]" if caps.source_of("batch").citation.startswith("[3P]") else ""))
                if caps else NOT_FOUND,
                fmt(prices.image_out) if prices else NOT_FOUND,
            )
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_model_table())
