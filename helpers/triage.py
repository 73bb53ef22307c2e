"""Turn an exception from an image request into a diagnosis: what happened, what to do next, and why.

``diagnose(error)`` classifies; ``explain(error)`` also prints it. Classification reads what the
SDK exposes (``status_code``, ``code``, ``type``, ``param``, ``body``) and the message text,
because several publicly observed error bodies carry only a message. The model a request named
is read back from the request itself, so advice can quote the registry's values for that model.

Kinds (``Diagnosis.kind``): ``invalid_api_key``, ``missing_api_key``, ``org_not_verified``,
``project_model_access``, ``permission_denied``, ``rate_limit``, ``insufficient_quota``,
``project_spend_limit``, ``billing_not_active``, ``billing_hard_limit``, ``moderation_blocked``,
``input_fidelity_unsupported``, ``invalid_parameter``, ``wrong_responses_model``,
``model_shut_down``, ``model_not_found``, ``not_found``, ``server_error``, ``connection``,
``timeout``, ``recording_mismatch``, ``budget_exceeded`` and ``unrecognised``.

The HTTP status a diagnosis names is always the status the error came with (a message that
mentions a rate limit is not reported as a 429 unless it was one).
"""

from __future__ import annotations

import datetime as dt

import json
import re
import textwrap
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Optional

import openai

from . import api_errors, registry
from . import wire
from .budget import BudgetExceeded
from .client import ModeError
from .transports.recording import RecordingMismatch
from .transports.precheck import NOT_SENT_HEADER, SKIP_CHECKS_HEADER, RequestRefused
from .transports.timeouts import PossiblyBilledTimeout
from .wrapping import LINE_WIDTH

KINDS = (
    "invalid_api_key", "missing_api_key", "org_not_verified", "project_model_access", "permission_denied",
    "rate_limit", "insufficient_quota", "project_spend_limit", "billing_not_active", "billing_hard_limit",
    "moderation_blocked", "input_fidelity_unsupported",
    "invalid_parameter", "invalid_image_file", "batch_without_output_file", "wrong_responses_model", "model_shut_down", "model_not_found", "not_found", "server_error", "connection",
    "timeout", "recording_mismatch", "budget_exceeded", "unrecognised",
)

LIMITS_PAGE = "https://platform.openai.com/settings/organization/limits"
VERIFY_PAGE = "https://platform.openai.com/settings/organization/general"
BILLING_PAGE = "https://platform.openai.com/settings/organization/billing"

# Where each diagnosis comes from: publicly observed error bodies (as cited in the simulator),
# the SDK's own behaviour, or the kit's modules.
SRC_STATUS_MAP = "[SDK] openai 3.57.0, openai/_client.py (HTTP status -> exception class), openai/_exceptions.py"
SRC_RETRIES = "[SDK] openai 3.57.0, openai/_base_client.py (retries 408/409/429/5xx and connection errors)"
SRC_ORG = ("observed 403 body, https://github.com/openai-php/client/issues/565 (the 15-minute propagation is in "
           "the message); " + str(registry.SRC_ORG_VERIFICATION))
SRC_QUOTA = "observed 429 body, https://github.com/chatanywhere/GPT_API_free/issues/229"
SRC_BILLING = ("observed body, https://github.com/dfinke/PowerShellAI/issues/127; 400 status, "
               "https://github.com/all-in-aigc/aiwallpaper/issues/2")
SRC_RATE = "observed 429 message, https://github.com/receptron/mulmocast-cli/issues/477 (gpt-image-1, Tier 1)"
SRC_MODERATION = ("observed 400 body, https://github.com/ucx0204/CarrotMangaTranslator/issues/122; "
                  "moderation_details per [SDK] openai/types/responses/response_output_item.py; the older code "
                  "content_policy_violation for the same refusal, as listed in issue #11")
SRC_PROJECT_ACCESS = ("observed 403 body (type invalid_request_error, code model_not_found), "
                      "https://github.com/Aider-AI/aider/issues/604 (2024-05-16); also "
                      "https://github.com/cursor/cursor/issues/2953 (2025-03-31)")
SRC_PROJECT_SPEND = ("429 insufficient_quota with code project_spend_limit_exceeded, as listed in issue #11 "
                     "(no public body in the kit's reference)")
SRC_BILLING_NOT_ACTIVE = ("observed 429 body (type and code billing_not_active), "
                          "https://github.com/BerriAI/litellm/issues/2743 (2024-03-29)")
