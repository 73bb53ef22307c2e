"""The workshop playground: ipywidgets controls over one injected client, with costs before and after.

The rules live in plain functions with unit tests: which models are offered and with which
options (``offered_models``, ``options_for``), what is wrong with a combination (``problems``),
the request it becomes (``request_params``), the edit mask (``make_mask``) and the cost preview
(``preview_text``). ``Playground`` only wires them to widgets and to the client it is given, so
the same object works from a button in JupyterLab and from plain code in a notebook cell.

Widget output never goes through ``widgets.Output``: images are ``widgets.Image`` values and text
is ``widgets.HTML``, so a saved notebook's outputs stay comparable, and the playground's own
plain-text form says how to use it where widgets cannot run.
"""

from __future__ import annotations

import datetime as dt

import html
import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Optional, Sequence

import ipywidgets as widgets
import openai
from PIL import Image

from . import budget, display, edits, files, pricing, registry
from .client import current_mode
from .transports.replay import NOT_RECORDED_HEADER
from .wrapping import wrap

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_inputs"
KINDS = ("generate", "edit")
MASK_SHAPES = ("none", "rectangle", "ellipse")
BACKGROUNDS = ("auto", "opaque", "transparent")
FIDELITY_CHOICES = ("omit", "low", "high")
COMPRESSION_CHOICES = (100, 90, 80, 70, 50)
GALLERY_MAX_SIDE = 1024
DEFAULT_PROMPT = "Draw a red kite over a green hill, flat illustration"
# The edit area of a mask: the middle of the picture, as fractions of width and height.
MASK_BOX = (0.25, 0.25, 0.75, 0.75)
# CSS classes that let a browser test find the parts of the rendered panel.
ROOT_CLASS, GALLERY_CLASS = "playground", "playground-gallery"
HISTORY_CLASS, STATUS_CLASS = "playground-history", "playground-status"
PLAIN_TEXT = wrap("Image playground (interactive widgets). Open this notebook in JupyterLab and run it to use the "
                  "controls; the cells below drive the same playground without widgets.")


@dataclass(frozen=True)
class Settings:
    """Everything the controls choose. ``compression`` None and ``input_fidelity`` "omit" leave them out."""

    model: str
    prompt: str = DEFAULT_PROMPT
    size: str = "1024x1024"
    quality: str = "medium"
    output_format: str = "jpeg"
    background: str = "auto"
    compression: Optional[int] = 80
    n: int = 1
    kind: str = "generate"
    sample: str = "room.png"
    mask: str = "none"
    input_fidelity: str = "omit"


@dataclass(frozen=True)
class Options:
    """The choices a model offers, from its registry capabilities."""

    sizes: tuple[str, ...]
    qualities: tuple[str, ...]
    output_formats: tuple[str, ...]
    backgrounds: tuple[str, ...]
    n_values: tuple[int, ...]


@dataclass(frozen=True)
class Run:
    """One request the playground sent, with its exact cost from ``usage``."""

    number: int
    settings: Settings
    images: tuple[str, ...]
    output_tokens: int
    cost: pricing.Cost
    estimate: pricing.Estimate

    @property
    def per_image(self) -> Optional[float]:
        total = self.cost.total
        return None if total is None else total / len(self.images)


# --- models and options ------------------------------------------------------------------

def _missing_options(record: registry.ModelRecord) -> list[str]:
    caps = record.capabilities
    if caps is None:
        return ["capabilities"]
    return [name for name, value in (("sizes", caps.sizes), ("qualities", caps.qualities),
                                     ("output formats", caps.output_formats)) if value is None]


def status_label(model_id: str, day: Optional[dt.date] = None) -> str:
    """A model as the picker shows it on ``day``, e.g. "gpt-image-1-mini (deprecated, shuts down 2026-12-01)"."""
    found = registry.on(model_id, day or registry.kit_day())
    life = found.record.lifecycle
    if found.status == registry.SHUT_DOWN:
        return f"{model_id} (shut down {registry.fmt(life.shutdown_date)})"
    if found.status == registry.DEPRECATED:
        return f"{model_id} (deprecated, shuts down {registry.fmt(life.shutdown_date)})"
    return f"{model_id} ({found.status})"


