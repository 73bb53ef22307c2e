"""Checks for lesson 00 (access triage)."""

from __future__ import annotations

import re
from typing import Any, Callable

import httpx2
import openai

from .. import triage
from . import Result, exercise

# Three publicly posted error bodies (their sources are in helpers/triage.py): (HTTP status, body).
MYSTERY_ERRORS = {
    "A": (429, {"error": {"message": "You exceeded your current quota, please check your plan and billing details. "
                                     "For more information on this error, read the docs: "
                                     "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                          "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}),
    "B": (429, {"error": {"message": "You've exceeded the rate limit, please slow down and try again after 51.84 "
                                     "seconds."}}),
    "C": (403, {"error": {"message": "Your organization must be verified to use the model `gpt-image-1`. Please go "
                                     "to: https://platform.openai.com/settings/organization/general and click on "
                                     "Verify Organization. If you just verified, it can take up to 15 minutes for "
                                     "access to propagate.", "type": "invalid_request_error", "param": None,
                          "code": None}}),
}

KEYS_TO_TRY = (
    "sk-proj-" + "Q7x" * 20 + "abcd",
    "sk-" + "m4Z" * 16 + "9876",
    "sk-svcacct-" + "Tt0" * 18 + "wxyz",
)


def sdk_error(status: int, body: dict) -> openai.APIError:
    """The exception the SDK raises for this answer (served by a mock transport; nothing leaves the machine)."""
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, json=body)

    client = openai.OpenAI(api_key="exercise-placeholder", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=httpx2.MockTransport(answer)))
    try:
        client.models.retrieve("exercise")
    except openai.APIError as error:
        return error
    raise AssertionError("the mock transport answered without an error")


def _diagnoses() -> dict[str, str]:
    return {letter: triage.diagnose(sdk_error(status, body)).kind for letter, (status, body) in MYSTERY_ERRORS.items()}


@exercise("00.which_diagnosis", title="Name the diagnosis for each error body",
          wrong_answer={"A": "rate_limit", "B": "rate_limit", "C": "invalid_api_key"},
          giveaways=lambda: tuple(_diagnoses().values()))
def grade_which_diagnosis(answer: Any) -> Result:
    if not isinstance(answer, dict) or set(answer) != set(MYSTERY_ERRORS):
        return Result(False, f"give a dict with keys {', '.join(MYSTERY_ERRORS)}, each a kind from triage.KINDS.")
    expected = _diagnoses()
    wrong = [letter for letter in MYSTERY_ERRORS if answer[letter] != expected[letter]]
    if not wrong:
        return Result(True, "A is billing (do not retry), B is a real rate limit (wait), C is verification.")
    hints = {"A": "A is a 429, but read its code and type: is waiting going to help?",
             "B": "B has only a message; what does 'slow down and try again' describe?",
             "C": "C is a 403 that names a console page; the key itself was accepted."}
    return Result(False, " ".join(hints[letter] for letter in wrong))


@exercise("00.mask_key", title="Write mask_key(key): 'sk-...' plus the last four characters",
          wrong_answer=lambda key: key, giveaways=lambda: tuple(f"sk-...{key[-4:]}" for key in KEYS_TO_TRY))
def grade_mask_key(answer: Any) -> Result:
    if not callable(answer):
        return Result(False, "answer should be a function that takes a key string and returns the masked text.")
    mask: Callable[[str], str] = answer
    for key in KEYS_TO_TRY:
        shown = mask(key)
        if not isinstance(shown, str):
            return Result(False, "mask_key must return a string such as 'sk-...abcd'.")
        middle = key[12:-4]
        leaks = [middle[i:i + 4] for i in range(len(middle) - 3) if middle[i:i + 4] in shown]
        if leaks:
            return Result(False, f"the masked text still shows part of the secret middle ({len(leaks)} pieces); keep "
                                 "only 'sk-', three dots and the last four characters.")
        if not shown.startswith("sk-") or not shown.endswith(key[-4:]) or not re.search(r"\.\.\.|…", shown):
            return Result(False, "keep three parts, in order: 'sk-', then '...', then the key's last four "
                                 "characters (key[-4:]).")
    return Result(True, "the key can be recognised by its end without ever showing the secret part.")
