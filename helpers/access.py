"""Access checks in the documented troubleshooting order, before any image code is blamed.

    API key -> project and organization -> usage tier -> organization verification -> model lifecycle

Each check returns a ``Check`` (a status and what to do next) and never prints a key: keys show
as ``sk-...abcd``. Without the real API (offline, replay, or recording from the simulator) the
checks say what they would check and that no key is needed. The lifecycle check is the only one
that sends a request (``GET /v1/models/{model}``, free), so it is recorded like any other call.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import openai

from . import registry, triage
from .client import current_mode
from .wrapping import LINE_WIDTH

OK, TODO, WARN, INFO = "OK", "TODO", "WARN", "INFO"
STEPS = ("1. API key", "2. Project and organization", "3. Usage tier", "4. Organization verification",
         "5. Model lifecycle")
KEY_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-")
ID_PREFIXES = ("org-", "proj_")
MIN_KEY_CHARS = 20
SHUTDOWN_WARNING_DAYS = 90
KEYS_PAGE = "https://platform.openai.com/api-keys"
SRC_SDK_ENV = "[SDK] openai 3.57.0, openai/_client.py (reads OPENAI_API_KEY, OPENAI_ORG_ID, OPENAI_PROJECT_ID)"
SRC_MODELS_ENDPOINT = ('[OAI] deprecations page: GET /v1/models returns shutdown_date (YYYY-MM-DD, or null if '
                       'none is announced) <https://developers.openai.com/api/docs/deprecations>')


@dataclass(frozen=True)
class Check:
    step: str
    status: str  # OK, TODO, WARN or INFO
    summary: str
    next_step: str = ""
    source: str = ""

    def __str__(self) -> str:
        lines = [f"[{self.status}] {self.step}: {self.summary}"]
        if self.next_step:
            lines.append(f"       next: {self.next_step}")
        if self.source:
            lines.append(f"       source: {self.source}")
        # Wrapped at a readable width; continuation lines sit under the text of their line.
        return "\n".join(textwrap.fill(line, LINE_WIDTH, subsequent_indent=" " * 13, break_long_words=False,
                                        break_on_hyphens=False) for line in lines)


def mask_key(key: str) -> str:
    """``sk-...abcd``: the key's type prefix and its last four characters, never the middle."""
    key = key.strip()
    prefix = next((p for p in KEY_PREFIXES + ID_PREFIXES if key.startswith(p)), "")
    if len(key) < MIN_KEY_CHARS:
        return f"{prefix}... (too short to be a real key, {len(key)} characters)"
    return f"{prefix}...{key[-4:]}"


def uses_real_api(mode: Optional[str] = None, env: Mapping[str, str] = os.environ) -> bool:
    """True when requests go to OpenAI: live mode, or record mode recording from the API."""
    return registry.uses_real_api(mode or current_mode(), env)


def lifecycle_today(mode: Optional[str] = None, env: Mapping[str, str] = os.environ) -> dt.date:
    """"Today" for lifecycle arithmetic: ``registry.kit_day`` (today live, the as-of date offline)."""
    return registry.kit_day(mode or current_mode(), env)


def _offline(step: str, would: str) -> Check:
    return Check(step, INFO, f"offline: no key needed. {would}",
                 "Run with COOKBOOK_MODE=live and OPENAI_API_KEY set to check your own account.")


def check_api_key(*, mode: Optional[str] = None, env: Mapping[str, str] = os.environ) -> Check:
    step = STEPS[0]
    if not uses_real_api(mode, env):
        return _offline(step, "Live, this checks that OPENAI_API_KEY is set and shaped like a key (shown masked).")
    key = env.get("OPENAI_API_KEY")
    if not key:
        return Check(step, TODO, "OPENAI_API_KEY is not set in this kernel's environment.",
                     f"Create a key at {KEYS_PAGE} in the project you want billed, export it, restart Jupyter.",
                     SRC_SDK_ENV)
    if key != key.strip():
        return Check(step, TODO, f"the key {mask_key(key)} has spaces or a line break around it.",
                     "Copy it again without surrounding whitespace.", SRC_SDK_ENV)
    if not key.startswith("sk-") or len(key) < MIN_KEY_CHARS or re.search(r"\s", key):
        return Check(step, TODO, f"{mask_key(key)} does not look like an OpenAI key (sk-..., no spaces).",
                     f"Copy the whole key from {KEYS_PAGE}.", SRC_SDK_ENV)
    return Check(step, OK, f"OPENAI_API_KEY is set: {mask_key(key)}.",
                 "Its validity shows at step 5, the first request (a 401 there means this key is refused).",
                 SRC_SDK_ENV)