def offered_models(day: Optional[dt.date] = None) -> tuple[tuple[str, str], ...]:
    """(label, model id) for every image model served on ``day`` (default the kit's day) whose options are known."""
    day = day or registry.kit_day()
    return tuple((status_label(m.id, day), m.id) for m in registry.image_models()
                 if not m.snapshot_of and m.served_on(day) and not _missing_options(m))


def left_out_models(day: Optional[dt.date] = None) -> tuple[tuple[str, str], ...]:
    """(model id, why) for the image models the picker leaves out on ``day`` (dated snapshots aside)."""
    day = day or registry.kit_day()
    out = []
    for m in registry.image_models():
        if m.snapshot_of:
            continue
        if not m.served_on(day):
            out.append((m.id, f"shut down {registry.fmt(m.lifecycle.shutdown_date)}"))
        elif _missing_options(m):
            out.append((m.id, f"{', '.join(_missing_options(m))} {registry.NOT_FOUND} in the registry"))
    return tuple(out)


def default_model(day: Optional[dt.date] = None) -> str:
    """The lessons' model on ``day`` when the picker offers it, else the first model offered."""
    day = day or registry.kit_day()
    offered = [model_id for _, model_id in offered_models(day)]
    lesson = registry.lesson_image_model(day)
    return lesson if lesson in offered else offered[0]


def options_for(model_id: str) -> Options:
    record = registry.get(model_id)
    missing = _missing_options(record)
    if missing:
        raise ValueError(f"{model_id}: {', '.join(missing)} {registry.NOT_FOUND} in the registry")
    caps = record.capabilities
    transparent = caps.transparent_background in ("yes", "preview")
    low, high = caps.n_range
    return Options(sizes=caps.sizes, qualities=caps.qualities, output_formats=caps.output_formats,
                   backgrounds=BACKGROUNDS if transparent else BACKGROUNDS[:2], n_values=tuple(range(low, high + 1)))


def sample_names(samples_dir: Path = SAMPLES_DIR) -> tuple[str, ...]:
    return tuple(sorted(p.name for p in Path(samples_dir).glob("*.png")))


# --- validation ----------------------------------------------------------------------------

def _offer(what: str, value: Any, allowed: Sequence[Any], model: str) -> list[str]:
    if value in allowed:
        return []
    return [f"{model} does not offer {what} {value!r}; it offers {', '.join(map(str, allowed))}."]


def problems(s: Settings, samples_dir: Path = SAMPLES_DIR, day: Optional[dt.date] = None) -> tuple[str, ...]:
    """Why these settings cannot be sent on ``day`` (default the kit's day), in plain words; empty when they can."""
    if s.model not in registry.MODELS:
        return (f"{s.model!r} is not in the kit's model registry.",)
    record = registry.get(s.model)
    if not record.served_on(day or registry.kit_day()):
        return (f"{s.model} was shut down on {registry.fmt(record.lifecycle.shutdown_date)}; pick another model.",)
    missing = _missing_options(record)
    if missing:
        return (f"{s.model}: {', '.join(missing)} {registry.NOT_FOUND} in the registry, so the playground "
                "cannot offer it.",)
    caps, found = record.capabilities, []
    if s.kind not in KINDS:
        found.append(f"kind must be one of {', '.join(KINDS)}, not {s.kind!r}.")
    if not s.prompt.strip():
        found.append("Write a prompt first.")
    elif len(s.prompt) > caps.prompt_max_chars:
        found.append(f"The prompt is {len(s.prompt)} characters; the limit is {caps.prompt_max_chars}.")
    opts = options_for(s.model)
    found += _offer("size", s.size, opts.sizes, s.model)
    found += _offer("quality", s.quality, opts.qualities, s.model)
    found += _offer("output format", s.output_format, opts.output_formats, s.model)
    found += _offer("n", s.n, opts.n_values, s.model)
    if s.background not in BACKGROUNDS:
        found.append(f"background must be one of {', '.join(BACKGROUNDS)}, not {s.background!r}.")
    elif s.background == "transparent" and "transparent" not in opts.backgrounds:
        found.append(f"Transparent backgrounds for {s.model}: "
                     f"{registry.fmt(caps.transparent_background)} in the registry.")
    found += files.format_problems(s.model, output_format=s.output_format, background=s.background,
                                  output_compression=s.compression)
    if s.mask not in MASK_SHAPES:
        found.append(f"mask must be one of {', '.join(MASK_SHAPES)}, not {s.mask!r}.")
    if s.input_fidelity not in FIDELITY_CHOICES:
        found.append(f"input_fidelity must be one of {', '.join(FIDELITY_CHOICES)}, not {s.input_fidelity!r}.")
    if s.kind == "generate":
        if s.mask != "none":
            found.append("A mask belongs to an edit: switch to edit, or set the mask to none.")
        if s.input_fidelity != "omit":
            found.append("input_fidelity is an edit parameter; generate does not take it.")
    elif s.kind == "edit":
        found += _edit_problems(s, caps, samples_dir)
    return tuple(found)


