"""Check the registry against the live API with a key and a few cents: ``python -m helpers.maintainer.verify_facts``.

    OPENAI_API_KEY=... python -m helpers.maintainer.verify_facts                 # free checks only
    OPENAI_API_KEY=... python -m helpers.maintainer.verify_facts --all           # and every cheap probe
    OPENAI_API_KEY=... python -m helpers.maintainer.verify_facts --probe usage:gpt-image-2 --budget 0.05
    python -m helpers.maintainer.verify_facts --list                             # the probes and their cost; sends nothing
    python -m helpers.maintainer.verify_facts --fold fact-checks/facts-2026-12-03.json   # into helpers/observations.json

What it checks, on today's date (``registry.today()``, or ``COOKBOOK_TODAY``):

* free: ``GET /v1/models/{id}`` for every model in the registry: is it listed, and its ``shutdown_date``;
* ``usage:<model>`` probes: one ``quality="low"`` 1024x1024 generation per served image model the
  lessons use (the lesson model, its successors, gpt-image-2): its image output tokens against the
  registry's output-token table;
* ``rule:<model>:<field>`` probes: one request per capability the registry holds only from a third
  party (``Capabilities.source_of(field)`` cited ``[3P]``). A rule that forbids something is checked
  with a request the API refuses with a 400, which is not billed;
* ``retired:<model>`` probes: one generation per image model shut down by today, to record the exact
  error a retired model returns (refused, so not billed).

It runs in live mode (``helpers.client.make_client``) under a spending cap of its own (``--budget``,
default ``DEFAULT_BUDGET_USD``), prints every request with an upper bound of its cost before
sending anything, and asks before it starts unless ``--yes``. The bound is ``budget.expected_cost``
(what the cap checks) plus an allowance for the prompt's input tokens (what the cap also charges).
A request the registry cannot price is not sent unless ``--allow-unpriced``; its cost is then not
bounded. Against any endpoint other than OpenAI's (the simulator, for a rehearsal) the report says
SIMULATED, and ``--fold`` refuses it.

The report goes to ``--out`` (default ``fact-checks/``) as ``facts-<date>.md`` and ``.json``:
each fact with the registry's value, the observed one, agree / differ / new (the registry has
"not found") / error, and the request that showed it. Keys, organization and project ids are
scrubbed from both files. Exit status: 0 when nothing differs or failed ("new" facts fill gaps), 1 otherwise,
2 for bad input.

``--fold`` checks the whole report before writing anything: its shape, every folded value's type and
range (``registry.check_observations``: no zero or negative token counts, dates ISO and not after today,
counts plausible against the model's other facts), and scrubs secrets from the observation text
(``scrub_observation``). A report that fails any check is refused with exit status 2 and a message
naming the file and the field.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import math
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence
from urllib.parse import urlsplit

import openai

from .. import budget, pricing, registry
from ..client import make_client
from ..transports.precheck import SKIP_CHECKS_HEADER
from ..writes import atomic_write_text

DEFAULT_BUDGET_USD = 0.10
DEFAULT_OUT_DIR = Path("fact-checks")
OPENAI_HOST = "api.openai.com"
REPORT_KIND = "cookbook-fact-check"

PROBE_PROMPT = "A plain grey square"
PROBE_QUALITY, PROBE_SIZE = "low", "1024x1024"
# The spending cap's own input bound (budget.TEXT_TOKENS_BOUND_NOTE): UTF-8 bytes plus this overhead.
PROMPT_OVERHEAD_TOKENS = budget.REQUEST_OVERHEAD_TOKENS

AGREE, DIFFER, NEW, ERROR, NOT_SENT = "agree", "differ", "new", "error", "not sent"
FOLDABLE = (DIFFER, NEW)

# Why no Batch probe runs: nothing shows Batch support for free. A one-line batch is validated
# asynchronously; a line the API accepts may run before a cancel lands and is then billed at Batch
# rates, which the registry does not have for the models in question (so the cap cannot bound it).
BATCH_SKIPPED = ("not reliably free: a batch accepted before the cancel lands is billed at Batch rates the "
                 "registry cannot price; check Batch support by hand (see instructors/README.md)")

SECRET_ENV = ("OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_ORGANIZATION", "OPENAI_PROJECT_ID", "OPENAI_PROJECT")
SECRET_PATTERNS = (re.compile(r"\bsk-[A-Za-z0-9_\-]{4,}"), re.compile(r"\borg-[A-Za-z0-9]{4,}"),
                   re.compile(r"\bproj_[A-Za-z0-9]{4,}"))
# An Authorization header's credential, whatever its shape (a gateway's key need not look like sk-...).
BEARER_PATTERN = re.compile(r"(?i)\b(bearer)\s+[^\s\"'\\,;]{4,}")
# A JSON string escape (\n, \", \u002d, ...): a secret inside an escaped error body hides behind one.
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|([\"\\/bfnrt]))")
_ESCAPED = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
REDACTED = "[redacted]"


class PlanError(ValueError):
    """Bad input found before any request was sent (unknown probe, budget too small)."""


class FoldRefused(ValueError):
    """A report that must not go into the registry (unreadable, malformed, simulated, naming facts it does not
    hold, or holding a value the registry refuses); the message names the file and the field."""


# --- data ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    """One request as the report shows it: method, path under the API root, JSON body (no headers)."""

    method: str
    path: str
    body: Optional[Mapping[str, Any]] = None

    def line(self) -> str:
        body = f" {json.dumps(self.body, sort_keys=True)}" if self.body is not None else ""
        return f"{self.method} {self.path}{body}"

    def as_json(self) -> dict:
        return {"method": self.method, "path": self.path, "body": dict(self.body) if self.body is not None else None}


@dataclass(frozen=True)
class Probe:
    """One request and the registry fact it checks.

    ``kind`` is "model" (free GET), "usage" or "rule". ``bound_usd`` is the most the spending cap can
    record for it (USD); None when the registry cannot price it.
    """

    name: str
    kind: str
    model: str
    fact: str
    request: Request
    registry_value: Any
    source: str
    bound_usd: Optional[float]
    cost_note: str


@dataclass(frozen=True)
class Answer:
    """What came back: HTTP status and JSON body; ``status`` None when nothing was answered."""

    status: Optional[int]
    body: Any
    sent: bool = True


@dataclass(frozen=True)
class Fact:
    """One checked fact. ``verdict``: agree, differ, new (the registry has "not found"), error, not sent.

    ``fold`` is the observations-file entry the fact would become (without date), or None.
    """

    model: str
    fact: str
    registry: str
    source: str
    observed: str
    verdict: str
    request: Request
    status: Optional[int]
    note: str = ""
    fold: Optional[Mapping[str, Any]] = None

    @property
    def id(self) -> str:
        return f"{self.model}/{self.fact}"

    def as_json(self) -> dict:
        return {"id": self.id, "model": self.model, "fact": self.fact, "registry": self.registry,
                "registry_source": self.source, "observed": self.observed, "verdict": self.verdict,
                "request": self.request.as_json(), "status": self.status, "note": self.note,
                "fold": dict(self.fold) if self.fold is not None else None}


@dataclass(frozen=True)
class Plan:
    """What a run sends, in order (free checks first), and what it leaves out with the reason."""

    day: dt.date
    probes: tuple[Probe, ...]
    skipped: tuple[tuple[str, str], ...]

    @property
    def bound_usd(self) -> float:
        """Upper bound (USD) of what the spending cap records for the priced requests."""
        return sum(p.bound_usd for p in self.probes if p.bound_usd is not None)

    @property
    def unpriced(self) -> tuple[Probe, ...]:
        return tuple(p for p in self.probes if p.bound_usd is None)


@dataclass(frozen=True)
class Report:
    """One run: its day, where the answers came from, budget / printed bound / recorded spend (USD), the facts."""

    checked_on: dt.date
    base_url: str
    simulated: bool
    budget_usd: float
    bound_usd: float
    spent_usd: float
    facts: tuple[Fact, ...]
    not_run: tuple[tuple[str, str], ...]


# --- what to check -----------------------------------------------------------------------------

def model_probes() -> tuple[Probe, ...]:
    """A free ``GET /v1/models/{id}`` for every model in the registry, dated snapshots included."""
    return tuple(Probe(f"model:{m}", "model", m, "listed", Request("GET", f"/v1/models/{m}"),
                       None, str(registry.get(m).lifecycle.source), 0.0, "free") for m in registry.MODELS)


def usage_models(day: dt.date, env: Mapping[str, str] = os.environ) -> list[str]:
    """Served image models the lessons use on ``day``: the lesson model, its successors, and the model the
    Batch lesson falls back to (``pricing.batch_model``)."""
    lesson = registry.lesson_image_model(day, env)
    ids = [lesson, *registry.get(lesson).lifecycle.successors,
           *[m for lesson_model in (lesson, *registry.get(lesson).lifecycle.successors)
             if (m := pricing.batch_model(lesson_model, day)[0]) is not None]]
    return [m for m in dict.fromkeys(ids) if m in registry.MODELS and registry.on(m, day).served]


def _generation(model: str, **extra: str) -> Request:
    return Request("POST", "/v1/images/generations",
                   {"model": model, "prompt": PROBE_PROMPT, "quality": PROBE_QUALITY, "size": PROBE_SIZE, **extra})


def request_bound(request: Request) -> tuple[Optional[float], str]:
    """Upper bound (USD) of what the spending cap records for an image generation, and how it was priced.

    ``budget.expected_cost``: output from the registry's documented figures plus the prompt's input
    tokens (UTF-8 bytes + PROMPT_OVERHEAD_TOKENS). None when the registry lacks a price or a
    documented output count (a stated bound is not a fact to check against).
    """
    body = dict(request.body or {})
    expected = budget.expected_cost({"method": request.method, "path": request.path, "json": body})
    if expected.usd is None or expected.bounded or expected.unpriced:
        return None, f"the registry cannot price it ({expected.description})"
    return expected.usd, expected.description


def usage_probes(day: dt.date, env: Mapping[str, str] = os.environ) -> tuple[Probe, ...]:
    probes = []
    for model in usage_models(day, env):
        table = registry.get(model).output_tokens
        request = _generation(model)
        bound, note = request_bound(request)
        probes.append(Probe(f"usage:{model}", "usage", model, f"output_tokens[{PROBE_QUALITY},{PROBE_SIZE}]",
                            request, table.tokens.get((PROBE_QUALITY, PROBE_SIZE)) if table else None,
                            str(table.source) if table else registry.NOT_FOUND, bound, note))
    return tuple(probes)


def retired_probes(day: dt.date) -> tuple[Probe, ...]:
    """One generation per image model shut down by ``day``: the API should refuse it (not billed), and the
    refusal is the exact error a retired model returns, which the registry does not have."""
    probes = []
    for record in registry.image_models():
        if record.snapshot_of or record.served_on(day):
            continue
        request = _generation(record.id)
        bound, note = request_bound(request)
        probes.append(Probe(f"retired:{record.id}", "retired", record.id, "error_when_shut_down", request,
                            record.lifecycle.shutdown_date, str(record.lifecycle.source), bound,
                            f"{note}; expected: refused (not billed)"))
    return tuple(probes)


def _transparency_request(model: str, value: str) -> tuple[Request, str]:
    expect = "refused with a 400 (not billed)" if value == "no" else "accepted"
    return _generation(model, background="transparent", output_format="png"), expect


# Capability fields a request can check, and how to build it from the registry's value.
RULE_REQUESTS: Mapping[str, Callable[[str, Any], tuple[Request, str]]] = {
    "transparent_background": _transparency_request,
}


def rule_probes(day: dt.date) -> tuple[tuple[Probe, ...], tuple[tuple[str, str], ...]]:
    """One probe per capability a served image model holds only from a third party ([3P]), and the rest skipped."""
    probes, skipped = [], []
    for record in registry.served_image_models(day):
        caps = record.capabilities
        if caps is None:
            continue
        for name in sorted(registry.CAPABILITY_FIELDS):
            source = caps.source_of(name)
            value = getattr(caps, name)
            if value is None or not source.citation.startswith("[3P]"):
                continue
            probe_name = f"rule:{record.id}:{name}"
            if name == "batch":
                skipped.append((probe_name, BATCH_SKIPPED))
                continue
            if name not in RULE_REQUESTS:
                skipped.append((probe_name, f"no request in this command checks {name}"))
                continue
            request, expect = RULE_REQUESTS[name](record.id, value)
            bound, note = request_bound(request)
            probes.append(Probe(probe_name, "rule", record.id, f"capabilities.{name}", request, value, str(source),
                                bound, f"{note}; expected: {expect}"))
    return tuple(probes), tuple(skipped)


def available(day: dt.date, env: Mapping[str, str] = os.environ) -> tuple[tuple[Probe, ...], tuple[tuple[str, str], ...]]:
    """Every opt-in probe on ``day`` (usage, rules, retired models) and the [3P] rules no probe checks."""
    rules, skipped = rule_probes(day)
    return usage_probes(day, env) + rules + retired_probes(day), skipped


def make_plan(day: dt.date, names: Sequence[str], *, every: bool, allow_unpriced: bool, budget_usd: float,
              env: Mapping[str, str] = os.environ) -> Plan:
    """The free checks, then the selected probes. Raises PlanError for an unknown or skipped probe name,
    a budget that is not positive, or priced requests whose bound exceeds ``budget_usd``."""
    if not budget_usd > 0:
        raise PlanError(f"--budget must be a positive number of US dollars, got {budget_usd}")
    probes, skipped = available(day, env)
    by_name = {p.name: p for p in probes}
    reasons = dict(skipped)
    for name in names:
        if name in reasons:
            raise PlanError(f"probe {name!r} is not available: {reasons[name]}")
        if name not in by_name:
            raise PlanError(f"unknown probe {name!r}; available on {day}: {', '.join(by_name) or 'none'}")
    chosen = [p for p in probes if every or p.name in names]
    left_out = list(skipped)
    if not allow_unpriced:
        left_out += [(p.name, f"{p.cost_note}: the spending cap refuses what it cannot price; --allow-unpriced "
                              "sends it anyway, with no bound on its cost") for p in chosen if p.bound_usd is None]
        chosen = [p for p in chosen if p.bound_usd is not None]
    plan = Plan(day, model_probes() + tuple(chosen), tuple(left_out))
    if plan.bound_usd > budget_usd:
        raise PlanError(f"the selected probes may cost up to {pricing.usd_fine(plan.bound_usd)}, more than the "
                        f"budget of {pricing.usd_fine(budget_usd)}: raise --budget or select fewer probes")
    return plan


def describe_plan(plan: Plan, budget_usd: float) -> str:
    """What the run will send and its upper bound, printed before anything is sent."""
    free = [p for p in plan.probes if p.kind == "model"]
    paid = [p for p in plan.probes if p.kind != "model"]
    lines = [f"Fact check on {plan.day} against the registry as of {registry.AS_OF}.",
             f"Free: {len(free)} x GET /v1/models/{{id}} (every model in the registry).",
             "Probes:" if paid else "Probes: none selected (--probe NAME or --all; --list shows them)."]
    for p in paid:
        cost = "not bounded" if p.bound_usd is None else f"at most {pricing.usd_fine(p.bound_usd)}"
        lines.append(f"  {p.name}: {p.request.line()}\n      {cost}: {p.cost_note}")
    if plan.skipped:
        lines.append("Not run:")
        lines += [f"  {name}: {reason}" for name, reason in plan.skipped]
    tail = (f" plus {len(plan.unpriced)} request(s) the registry cannot price" if plan.unpriced else "")
    lines.append(f"Upper bound of what the spending cap will record: {pricing.usd_fine(plan.bound_usd)}{tail} "
                 f"(budget {pricing.usd_fine(budget_usd)}).")
    return "\n".join(lines)


# --- judging answers (pure) ---------------------------------------------------------------------

def _message(answer: Answer) -> str:
    """The error message of an answer (the SDK hands over ``body["error"]``)."""
    body = answer.body if isinstance(answer.body, dict) else {}
    return str(body.get("message") or answer.body)


def _error_fact(probe: Probe, registry_text: str, answer: Answer) -> Fact:
    verdict = ERROR if answer.sent else NOT_SENT
    observed = f"{answer.status}: {_message(answer)}" if answer.status else _message(answer)
    return Fact(probe.model, probe.fact, registry_text, probe.source, observed, verdict, probe.request, answer.status)


def _compare(expected: Any, observed: Any) -> str:
    if expected is None:
        return NEW
    return AGREE if expected == observed else DIFFER


def judge_model(probe: Probe, answer: Answer, day: dt.date) -> tuple[Fact, ...]:
    """Listed or not, and the ``shutdown_date`` against the registry's lifecycle on ``day``."""
    on_day = registry.on(probe.model, day)
    life = on_day.record.lifecycle
    expected_listed = "yes" if on_day.served else None
    listed_text = f"yes (served on {day})" if on_day.served else f"{registry.NOT_FOUND} (shut down by {day})"
    if answer.status not in (200, 404):
        return (_error_fact(probe, listed_text, answer),)
    listed = "yes" if answer.status == 200 else "no (404)"
    facts = [Fact(probe.model, "listed", listed_text, probe.source, listed,
                  _compare(expected_listed, "yes" if answer.status == 200 else "no"), probe.request, answer.status)]
    if answer.status == 200:
        observed = answer.body.get("shutdown_date")
        reported = life.reported
        note = f"registry on {day}: {on_day.status_line()}"
        if reported is not None:
            confirmed = "confirmed" if observed == reported.shutdown_date else "not confirmed"
            note += f"; the [3P] report of {reported.shutdown_date} is {confirmed} by this answer"
        verdict = AGREE if observed == life.shutdown_date else DIFFER
        fold = None if verdict == AGREE else {
            "model": probe.model, "fact": "lifecycle.shutdown_date", "value": observed,
            "observation": f"{probe.request.line()} returned shutdown_date={json.dumps(observed)}"}
        facts.append(Fact(probe.model, "lifecycle.shutdown_date", life.shutdown_date or "none announced",
                          str(life.source), observed or "none announced", verdict, probe.request, answer.status,
                          note, fold))
    return tuple(facts)


