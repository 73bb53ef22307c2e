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