SRC_FIDELITY = ("observed 400 message, https://github.com/lobehub/lobehub/pull/9920; "
                "[SDK] openai/types/image_edit_params.py:71-77")
SRC_PARAMS = "[SDK] openai 3.57.0, openai/types/image_generate_params.py and image_edit_params.py"
# Both publicly observed shapes of a model that is not served, cited next to each other.
SRC_SHUT_DOWN = ("observed 400 invalid_value \"The model '<id>' does not exist.\" for dall-e-3 on the Images API "
                 "after its shutdown, https://github.com/jsboige/CoursIA/pull/3825 (June 2026); observed 404 "
                 "model_not_found \"The model `<id>` has been deprecated, learn more here: "
                 "https://platform.openai.com/docs/deprecations\" for a retired chat model, "
                 "https://github.com/mem0ai/mem0/issues/1441 "
                 "(2024-06-22); observed 400 from the Responses tool, type image_generation_user_error, code "
                 "invalid_value, param tools, \"The model '<id>' does not exist.\", "
                 "https://github.com/openai/codex/issues/25965 (2026-06-02); lifecycle from the kit's registry")
SRC_TIMEOUTS = ("the kit: helpers/transports/timeouts.py (a timed-out image request is not retried, "
                "it may have been billed)")
SRC_KEY = "[SDK] openai 3.57.0, openai/_client.py (401 -> AuthenticationError)"
SRC_RECORDING = "the kit: helpers/transports/recording.py (replay mode is strict; offline mode falls back to the simulator)"
SRC_BUDGET = "the kit: helpers/budget.py (COOKBOOK_BUDGET_USD, checked before anything is sent)"


@dataclass(frozen=True)
class Diagnosis:
    kind: str
    title: str
    what_happened: str
    next_step: str
    source: str


# --- reading an error ------------------------------------------------------------------------