def judge_usage(probe: Probe, answer: Answer, day: dt.date) -> tuple[Fact, ...]:
    """Image output tokens of one low-quality generation against the registry's table."""
    expected = probe.registry_value
    registry_text = registry.fmt(expected)
    if answer.status != 200:
        return (_error_fact(probe, registry_text, answer),)
    usage = answer.body.get("usage")
    if usage is None:
        return (Fact(probe.model, probe.fact, registry_text, probe.source, "no usage in the answer", ERROR,
                     probe.request, answer.status),)
    tokens = pricing.usage_tokens(usage)
    asked = (PROBE_QUALITY, PROBE_SIZE)
    got = (answer.body.get("quality", PROBE_QUALITY), answer.body.get("size", PROBE_SIZE))
    note = f"input tokens {tokens.text_in + tokens.image_in}; cost from usage {pricing.usd_fine(pricing.cost_of_usage(probe.model, usage).total)}"
    if got != asked:
        return (Fact(probe.model, probe.fact, registry_text, probe.source,
                     f"{tokens.image_out} tokens, but for quality={got[0]} size={got[1]}", ERROR, probe.request,
                     answer.status, note),)
    verdict = _compare(expected, tokens.image_out)
    fold = None if verdict == AGREE else {
        "model": probe.model, "fact": "output_tokens", "quality": PROBE_QUALITY, "size": PROBE_SIZE,
        "value": tokens.image_out,
        "observation": f"{probe.request.line()} reported {tokens.image_out} image output tokens"}
    return (Fact(probe.model, probe.fact, registry_text, probe.source, str(tokens.image_out), verdict,
                 probe.request, answer.status, note, fold),)


