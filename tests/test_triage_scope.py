"""triage reads API answers only: the text of an arbitrary exception is never taken for an API error."""

import pytest

from helpers import triage


@pytest.mark.parametrize("error", [
    ValueError("input_fidelity must be 'low' or 'high'"),
    RuntimeError("You exceeded your current quota"),
    KeyError("The model 'gpt-image-1' does not exist."),
    TypeError("rate limit of the local queue reached"),
])
def test_a_plain_exception_whose_text_mentions_an_api_error_is_unrecognised(error):
    assert triage.diagnose(error).kind == "unrecognised"


def test_the_allow_list_403_is_recognised_with_its_project_id_scrubbed():
    # Answers are scrubbed before they are shown (helpers/writes.py): the project id reads "[redacted]".
    import httpx2
    import openai

    body = {"error": {"message": "Project `[redacted]` does not have access to model `gpt-image-2`",
                      "type": "invalid_request_error", "param": None, "code": "model_not_found"}}
    request = httpx2.Request("POST", "https://api.openai.com/v1/images/generations")
    error = openai.PermissionDeniedError("denied", response=httpx2.Response(403, json=body, request=request),
                                         body=body["error"])
    assert triage.diagnose(error).kind == "project_model_access"