def _edit_problems(s: Settings, caps: registry.Capabilities, samples_dir: Path) -> list[str]:
    found = []
    if s.sample not in sample_names(samples_dir):
        found.append(f"No sample input named {s.sample!r}; pick one of {', '.join(sample_names(samples_dir))}.")
    allowed = caps.input_fidelity
    if s.input_fidelity in ("low", "high"):
        if allowed == ():
            found.append(f"{s.model} takes no input_fidelity parameter: set it to omit.")
        elif allowed is None:
            found.append(f"input_fidelity values for {s.model} are {registry.NOT_FOUND} in the registry: "
                         "set it to omit.")
        elif s.input_fidelity not in allowed:
            found.append(f"{s.model} accepts input_fidelity {' or '.join(allowed)} only, not {s.input_fidelity}.")
    if s.mask in MASK_SHAPES[1:] and caps.masks is not True:
        found.append(f"Masks for {s.model}: {registry.fmt(caps.masks)} in the registry.")
    return found


def request_params(s: Settings, samples_dir: Path = SAMPLES_DIR) -> dict:
    """Keyword arguments for ``images.generate`` or ``images.edit`` (files aside). Refuses invalid settings."""
    found = problems(s, samples_dir)
    if found:
        raise ValueError("Not sent: " + " ".join(found))
    params: dict[str, Any] = {"model": s.model, "prompt": s.prompt, "size": s.size, "quality": s.quality,
                              "output_format": s.output_format, "n": s.n}
    if s.background != "auto":
        params["background"] = s.background
    if s.compression is not None:
        params["output_compression"] = s.compression
    if s.kind == "edit" and s.input_fidelity != "omit":
        params["input_fidelity"] = s.input_fidelity
    return params


def make_mask(size: tuple[int, int], shape: str) -> Optional[bytes]:
    """A PNG mask of ``size``: opaque everywhere but the shape, which is fully transparent (the edit area)."""
    if shape not in MASK_SHAPES:
        raise ValueError(f"mask shape must be one of {', '.join(MASK_SHAPES)}, not {shape!r}")
    if shape == "none":
        return None
    width, height = size
    box = (round(MASK_BOX[0] * width), round(MASK_BOX[1] * height),
           round(MASK_BOX[2] * width), round(MASK_BOX[3] * height))
    return (edits.rectangle_mask if shape == "rectangle" else edits.ellipse_mask)(size, box)


# --- costs ---------------------------------------------------------------------------------