def _refused_for(answer: Answer, field_name: str, words: str) -> bool:
    body = answer.body if isinstance(answer.body, dict) else {}
    return answer.status == 400 and (body.get("param") == field_name or words in _message(answer).lower())


def judge_rule(probe: Probe, answer: Answer, day: dt.date) -> tuple[Fact, ...]:
    """A [3P] rule: did the API accept or refuse the request that tests it?"""
    name = probe.fact.removeprefix("capabilities.")
    registry_text = f"{name} = {registry.fmt(probe.registry_value)}"
    if name == "transparent_background":
        if answer.status == 200:
            background = answer.body.get("background")
            observed = f"accepted: the image came back with background={background}"
            value = "yes" if background == "transparent" else "no"
        elif _refused_for(answer, "background", "transparent"):
            observed, value = f"refused (400): {_message(answer)}", "no"
        else:
            return (_error_fact(probe, registry_text, answer),)
        expected = "no" if probe.registry_value == "no" else "yes"
    else:
        raise ValueError(f"no judge for the rule {probe.fact!r}")
    verdict = AGREE if value == expected else DIFFER
    fold = None if verdict == AGREE else {
        "model": probe.model, "fact": probe.fact, "value": value,
        "observation": f"{probe.request.line()}: {observed}"}
    return (Fact(probe.model, probe.fact, registry_text, probe.source, observed, verdict, probe.request,
                 answer.status, "", fold),)


