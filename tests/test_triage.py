"""triage.diagnose classifies real SDK exceptions built from observed and simulated error bodies."""

import httpx2
import openai
import pytest

from helpers import registry, triage
from helpers.budget import BudgetExceeded
from helpers.client import ModeError
from helpers.transports.recording import RecordingMismatch
from helpers.api_errors import ERRORS, error_body

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")



def sdk_client(transport: httpx2.BaseTransport) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-placeholder", base_url="https://api.openai.com/v1", max_retries=0,
                         http_client=openai.DefaultHttpx2Client(transport=transport))

MINI = "gpt-image-1-mini"
URL = "https://api.openai.com/v1/images/generations"


def raised(status, body, *, headers=None, call=None):
    """The exception the SDK raises when the API answers ``status`` with ``body``."""
    transport = httpx2.MockTransport(lambda request: httpx2.Response(status, json=body, headers=headers or {}))
    client = sdk_client(transport)
    call = call or (lambda c: c.images.generate(model=MINI, prompt="Draw a kite", quality="low"))
    with pytest.raises(openai.APIError) as info:
        call(client)
    return info.value


def simulated(kind, call=None, **kw):
    status, body, headers = error_body(kind, **kw)
    return raised(status, body, headers=headers, call=call)


EXPECTED_KIND = {
    "project_model_access": "project_model_access",
    "org_not_verified": "org_not_verified",
    "invalid_api_key": "invalid_api_key",
    "insufficient_quota": "insufficient_quota",
    "billing_hard_limit": "billing_hard_limit",
    "rate_limit": "rate_limit",
    "moderation_blocked": "moderation_blocked",
    "input_fidelity_unsupported": "input_fidelity_unsupported",
    "model_shut_down": "model_shut_down",
    "orchestrator_unsupported": "unrecognised",  # without the request it is generic; see the test below
    "streaming_without_partials": "invalid_parameter",
    "unsupported_mimetype": "invalid_parameter",
    "transparent_unsupported": "invalid_parameter",
    "previous_response_not_found": "invalid_parameter",
    "item_not_found": "invalid_parameter",
    "invalid_value": "invalid_parameter",
    "unknown_parameter": "invalid_parameter",
    "not_found": "not_found",
    "invalid_image_file": "invalid_image_file",
}


def test_every_simulated_kind_is_covered():
    assert set(EXPECTED_KIND) == set(ERRORS)


@pytest.mark.parametrize("kind", sorted(EXPECTED_KIND))
def test_simulated_errors(kind):
    found = triage.diagnose(simulated(kind))
    assert found.kind == EXPECTED_KIND[kind]
    assert found.kind in triage.KINDS
    assert found.source and found.next_step and found.title