def check_project(*, mode: Optional[str] = None, env: Mapping[str, str] = os.environ) -> Check:
    step = STEPS[1]
    if not uses_real_api(mode, env):
        return _offline(step, "Live, this shows which project and organization the key will bill.")
    key = env.get("OPENAI_API_KEY") or ""
    org, project = env.get("OPENAI_ORG_ID"), env.get("OPENAI_PROJECT_ID")
    kind = "a project key (it belongs to exactly one project)" if key.startswith("sk-proj-") else "a key"
    chosen = ", ".join(f"{name} {mask_key(value)}" for name, value in
                       (("OPENAI_ORG_ID", org), ("OPENAI_PROJECT_ID", project)) if value)
    summary = f"{kind}; " + (f"requests name {chosen}." if chosen else
                             "no OPENAI_ORG_ID / OPENAI_PROJECT_ID: the key's own project and organization apply.")
    return Check(step, OK if key else TODO, summary,
                 f"At {KEYS_PAGE}, confirm the key ({mask_key(key) if key else 'not set'}) is listed under the "
                 "project and organization you expect; limits, billing and verification are theirs.", SRC_SDK_ENV)


def check_tier(model: str, tier: Optional[int]) -> Check:
    """Images and tokens per minute for ``tier`` from the registry (with its source and as-of date)."""
    step = STEPS[2]
    limits = registry.get(model).rate_limits
    if tier is None:
        return Check(step, TODO, "tier not given.",
                     f"Read your usage tier at {triage.LIMITS_PAGE} and set TIER.")
    if limits is None:
        return Check(step, WARN, f"rate limits for {model}: {registry.NOT_FOUND} in the registry.",
                     f"Read your organization's limits at {triage.LIMITS_PAGE}.")
    if tier not in limits.by_tier:
        return Check(step, TODO, f"Tier {tier}: {registry.NOT_FOUND} for {model} (known tiers: "
                     f"{', '.join(map(str, sorted(limits.by_tier)))}).",
                     f"No such tier is listed for this model (a Free row was not found); see {triage.LIMITS_PAGE}.", str(limits.source))
    ipm, tpm = limits.by_tier[tier]
    return Check(step, OK, f"Tier {tier} allows {ipm} images/min and {tpm:,} tokens/min for {model}.",
                 f"Re-running a cell in a loop can pass {ipm} images in a minute: a 429 then is the limit, "
                 "not a bug.", str(limits.source))


def check_verification(model: str, *, mode: Optional[str] = None, env: Mapping[str, str] = os.environ) -> Check:
    step = STEPS[3]
    if not uses_real_api(mode, env):
        return _offline(step, "No endpoint reports verification, so live this step explains it: the first "
                              "image request answers 403 'must be verified' if it is missing.")
    return Check(step, INFO, f"GPT Image models, {model} included, may need API Organization Verification.",
                 f"If a request fails with 'must be verified', verify at {triage.VERIFY_PAGE}; access can take "
                 "up to 15 minutes to propagate, and a new key often clears a stale state.",
                 str(registry.SRC_ORG_VERIFICATION))


def lifecycle_verdict(model: str, shutdown_date: Optional[str], today: dt.date) -> Check:
    """Compare the API's ``shutdown_date`` with ``today`` and with the registry (pure; no request)."""
    step = STEPS[4]
    record = registry.get(model)
    life = record.lifecycle
    successor = registry.on(model, today).successor
    move = (f"Move to {successor} (the kit's choice among {' or '.join(life.successors)}: "
            "registry.get(model).lifecycle.note says why)" if successor else
            "No successor is listed in the registry.")
    disagree = ""
    if shutdown_date != life.shutdown_date:
        disagree = (f" The registry (facts as of {registry.AS_OF}) says {registry.fmt(life.shutdown_date)}: trust the "
                    "API and update helpers/registry.py.")
    if shutdown_date is None:
        return Check(step, OK, f"{model}: no shutdown date announced (as of {today}).{disagree}",
                     "", SRC_MODELS_ENDPOINT)
    days = (dt.date.fromisoformat(shutdown_date) - today).days
    if days < 0:
        before = registry.days_phrase(-days)
        return Check(step, TODO, f"{model} shut down on {shutdown_date}, {before} before {today}.{disagree}",
                     f"Switch now: {move}.", f"{SRC_MODELS_ENDPOINT}; lifecycle source: {life.source}")
    status = WARN if days <= SHUTDOWN_WARNING_DAYS else OK
    return Check(step, status,
                 f"{model} shuts down on {shutdown_date}, {registry.days_phrase(days)} after {today}.{disagree}",
                 move + ".", f"{SRC_MODELS_ENDPOINT}; lifecycle source: {life.source}")


