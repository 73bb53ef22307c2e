"""The cost lesson's calculator: pure arithmetic, a chart, and an ipywidgets front end.

``calculate`` and ``result_table`` are pure, so the static fallback (a printed table for the
default settings, readable on GitHub where widgets cannot run) and the widget show the same
numbers. The chart is drawn with matplotlib's object API (no pyplot state) and returned as PNG
bytes, so lessons show it through ``helpers.display`` as a small JPEG.
"""

from __future__ import annotations

import datetime as dt

import html
import io
from dataclasses import dataclass
from typing import Optional

from . import pricing, registry
from .wrapping import wrap

RETRY_STEP = 0.05
MAX_RETRY_RATE = 0.9
MAX_IMAGES = 1_000_000
CHART_SIZE_IN = (6.4, 4.0)
CHART_DPI = 80
ACCEPTANCE_AXIS = tuple(a / 100 for a in range(25, 101))


@dataclass(frozen=True)
class Settings:
    model: str
    quality: str = "medium"
    size: str = "1024x1024"
    images: int = 100
    retry_rate: float = 0.3
    batch: bool = False

    def __post_init__(self) -> None:
        registry.get(self.model)
        if self.quality not in pricing.TABLE_QUALITIES:
            raise ValueError(f"quality must be one of {', '.join(pricing.TABLE_QUALITIES)}, got {self.quality!r}")
        if self.size not in pricing.TABLE_SIZES:
            raise ValueError(f"size must be one of {', '.join(pricing.TABLE_SIZES)}, got {self.size!r}")
        if not 1 <= self.images <= MAX_IMAGES:
            raise ValueError(f"images must be between 1 and {MAX_IMAGES:,}, got {self.images}")
        if not 0 <= self.retry_rate <= MAX_RETRY_RATE:
            raise ValueError(f"retry_rate must be between 0 and {MAX_RETRY_RATE}, got {self.retry_rate}")

    @property
    def acceptance(self) -> float:
        return 1 - self.retry_rate


def default_settings() -> Settings:
    return Settings(registry.lesson_image_model())


@dataclass(frozen=True)
class Result:
    settings: Settings
    attempts: float
    per_attempt_table: Optional[float]
    per_attempt_tokens: Optional[float]
    note: str

    @property
    def total_table(self) -> Optional[float]:
        return None if self.per_attempt_table is None else self.per_attempt_table * self.attempts

    @property
    def total_tokens(self) -> Optional[float]:
        return None if self.per_attempt_tokens is None else self.per_attempt_tokens * self.attempts


def calculate(settings: Settings) -> Result:
    """Expected spend to keep ``settings.images`` images when ``retry_rate`` of attempts are rejected."""
    est = pricing.estimate(settings.model, settings.quality, settings.size, batch=settings.batch)
    notes = [n for n in (est.assumption, pricing.batch_note(settings.model) if settings.batch else "") if n]
    return Result(settings, settings.images / settings.acceptance, est.from_per_image_table, est.from_token_table,
                  "; ".join(notes))


def result_table(settings: Settings, day: Optional[dt.date] = None) -> pricing.Table:
    """The calculator's answer as a two-column table; the model's status is asked on ``day``."""
    result = calculate(settings)
    found = registry.on(settings.model, day or registry.kit_day())
    life = found.record.lifecycle
    status = found.status + (f", shutdown {life.shutdown_date}" if life.shutdown_date else "")
    rows = (
        ("model", f"{settings.model} ({status})"),
        ("request", f"{settings.quality} quality, {settings.size}" + (", Batch" if settings.batch else "")),
        ("images to keep", f"{settings.images:,}"),
        ("retry rate", f"{settings.retry_rate:.0%} -> about {result.attempts:,.1f} attempts"),
        ("per attempt (per-image table)", pricing.usd(result.per_attempt_table)),
        ("per attempt (token table x rate)", pricing.usd(result.per_attempt_tokens)),
        ("total (per-image table)", pricing.usd_total(result.total_table)),
        ("total (token table x rate)", pricing.usd_total(result.total_tokens)),
    )
    notes = (f"Prices as of {registry.AS_OF}; output only (input tokens are extra).",)
    notes += ((result.note,) if result.note else ())
    return pricing.Table(("setting", "value"), rows, notes)