def judge_retired(probe: Probe, answer: Answer, day: dt.date) -> tuple[Fact, ...]:
    """A shut-down model: refused (the error body is new to the registry) or, against the registry, served."""
    registry_text = f"shut down on {probe.registry_value}: refused; exact error body {registry.NOT_FOUND}"
    if answer.status == 200:
        return (Fact(probe.model, probe.fact, registry_text, probe.source,
                     "accepted: the model still serves requests", DIFFER, probe.request, answer.status),)
    if answer.status is None or not 400 <= answer.status < 500:
        return (_error_fact(probe, registry_text, answer),)
    body = answer.body if isinstance(answer.body, dict) else {}
    observed = f"{answer.status} {body.get('type')} / {body.get('code')} (param {body.get('param')}): {_message(answer)}"
    return (Fact(probe.model, probe.fact, registry_text, probe.source, observed, NEW, probe.request, answer.status),)


JUDGES = {"model": judge_model, "usage": judge_usage, "rule": judge_rule, "retired": judge_retired}


# --- sending ---------------------------------------------------------------------------------------

def send(client: openai.OpenAI, request: Request) -> Answer:
    """Send one request through the client (its spending cap included) and read the answer as JSON."""
    path = request.path.removeprefix("/v1")
    try:
        if request.method == "GET":
            return Answer(200, client.get(path, cast_to=object))
        # A probe asks the API itself, so the registry's own checks before sending must not answer for it.
        return Answer(200, client.post(path, body=dict(request.body or {}), cast_to=object,
                                       options={"headers": {SKIP_CHECKS_HEADER: "1"}}))
    except openai.APIStatusError as exc:
        return Answer(exc.status_code, exc.body)
    except openai.APIConnectionError as exc:
        return Answer(None, {"message": f"no answer: {exc}"})
    except budget.BudgetExceeded as exc:
        return Answer(None, {"message": str(exc)}, sent=False)