def preview_text(s: Settings, samples_dir: Path = SAMPLES_DIR) -> str:
    """The expected output cost before sending, by both official methods, with sources and date.

    For settings that cannot be sent (``problems``), why not instead: no estimate for a request the
    playground would refuse, so an invalid quality or size never reads as a price that is not found.
    """
    found = problems(s, samples_dir)
    if found:
        return wrap("No estimate: " + " ".join(found), indent="    ")
    est = pricing.estimate(s.model, s.quality, s.size, images=s.n)
    record = registry.get(s.model)
    tokens = (f" ({est.output_tokens} output tokens)" if est.output_tokens is not None
              else f" (output-token table {registry.NOT_FOUND} for this model)")
    lines = [f"Expected output cost of {s.n} image(s), {s.model} {s.quality} {s.size} (prices as of {registry.AS_OF}):",
             f"  from the per-image table: {pricing.usd(est.from_per_image_table)}"]
    if record.per_image_prices:
        lines.append(f"      source: {record.per_image_prices.source.citation}")
    lines.append(f"  from the output-token table x image output rate: {pricing.usd(est.from_token_table)}{tokens}")
    if record.token_prices:
        lines.append(f"      rate source: {record.token_prices.source.citation}")
    if est.assumption:
        lines.append(f"  assumed: {est.assumption}")
    if est.sources_disagree:
        lines.append("  The two official sources disagree; the response's usage gives the exact cost.")
    lines.append("  Input tokens (the prompt, and the image of an edit) are extra.")
    # Continuation lines sit under the text of their line, past its own indent.
    return "\n".join(wrap(line, indent="    ") for line in lines)


# What each run asked for, then what it cost; the text form prints them as two tables joined by "#",
# so that each fits the kit's line width.
REQUEST_HEADER = ("#", "kind", "model", "quality", "size", "n")
COST_HEADER = ("#", "output tokens", "cost from usage", "per image", "estimate: per-image table",
               "estimate: tokens x rate")
HISTORY_HEADER = REQUEST_HEADER + COST_HEADER[1:]


def history_rows(history: Sequence[Run]) -> list[tuple[str, ...]]:
    """One row per run, in ``HISTORY_HEADER``'s columns (costs in USD, "not found" where a price is missing)."""
    return [(str(r.number), r.settings.kind, r.settings.model, r.settings.quality, r.settings.size,
             str(r.settings.n), str(r.output_tokens), pricing.usd(r.cost.total), pricing.usd(r.per_image),
             pricing.usd(r.estimate.from_per_image_table), pricing.usd(r.estimate.from_token_table))
            for r in history]


def total_line(history: Sequence[Run]) -> str:
    costs = [r.cost.total for r in history]
    images = sum(len(r.images) for r in history)
    if any(c is None for c in costs):
        return f"Total: {registry.NOT_FOUND} (a rate is {registry.NOT_FOUND} in the registry) for {images} image(s)"
    return f"Total: {pricing.usd(sum(costs))} for {images} image(s), token rates as of {registry.AS_OF}"


def history_table(history: Sequence[Run]) -> str:
    """The run history as fixed-width text: the requests, then their costs (rows joined by "#"), the total."""
    rows = history_rows(history)
    split = len(REQUEST_HEADER)
    requests = pricing.Table(REQUEST_HEADER, tuple(row[:split] for row in rows))
    costs = pricing.Table(COST_HEADER, tuple(row[:1] + row[split:] for row in rows))
    return "\n".join(["Requests:", str(requests), "Costs:", str(costs), total_line(history)])


def _html_table(history: Sequence[Run]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HISTORY_HEADER)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in history_rows(history))
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p><b>{html.escape(total_line(history))}</b></p>")


def mode_text(mode: str) -> str:
    if mode == "live":
        cap = budget.kernel_cap()
        return (f"Live: real API calls billed to your key, under this kernel's spending cap of "
                f"{pricing.usd(cap.limit_usd)} ({pricing.usd(cap.remaining_usd)} left).")
    if mode == "record":
        return "Record: answers are written to a new recording."
    if mode == "replay":
        return "Replay: recorded answers only; anything else fails."
    return ("Offline: answers replay this notebook's recording; anything new is drawn by the kit's simulator "
            "(images marked SIMULATED, not OpenAI). No key, no cost.")