def accepted_cost_chart(models: list[str], quality: str, size: str, *, model: Optional[str] = None,
                        acceptance: Optional[float] = None, batch: bool = False) -> bytes:
    """PNG of cost per accepted image against acceptance rate, one curve per model with a per-image table.

    With ``model`` and ``acceptance``, a horizontal line marks that model's cost per accepted image:
    where another curve crosses it is the acceptance rate that model needs to break even.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=CHART_SIZE_IN, dpi=CHART_DPI)
    axes = figure.add_subplot()
    unpriced = []
    for model_id in models:
        est = pricing.estimate(model_id, quality, size, batch=batch)
        if est.from_per_image_table is None:
            unpriced.append(model_id)
            continue
        line, = axes.plot(ACCEPTANCE_AXIS, [est.from_per_image_table / a for a in ACCEPTANCE_AXIS],
                          label=f"{model_id} (per-image table)")
        if est.sources_disagree:
            axes.plot(ACCEPTANCE_AXIS, [est.from_token_table / a for a in ACCEPTANCE_AXIS], linestyle="--",
                      color=line.get_color(), label=f"{model_id} (token table x rate)")
    if model is not None and acceptance is not None:
        price = pricing.estimate(model, quality, size, batch=batch).from_per_image_table
        if price is not None:
            level = price / acceptance
            axes.axhline(level, color="grey", linewidth=0.8, linestyle=":")
            axes.plot([acceptance], [level], "ko")
            for model_id in models:
                other = pricing.estimate(model_id, quality, size, batch=batch).from_per_image_table
                if model_id == model or other is None:
                    continue
                needed = pricing.break_even_acceptance(other, versus_cost=price, versus_acceptance=acceptance)
                if needed is not None:
                    axes.plot([needed], [level], "o", markerfacecolor="none", color="black")
    axes.set_xlabel("acceptance rate (share of attempts you keep)")
    axes.set_ylabel("USD per accepted image")
    axes.set_xlim(ACCEPTANCE_AXIS[0], 1.0)
    axes.set_ylim(bottom=0)
    title = f"{quality}, {size}" + (", Batch" if batch else "") + f" (prices as of {registry.AS_OF})"
    if unpriced:
        title += f"\nno per-image table ({registry.NOT_FOUND}): {', '.join(unpriced)}"
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def price_chart(models: list[str], size: str = "1024x1024") -> bytes:
    """PNG bar chart of the per-image price by quality at ``size``, one group per model with a per-image
    table; models without one are listed in the title as "not found"."""
    from matplotlib.figure import Figure

    priced = [m for m in models if pricing.per_image_price(m, "medium", size) is not None]
    unpriced = [m for m in models if m not in priced]
    figure = Figure(figsize=CHART_SIZE_IN, dpi=CHART_DPI)
    axes = figure.add_subplot()
    width = 0.8 / len(pricing.TABLE_QUALITIES)
    for i, quality in enumerate(pricing.TABLE_QUALITIES):
        axes.bar([x + i * width for x in range(len(priced))],
                 [pricing.per_image_price(m, quality, size) for m in priced], width, label=quality)
    axes.set_xticks([x + width for x in range(len(priced))], priced, fontsize=7)
    axes.set_ylabel("USD per image (output only)")
    title = f"Per-image table, {size} (prices as of {registry.AS_OF})"
    if unpriced:
        title += f"\nno per-image table ({registry.NOT_FOUND}): {', '.join(unpriced)}"
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3, axis="y")
    axes.legend(fontsize=7)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def chart_for(settings: Settings) -> bytes:
    models = pricing.comparison_models(settings.model)
    return accepted_cost_chart(models, settings.quality, settings.size, model=settings.model,
                               acceptance=settings.acceptance, batch=settings.batch)


def model_choices(day: Optional[dt.date] = None) -> list[tuple[str, str]]:
    """(label, id) for every image model served on ``day`` (default the kit's day), labelled with its status."""
    day = day or registry.kit_day()
    choices = []
    for model_id in pricing.listed_models():
        found = registry.on(model_id, day)
        if found.served:
            life = found.record.lifecycle
            when = f" until {life.shutdown_date}" if life.shutdown_date else ""
            choices.append((f"{model_id} ({found.status}{when})", model_id))
    return choices


class Calculator:
    """The widget front end. Its plain-text form is a stable pointer to the static fallback."""

    PLAIN_TEXT = wrap("Cost calculator (needs a running Jupyter kernel with ipywidgets; the next cell prints the "
                      "same numbers for the default settings).")

    def __init__(self, settings: Optional[Settings] = None):
        import ipywidgets as widgets

        start = settings or default_settings()
        self.model = widgets.Dropdown(options=model_choices(), value=start.model, description="model")
        self.quality = widgets.Dropdown(options=pricing.TABLE_QUALITIES, value=start.quality, description="quality")
        self.size = widgets.Dropdown(options=pricing.TABLE_SIZES, value=start.size, description="size")
        self.images = widgets.BoundedIntText(value=start.images, min=1, max=MAX_IMAGES, description="images")
        self.retry = widgets.FloatSlider(value=start.retry_rate, min=0.0, max=MAX_RETRY_RATE, step=RETRY_STEP,
                                         description="retry rate", readout_format=".0%")
        self.batch = widgets.Checkbox(value=start.batch, description="Batch API")
        self.result = widgets.HTML()
        self.chart = widgets.Image(format="png")
        controls = widgets.VBox([self.model, self.quality, self.size, self.images, self.retry, self.batch])
        self.box = widgets.VBox([widgets.HBox([controls, self.result]), self.chart])
        for control in (self.model, self.quality, self.size, self.images, self.retry, self.batch):
            control.observe(self._refresh, names="value")
        self._refresh()

    def settings(self) -> Settings:
        return Settings(self.model.value, self.quality.value, self.size.value, int(self.images.value),
                        round(float(self.retry.value), 4), bool(self.batch.value))

    def _refresh(self, _change=None) -> None:
        try:
            settings = self.settings()
        except ValueError as error:
            self.result.value = f"<pre>{html.escape(str(error))}</pre>"
            return
        self.result.value = f"<pre>{html.escape(str(result_table(settings)))}</pre>"
        self.chart.value = chart_for(settings)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = self.PLAIN_TEXT
        return bundle