# Bodies as publicly posted (reference §3.3); several carry only a message.
OBSERVED = [
    (403, {"error": {"message": "Your organization must be verified to use the model `gpt-image-1`. Please go to: "
                                "https://platform.openai.com/settings/organization/general and click on Verify "
                                "Organization. If you just verified, it can take up to 15 minutes for access to "
                                "propagate.", "type": "invalid_request_error", "param": None, "code": None}},
     "org_not_verified"),
    (400, {"error": {"message": "Your organization must be verified to stream this model. Please go to: "
                                "https://platform.openai.com/settings/organization/general and click on Verify "
                                "Organization. If you just verified, it can take up to 15 minutes for access to "
                                "propagate."}}, "org_not_verified"),
    (400, {"error": {"message": "Your request was rejected by the safety system. If you believe this is an error, "
                                "contact us at help.openai.com and include the request ID 1234. "
                                "safety_violations=[violence].", "type": "image_generation_user_error", "param": "",
                     "code": "moderation_blocked"}}, "moderation_blocked"),
    (400, {"error": {"message": "The model 'gpt-image-2' does not support the 'input_fidelity' parameter.",
                     "type": "image_generation_user_error", "param": "tools",
                     "code": "invalid_input_fidelity_model"}}, "input_fidelity_unsupported"),
    (400, {"error": {"message": "input_fidelity 'high' is only supported for model gpt-model-1"}},
     "input_fidelity_unsupported"),
    (400, {"error": {"code": "billing_hard_limit_reached", "message": "Billing hard limit has been reached",
                     "param": None, "type": "invalid_request_error"}}, "billing_hard_limit"),
    (429, {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                     "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}},
     "insufficient_quota"),
    (429, {"error": {"message": "You've exceeded the rate limit, please slow down and try again after 51.84 "
                                "seconds."}}, "rate_limit"),
    (400, {"error": {"code": "invalid_size", "message": "The size is not supported by this model.", "param": None,
                     "type": "invalid_request_error"}}, "invalid_parameter"),
    (400, {"error": {"message": "Invalid value: '1536x1024'. Supported values are: '1024x640', '512x512', and "
                                "'1024x1024'."}}, "invalid_parameter"),
    (400, {"error": {"message": "The model `dall-e-3` has been deprecated.", "type": "invalid_request_error",
                     "code": "model_not_found"}}, "model_shut_down"),
]


@pytest.mark.parametrize("status,body,kind", OBSERVED, ids=[k + str(i) for i, (_, _, k) in enumerate(OBSERVED)])
def test_observed_bodies(status, body, kind):
    assert triage.diagnose(raised(status, body)).kind == kind


def test_quota_429_is_not_a_rate_limit_and_says_do_not_retry():
    found = triage.diagnose(simulated("insufficient_quota"))
    assert found.kind == "insufficient_quota"
    assert "not retry" in found.next_step


def test_rate_limit_quotes_the_registry_tiers_and_retry_after():
    error = simulated("rate_limit", retry_after_s=12.5)
    assert triage.retry_after_seconds(error) == 12.5
    found = triage.diagnose(error)
    ipm_tier_1 = registry.rate_limits(MINI, 1)[0]
    assert f"Tier 1: {ipm_tier_1} images/min" in found.what_happened
    assert str(registry.get(MINI).rate_limits.source) in found.what_happened
    assert "12.5 s" in found.next_step


def test_retry_after_falls_back_to_the_message():
    error = raised(429, {"error": {"message": "please slow down and try again after 7.25 seconds."}})
    assert triage.retry_after_seconds(error) == 7.25


def test_org_not_verified_mentions_propagation_and_a_new_key():
    found = triage.diagnose(simulated("org_not_verified"))
    assert "15 minutes" in found.next_step and "new API key" in found.next_step


def test_moderation_reports_categories_and_stage():
    found = triage.diagnose(simulated("moderation_blocked", categories=("violence",), stage="input"))
    assert "violence" in found.what_happened and "input" in found.what_happened


def test_input_fidelity_names_the_values_the_registry_allows_for_the_requested_model():
    def edit_high(client):
        return client.images.edit(model=MINI, image=("a.png", b"\x89PNG fake", "image/png"), prompt="Edit it",
                                  input_fidelity="high")

    found = triage.diagnose(simulated("input_fidelity_unsupported", call=edit_high))
    allowed = registry.fmt(registry.get(MINI).capabilities.input_fidelity)
    assert f"{MINI} accepts input_fidelity: {allowed}" in found.what_happened


def test_shut_down_model_names_the_registry_successor():
    gone = next(m for m in registry.image_models() if not m.served_on(registry.as_of_day()) and m.lifecycle.successors)

    def call(client):
        return client.images.generate(model=gone.id, prompt="Draw a kite")

    found = triage.diagnose(simulated("model_shut_down", call=call, model=gone.id))
    assert found.kind == "model_shut_down"
    assert registry.recommended_successor(gone.id) in found.next_step


# Issue #11, item 6: the answers triage must know, each from its public body.
PROJECT_403 = {"error": {"message": "Project `proj-example` does not have access to model `gpt-image-2`",
                         "type": "invalid_request_error", "param": None, "code": "model_not_found"}}


def test_project_allow_list_is_not_a_misspelling():
    found = triage.diagnose(raised(403, PROJECT_403))
    assert found.kind == "project_model_access"
    assert "spelling" not in found.next_step
    assert "gpt-image-2 and gpt-image-2-2026-04-21" in found.next_step  # alias and dated snapshot
    assert "aider-ai/aider/issues/604" in found.source.lower()


def test_project_spend_limit_is_the_projects_own_limit():
    body = {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                      "type": "insufficient_quota", "param": None, "code": "project_spend_limit_exceeded"}}
    found = triage.diagnose(raised(429, body))
    assert found.kind == "project_spend_limit" and "project" in found.next_step.lower()


