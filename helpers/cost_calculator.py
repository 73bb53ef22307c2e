"""The cost lesson's calculator: pure arithmetic, a chart, and an ipywidgets front end.

``calculate`` and ``result_table`` are pure, so the static fallback (a printed table for the
default settings, readable on GitHub where widgets cannot run) and the widget show the same
numbers. Charts are built with Altair (imported only when a chart is drawn) and returned as
``helpers.display.Chart``: a Vega-Lite spec with its data inline plus a text table of the same
numbers, shown through ``helpers.display.show_chart``. Every value in a spec is rounded, so the
same settings give the same spec in any kernel (the saved outputs are compared).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Optional

from . import pricing, registry
from .display import Chart
from .wrapping import lines, wrap

RETRY_STEP = 0.05
MAX_RETRY_RATE = 0.9
MAX_IMAGES = 1_000_000
# Chart plot area in pixels; subtitle lines wrap at about the plot's width.
CHART_WIDTH, CHART_HEIGHT = 460, 240
SUBTITLE_WIDTH = 90
# Curves are sampled every 5 points and drawn smooth: a small spec, and the shape of 1/x is plain.
ACCEPTANCE_AXIS = tuple(a / 100 for a in range(25, 101, 5))
ACCEPTANCE_TICKS = tuple(a / 10 for a in range(3, 11))
TEXT_ACCEPTANCE = (0.25, 0.5, 0.75, 1.0)
USD_DIGITS = 6
TABLE_METHOD, TOKEN_METHOD = "per-image table", "token table x rate"


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


def _sources_line(what: str, tags: dict[str, str]) -> str:
    """``what: [OAI] for a, b; [3P] for c``: each source tag with the models it covers."""
    by_tag: dict[str, list[str]] = {}
    for model_id, tag in tags.items():
        by_tag.setdefault(tag, []).append(model_id)
    return f"{what}: " + "; ".join(f"{tag} for {', '.join(ids)}" for tag, ids in by_tag.items())


def _not_found_line(unpriced: list[str]) -> str:
    return f"no per-image table ({registry.NOT_FOUND}): {', '.join(unpriced)}"


def _title(text: str, notes: list[str]):
    import altair as alt

    return alt.Title(text, subtitle=[line for note in notes for line in lines(note, SUBTITLE_WIDTH)], anchor="start")


def _text(caption: str, table: pricing.Table) -> str:
    return wrap(caption, indent="") + "\n" + str(table)


def _table_tag(model_id: str, batch: bool) -> str:
    """Source tag of a model's per-image price: the table's, and with ``batch`` the Batch discount's too."""
    record = registry.get(model_id)
    tag = record.per_image_prices.source.tag
    if batch and record.batch_prices is not None and record.batch_prices.source.tag != tag:
        tag += f" x Batch {record.batch_prices.source.tag}"
    return tag