def run(plan: Plan, client: openai.OpenAI) -> tuple[Fact, ...]:
    """Send every request of the plan in order and judge each answer."""
    facts: list[Fact] = []
    for probe in plan.probes:
        facts += JUDGES[probe.kind](probe, send(client, probe.request), plan.day)
    return tuple(facts)


# --- the report -------------------------------------------------------------------------------------

def is_simulated(base_url: str) -> bool:
    """Anything but OpenAI's own API host counts as simulated (the simulator server, a proxy, a mock)."""
    return urlsplit(base_url).hostname != OPENAI_HOST


def scrub(text: str, env: Mapping[str, str] = os.environ) -> str:
    """``text`` without the key, organization or project id in ``env``, nor anything shaped like one."""
    for name in SECRET_ENV:
        secret = env.get(name, "").strip()
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def unescape_json(text: str, rounds: int = 4) -> str:
    """``text`` with JSON string escapes (``\\n``, ``\\"``, ``\\u002d``...) decoded, up to ``rounds`` levels deep
    (an error body quoted inside another JSON text is escaped twice)."""
    def decode(match: re.Match) -> str:
        if match[1] is not None:
            return chr(int(match[1], 16))
        return _ESCAPED.get(match[2], match[2])
    for _ in range(rounds):
        decoded = _JSON_ESCAPE.sub(decode, text)
        if decoded == text:
            break
        text = decoded
    return text