BILLING_NOT_ACTIVE = {"error": {"message": "Your account is not active, please check your billing details on our "
                                           "website.", "type": "billing_not_active", "param": None,
                                "code": "billing_not_active"}}


def test_billing_not_active_is_billing_and_bulk_stops_on_it():
    from helpers import bulk

    error = raised(429, BILLING_NOT_ACTIVE)
    found = triage.diagnose(error)
    assert found.kind == "billing_not_active" and "HTTP 429" in found.what_happened
    assert bulk.classify(error) == bulk.STOP


def test_old_content_policy_code_is_a_moderation_refusal():
    body = {"error": {"message": "Your request was rejected as a result of our content policy.",
                      "type": "invalid_request_error", "param": None, "code": "content_policy_violation"}}
    assert triage.diagnose(raised(400, body)).kind == "moderation_blocked"


def test_a_message_about_rate_limits_is_not_called_a_429():
    body = {"error": {"message": "Your rate limit settings are invalid for this project.", "type": "invalid_request_error",
                      "param": "limits", "code": "invalid_value"}}
    found = triage.diagnose(raised(400, body))
    assert "429" not in found.what_happened and found.kind != "rate_limit"


def _on_images(model):
    return lambda client: client.images.generate(model=model, prompt="Draw a kite")


def test_model_not_served_on_the_images_api_names_shutdown_and_successor():
    body = {"error": {"message": "The model `gpt-image-1` has been deprecated, learn more here: "
                                 "https://platform.openai.com/docs/deprecations",
                      "type": "invalid_request_error", "param": None, "code": "model_not_found"}}
    found = triage.diagnose(raised(404, body, call=_on_images("gpt-image-1")))
    life = registry.get("gpt-image-1").lifecycle
    assert found.kind == "model_shut_down" and life.shutdown_date in found.title
    assert life.successors[0] in found.next_step and "spelling" not in found.next_step
    assert "mem0ai/mem0/issues/1441" in found.source and "openai/codex/issues/25965" in found.source


def test_model_not_served_in_the_responses_tool_names_shutdown_and_successor():
    body = {"error": {"message": "The model 'gpt-image-1' does not exist.", "type": "image_generation_user_error",
                      "param": "tools", "code": "invalid_value"}}

    def call(client):
        return client.responses.create(model="gpt-5.5", input="Draw a kite",
                                       tools=[{"type": "image_generation", "model": "gpt-image-1"}])

    found = triage.diagnose(raised(400, body, call=call))
    assert found.kind == "model_shut_down" and "2026-10-23" in found.title
    assert "gpt-image-2.5-sunburst" in found.next_step and "spelling" not in found.next_step


def test_the_simulators_shut_down_answers_are_diagnosed_with_the_successor():
    from helpers.offline.simulator import Simulator
    from helpers.offline.transport import SimulatorTransport

    client = sdk_client(SimulatorTransport(Simulator()))
    for call in (_on_images("gpt-image-1"),
                 lambda c: c.responses.create(model="gpt-5.5", input="Draw a kite",
                                              tools=[{"type": "image_generation", "model": "gpt-image-1"}])):
        with pytest.raises(openai.APIStatusError) as info:
            call(client)
        found = triage.diagnose(info.value)
        assert found.kind == "model_shut_down" and "gpt-image-2.5-sunburst" in found.next_step


def test_an_older_mainline_model_with_the_image_tool_is_named():
    from helpers.offline.simulator import Simulator
    from helpers.offline.transport import SimulatorTransport

    client = sdk_client(SimulatorTransport(Simulator()))
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Draw a cat",
                                tools=[{"type": "image_generation", "model": "gpt-image-2"}])
    found = triage.diagnose(info.value)
    assert found.kind == "wrong_responses_model" and "gpt-4o" in found.title


def test_a_served_model_said_not_to_exist_is_not_a_spelling_mistake():
    body = {"error": {"message": "The model 'gpt-image-2' does not exist.", "type": "image_generation_user_error",
                      "param": "tools", "code": "invalid_value"}}

    def call(client):
        return client.responses.create(model="gpt-5.5", input="Draw a kite",
                                       tools=[{"type": "image_generation", "model": "gpt-image-2"}])

    found = triage.diagnose(raised(400, body, call=call))
    assert found.kind == "model_not_found" and "spell" not in found.next_step and "served" in found.title


