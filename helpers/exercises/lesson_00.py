"""Checks for lesson 00 (access triage)."""

from __future__ import annotations

from typing import Any, Callable

import httpx2
import openai

from .. import access, triage
from . import Hint, Result, Verdict, exercise

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


# Per letter: (targeted hint, more specific hint). Neither names the kind.
_LETTER_HINTS = {
    "A": ("A is a 429, but read its code and type: is waiting going to help?",
          "A's code and type are one and the same word: find the replayed 429 above whose diagnosis says "
          "retrying cannot help."),
    "B": ("B has only a message; what does 'slow down and try again' describe?",
          "B carries no code at all: compare its message with the first of the two replayed 429s above."),
    "C": ("C is a 403 that names a console page; the key itself was accepted.",
          "C's message asks you to do something in the organization's settings: find the replayed 403 above "
          "whose message says the same."),
}


@exercise("00.which_diagnosis", title="Name the diagnosis for each error body",
          wrong_answer={"A": "rate_limit", "B": "rate_limit", "C": "invalid_api_key"},
          giveaways=lambda: tuple(_diagnoses().values()),
          method=("For each body, read the HTTP status, then its code and type, then the message.",
                  "Find the failure replayed earlier in this lesson whose answer looks the same.",
                  "Give the name in square brackets on that failure's 'Diagnosis:' line (one of triage.KINDS)."))
def grade_which_diagnosis(answer: Any) -> Verdict:
    """Grade an answer to 00.which_diagnosis: a passing Result, or a Hint (first, then more specific)."""
    if not isinstance(answer, dict) or set(answer) != set(MYSTERY_ERRORS):
        return Hint(f"give a dict with keys {', '.join(MYSTERY_ERRORS)}.",
                    f"give a dict with keys {', '.join(MYSTERY_ERRORS)}, each value a kind printed from "
                    "triage.KINDS, as a string.")
    unknown = [letter for letter in MYSTERY_ERRORS if answer[letter] not in triage.KINDS]
    if unknown:
        return Hint(f"{', '.join(unknown)}: not a kind in triage.KINDS (printed above).",
                    f"{', '.join(unknown)}: copy a name exactly as triage.KINDS prints it (a string, with its "
                    "underscores).")
    expected = _diagnoses()
    wrong = [letter for letter in MYSTERY_ERRORS if answer[letter] != expected[letter]]
    if not wrong:
        return Result(True, "A is billing (do not retry), B is a real rate limit (wait), C is verification.")
    return Hint(" ".join(_LETTER_HINTS[letter][0] for letter in wrong),
                " ".join(_LETTER_HINTS[letter][1] for letter in wrong))


def _masked() -> tuple[str, ...]:
    return tuple(access.mask_key(key) for key in KEYS_TO_TRY)


@exercise("00.mask_key", title="Write mask_key(key): the key's type prefix, '...' and its last four characters",
          wrong_answer=lambda key: key, giveaways=_masked,
          method=("Find the prefix in access.KEY_PREFIXES that the key starts with; they are listed longest "
                  "first, so take the first that matches.",
                  "Return that prefix, then three dots, then key[-4:]."))
def grade_mask_key(answer: Any) -> Verdict:
    """Grade an answer to 00.mask_key: a passing Result, or a Hint (first, then more specific)."""
    if not callable(answer):
        return Hint("answer should be a function that takes a key string and returns the masked text.",
                    "define mask_key(key) with def and pass the function itself: check('00.mask_key', mask_key).")
    mask: Callable[[str], str] = answer
    for key, expected in zip(KEYS_TO_TRY, _masked()):
        shown = mask(key)
        if not isinstance(shown, str):
            return Hint(f"mask_key returned {type(shown).__name__}; it must return a string.",
                        "end the function with a return of the masked text, a str.")
        if shown == expected:
            continue
        prefix = next(p for p in access.KEY_PREFIXES if key.startswith(p))
        middle = key[len(prefix):-4]
        if any(middle[i:i + 4] in shown for i in range(len(middle) - 3)):
            return Hint("the masked text still shows part of the secret middle of the key.",
                        "keep only three pieces: the key's type prefix, three dots and its last four characters.")
        if not shown.endswith(key[-4:]):
            return Hint("the masked text should end the way the key ends, so you can recognise it.",
                        "the end is the key's last four characters, key[-4:].")
        if not shown.startswith(prefix):
            return Hint("the start should still show what kind of key it is (a project key, a service account "
                        "key ...), as access.mask_key does above.",
                        "the start is whichever of access.KEY_PREFIXES the key begins with; the list is longest "
                        "first, so the first match is the right one.")
        return Hint("the three pieces are there, but not exactly as access.mask_key writes them.",
                    "between the prefix and the last four characters put exactly three dots, with no spaces.")
    return Result(True, "the key can be recognised by its type and its end without ever showing the secret part.")