def scrub_observation(text: str, env: Mapping[str, str] = os.environ) -> str:
    """An observation's text made safe to fold: JSON escapes decoded (so an escaped key is seen), then ``scrub``
    and any ``Bearer <credential>`` replaced by ``REDACTED``."""
    return BEARER_PATTERN.sub(lambda m: f"{m[1]} {REDACTED}", scrub(unescape_json(text), env))


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def simulated_banner(report: Report) -> str:
    return (f"> **SIMULATED.** The answers came from {report.base_url}, not from OpenAI's API (the kit's offline "
            "simulator, for a rehearsal). Nothing below is an observation of the real API, and "
            "`--fold` refuses this report.")


def render_markdown(report: Report) -> str:
    """The report for people: summary, the differences first, then every fact with its request."""
    counts = {v: sum(f.verdict == v for f in report.facts) for v in (AGREE, DIFFER, NEW, ERROR, NOT_SENT)}
    title = f"# Registry fact check, {report.checked_on}" + (" (SIMULATED)" if report.simulated else "")
    lines = [title, ""]
    if report.simulated:
        lines += [simulated_banner(report), ""]
    lines += [
        f"Checked on {report.checked_on} against `helpers/registry.py` as of {registry.AS_OF}, at {report.base_url}.",
        f"Budget {pricing.usd_fine(report.budget_usd)}; upper bound printed before the run "
        f"{pricing.usd_fine(report.bound_usd)}; the spending cap recorded {pricing.usd_fine(report.spent_usd)}.",
        "",
        f"{len(report.facts)} facts: {counts[AGREE]} agree, {counts[DIFFER]} differ, {counts[NEW]} new (the registry "
        f"has \"{registry.NOT_FOUND}\"), {counts[ERROR]} errors, {counts[NOT_SENT]} not sent.",
        "",
        "## Differences",
        "",
    ]
    differences = [f for f in report.facts if f.verdict == DIFFER]
    if differences:
        lines += ["| Fact | Registry | Observed | Request |", "|---|---|---|---|"]
        lines += [f"| `{f.id}` | {_cell(f.registry)} | {_cell(f.observed)} | `{_cell(f.request.line())}` |"
                  for f in differences]
    else:
        lines.append("None.")
    lines += ["", "## Every fact checked", "",
              "| Fact | Registry | Observed | Verdict | Request | Status | Note |", "|---|---|---|---|---|---|---|"]
    lines += [f"| `{f.id}` | {_cell(f.registry)} | {_cell(f.observed)} | {f.verdict} | `{_cell(f.request.line())}` "
              f"| {f.status if f.status is not None else '—'} | {_cell(f.note)} |" for f in report.facts]
    unsettled = [f for f in report.facts if f.verdict != AGREE and f.fact != "listed"]
    if unsettled:
        lines += ["", "## Where the registry's values come from (facts that do not agree)", ""]
        lines += [f"- `{f.id}`: {f.source}" for f in unsettled]
    if report.not_run:
        lines += ["", "## Not run", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in report.not_run]
    fold_hint = ("This report is simulated: nothing in it can be folded into the registry." if report.simulated else
                 "To add reviewed observations to the registry (tagged `[LIVE <date>]`): "
                 "`python -m helpers.maintainer.verify_facts --fold <this report>.json` (see instructors/README.md).")
    lines += ["", fold_hint, ""]
    return "\n".join(lines)


def report_json(report: Report) -> dict:
    """The report for the kit (and for ``--fold``)."""
    return {"kind": REPORT_KIND, "version": 1, "checked_on": report.checked_on.isoformat(),
            "registry_as_of": registry.AS_OF, "base_url": report.base_url, "simulated": report.simulated,
            "budget_usd": report.budget_usd, "bound_usd": report.bound_usd, "spent_usd": report.spent_usd,
            "facts": [f.as_json() for f in report.facts],
            "not_run": [{"probe": name, "reason": reason} for name, reason in report.not_run]}


def write_report(report: Report, out_dir: Path, env: Mapping[str, str] = os.environ) -> tuple[Path, Path]:
    """Write ``facts-<date>[-simulated].md`` and ``.json`` under ``out_dir``, scrubbed; returns both paths."""
    stem = f"facts-{report.checked_on}" + ("-simulated" if report.simulated else "")
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    atomic_write_text(md, scrub(render_markdown(report), env))
    atomic_write_text(js, scrub(json.dumps(report_json(report), indent=2, sort_keys=True), env) + "\n")
    return md, js


# --- folding a report into the registry ---------------------------------------------------------------

def _refuse(where: str, field_name: str, problem: str) -> FoldRefused:
    return FoldRefused(f"{where}, field {field_name!r}: {problem}")