def friendly_error(error: Exception) -> str:
    """What a learner should read when a request fails or is refused before sending."""
    if isinstance(error, budget.BudgetExceeded):
        return f"Spending cap: {error}"
    if isinstance(error, openai.APIStatusError):
        body = error.body if isinstance(error.body, dict) else {}
        message = body.get("message") or error.message
        return f"The API answered {error.status_code} ({type(error).__name__}): {message}"
    if isinstance(error, openai.APIConnectionError):
        return "Could not reach the API: check the network, or unset COOKBOOK_MODE to work offline."
    return f"{type(error).__name__}: {error}"


# --- the widget --------------------------------------------------------------------------

class Playground:
    """Controls, a live cost preview, a Generate button, a gallery and a history, over ``client``."""

    def __init__(self, client: openai.OpenAI, *, mode: Optional[str] = None, samples_dir: Path = SAMPLES_DIR):
        self.client = client
        self.mode = mode or current_mode()
        # Offline, replay and recording from the simulator: usage is the simulator's, so its costs are simulated.
        self.usage_label = "usage" if registry.uses_real_api(self.mode) else "simulated usage"
        self.samples_dir = Path(samples_dir)
        self.history: list[Run] = []
        self.status = "Ready."
        self._syncing = False
        self._build()
        self._refresh()

    # public API, the same for buttons and code

    @property
    def settings(self) -> Settings:
        return Settings(**{name: control.value for name, control in self._controls.items()})

    def set(self, **changes: Any) -> None:
        """Change controls by name (e.g. ``set(quality="low", n=2)``); values must be among the offered options."""
        self._with(changes)
        # The model decides the other controls' options, so it goes first.
        for name in sorted(changes, key=lambda n: n != "model"):
            control, value = self._controls[name], changes[name]
            offered = ([o[1] if isinstance(o, tuple) else o for o in control.options]
                       if hasattr(control, "options") else None)
            if offered is not None and value not in offered:
                raise ValueError(f"{name}={value!r} is not offered; choose from {', '.join(map(str, offered))}")
            control.value = value

    def problems(self, **changes: Any) -> tuple[str, ...]:
        """What is wrong with the current settings, or with them after ``changes`` (nothing is changed)."""
        return problems(self._with(changes), self.samples_dir)

    def preview(self, **changes: Any) -> str:
        return preview_text(self._with(changes), self.samples_dir)

    def generate(self) -> Optional[Run]:
        """Send the current settings once. Returns the run, or None with the reason in ``status``."""
        s = self.settings
        found = problems(s, self.samples_dir)
        if found:
            return self._fail("Not sent: " + " ".join(found))
        params = request_params(s, self.samples_dir)
        self._say(f"Sending {s.kind} request ...")
        try:
            if s.kind == "generate":
                raw = self.client.images.with_raw_response.generate(**params)
            else:
                raw = self.client.images.with_raw_response.edit(**params, **self._edit_files(s))
            response = raw.parse()
        except (budget.BudgetExceeded, openai.OpenAIError) as error:
            return self._fail(friendly_error(error))
        # Offline, a request the recording does not hold is drawn by the simulator: say so, as lessons do.
        not_recorded = raw.headers.get(NOT_RECORDED_HEADER)
        run = Run(len(self.history) + 1, s, tuple(d.b64_json for d in response.data), response.usage.output_tokens,
                  pricing.cost_of_usage(s.model, response.usage), pricing.estimate(s.model, s.quality, s.size,
                                                                                    images=s.n))
        self.history.append(run)
        self._gallery.value = display.thumbnail_jpeg(self._sheet(run), max_side=GALLERY_MAX_SIDE)
        self._gallery.layout.display = ""
        self._history.value = _html_table(self.history)
        self._say(f"Run {run.number}: {len(run.images)} image(s), {pricing.usd(run.cost.total)} from {self.usage_label}."
                  + (f" {not_recorded}" if not_recorded else ""))
        return run

    def show_gallery(self) -> None:
        """The last run's images as one contact sheet in the cell's output (no widgets needed)."""
        if not self.history:
            print("No images yet: call generate() first.")
            return
        run = self.history[-1]
        display.gallery(run.images, self._labels(run))

    def show_edit_inputs(self) -> None:
        """The chosen sample input and mask side by side (transparent mask areas show as a checkerboard)."""
        images, labels = self._edit_preview_images(self.settings)
        display.side_by_side(images, labels)

    def cost_table(self) -> str:
        """The history table; costs priced from simulated usage say so in a last line."""
        table = history_table(self.history)
        if self.usage_label != "usage":
            table += "\n" + wrap("Costs from simulated usage: the offline simulator's token counts, priced at the "
                                 "registry's rates.")
        return table

    @property
    def total_usd(self) -> Optional[float]:
        costs = [r.cost.total for r in self.history]
        return None if any(c is None for c in costs) else sum(costs)

    @property
    def widget(self) -> widgets.Widget:
        return self._root

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self._root._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = PLAIN_TEXT
        return bundle

    # widgets

    def _build(self) -> None:
        start = Settings(model=default_model())
        opts = options_for(start.model)
        samples = sample_names(self.samples_dir)
        wide = widgets.Layout(width="95%")

        def dropdown(name: str, options: Sequence[Any], description: str, **kw: Any) -> widgets.Dropdown:
            values = [o[1] if isinstance(o, tuple) else o for o in options]
            value = getattr(start, name)
            return widgets.Dropdown(options=options, value=value if value in values else values[0],
                                    description=description, **kw)

        self._controls: dict[str, widgets.ValueWidget] = {
            "model": dropdown("model", offered_models(), "model", layout=wide),
            "prompt": widgets.Textarea(value=start.prompt, description="prompt", layout=wide),
            "size": dropdown("size", opts.sizes, "size"),
            "quality": dropdown("quality", opts.qualities, "quality"),
            "output_format": dropdown("output_format", opts.output_formats, "format"),
            "background": dropdown("background", opts.backgrounds, "background"),
            "compression": dropdown("compression", [("omit", None)] + [(str(v), v) for v in COMPRESSION_CHOICES],
                                    "compression"),
            "n": dropdown("n", opts.n_values, "n"),
            "kind": widgets.ToggleButtons(options=KINDS, value=start.kind, description="request"),
            "sample": dropdown("sample", samples, "input"),
            "mask": widgets.ToggleButtons(options=MASK_SHAPES, value=start.mask, description="mask"),
            "input_fidelity": dropdown("input_fidelity", FIDELITY_CHOICES, "input_fidelity"),
        }
        for control in self._controls.values():
            control.style = {"description_width": "110px"}
            control.observe(self._refresh, names="value")
        self._header = widgets.HTML()
        # Images keep their own size (a flex column would stretch them) and stay hidden until they have one.
        self._edit_preview = widgets.Image(format="jpeg", layout=widgets.Layout(align_self="flex-start",
                                                                                display="none"))
        self._preview = widgets.HTML()
        self._problems = widgets.HTML()
        self._button = widgets.Button(description="Generate", button_style="primary", icon="image",
                                      layout=widgets.Layout(min_width="130px"))
        self._button.on_click(self._on_click)
        self._status = widgets.HTML()
        self._status.add_class(STATUS_CLASS)
        self._gallery = widgets.Image(format="jpeg", layout=widgets.Layout(align_self="flex-start", max_width="100%",
                                                                           display="none"))
        self._gallery.add_class(GALLERY_CLASS)
        self._history = widgets.HTML(_html_table([]))
        self._history.add_class(HISTORY_CLASS)
        c = self._controls
        edit_box = widgets.VBox([c["sample"], c["mask"], c["input_fidelity"], self._edit_preview])
        options_box = widgets.HBox([widgets.VBox([c["size"], c["quality"], c["n"]]),
                                    widgets.VBox([c["output_format"], c["background"], c["compression"]])])
        self._root = widgets.VBox([
            self._header, c["kind"], c["model"], c["prompt"], options_box, edit_box, self._preview,
            self._problems, widgets.HBox([self._button, self._status]), self._gallery, self._history])
        self._root.add_class(ROOT_CLASS)

    def _refresh(self, _change: Any = None) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self._sync_options()
        finally:
            self._syncing = False
        s = self.settings
        found = problems(s, self.samples_dir)
        self._update_header()
        self._preview.value = f"<pre>{html.escape(preview_text(s, self.samples_dir))}</pre>"
        self._problems.value = "".join(f"<div style='color:#b00020'>⚠ {html.escape(p)}</div>" for p in found)
        self._button.disabled = bool(found)
        editing = s.kind == "edit"
        for name in ("sample", "mask", "input_fidelity"):
            self._controls[name].disabled = not editing
        if editing and s.sample in sample_names(self.samples_dir):
            images, labels = self._edit_preview_images(s)
            self._edit_preview.value = display.thumbnail_jpeg(display.contact_sheet(images, labels, max_side=200))
            self._edit_preview.layout.display = ""
        else:
            self._edit_preview.layout.display = "none"

    def _sync_options(self) -> None:
        opts = options_for(self._controls["model"].value)
        for name, values in (("size", opts.sizes), ("quality", opts.qualities),
                             ("output_format", opts.output_formats), ("background", opts.backgrounds),
                             ("n", opts.n_values)):
            control = self._controls[name]
            if tuple(control.options) != tuple(values):
                keep = control.value
                control.options = values
                control.value = keep if keep in values else values[0]

    # helpers

    def _on_click(self, _button: widgets.Button) -> None:
        # A button callback's exceptions end up in a log console nobody reads: show them in the panel.
        self._button.disabled = True
        try:
            self.generate()
        except Exception as error:
            self._say(friendly_error(error))
        finally:
            self._button.disabled = bool(self.problems())

    def _say(self, message: str) -> None:
        self.status = message
        self._status.value = html.escape(message)
        # The live spending cap's remaining budget changes with every run.
        self._update_header()

    def _fail(self, message: str) -> Optional[Run]:
        self._say(message)
        return None

    def _update_header(self) -> None:
        left_out = "; ".join(f"{m}: {why}" for m, why in left_out_models())
        self._header.value = (f"<b>Image playground</b> · {html.escape(mode_text(self.mode))}"
                              f"<br><small>Not offered: {html.escape(left_out)}</small>")

    def _with(self, changes: dict) -> Settings:
        unknown = set(changes) - set(self._controls)
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(self._controls)}")
        return replace(self.settings, **changes)

    def _sample_bytes(self, name: str) -> bytes:
        return (self.samples_dir / name).read_bytes()

    def _edit_files(self, s: Settings) -> dict:
        data = self._sample_bytes(s.sample)
        files: dict[str, Any] = {"image": (s.sample, data, "image/png")}
        mask = make_mask(Image.open(io.BytesIO(data)).size, s.mask)
        if mask is not None:
            files["mask"] = ("mask.png", mask, "image/png")
        return files

    def _edit_preview_images(self, s: Settings) -> tuple[list[bytes], list[str]]:
        data = self._sample_bytes(s.sample)
        mask = make_mask(Image.open(io.BytesIO(data)).size, s.mask)
        if mask is None:
            return [data], [f"input: {s.sample}, no mask"]
        return [data, mask], [f"input: {s.sample}", f"mask: {s.mask}"]

    def _labels(self, run: Run) -> list[str]:
        return [f"#{run.number}.{i + 1} {run.settings.quality} {pricing.usd(run.per_image)}"
                for i in range(len(run.images))]

    def _sheet(self, run: Run) -> Image.Image:
        return display.contact_sheet(run.images, self._labels(run), columns=4)

