"""Price a notebook's live run before running it, from the requests its recording holds.

A notebook's recording (``notebooks/recordings/<stem>.json``) lists every request the notebook
sends, in order. Pricing each one the way the spending cap does (``budget.expected_cost``) tells
you what "Run all" would cost in live mode, and which requests the cap cannot price (it refuses
those unless COOKBOOK_ALLOW_UNPRICED=1). Requests made under a failure scenario are simulated and
never sent live, so they cost nothing.

``live_cost_notice(lesson)`` is what a lesson calls at its top: in live mode (and record mode from
the API) it prints what a full run of that lesson costs and how that sits against this kernel's
spending cap; offline and in replay it prints nothing, because nothing is billed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional

from . import budget, lessons, pricing, registry, tracks, wrapping
from .client import current_mode


@dataclass(frozen=True)
class PlannedRequest:
    method: str
    path: str
    description: str
    usd: Optional[float]
    scenario: Optional[str] = None
    refused_status: Optional[int] = None  # the recorded answer was this 4xx: refused, so never billed

    @property
    def sent_live(self) -> bool:
        return self.scenario is None

    @property
    def billed(self) -> bool:
        """Sent live and answered, not refused: what the cost counts."""
        return self.sent_live and self.refused_status is None


@dataclass(frozen=True)
class Plan:
    notebook: str
    recording: str
    recording_found: bool
    requests: tuple[PlannedRequest, ...]

    @property
    def live(self) -> tuple[PlannedRequest, ...]:
        return tuple(r for r in self.requests if r.sent_live)

    @property
    def refused(self) -> tuple[PlannedRequest, ...]:
        """Requests whose recorded answer is a refusal (4xx): the API, or the kit before sending, bills nothing."""
        return tuple(r for r in self.live if not r.billed)

    @property
    def unpriced(self) -> tuple[PlannedRequest, ...]:
        return tuple(r for r in self.live if r.billed and r.usd is None)

    @property
    def priced_usd(self) -> float:
        """Worst-case cost of the requests the registry can price (input and output, as the spending cap counts);
        refused ones cost nothing."""
        return sum(r.usd for r in self.live if r.billed and r.usd is not None)

    @property
    def total_usd(self) -> Optional[float]:
        """Expected cost of the whole run, or None when some request cannot be priced."""
        return None if self.unpriced else self.priced_usd

    def table(self) -> pricing.Table:
        """One row per request: what it asks for (its description up to the bounds' details) and its expected USD.

        A request priced with a conservative bound (a count the registry does not document) is marked "*";
        its full reasoning stays in ``requests[i].description``.
        """
        rows, bounded = [], False
        for i, r in enumerate(self.requests, 1):
            what = r.description.partition(" (")[0]
            if "not documented" in r.description:
                what, bounded = what + " *", True
            expected = ("simulated, not sent live" if not r.sent_live else
                        f"refused (HTTP {r.refused_status}), not billed" if not r.billed else pricing.usd(r.usd))
            rows.append((str(i), r.method, r.path, what, expected))
        notes = ("priced with a conservative bound where the registry documents no count, as the spending cap "
                 "does; plan.requests[i].description gives the reasoning",) if bounded else ()
        return pricing.Table(("#", "method", "path", "what", "expected"), tuple(rows), notes)

    def summary(self, limit_usd: float = budget.DEFAULT_BUDGET_USD) -> str:
        """What a live run sends and costs (USD) against a ``limit_usd`` spending cap, wrapped at the kit's width."""
        if not self.recording_found:
            return wrapping.wrap(f"{self.notebook}: no recording ({self.recording}) yet, so there is nothing to "
                                 "plan from. Build it with: .venv/bin/python -m helpers.maintainer.rebuild notebooks/" + self.notebook)
        skipped = len(self.requests) - len(self.live)
        lines = [f"{self.notebook}: {len(self.live)} request(s) would be sent live"
                 + (f" ({skipped} simulated failure(s) are never sent)" if skipped else "") + "."
                 + (f" {len(self.refused)} of them are refused (the API or the kit's pre-send check answers 4xx) "
                    "and cost nothing." if self.refused else ""),
                 f"Expected cost of the priced requests: {pricing.usd(self.priced_usd)} "
                 "(worst case, input and output, as the spending cap counts)."]
        if self.unpriced:
            lines.append(f"{len(self.unpriced)} request(s) cannot be priced ({registry.NOT_FOUND} in the registry): "
                         "the total is unknown, and the spending cap refuses them unless "
                         "COOKBOOK_ALLOW_UNPRICED=1.")
        fits = self.priced_usd <= limit_usd
        lines.append(f"Against a {pricing.usd_total(limit_usd)} spending cap: "
                     + ("the priced part fits." if fits else "the priced part does NOT fit; raise "
                        "COOKBOOK_BUDGET_USD or run fewer cells."))
        return wrapping.wrap("\n".join(lines))


def with_models(request: dict, models: Mapping[str, str]) -> dict:
    """A recorded request with each model id in ``models`` replaced (its JSON or form ``model``, and the
    ``model`` of every tool): the same request as it is sent when the lessons' model has changed since
    the recording's day. Pure; ``request`` is not changed."""
    def swapped(fields: object) -> object:
        if not isinstance(fields, dict):
            return fields
        out = dict(fields)
        if isinstance(out.get("model"), str):
            out["model"] = models.get(out["model"], out["model"])
        if isinstance(out.get("tools"), list):
            out["tools"] = [swapped(tool) for tool in out["tools"]]
        return out

    return {key: swapped(value) if key in ("json", "form") else value for key, value in request.items()}


def plan_interactions(notebook: str, recording: str, interactions: Iterable[dict],
                      models: Optional[Mapping[str, str]] = None) -> Plan:
    """Price each recorded request (pure: no files, no network), with the model ids in ``models``
    replaced as ``with_models`` does."""
    planned = []
    for interaction in interactions:
        request = with_models(interaction["request"], models or {})
        scenario = request.get("scenario")
        expected = budget.expected_cost(request)
        status = (interaction.get("response") or {}).get("status")
        refused = status if isinstance(status, int) and 400 <= status < 500 else None
        planned.append(PlannedRequest(request["method"], request["path"], expected.description,
                                      None if scenario or not expected.fully_priced else expected.usd,
                                      scenario, refused))
    return Plan(notebook, recording, True, tuple(planned))


def recording_path(notebook_path: Path) -> Path:
    return notebook_path.parent / "recordings" / f"{notebook_path.stem}.json"


def plan_notebook(path: str | Path) -> Plan:
    """The expected live cost of running ``path`` (a notebook) top to bottom, from its recording."""
    notebook = Path(path)
    if notebook.suffix != ".ipynb":
        raise ValueError(f"expected a notebook (.ipynb), got {notebook.name!r}")
    if not notebook.is_file():
        raise FileNotFoundError(f"no notebook named {notebook.name!r} here")
    source = recording_path(notebook)
    if not source.is_file():
        return Plan(notebook.name, source.name, False, ())
    document = json.loads(source.read_text(encoding="utf-8"))
    return plan_interactions(notebook.name, source.name, document.get("interactions", []))


def plan_lesson(lesson: str, day: Optional[dt.date] = None) -> Plan:
    """The expected live cost of a full run of ``lesson`` (a name such as "01_generate") on ``day``, from its
    recording.

    The recording describes the registry's as-of date; on a later ``day`` (live: today) the lessons may
    send another model (``registry.lesson_image_model(day)``), and the plan prices that one. A copy of a
    lesson (in my_work/) makes its lesson's requests, so it is planned by the lesson's name. Raises
    ValueError for a name that is not one of the kit's lessons (helpers/lessons.py).
    """
    if lesson not in lessons.LESSONS:
        raise ValueError(f"{lesson!r} is not one of the kit's lessons: {', '.join(lessons.LESSONS)}.")
    source = tracks.current().recordings_dir / f"{lesson}.json"  # the recording of this kernel's track
    if not source.is_file():
        return Plan(f"{lesson}.ipynb", source.name, False, ())
    document = json.loads(source.read_text(encoding="utf-8"))
    recorded = registry.track_image_model(tracks.current().name, registry.as_of_day())
    sent = registry.lesson_image_model(day) if day is not None else recorded
    return plan_interactions(f"{lesson}.ipynb", source.name, document.get("interactions", []),
                             {recorded: sent} if sent != recorded else {})


def live_cost_text(lesson: str, mode: str, *, env: Mapping[str, str] = os.environ,
                   cap: Optional[budget.SpendingCap] = None) -> Optional[str]:
    """What a full run of ``lesson`` costs in ``mode``: None when nothing is billed (offline, replay,
    record from the simulator, per ``registry.uses_real_api``), else the plan's summary against the cap
    (USD; prices as of the registry)."""
    if not registry.uses_real_api(mode, env):
        return None
    cap = cap or budget.cap_from_environment()
    day = registry.kit_day(mode, env)
    model = registry.lesson_image_model(day, env)
    plan = plan_lesson(lesson, day)
    return wrapping.wrap(f"{mode.capitalize()} mode, real requests, billed. A full run of this lesson on {day} "
                         f"with {model}, planned from its recording with prices as of {registry.AS_OF}:") + "\n" + \
        plan.summary(cap.limit_usd)


def live_cost_notice(lesson: str) -> None:
    """Print, at the top of a lesson, what a full run costs when this kernel's requests are billed.

    ``lesson`` is the lesson's name, as given to make_client (e.g. "01_generate"). Prints nothing in
    offline and replay modes. Raises ``client.ModeError`` for an unknown COOKBOOK_MODE and ValueError
    for a COOKBOOK_BUDGET_USD that is not a number.
    """
    text = live_cost_text(lesson, current_mode())
    if text is not None:
        print(text)