def check_lifecycle(client: openai.OpenAI, model: str, *, mode: Optional[str] = None,
                    env: Mapping[str, str] = os.environ, today: Optional[dt.date] = None) -> Check:
    """``client.models.retrieve(model)``, then ``lifecycle_verdict``; an API error becomes a diagnosis."""
    try:
        answer = client.models.retrieve(model)
    except openai.APIError as error:
        found = triage.diagnose(error)
        return Check(STEPS[4], TODO, f"GET /v1/models/{model} failed: {found.title} [{found.kind}].",
                     found.next_step, found.source)
    return lifecycle_verdict(model, answer.shutdown_date, today or lifecycle_today(mode, env))


def run_all(client: openai.OpenAI, model: str, tier: Optional[int], *, mode: Optional[str] = None,
            env: Mapping[str, str] = os.environ) -> list[Check]:
    """All five checks in order; print them with ``print(*checks, sep="\\n")``."""
    return [check_api_key(mode=mode, env=env), check_project(mode=mode, env=env), check_tier(model, tier),
            check_verification(model, mode=mode, env=env), check_lifecycle(client, model, mode=mode, env=env)]


# --- live mode that cannot work: one short message, the same in every later cell -------------------

LIVE_PROBE_TIMEOUT_S = 15.0
_LIVE_FAILURE: list[str] = []  # the message of this kernel's failed live check, once there is one


class LiveAccessUnavailable(Exception):
    """Live mode cannot work in this kernel (no key, a refused key, or no connection). Its text is the one
    short message a learner sees, in the cell that found it and in every later cell that fails."""


def live_failure() -> Optional[str]:
    """The message of this kernel's failed live check, or None if none failed (or none ran)."""
    return _LIVE_FAILURE[0] if _LIVE_FAILURE else None


def _live_message(reason: str) -> str:
    return (f"Live mode stopped: {reason} Fix it and restart the kernel, or unset COOKBOOK_MODE to work "
            "offline (no key, no cost).")


def _stop(reason: str) -> None:
    message = _live_message(reason)
    _LIVE_FAILURE[:] = [message]
    raise LiveAccessUnavailable(message)


def _short_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Optional[int] = None):
    """IPython's handler for the exceptions ``check_live_access`` registers: once a live check has failed (or
    for the failure itself), the cell ends with the one short message instead of a traceback; otherwise the
    usual traceback is shown."""
    message = live_failure()
    if isinstance(value, LiveAccessUnavailable) or message is not None:
        # An error output whose whole traceback is the message: the cell still fails (Run All stops here).
        text = textwrap.fill(message or str(value), LINE_WIDTH, break_on_hyphens=False, break_long_words=False)
        shell._showtraceback(LiveAccessUnavailable, LiveAccessUnavailable(text), text.splitlines())
    else:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    return None


def _install_short_errors() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: exceptions propagate as usual
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((LiveAccessUnavailable, NameError, openai.APIConnectionError,
                              openai.AuthenticationError), _short_error)


def check_live_access(model: Optional[str] = None, *, mode: Optional[str] = None,
                      env: Mapping[str, str] = os.environ, http_client: Any = None) -> None:
    """Stop a live lesson in its first cell, with one short message, when it cannot work: no
    ``OPENAI_API_KEY``, a key the API refuses (HTTP 401), or no connection to the API (network, proxy,
    ``OPENAI_BASE_URL``). Later cells that fail then (a ``NameError`` for a name the first cell never
    defined, a connection or key error) end with the same message, not a traceback.

    Only where requests go to OpenAI (live, or record from the API); offline and replay it does nothing and
    prints nothing. It sends one free request, ``GET /v1/models/{model}`` (default: the lessons' model),
    with no retries and a ``LIVE_PROBE_TIMEOUT_S`` (15 s) timeout; any other answer (403, 404, ...) is left
    to the access checks. ``http_client`` is for tests (an ``httpx2.Client``).

    Raises LiveAccessUnavailable, whose text is the message. Source of the 401 and connection classes:
    [SDK] openai 3.57.0, openai/_client.py and openai/_exceptions.py.
    """
    if not uses_real_api(mode, env):
        return
    _install_short_errors()
    key = (env.get("OPENAI_API_KEY") or "").strip()
    if not key:
        _stop("OPENAI_API_KEY is not set in the environment that started Jupyter.")
    options = {"http_client": http_client} if http_client is not None else {}
    try:
        probe = openai.OpenAI(api_key=key, base_url=env.get("OPENAI_BASE_URL") or None, max_retries=0,
                              timeout=LIVE_PROBE_TIMEOUT_S, **options)
        probe.models.retrieve(model or registry.lesson_image_model())
    except openai.AuthenticationError:
        _stop(f"the API refused the key {mask_key(key)} (HTTP 401).")
    except openai.APIConnectionError:  # includes timeouts
        _stop("the API could not be reached (network, proxy or OPENAI_BASE_URL).")
    except openai.APIStatusError:
        pass  # the key works; what the answer says is for the access checks
    _LIVE_FAILURE.clear()