def check_report(report: Any, path: Path | str, day: dt.date) -> None:
    """Raise FoldRefused, naming ``path`` and the field, unless ``report`` has the shape ``report_json`` writes:
    an object of kind REPORT_KIND, not simulated, ``checked_on`` an ISO date not after ``day``, and ``facts``
    a list of objects each with a string ``id`` and ``verdict`` and a ``fold`` that is an object or null."""
    if not isinstance(report, dict):
        raise FoldRefused(f"{path}: not a fact-check report (a JSON {type(report).__name__}, not an object)")
    if report.get("kind") != REPORT_KIND:
        raise FoldRefused(f"{path}: not a fact-check report written by python -m helpers.maintainer.verify_facts "
                          f"(field 'kind' is {report.get('kind')!r})")
    if report.get("simulated") is not False:
        raise FoldRefused(f"{path}: this report is simulated (its answers did not come from OpenAI's API) or does "
                          f"not say (field 'simulated' is {report.get('simulated')!r}); it cannot be folded into "
                          "the registry")
    checked_on = report.get("checked_on")
    try:
        checked = dt.date.fromisoformat(checked_on) if isinstance(checked_on, str) and len(checked_on) == 10 else None
    except ValueError:
        checked = None
    if checked is None:
        raise _refuse(str(path), "checked_on", f"{checked_on!r} is not a date like 2026-12-02")
    if checked > day:
        raise _refuse(str(path), "checked_on", f"{checked_on} is after today ({day}): a check cannot come from "
                                               "the future")
    facts = report.get("facts")
    if not isinstance(facts, list):
        raise _refuse(str(path), "facts", f"must be a list of facts, got {type(facts).__name__}")
    for index, fact in enumerate(facts):
        where = f"{path}, facts[{index}]"
        if not isinstance(fact, dict):
            raise FoldRefused(f"{where}: must be an object, got {type(fact).__name__}")
        for name in ("id", "verdict"):
            if not isinstance(fact.get(name), str):
                raise _refuse(where, name, f"must be a string, got {fact.get(name)!r}")
        if fact.get("fold") is not None and not isinstance(fact["fold"], dict):
            raise _refuse(where, "fold", f"must be an object or null, got {type(fact['fold']).__name__}")


def fold_entries(report: Mapping[str, Any], only: Sequence[str] = (), *, path: Path | str = "the report",
                 day: Optional[dt.date] = None, env: Mapping[str, str] = os.environ) -> list[dict]:
    """Observations-file entries for the report's differing or new facts (or only those named by id), each
    checked (``registry.check_observations``: types, ranges, plausibility, dates not after ``day``, default
    ``registry.today(env)``) and with its observation text scrubbed of secrets (``scrub_observation``).

    Raises FoldRefused, naming ``path`` and the field, for a report that is malformed (``check_report``),
    simulated or not a fact-check report, an id the report does not hold as a foldable fact, or a value the
    registry refuses. Nothing is written here.
    """
    day = day or registry.today(env)
    check_report(report, path, day)
    foldable = {f["id"]: f for f in report["facts"] if f["verdict"] in FOLDABLE and f.get("fold")}
    unknown = [i for i in only if i not in foldable]
    if unknown:
        raise FoldRefused(f"not a differing or new fact of this report: {', '.join(unknown)}; foldable: "
                          f"{', '.join(foldable) or 'none'}")
    entries = []
    for fact_id in (only or foldable):
        entry = {**foldable[fact_id]["fold"], "observed_on": report["checked_on"]}
        if isinstance(entry.get("observation"), str):
            entry["observation"] = scrub_observation(entry["observation"], env)
        label = f"{path}, fact {fact_id!r}"
        if entry.get("model") != fact_id.split("/", 1)[0]:
            raise _refuse(label, "fold.model", f"{entry.get('model')!r} is not the model the fact is about")
        try:
            registry.check_observations([entry], label, registry.BASE_MODELS, day)
        except registry.ObservationError as refused:
            raise FoldRefused(str(refused).replace(": observation 1", "", 1)) from None
        entries.append(entry)
    return entries