def test_unknown_model_is_not_found():
    found = triage.diagnose(raised(404, {"error": {"message": "The model 'gpt-image-9' does not exist",
                                                   "code": "model_not_found"}}))
    assert found.kind == "model_not_found"


def test_model_named_in_the_request_is_read_back():
    error = simulated("invalid_value", param="size", message="Invalid value: '999x999'.")
    assert triage.request_model(error) == MINI
    assert f"{MINI} accepts size" in triage.diagnose(error).what_happened


def test_connection_and_timeout_errors():
    request = httpx2.Request("POST", URL)
    assert triage.diagnose(openai.APIConnectionError(request=request)).kind == "connection"
    assert triage.diagnose(openai.APITimeoutError(request=request)).kind == "timeout"


def test_the_kits_own_errors():
    assert triage.diagnose(RecordingMismatch("No recording matches")).kind == "recording_mismatch"
    assert triage.diagnose(BudgetExceeded("Not sent")).kind == "budget_exceeded"
    assert triage.diagnose(ModeError("This mode calls the real API and needs OPENAI_API_KEY.")).kind == \
        "missing_api_key"


def test_server_error_and_unrecognised():
    assert triage.diagnose(raised(500, {"error": {"message": "boom"}}, call=lambda c: c.with_options(
        max_retries=0).images.generate(model=MINI, prompt="x"))).kind == "server_error"
    assert triage.diagnose(raised(418, {"error": {"message": "I'm a teapot"}})).kind == "unrecognised"
    assert triage.diagnose(ValueError("something else")).kind == "unrecognised"


def test_explain_prints_class_status_the_apis_own_message_and_returns_the_diagnosis(capsys):
    error = simulated("insufficient_quota")
    found = triage.explain(error)
    out = capsys.readouterr().out
    assert out.startswith("RateLimitError (HTTP 429)")
    assert "API message: You exceeded your current quota" in out
    assert "Error code: 429" not in out
    assert found.kind in out and "Source:" in out


def test_an_image_model_at_the_top_level_of_responses_is_diagnosed_as_such():
    import httpx2
    import openai

    from helpers.offline.simulator import Simulator
    from helpers import registry, triage

    simulator = Simulator()

    def handler(request):
        answer = simulator.handle(request.method, request.url.path, {}, dict(request.headers), request.read())
        return httpx2.Response(answer.status, json=answer.body, headers=dict(answer.headers))

    client = openai.OpenAI(api_key="test", base_url="https://api.openai.com/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=httpx2.MockTransport(handler)))
    try:
        client.responses.create(model=registry.lesson_image_model(), input="Draw a kite",
                                tools=[{"type": "image_generation"}])
    except openai.BadRequestError as error:
        diagnosis = triage.diagnose(error)
    assert diagnosis.kind == "wrong_responses_model"
    assert registry.LESSON_MAINLINE_MODEL in diagnosis.next_step


def test_a_request_refused_before_sending_names_the_shutdown_and_successor():
    import datetime as dt

    found = registry.on("gpt-image-1-mini", dt.date(2026, 12, 2))
    diagnosis = triage.diagnose(registry.ModelShutDown(found))
    assert diagnosis.kind == "model_shut_down"
    assert "2026-12-01" in diagnosis.what_happened and "gpt-image-2.6-flare" in diagnosis.next_step
    assert "spelling" not in diagnosis.next_step


def test_a_plain_exceptions_text_is_never_read_as_an_api_body():
    # Only API errors (and the kit's and the SDK's own) are read; arbitrary text naming a parameter is not.
    assert triage.diagnose(ValueError("input_fidelity must be high")).kind == "unrecognised"
    assert triage.diagnose(RuntimeError("You exceeded your current quota")).kind == "unrecognised"


def test_triage_is_a_table_whose_entries_each_name_their_diagnosis():
    names = [rule.name for rule in triage.RULES]
    assert len(names) == len(set(names)), "each entry has its own name"
    assert {"invalid_image_file", "rate_limit", "invalid_parameter"} <= set(names)
