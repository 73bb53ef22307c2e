"""The API's error bodies: publicly observed ones reproduced exactly, each with its source next to it;
every other message starts with ``(simulated) ``.

``rules`` raises them (``Rejected``, carrying the broken rule's source), the offline simulator answers
with them, the live pre-send check turns them into its refusals, and triage reads their sources.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable, Mapping, Optional

from . import registry

SIMULATED = "(simulated) "


# --- error bodies ----------------------------------------------------------------------------
# One constructor per kind, so lessons can replay any of them on their own with ``error_body``.

def _error(status: int, message: str, *, type: str = "invalid_request_error", param: Optional[str] = None,
           code: Optional[str] = None, headers: Optional[Mapping[str, str]] = None) -> tuple[int, dict, dict]:
    return status, {"error": {"message": message, "type": type, "param": param, "code": code}}, dict(headers or {})


def simulated_message(message: str) -> str:
    return message if message.startswith(SIMULATED) else SIMULATED + message


def _org_not_verified(model: Optional[str] = None) -> tuple[int, dict, dict]:
    # Observed body, https://github.com/openai-php/client/issues/565 (2025-04-26), for `gpt-image-1`;
    # only the model name is substituted (default: the lessons' model, looked up when the error is made).
    # The 403 status: https://github.com/receptron/mulmocast-app/issues/1090
    model = model or registry.lesson_image_model()
    return _error(403, f"Your organization must be verified to use the model `{model}`. Please go to: "
                       "https://platform.openai.com/settings/organization/general and click on Verify Organization. "
                       "If you just verified, it can take up to 15 minutes for access to propagate.")


def _project_model_access(model: Optional[str] = None, project: str = "proj_workshop") -> tuple[int, dict, dict]:
    # Observed body shape (403, invalid_request_error, code model_not_found),
    # https://github.com/Aider-AI/aider/issues/604 (2024-05-16): "Project `<id>` does not have access to
    # model `<model>`", for a project whose allowed-models list lacks the model. Only the project id and
    # the model are substituted (default: the lessons' model, looked up when the error is made).
    model = model or registry.lesson_image_model()
    return _error(403, f"Project `{project}` does not have access to model `{model}`", code="model_not_found")


def _invalid_api_key(key: str = "sk-test") -> tuple[int, dict, dict]:
    # No observed 401 body is in the kit's reference, so this one is simulated throughout.
    masked = key[:3] + "*" * max(len(key) - 7, 4) + key[-4:]
    return _error(401, simulated_message(f"Incorrect API key provided: {masked}."), code="invalid_api_key")


def _insufficient_quota() -> tuple[int, dict, dict]:
    # Observed body, https://github.com/chatanywhere/GPT_API_free/issues/229 (2024-05-07; not image-specific).
    return 429, {"error": {
        "message": "You exceeded your current quota, please check your plan and billing details. For more "
                   "information on this error, read the docs: "
                   "https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}, {}


def _billing_hard_limit() -> tuple[int, dict, dict]:
    # Observed body (key order kept), https://github.com/dfinke/PowerShellAI/issues/127 (2023-05-02);
    # the 400 status: https://github.com/all-in-aigc/aiwallpaper/issues/2 (2024-08-01).
    return 400, {"error": {"code": "billing_hard_limit_reached", "message": "Billing hard limit has been reached",
                           "param": None, "type": "invalid_request_error"}}, {}


def _rate_limit(retry_after_s: float = 51.84) -> tuple[int, dict, dict]:
    # Observed message, https://github.com/receptron/mulmocast-cli/issues/477 (2025-06-14; gpt-image-1,
    # Tier 1), posted as "429 You've exceeded..." where the leading "429 " is the status the JavaScript
    # client prefixes. Only the message was observed: type, param and code are filled in here.
    headers = {"retry-after": str(max(1, math.ceil(retry_after_s))),
               "retry-after-ms": str(max(1, math.ceil(retry_after_s * 1000)))}
    return _error(429, f"You've exceeded the rate limit, please slow down and try again after "
                       f"{retry_after_s:.2f} seconds.", type="requests", code="rate_limit_exceeded", headers=headers)


def _moderation_blocked(request_id: str = "req_simulated", categories: tuple[str, ...] = ("sexual",),
                        stage: str = "output", route: str = "responses") -> tuple[int, dict, dict]:
    # Observed body through the image_generation tool (route "responses"),
    # https://github.com/ucx0204/CarrotMangaTranslator/issues/122 (log dated 2026-09-20);
    # the request id, categories and stage are substituted. moderation_details was observed only
    # there: on the Images API (route "images") the observed body has none,
    # https://github.com/jeffstric/ZJT/issues/480 (2026-07-15; gpt-image-2 through a relay, whose
    # param '' is given as null here like every other observed body).
    error = {
        "message": "Your request was rejected by the safety system. If you believe this is an error, contact us "
                   f"at help.openai.com and include the request ID {request_id}. "
                   f"safety_violations=[{', '.join(categories)}].",
        "type": "image_generation_user_error", "param": None, "code": "moderation_blocked"}
    if route == "responses":
        error["moderation_details"] = {"moderation_stage": stage, "categories": list(categories)}
    return 400, {"error": error}, {}


def high_fidelity_refusing_model() -> Optional[str]:
    """The model an ``input_fidelity="high"`` refusal names by default: the lessons' model when the registry
    says it takes ``input_fidelity`` but not "high" (the observed case below), else the first image model
    that does; None when none does."""
    def refuses_high(model_id: str) -> bool:
        caps = registry.get(model_id).capabilities
        return bool(caps and caps.input_fidelity and "high" not in caps.input_fidelity)

    candidates = (registry.lesson_image_model(), *(m.id for m in registry.image_models()))
    return next((m for m in candidates if refuses_high(m)), None)


def _input_fidelity_unsupported(model: Optional[str] = None, value: str = "high",
                                route: str = "images") -> tuple[int, dict, dict]:
    model = model or high_fidelity_refusing_model() or registry.lesson_image_model()
    caps = registry.get(model).capabilities
    if caps is not None and caps.input_fidelity == ():
        if route == "tool":
            # Observed body, https://github.com/pydantic/pydantic-ai/issues/5413 (2026-05-13), for gpt-image-2
            # through the Responses tool; only the model name is substituted.
            return _error(400, f"The model '{model}' does not support the 'input_fidelity' parameter.",
                          type="image_generation_user_error", param="tools", code="invalid_input_fidelity_model")
        return _error(400, simulated_message(f"The model '{model}' does not support the 'input_fidelity' parameter."),
                      param="input_fidelity", code="invalid_input_fidelity_model")
    if value == "high":
        # Observed message (sic), https://github.com/lobehub/lobehub/pull/9920 (2025-10-29), for
        # gpt-image-1-mini. Only the message was observed: type, param and code are filled in (on the
        # tool route as in the observed gpt-image-2 tool body above).
        message = "input_fidelity 'high' is only supported for model gpt-model-1"
        if route == "tool":
            return _error(400, message, type="image_generation_user_error", param="tools")
        return _error(400, message, param="input_fidelity")
    return _invalid_value("input_fidelity", f"Invalid value: '{value}'. {model} accepts "
                                            f"{', '.join(caps.input_fidelity) if caps else 'no such value'}.")


SRC_SHUT_DOWN_404 = ("observed 404 body for a retired chat model, https://github.com/mem0ai/mem0/issues/1441 "
                     "(2024-06-22); the full body with type and code: https://github.com/n8n-io/n8n/issues/10375 "
                     "(2024-08-13)")
SRC_SHUT_DOWN_IMAGE_MODEL = ("observed 400 body for dall-e-3 on the Images API after its 2026-05-12 shutdown, "
                             "https://github.com/jsboige/CoursIA/pull/3825 and /pull/4080 (June 2026, live) and "
                             "their fixtures; for another shut-down image model (gpt-image-1-mini after "
                             "2026-12-01) the same body with its own name is an expectation [derived], not an "
                             "observation")
SRC_TOOL_MODEL_MISSING = "observed 400 tool error, https://github.com/openai/codex/issues/25965 (2026-06-02)"


def _model_shut_down(model: Optional[str] = None, day: Optional[dt.date] = None,
                     route: str = "images") -> tuple[int, dict, dict]:
    """A request naming a model that no longer serves: the publicly observed shape for its route.

    Route "images" (an image model on the Images API): HTTP 400 ``image_generation_user_error`` /
    ``invalid_value`` on ``model``, "The model '<id>' does not exist." (SRC_SHUT_DOWN_IMAGE_MODEL).
    Route "mainline" (a shut-down top-level Responses model): HTTP 404 ``model_not_found`` "The model
    `<id>` has been deprecated, ..." (SRC_SHUT_DOWN_404). Route "tool" (the model of a Responses
    image_generation tool): HTTP 400 ``image_generation_user_error`` / ``invalid_value`` on ``tools``,
    "The model '<id>' does not exist." (SRC_TOOL_MODEL_MISSING). Only the model id is substituted.
    """
    day = day or registry.as_of_day()
    model = model or next(m.id for m in registry.image_models() if not m.served_on(day) and m.lifecycle.successors)
    if route == "tool":
        # Observed (SRC_TOOL_MODEL_MISSING) for gpt-image-2 during an incident; the same shape is
        # what the tool answers for a model it does not serve.
        return _error(400, f"The model '{model}' does not exist.", type="image_generation_user_error",
                      param="tools", code="invalid_value")
    if route == "images":
        return _error(400, f"The model '{model}' does not exist.", type="image_generation_user_error",
                      param="model", code="invalid_value")
    # Observed (SRC_SHUT_DOWN_404) for retired chat models: the shape for a top-level Responses model.
    return _error(404, f"The model `{model}` has been deprecated, learn more here: "
                       "https://platform.openai.com/docs/deprecations", code="model_not_found")


def _orchestrator_unsupported(model: str = "gpt-4o") -> tuple[int, dict, dict]:
    # Observed message, https://github.com/garrytan/gstack/issues/1771 (after 2026-05-21): a gpt-4o
    # top-level model with the image_generation tool (gpt-image-2). Only the message and the status
    # were observed: type, param and code are filled in.
    return _error(400, "There was an issue with your request. Please check your inputs and try again")


def _streaming_without_partials() -> tuple[int, dict, dict]:
    # Observed body, https://github.com/QuantumNous/new-api/issues/1234 (2025-06-16), less the relay's
    # "(request id: ...)" suffix: a streamed Responses call whose image tool asks for no partial images.
    return _error(400, "Streaming must have non-zero partial images.", type="image_generation_user_error",
                  param="tools")


def _unsupported_mimetype(param: str = "image", mimetype: str = "application/octet-stream") -> tuple[int, dict, dict]:
    # Observed message and type, https://github.com/Comfy-Org/ComfyUI/issues/9329 (2025-08-14); the 400
    # status, https://github.com/anasfik/openai/issues/216 (2025-09-03). param and code were not
    # shown: param names the upload here, code is null. Only the part name and mimetype are substituted.
    return _error(400, f"Invalid file '{param}': unsupported mimetype ('{mimetype}'). Supported file formats are "
                       "'image/jpeg', 'image/png', and 'image/webp'.", param=param)


def _transparent_unsupported(route: str = "images") -> tuple[int, dict, dict]:
    # Message as reported by [3P] apiyi (2026-10-15) for gpt-image-2 since 2026-09-30 (the registry's
    # transparent_background source); type, param and code are not reported and are filled in.
    return _error(400, "Transparent background is not supported for this model.",
                  param="tools" if route == "tool" else "background", code="invalid_value")


def _previous_response_not_found(response_id: str = "resp_unknown") -> tuple[int, dict, dict]:
    # Observed body (status 400, code previous_response_not_found),
    # https://github.com/maximhq/bifrost/issues/2441 (2026-03-31; the earlier response had store=false);
    # the same 400 invalid_request_error for store=false plus previous_response_id is reported in
    # https://github.com/bigduu/Bamboo-agent/issues/64 (2026-07-17). No public 404 for it was found.
    # type and param are filled in.
    return _error(400, f"Previous response with id '{response_id}' not found.", param="previous_response_id",
                  code="previous_response_not_found")


def _item_not_found(item_id: str = "ig_unknown") -> tuple[int, dict, dict]:
    # Message shape "Item with id '<id>' not found." as quoted in issue #11; a 400 for input item ids
    # that were not stored, https://github.com/jrkropp/open-webui-developer-toolkit/issues/715
    # (2025-09-24). type, param and code are filled in.
    return _error(400, f"Item with id '{item_id}' not found.", param="input", code="item_not_found")


def _invalid_value(param: Optional[str] = None, message: str = "Invalid value.",
                   code: Optional[str] = "invalid_value") -> tuple[int, dict, dict]:
    return _error(400, simulated_message(message), param=param, code=code)


# Observed body, https://github.com/GetfroggyHoe/universal-immersion-engine/issues/5 (2026-01-16):
# `response_format` sent to gpt-image-1 and gpt-image-1.5 on the Images API. Only the parameter's
# name is substituted; for any other parameter the message is marked simulated.
SRC_UNKNOWN_RESPONSE_FORMAT = ("observed 400 for response_format on gpt-image-1 and gpt-image-1.5, "
                               "https://github.com/GetfroggyHoe/universal-immersion-engine/issues/5 (2026-01-16)")
OBSERVED_UNKNOWN_PARAMETERS = ("response_format",)


def _unknown_parameter(param: str = "") -> tuple[int, dict, dict]:
    message = f"Unknown parameter: '{param}'."
    if param not in OBSERVED_UNKNOWN_PARAMETERS:
        message = simulated_message(message)
    return _error(400, message, param=param, code="unknown_parameter")


# Observed body, https://github.com/QuantumNous/new-api/issues/1159 (2025-06-05, gpt-image-1 on
# /v1/images/edits) and https://github.com/Comfy-Org/ComfyUI/issues/8430 (2025-06, type
# image_generation_user_error): an input image the API cannot read or whose pixel mode it does not take.
# Only the image's number is substituted; param and code were not shown and are left None.
SRC_INVALID_IMAGE_FILE = ("observed 400 'Invalid image file or mode for image N', "
                          "https://github.com/QuantumNous/new-api/issues/1159 (2025-06-05)")


def _invalid_image_file(number: int = 1) -> tuple[int, dict, dict]:
    return _error(400, f"Invalid image file or mode for image {number}, please check your image file.",
                  type="image_generation_user_error")


def _not_found(message: str = "Not found.") -> tuple[int, dict, dict]:
    return _error(404, simulated_message(message), code="not_found")


ERRORS: Mapping[str, Callable[..., tuple[int, dict, dict]]] = {
    "org_not_verified": _org_not_verified,
    "invalid_api_key": _invalid_api_key,
    "project_model_access": _project_model_access,
    "insufficient_quota": _insufficient_quota,
    "billing_hard_limit": _billing_hard_limit,
    "rate_limit": _rate_limit,
    "moderation_blocked": _moderation_blocked,
    "input_fidelity_unsupported": _input_fidelity_unsupported,
    "model_shut_down": _model_shut_down,
    "orchestrator_unsupported": _orchestrator_unsupported,
    "streaming_without_partials": _streaming_without_partials,
    "unsupported_mimetype": _unsupported_mimetype,
    "transparent_unsupported": _transparent_unsupported,
    "previous_response_not_found": _previous_response_not_found,
    "item_not_found": _item_not_found,
    "invalid_value": _invalid_value,
    "unknown_parameter": _unknown_parameter,
    "not_found": _not_found,
    "invalid_image_file": _invalid_image_file,
}


def error_body(kind: str, **kw: Any) -> tuple[int, dict, dict]:
    """(status, JSON body, extra headers) of an API error, e.g. ``error_body("rate_limit", retry_after_s=12)``."""
    if kind not in ERRORS:
        raise ValueError(f"unknown error kind {kind!r}; known: {', '.join(ERRORS)}")
    return ERRORS[kind](**kw)


class Rejected(Exception):
    """Carries an ``error_body`` result (status, body, headers) out of the request checks, with the
    source of the rule that was broken (``source``; None where the rule's record gives it)."""

    def __init__(self, answer: tuple[int, dict, dict], source: Optional[str] = None):
        super().__init__(answer)
        self.source = source


def reject(kind: str, *, source: Optional[str] = None, **kw: Any) -> Rejected:
    return Rejected(error_body(kind, **kw), source)


def bad_value(param: Optional[str], message: str, code: str = "invalid_value", *,
              source: Optional[str] = None) -> Rejected:
    return reject("invalid_value", param=param, message=message, code=code, source=source)