def _body(error: BaseException) -> dict:
    body = getattr(error, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    return body if isinstance(body, dict) else {}


def api_message(error: BaseException) -> str:
    """The API's own message (``e.body["message"]``); the SDK's ``e.message`` adds "Error code: ..."."""
    message = _body(error).get("message")
    if isinstance(message, str) and message:
        return message
    return str(getattr(error, "message", None) or error)


def _field(error: BaseException, name: str) -> Optional[str]:
    value = getattr(error, name, None)
    if value is None:
        value = _body(error).get(name)
    return str(value) if value not in (None, "") else None


def request_model(error: BaseException) -> Optional[str]:
    """The model the failed request named: its JSON or form body, the models path, else the message."""
    request = getattr(error, "request", None)
    model = None
    if request is not None:
        model = _model_in_request(request)
    if model is None:
        model = _model_in_text(api_message(error))
    return model


def _model_in_text(text: str) -> Optional[str]:
    """The first registry model id the text names as a whole word (the longest one at that place)."""
    found = []
    for model_id in registry.MODELS:
        match = re.search(rf"(?<![\w.-]){re.escape(model_id)}(?![\w-]|\.\w)", text)
        if match:
            found.append((match.start(), -len(model_id), model_id))
    return min(found)[2] if found else None


def _request_fields(request: Any) -> dict:
    try:
        content = request.content
        fields = json.loads(content or b"{}") if not request.headers.get("content-type", "").startswith(
            "multipart/form-data") else {}
    except Exception:  # a streamed body never read, or not JSON
        return {}
    return fields if isinstance(fields, dict) else {}


def _top_level_model(error: BaseException) -> Optional[str]:
    """The top-level ``model`` of a Responses request that carried an image_generation tool, else None."""
    request = getattr(error, "request", None)
    fields = _request_fields(request) if request is not None else {}
    tools = [t for t in fields.get("tools") or () if isinstance(t, dict) and t.get("type") == "image_generation"]
    model = fields.get("model")
    return model if tools and isinstance(model, str) else None


def _model_in_request(request: Any) -> Optional[str]:
    path = request.url.path
    if path.startswith("/v1/models/"):
        return path[len("/v1/models/"):] or None
    try:
        content = request.content
    except Exception:  # a streamed request body that was never read
        return None
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            fields = wire.form_fields(wire.parse_multipart(content_type, content))
        else:
            fields = json.loads(content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(fields, dict):
        return None
    tools = [t for t in fields.get("tools") or () if isinstance(t, dict) and t.get("type") == "image_generation"]
    if tools:
        return tools[0].get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL
    model = fields.get("model")
    return model if isinstance(model, str) else None


def retry_after_seconds(error: BaseException) -> Optional[float]:
    """Seconds the server asked to wait: ``retry-after-ms``, ``retry-after``, else the message."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            if value is not None:
                return float(value) / scale
        except ValueError:
            pass
    match = re.search(r"try again (?:after|in) ([\d.]+) ?s", api_message(error))
    return float(match[1]) if match else None


# --- advice built from the registry ----------------------------------------------------------

def _known(model: Optional[str]) -> Optional[registry.ModelRecord]:
    return registry.MODELS.get(model) if model else None


def tier_limits_text(model: Optional[str]) -> str:
    """"Tier 1: 5 images/min, ..." for a model, with source and as-of date, or why it is missing."""
    record = _known(model)
    if record is None or record.rate_limits is None:
        return f"Images-per-minute limits for {model or 'this model'}: {registry.NOT_FOUND} in the registry."
    limits = record.rate_limits
    tiers = ", ".join(f"Tier {t}: {ipm} images/min" for t, (ipm, _tpm) in sorted(limits.by_tier.items()))
    return f"{model} limits: {tiers} (source: {limits.source})."


def _allowed_values(model: Optional[str], param: Optional[str]) -> Optional[str]:
    record = _known(model)
    caps = record.capabilities if record else None
    if caps is None or param is None:
        return None
    if param in ("size", "quality", "output_format", "input_fidelity"):
        field = registry.PARAM_FIELDS.get(param, param)
        return f"{model} accepts {param}: {registry.fmt(getattr(caps, field))} (source: {caps.source_of(field)})."
    if param == "background":
        return (f"{model} transparent background: {registry.fmt(caps.transparent_background)} "
                f"(source: {caps.source_of('transparent_background')}); a transparent background needs "
                f"output_format png or webp (source: {SRC_PARAMS}).")
    if param == "n":
        return f"{model} accepts n from {caps.n_range[0]} to {caps.n_range[1]} (source: {caps.source_of('n_range')})."
    if param == "partial_images":
        low, high = caps.partial_images_range
        return f"{model} accepts partial_images from {low} to {high}, with stream=True (source: {SRC_PARAMS})."
    if param == "output_compression":
        return f"output_compression is 0-100 and applies to jpeg and webp only (source: {SRC_PARAMS})."
    return None


def _successor_text(model: str, day: Optional[dt.date] = None) -> str:
    found = registry.on(model, day or registry.kit_day())
    life = found.record.lifecycle
    when = f"shut down on {life.shutdown_date}" if found.status == registry.SHUT_DOWN else found.status
    successors = " or ".join(life.successors) or f"{registry.NOT_FOUND} in the registry"
    return (f"The registry lists {model} as {when}; successor: {successors}. "
            f"{life.note} (source: {life.source})").replace("  ", " ")


# --- classification ---------------------------------------------------------------------------

# The kit's own errors, whose text the rules may read (as they read the SDK's client-side errors).
KIT_ERRORS = (RecordingMismatch, BudgetExceeded, registry.ModelShutDown, RequestRefused, ModeError)


@dataclass(frozen=True)
class Seen:
    """What the rules read from an error, taken once: the API's own fields, and the request's model.

    ``message`` is the API's error message for an API error; for the kit's own errors and the SDK's
    client-side ones, their text; for any other exception it is empty, so no rule reads arbitrary
    exception text as if the API had said it.
    """

    error: BaseException
    message: str
    status: Optional[int]
    code: Optional[str]
    kind_type: Optional[str]
    param: Optional[str]

    @property
    def lowered(self) -> str:
        return self.message.lower()

    @cached_property
    def model(self) -> Optional[str]:
        return request_model(self.error)

    @property
    def shown_model(self) -> str:
        return self.model or "the model"

    @cached_property
    def project(self) -> Optional[re.Match]:
        return re.search(r"project `?([\w-]+|\[redacted\])`? does not have access to model `?([\w.:-]+)`?", self.message, re.I)

    @cached_property
    def top(self) -> Optional[str]:
        return _top_level_model(self.error)

    @property
    def top_record(self) -> Optional[registry.ModelRecord]:
        return _known(self.top)


def seen(error: BaseException) -> Seen:
    """Read ``error`` once for the rules (see ``Seen``)."""
    if isinstance(error, openai.APIError):
        message = api_message(error)
    elif isinstance(error, KIT_ERRORS + (openai.OpenAIError,)):
        message = str(error)
    else:
        message = ""
    status = getattr(error, "status_code", None)
    return Seen(error, message, status if isinstance(status, int) else None, _field(error, "code"),
                _field(error, "type"), _field(error, "param"))


@dataclass(frozen=True)
class Rule:
    """One triage entry: when ``matches`` holds, ``diagnosis`` says what happened and the next step."""

    name: str
    matches: Callable[[Seen], Any]
    diagnosis: Callable[[Seen], Diagnosis]


INVALID_CODES = frozenset({"invalid_value", "unknown_parameter", "unsupported_parameter", "invalid_size",
                           "invalid_type", "missing_required_parameter", "string_above_max_length"})


def _recording_mismatch(s: Seen) -> Diagnosis:
    return Diagnosis(
        "recording_mismatch", "The request is not in this notebook's recording (replay is strict)",
        "In replay mode every request must equal a recorded one; this one differs (the message shows the diff).",
        "Undo the change, or run with COOKBOOK_MODE=offline (the simulator answers new requests, labelled), "
        "or rebuild the recording: .venv/bin/python -m helpers.maintainer.rebuild notebooks/<lesson>.ipynb.", SRC_RECORDING)


def _budget_exceeded(s: Seen) -> Diagnosis:
    return Diagnosis(
        "budget_exceeded", "Not sent: the kit's spending cap would be exceeded",
        "The request was priced from the registry before sending and refused; nothing reached the API.",
        "Raise COOKBOOK_BUDGET_USD and restart the kernel, or lower quality, size or n.", SRC_BUDGET)


def _model_shut_down(s: Seen) -> Diagnosis:
    found = s.error.model
    return Diagnosis(
        "model_shut_down", f"{found.id} is shut down (refused before sending)",
        f"The registry says {found.id} stopped accepting requests on {found.record.lifecycle.shutdown_date}; "
        "the kit stopped the request, so nothing reached the API.",
        _successor_text(found.id, found.day) + " Change the model in one place (COOKBOOK_IMAGE_MODEL, or unset "
        "it to follow the registry).", str(found.record.lifecycle.source))


def _refused_before_sending(s: Seen) -> Diagnosis:
    return Diagnosis(
        "refused_before_sending", "Not sent: the registry knows the API refuses this request",
        f"{api_message(s.error)} Nothing reached the API.",
        "Change the parameter the message names; if the registry is out of date, send that one call with "
        f"extra_headers={{'{SKIP_CHECKS_HEADER}': '1'}}.", SRC_PARAMS)


def _missing_api_key(s: Seen) -> Diagnosis:
    return Diagnosis(
        "missing_api_key", "No API key is set",
        "A live request needs OPENAI_API_KEY in the environment that started Jupyter.",
        "Set OPENAI_API_KEY (a key from the project you mean to bill) and restart the kernel, or stay offline.",
        SRC_KEY)


def _timeout(s: Seen) -> Diagnosis:
    billed = isinstance(s.error, PossiblyBilledTimeout)
    return Diagnosis(
        "timeout", "The request timed out",
        ("No answer arrived in time. The kit did not retry it: the API may have made, and billed, the "
         "image." if billed else "No answer arrived in time; the SDK already retried (max_retries) before raising this."),
        ("Check the usage page before sending it again; give the client a longer timeout "
         "(make_client(..., timeout=...)) for high quality or large sizes." if billed else
         "Retry later, or raise the client's timeout; high quality and large sizes take longer."),
        SRC_TIMEOUTS if billed else SRC_RETRIES)


def _connection(s: Seen) -> Diagnosis:
    return Diagnosis(
        "connection", "No connection to the API",
        "The request never got an HTTP answer (network, proxy, DNS or TLS); the SDK retried first.",
        "Check the network and any proxy or base_url settings; nothing was billed.", SRC_RETRIES)


def _project_spend_limit(s: Seen) -> Diagnosis:
    return Diagnosis(
        "project_spend_limit", "The project's own spend limit is reached",
        f"HTTP {s.status or 429} insufficient_quota with code project_spend_limit_exceeded: this project spent "
        "up to the budget set for it; the organization may still have credit.",
        "Do not retry: raise the project's budget under the project's limits (Settings > Project > Limits), "
        f"or use a key from another project. Organization limits: {LIMITS_PAGE}.", SRC_PROJECT_SPEND)


def _billing_not_active(s: Seen) -> Diagnosis:
    return Diagnosis(
        "billing_not_active", "Billing is not active for this account",
        f"HTTP {s.status or 429} billing_not_active: a billing problem, not a rate limit; retrying cannot help "
        "(the kit's bulk runs stop on it).",
        f"Check the payment method and any unpaid invoice at {BILLING_PAGE}, then try again.",
        SRC_BILLING_NOT_ACTIVE)


def _insufficient_quota(s: Seen) -> Diagnosis:
    return Diagnosis(
        "insufficient_quota", "Out of quota: a billing problem, not a rate limit",
        f"HTTP {s.status or 429} like a rate limit, but code insufficient_quota: the account has no credit or "
        "plan left.",
        f"Do not retry: add credit or raise the limit at {BILLING_PAGE}, then try again.", SRC_QUOTA)


def _billing_hard_limit(s: Seen) -> Diagnosis:
    return Diagnosis(
        "billing_hard_limit", "The organization's billing hard limit is reached",
        "HTTP 400 with code billing_hard_limit_reached: spending reached the limit set for the organization.",
        f"Do not retry: raise the limit or wait for the next period at {BILLING_PAGE}.", SRC_BILLING)


def _invalid_api_key(s: Seen) -> Diagnosis:
    return Diagnosis(
        "invalid_api_key", "The API key was refused",
        "HTTP 401: the key is wrong, revoked, or not the one you think this kernel uses.",
        "Create or copy a key in the project you mean to use, set OPENAI_API_KEY, restart the kernel "
        "(the access checks show it masked).", SRC_KEY)


def _org_not_verified(s: Seen) -> Diagnosis:
    streaming = " (streaming needs it too)" if "stream" in s.lowered else ""
    return Diagnosis(
        "org_not_verified", "The organization is not verified for this model" + streaming,
        f"HTTP {s.status or 403}: GPT Image models may need API Organization Verification before use.",
        f"Verify at {VERIFY_PAGE}. Access can take up to 15 minutes to propagate after verifying; if it "
        "still fails, create a new API key (a new key often clears a stale 'not verified' state).", SRC_ORG)


def _project_model_access(s: Seen) -> Diagnosis:
    named = s.project[2]
    record = _known(named)
    alias = (record.snapshot_of or named) if record else named
    snapshots = [m.id for m in registry.MODELS.values() if m.snapshot_of == alias]
    both = " and ".join([alias] + snapshots) if snapshots else named
    return Diagnosis(
        "project_model_access", f"The project is not allowed to use {named}",
        f"HTTP {s.status or 403} model_not_found, but not a misspelling: the project's model allow-list does "
        "not include this model.",
        f"Allow it under the project's limits (Settings > Project > Limits > model usage), listing both "
        f"the alias and the dated snapshot ({both}); or use a key from a project that allows it.",
        SRC_PROJECT_ACCESS)


def _moderation_blocked(s: Seen) -> Diagnosis:
    details = _body(s.error).get("moderation_details") or {}
    categories = ", ".join(details.get("categories") or ()) or _violations(s.message) or registry.NOT_FOUND
    stage = details.get("moderation_stage")
    where = f"at the {stage} stage" if stage else "stage not given (only Responses tool errors carry it)"
    return Diagnosis(
        "moderation_blocked", "Blocked by the safety system",
        f"HTTP {s.status or 400} {s.code or 'moderation_blocked'}: categories {categories}, {where}.",
        "Do not resend the same prompt: rephrase it (or change the input image). If you believe it is a "
        "mistake, contact help.openai.com with the request ID from the message.", SRC_MODERATION)


def _rate_limit(s: Seen) -> Diagnosis:
    wait = retry_after_seconds(s.error)
    wait_text = f"The server asks you to wait {wait:g} s (Retry-After). " if wait is not None else ""
    shown_status = f"HTTP {s.status}" if s.status else "No HTTP status"
    return Diagnosis(
        "rate_limit", "Rate limit: too many images per minute for your usage tier",
        f"{shown_status}: the organization sent more images or tokens per minute than its tier allows. "
        + tier_limits_text(s.model),
        wait_text + "Wait and retry (the SDK retries 429s itself), send fewer images per minute, or move up "
        f"a tier by usage. Your tier: {LIMITS_PAGE}.", SRC_RATE + "; " + SRC_RETRIES)


def _input_fidelity_unsupported(s: Seen) -> Diagnosis:
    allowed = _allowed_values(s.model, "input_fidelity") or f"input_fidelity for {s.shown_model}: not found."
    return Diagnosis(
        "input_fidelity_unsupported", f"input_fidelity is not supported that way by {s.shown_model}",
        f"HTTP {s.status or 400}: the model rejected the input_fidelity value. {allowed}",
        "Send a value the registry lists for this model, or omit the parameter.",
        SRC_FIDELITY)


def _wrong_responses_model(s: Seen) -> Diagnosis:
    return Diagnosis(
        "wrong_responses_model", f"{s.top} may not support the image_generation tool",
        f"HTTP {s.status}: a generic refusal, as observed when an older mainline model (gpt-4o) is paired with "
        "the image tool. The guide says gpt-5 and newer models support the tool.",
        f"Use a gpt-5-family or newer mainline model at the top level (the lessons use "
        f"{registry.LESSON_MAINLINE_MODEL}).",
        "observed 400 message, https://github.com/garrytan/gstack/issues/1771; " + str(registry.SRC_GUIDE_TOP_LEVEL))


def _wrong_responses_model_2(s: Seen) -> Diagnosis:
    return Diagnosis(
        "wrong_responses_model", "An image model cannot be the Responses API's top-level model",
        f"HTTP {s.status or 400}: Responses needs a mainline model at the top level; image models are chosen "
        "inside the image_generation tool.",
        f"Put a mainline model (the lessons use {registry.LESSON_MAINLINE_MODEL}) in model=, and the image model "
        "in tools=[{'type': 'image_generation', 'model': ...}].", str(registry.SRC_GUIDE_TOP_LEVEL))


def _model_shut_down_2(s: Seen) -> Diagnosis:
    named = _model_in_text(s.message) or s.model
    record = _known(named)
    said_gone = re.search(r"shut down|has been deprecated", s.lowered) is not None
    day = registry.kit_day()
    found = registry.on(named, day) if record is not None else None
    if found is not None and (said_gone or not found.served):
        stale = "" if not found.served else (
            f" The registry (facts as of {registry.AS_OF}) still lists it as {found.status}: trust the API and "
            "update helpers/registry.py.")
        shutdown = found.record.lifecycle.shutdown_date
        when = f"shut down on {shutdown}" if shutdown else "no longer served"
        return Diagnosis(
            "model_shut_down", f"{named}: {when}",
            f"HTTP {s.status or 400}: the model no longer serves requests (the registry: {found.status_line()})."
            f"{stale}",
            _successor_text(named, day) + " Change the model in one place (helpers/registry.py or "
            "COOKBOOK_IMAGE_MODEL).", SRC_SHUT_DOWN)
    if found is not None:
        return Diagnosis(
            "model_not_found", f"{named} was refused although the registry lists it as served",
            f"HTTP {s.status or 404}: the id is spelled right (the registry: {found.status_line()}), yet the API "
            "answered that it does not exist or is not found. This was observed during an incident "
            "(the image tool answering \"The model 'gpt-image-2' does not exist.\"), and it is what a project "
            "without access to the model can see.",
            "Retry later and check the status page; check the project's allowed models (Settings > Project > "
            "Limits); if it persists, the model may have been withdrawn: update helpers/registry.py.",
            SRC_SHUT_DOWN + "; " + SRC_STATUS_MAP)
    return Diagnosis(
        "model_not_found", f"Model {named or '(unknown)'} not found",
        f"HTTP {s.status or 404}: the API does not know this model for your key, or it is misspelt.",
        f"Check the spelling; the lessons use {registry.lesson_image_model()}. Your project may also lack "
        "access to the model.", SRC_SHUT_DOWN + "; " + SRC_STATUS_MAP)


def _permission_denied(s: Seen) -> Diagnosis:
    return Diagnosis(
        "permission_denied", "Permission denied",
        "HTTP 403 without the verification message: the key's project or organization may not be allowed "
        "this model or endpoint.",
        "Check the project's allowed models and the key's permissions, then the organization.",
        SRC_STATUS_MAP)


def _invalid_image_file(s: Seen) -> Diagnosis:
    number = re.search(r"for image (\d+)", s.lowered)
    return Diagnosis(
        "invalid_image_file", f"The API could not read input image {number[1] if number else ''}".strip(),
        "HTTP 400: the file is not a plain PNG, JPEG or WebP it can take. Phone photos (MPO, several "
        "pictures in one JPEG) and CMYK JPEGs are the usual cause; an upload that sent no file bytes also "
        "gets this answer.",
        "Save a plain copy with Pillow and send that: Image.open(path).convert(\"RGB\").save(\"plain.png\") "
        "(\"RGBA\" to keep transparency).", api_errors.SRC_INVALID_IMAGE_FILE)


def _invalid_parameter(s: Seen) -> Diagnosis:
    allowed = _allowed_values(s.model, s.param) or ""
    return Diagnosis(
        "invalid_parameter", f"The request has an invalid parameter{f' ({s.param})' if s.param else ''}",
        f"HTTP 400 {s.code or ''}: the API refused a value before generating anything. {allowed}".replace(
            "  ", " ").strip(),
        "Fix the named parameter; check the registry's values for the model first, so the mistake is caught "
        "before sending.", _rule_source(s.model, s.param, s.message))


def _not_found(s: Seen) -> Diagnosis:
    return Diagnosis(
        "not_found", "Not found", "HTTP 404: the path or the object (file, response id) does not exist.",
        "Check the SDK call and any ids you pass.", SRC_STATUS_MAP)


def _server_error(s: Seen) -> Diagnosis:
    return Diagnosis(
        "server_error", "Server error on the API side",
        f"HTTP {s.status}: not caused by your request; the SDK retried before raising.",
        "Retry later with backoff; if it persists, check the status page.", SRC_RETRIES)


def _unrecognised(s: Seen) -> Diagnosis:
    return Diagnosis(
        "unrecognised", "The API refused the request (HTTP 400)",
        "HTTP 400: a problem with the request itself, which no rule in helpers/triage.py names.",
        "Read the API's message above, then check the request's parameters against the model's: "
        "rules.check_image_request(params, route=\"generate\") names the first one the registry refuses.",
        SRC_STATUS_MAP)


# The SDK's own check before it reads a file (openai/resources/files.py): a batch where every line
# failed has output_file_id None, and files.content(None) raises it.
SRC_NO_FILE_ID = ("[SDK] openai 3.57.0, openai/resources/files.py (content() raises ValueError for an empty "
                  "file_id); openai/types/batch.py (output_file_id and error_file_id are Optional)")


def _no_output_file(error: BaseException) -> bool:
    return type(error) is ValueError and str(error).startswith("Expected a non-empty value for `file_id`")


def _batch_without_output_file(s: Seen) -> Diagnosis:
    return Diagnosis(
        "batch_without_output_file", "The batch has no output file to read",
        "files.content was given None: a batch where every line failed has output_file_id None (and one "
        "where none failed has error_file_id None).",
        "Read batch.error_file_id for the failed lines, or use bulk.batch_results(client, batch), which reads "
        "whichever files exist.", SRC_NO_FILE_ID)


# In order: the first entry that matches gives the diagnosis. The kit's own errors come first, then
# the SDK's client-side ones, then API answers by code, message and status, most specific first.
RULES: tuple[Rule, ...] = (
    Rule('batch_without_output_file', lambda s: _no_output_file(s.error),
         _batch_without_output_file),
    Rule('recording_mismatch', lambda s: isinstance(s.error, RecordingMismatch),
         _recording_mismatch),
    Rule('budget_exceeded', lambda s: isinstance(s.error, BudgetExceeded),
         _budget_exceeded),
    Rule('model_shut_down', lambda s: isinstance(s.error, registry.ModelShutDown),
         _model_shut_down),
    Rule('refused_before_sending', lambda s: isinstance(s.error, RequestRefused)
                                             or (isinstance(s.error, openai.APIStatusError)
                                             and s.error.response.headers.get(NOT_SENT_HEADER)),
         _refused_before_sending),
    Rule('missing_api_key', lambda s: isinstance(s.error, (ModeError, openai.OpenAIError))
                                      and not isinstance(s.error, openai.APIError)
                                      and ("openai_api_key" in s.lowered
                                      or "api_key client option" in s.lowered),
         _missing_api_key),
    Rule('timeout', lambda s: isinstance(s.error, openai.APITimeoutError),
         _timeout),
    Rule('connection', lambda s: isinstance(s.error, openai.APIConnectionError),
         _connection),
    Rule('project_spend_limit', lambda s: s.code == "project_spend_limit_exceeded",
         _project_spend_limit),
    Rule('billing_not_active', lambda s: "billing_not_active" in (s.code, s.kind_type)
                                         or "account is not active" in s.lowered,
         _billing_not_active),
    Rule('insufficient_quota', lambda s: "insufficient_quota" in (s.code, s.kind_type)
                                         or "exceeded your current quota" in s.lowered,
         _insufficient_quota),
    Rule('billing_hard_limit', lambda s: s.code == "billing_hard_limit_reached"
                                         or "billing hard limit" in s.lowered,
         _billing_hard_limit),
    Rule('invalid_api_key', lambda s: s.status == 401 or s.code == "invalid_api_key"
                                      or "incorrect api key" in s.lowered,
         _invalid_api_key),
    Rule('org_not_verified', lambda s: "must be verified" in s.lowered,
         _org_not_verified),
    Rule('project_model_access', lambda s: s.project,
         _project_model_access),
    Rule('moderation_blocked', lambda s: s.code in ("moderation_blocked", "content_policy_violation")
                                         or "safety system" in s.lowered,
         _moderation_blocked),
    Rule('rate_limit', lambda s: s.status == 429 or s.code == "rate_limit_exceeded" or (s.status is None
                                 and "rate limit" in s.lowered),
         _rate_limit),
    Rule('input_fidelity_unsupported', lambda s: s.param == "input_fidelity"
                                                 or s.code == "invalid_input_fidelity_model"
                                                 or "input_fidelity" in s.lowered,
         _input_fidelity_unsupported),
    Rule('mainline_pairing_refused', lambda s: s.top and (s.top_record is None or s.top_record.kind != "image")
                                               and not (s.top_record and s.top_record.capabilities
                                               and s.top_record.capabilities.responses_top_level)
                                               and (s.status == 400
                                               and s.lowered.startswith("there was an issue with your request")),
         _wrong_responses_model),
    Rule('image_model_at_top_level', lambda s: s.code == "model_not_supported"
                                               or "not supported as the responses api model" in s.lowered,
         _wrong_responses_model_2),
    Rule('model_gone_or_not_found', lambda s: s.code == "model_not_found"
                                              or re.search(r"shut down|has been deprecated|does not exist", s.lowered)
                                              or (s.status == 404 and "model" in s.lowered),
         _model_shut_down_2),
    Rule('permission_denied', lambda s: s.status == 403,
         _permission_denied),
    Rule('invalid_image_file', lambda s: s.status == 400
                                         and s.lowered.startswith("invalid image file or mode for image"),
         _invalid_image_file),
    Rule('invalid_parameter', lambda s: s.status == 400 and (s.code in INVALID_CODES or s.param
                                        or re.search(r"invalid value|unknown parameter", s.lowered)),
         _invalid_parameter),
    Rule('not_found', lambda s: s.status == 404,
         _not_found),
    Rule('server_error', lambda s: isinstance(s.status, int) and s.status >= 500,
         _server_error),
    Rule('unrecognised_400', lambda s: s.status == 400,
         _unrecognised),
)


def diagnose(error: BaseException) -> Diagnosis:
    """Classify ``error`` by the first matching entry of ``RULES``; never raises. An error no entry
    matches gets the ``unrecognised`` diagnosis."""
    found = seen(error)
    for rule in RULES:
        if rule.matches(found):
            return rule.diagnosis(found)
    return Diagnosis(
        "unrecognised", "Unrecognised error",
        f"{type(error).__name__}{f' (HTTP {found.status})' if found.status else ''}: no rule in helpers/triage.py "
        "matches.",
        "Read the API's message above; check the access order (key, project, tier, verification, lifecycle) "
        "before changing code.", SRC_STATUS_MAP)


def _rule_source(model: Optional[str], param: Optional[str], message: str) -> str:
    """The source of the rule an invalid-parameter answer rests on: the observed body's citation, else the
    model's record for that parameter, else the SDK's parameter files."""
    if param in api_errors.OBSERVED_UNKNOWN_PARAMETERS and message.startswith("Unknown parameter"):
        return api_errors.SRC_UNKNOWN_RESPONSE_FORMAT
    record = registry.MODELS.get(model) if model else None
    if record is not None and record.capabilities is not None and param:
        return str(record.capabilities.source_of_param(param))
    return SRC_PARAMS


def _violations(message: str) -> str:
    match = re.search(r"safety_violations=\[([^\]]*)\]", message)
    return match[1] if match else ""


def explain(error: BaseException) -> Diagnosis:
    """Print the exception class, HTTP status, the API's own message and the diagnosis; return it."""
    found = diagnose(error)
    status = getattr(error, "status_code", None)
    lines = [f"{type(error).__name__}" + (f" (HTTP {status})" if status else "")]
    lines.append(_wrap("API message: ", api_message(error)))
    lines.append(_wrap("Diagnosis: ", f"{found.title} [{found.kind}]"))
    lines.append(_wrap("What happened: ", found.what_happened))
    lines.append(_wrap("Next step: ", found.next_step))
    lines.append(_wrap("Source: ", found.source))
    print("\n".join(lines))
    return found


def _wrap(label: str, text: str) -> str:
    return textwrap.fill(text, LINE_WIDTH, initial_indent=label, subsequent_indent="    ", break_on_hyphens=False,
                         break_long_words=False)