def read_report(path: Path) -> Any:
    """The parsed JSON of a report file; FoldRefused naming the file if it cannot be read, is empty or is not JSON."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FoldRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise FoldRefused(f"{path} is empty: not a fact-check report")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FoldRefused(f"{path} is not UTF-8 text: not a fact-check report") from None
    except json.JSONDecodeError as exc:
        raise FoldRefused(f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise FoldRefused(f"{path} nests too deeply to be a fact-check report") from None


def _entry_key(entry: Mapping[str, Any]) -> tuple:
    return entry["model"], entry["fact"], entry.get("quality"), entry.get("size")


def merge_observations(existing: list, new: list) -> list:
    """``existing`` with ``new`` laid over it: a newer observation of the same fact replaces the older one."""
    keys = {_entry_key(e) for e in new}
    return [e for e in existing if _entry_key(e) not in keys] + list(new)


def fold(report_path: Path, only: Sequence[str], observations: Path, *, day: Optional[dt.date] = None,
         env: Mapping[str, str] = os.environ) -> str:
    """Write the report's facts into ``observations`` and return the diff that was written ("" if none).

    Every entry is checked first (``fold_entries``) and the merged file is applied to the registry, so a
    malformed report or a file the registry cannot read is refused with FoldRefused (or the registry's
    ObservationError, a ValueError, for the existing file) and nothing is written.
    """
    report = read_report(report_path)
    entries = fold_entries(report, only, path=report_path, day=day, env=env)
    existing = registry.read_observations(observations)
    merged = merge_observations(existing, entries)
    registry.check_observations(merged, observations, registry.BASE_MODELS)
    registry.apply_observations(registry.MODELS, merged)
    old_text = observations.read_text(encoding="utf-8") if observations.exists() else "[]\n"
    new_text = json.dumps(merged, indent=2, sort_keys=True) + "\n"
    if new_text == old_text:
        return ""
    atomic_write_text(observations, new_text)
    return "".join(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True),
                                        f"a/{observations.name}", f"b/{observations.name}"))


# --- command line --------------------------------------------------------------------------------------

@contextmanager
def _command_cap(cap: budget.SpendingCap) -> Iterator[budget.SpendingCap]:
    """This command's budget is the process's spending cap while it runs; the previous cap comes back after."""
    previous = budget.KERNEL_CAP
    budget.KERNEL_CAP = cap
    try:
        yield cap
    finally:
        budget.KERNEL_CAP = previous


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers.maintainer.verify_facts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--probe", action="append", default=[], metavar="NAME",
                        help="run this probe (repeatable); --list shows the names")
    parser.add_argument("--all", action="store_true", help="run every probe")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_USD,
                        help=f"spending cap for this run in USD (default {DEFAULT_BUDGET_USD})")
    parser.add_argument("--allow-unpriced", action="store_true",
                        help="also send probes the registry cannot price (their cost is not bounded)")
    parser.add_argument("--yes", action="store_true", help="do not ask before sending")
    parser.add_argument("--list", action="store_true", help="print every probe and its cost, send nothing")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="folder for the report")
    parser.add_argument("--fold", type=Path, metavar="REPORT.json",
                        help="add the report's differing facts to the observations file, print the diff")
    parser.add_argument("--fact", action="append", default=[], metavar="ID",
                        help="with --fold: only this fact id (repeatable)")
    parser.add_argument("--observations", type=Path, default=registry.OBSERVATIONS_PATH, help=argparse.SUPPRESS)
    return parser


def main(argv: Optional[Sequence[str]] = None, *, ask: Callable[[str], str] = input,
         env: Mapping[str, str] = os.environ) -> int:
    args = _parser().parse_args(argv)
    if args.fold:
        try:
            diff = fold(args.fold, args.fact, args.observations, env=env)
        except (FoldRefused, ValueError, OSError) as exc:
            print(f"Not folded: {exc}", file=sys.stderr)
            return 2
        if not diff:
            print(f"Nothing to fold: {args.observations} already holds these observations.")
            return 0
        print(diff)
        print(f"Written to {args.observations}. Review the diff, run the suite, rebuild the lessons whose outputs "
              "change, and commit it with the report.")
        return 0
    try:
        day = registry.today(env)
        # --list shows every probe, priced or not, whatever the budget.
        plan = make_plan(day, args.probe, every=args.all or args.list, allow_unpriced=args.allow_unpriced or args.list,
                         budget_usd=math.inf if args.list else args.budget, env=env)
    except (PlanError, ValueError) as exc:
        print(f"Nothing sent: {exc}", file=sys.stderr)
        return 2
    print(describe_plan(plan, args.budget))
    if args.list:
        return 0
    cap = budget.SpendingCap(limit_usd=args.budget, allow_unpriced=args.allow_unpriced)
    with _command_cap(cap):
        try:
            client = make_client("verify_facts", mode="live", quiet=True, max_retries=0)
        except ValueError as exc:
            print(f"Nothing sent: {exc}", file=sys.stderr)
            return 2
        base_url = str(client.base_url).rstrip("/")
        if is_simulated(base_url):
            print(f"SIMULATED: {base_url} is not OpenAI's API; the report will say so.")
        if not args.yes:
            try:
                answer = ask("Send these requests? [y/N] ")
            except EOFError:  # no terminal (a script, CI): never a yes
                answer = ""
                print("\nNo answer (standard input is closed); pass --yes to send without asking.")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing sent.")
                return 0
        facts = run(plan, client)
    report = Report(day, base_url, is_simulated(base_url), args.budget, plan.bound_usd, cap.spent_usd, facts,
                    plan.skipped)
    md, js = write_report(report, args.out, env)
    differing = [f for f in facts if f.verdict in (DIFFER, ERROR, NOT_SENT)]
    print(scrub(f"{len(facts)} facts checked, {len(differing)} differing or failed; the spending cap recorded "
                f"{pricing.usd_fine(cap.spent_usd)}. Report: {md} and {js}", env))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