def accepted_cost_chart(models: list[str], quality: str, size: str, *, model: Optional[str] = None,
                        acceptance: Optional[float] = None, batch: bool = False) -> Chart:
    """Line chart of USD per accepted image (price per attempt / acceptance rate) against the acceptance
    rate, one curve per model with a per-image table, sampled at ``ACCEPTANCE_AXIS``.

    A model whose token table x rate disagrees with its table gets a second, dashed curve. With ``model``
    and ``acceptance`` (a share, 0 to 1), a dotted rule and a filled point mark that model's cost per
    accepted image; an open circle on the rule marks the acceptance rate each other model needs to break
    even. Models without a per-image table are listed as "not found"; the title gives the as-of date, the
    subtitle the source tag of every curve. The text lists per attempt and per accepted image at 25, 50,
    75 and 100%.
    """
    import altair as alt

    points, unpriced, table_tags, token_tags, rows, per_attempt = [], [], {}, {}, [], {}
    for model_id in models:
        est = pricing.estimate(model_id, quality, size, batch=batch)
        if est.from_per_image_table is None:
            unpriced.append(model_id)
            continue
        per_attempt[model_id] = est.from_per_image_table
        curves = [(TABLE_METHOD, est.from_per_image_table)]
        table_tags[model_id] = _table_tag(model_id, batch)
        if est.sources_disagree:
            curves.append((TOKEN_METHOD, est.from_token_table))
            token_tags[model_id] = pricing.token_rates(model_id, batch=batch).source.tag
        for method, price in curves:
            points += [{"model": model_id, "method": method, "acceptance": a, "usd": round(price / a, USD_DIGITS)}
                       for a in ACCEPTANCE_AXIS]
            tag = table_tags[model_id] if method == TABLE_METHOD else token_tags[model_id]
            rows.append((model_id, method, tag, pricing.usd(price))
                        + tuple(pricing.usd(price / a) for a in TEXT_ACCEPTANCE))
    title = (f"USD per accepted image, {quality}, {size}" + (", Batch" if batch else "")
             + f" (prices as of {registry.AS_OF})")
    notes = [_sources_line("per-image tables", table_tags)] if table_tags else []
    notes += [_sources_line("token table x rate", token_tags)] if token_tags else []
    notes += [_not_found_line(unpriced)] if unpriced else []
    marks, marked = [], []
    price = None if model is None or acceptance is None else pricing.estimate(
        model, quality, size, batch=batch).from_per_image_table
    if price is not None:
        level = price / acceptance
        marks.append({"model": model, "marker": f"{model} at {acceptance:.0%} (assumed)", "acceptance": acceptance,
                      "usd": round(level, USD_DIGITS)})
        marked.append(f"{model} at an assumed {acceptance:.0%} acceptance: {pricing.usd(level)} per accepted "
                      "image (filled point, dotted line)")
        for model_id, other in per_attempt.items():
            if model_id == model:
                continue
            needed = pricing.break_even_acceptance(other, versus_cost=price, versus_acceptance=acceptance)
            if needed is None:
                marked.append(f"{model_id} never breaks even (it would need more than 100%)")
                continue
            marks.append({"model": model_id, "marker": f"{model_id} breaks even", "acceptance": round(needed, 4),
                          "usd": round(level, USD_DIGITS)})
            marked.append(f"{model_id} breaks even above {needed:.0%} (open circle)")
    x = alt.X("acceptance:Q", title="acceptance rate (share of attempts you keep)",
              scale=alt.Scale(domain=[ACCEPTANCE_AXIS[0], 1.0]),
              axis=alt.Axis(format="%", values=list(ACCEPTANCE_TICKS)))
    y = alt.Y("usd:Q", title="USD per accepted image")
    tooltip = ["model:N", alt.Tooltip("acceptance:Q", format=".0%"), alt.Tooltip("usd:Q", format="$.4f")]
    layers = [alt.Chart(alt.Data(values=points)).mark_line(interpolate="monotone").encode(
        x=x, y=y, color=alt.Color("model:N", sort=list(table_tags), title="model"),
        strokeDash=alt.StrokeDash("method:N", sort=[TABLE_METHOD, TOKEN_METHOD], title="price from"),
        tooltip=["method:N", *tooltip])]
    if marks:
        layers.append(alt.Chart(alt.Data(values=marks[:1])).mark_rule(color="grey", strokeDash=[2, 2]).encode(y=y))
        layers.append(alt.Chart(alt.Data(values=marks[:1])).mark_point(filled=True, color="black", size=50)
                      .encode(x=x, y=y, tooltip=["marker:N", *tooltip]))
    if marks[1:]:
        layers.append(alt.Chart(alt.Data(values=marks[1:])).mark_point(filled=False, color="black", size=50)
                      .encode(x=x, y=y, tooltip=["marker:N", *tooltip]))
    chart = alt.layer(*layers, title=_title(title, notes)).properties(width=CHART_WIDTH, height=CHART_HEIGHT)
    table = pricing.Table(("model", "price from", "source", "per attempt",
                           *(f"kept {a:.0%}" for a in TEXT_ACCEPTANCE)), tuple(rows),
                          tuple(marked + ([_not_found_line(unpriced)] if unpriced else [])))
    return Chart(chart.to_dict(), _text(f"Line chart: {title}. Per accepted image = per attempt / acceptance rate.",
                                        table))


def price_chart(models: list[str], size: str = "1024x1024") -> Chart:
    """Bar chart of the per-image price (USD per image, output only) by quality at ``size``, one group per
    model with a per-image table; models without one are listed as "not found". The title gives the as-of
    date, the subtitle each table's source tag; the text lists the same prices."""
    import altair as alt

    priced = [m for m in models if pricing.per_image_price(m, "medium", size) is not None]
    unpriced = [m for m in models if m not in priced]
    tags = {m: registry.get(m).per_image_prices.source.tag for m in priced}
    bars = [{"model": m, "quality": q, "usd": price} for m in priced for q in pricing.TABLE_QUALITIES
            if (price := pricing.per_image_price(m, q, size)) is not None]
    title = f"Per-image table, {size} (prices as of {registry.AS_OF})"
    notes = ["USD per image, output only: input tokens are billed on top"]
    notes += [_sources_line("sources", tags)] if tags else []
    notes += [_not_found_line(unpriced)] if unpriced else []
    chart = alt.Chart(alt.Data(values=bars), title=_title(title, notes)).mark_bar().encode(
        x=alt.X("model:N", sort=priced, title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("quality:N", sort=list(pricing.TABLE_QUALITIES)),
        y=alt.Y("usd:Q", title="USD per image (output only)"),
        color=alt.Color("quality:N", sort=list(pricing.TABLE_QUALITIES), title="quality"),
        tooltip=["model:N", "quality:N", alt.Tooltip("usd:Q", format="$.4f")],
    ).properties(width=CHART_WIDTH, height=CHART_HEIGHT)
    rows = tuple((m, *(pricing.usd(pricing.per_image_price(m, q, size)) for q in pricing.TABLE_QUALITIES), tags[m])
                 for m in priced)
    table = pricing.Table(("model", *pricing.TABLE_QUALITIES, "source"), rows,
                          (_not_found_line(unpriced),) if unpriced else ())
    return Chart(chart.to_dict(), _text(f"Bar chart: {title}. USD per image, output only.", table))


def chart_for(settings: Settings) -> Chart:
    """The calculator's chart: ``accepted_cost_chart`` for the settings' comparison models, marking its model."""
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
        self.chart = widgets.Output()
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
        # Set as the widget's state, not printed inside it: no output reaches the cell itself.
        self.chart.outputs = (chart_for(settings).as_output(),)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = self.PLAIN_TEXT
        return bundle
