"""Checks for lesson 03 (multi-turn image work on the Responses API)."""

from __future__ import annotations

from typing import Any

from . import Hint, Result, Verdict, exercise

# A response as saved JSON: a completed call, the assistant's text, a failed call and a second
# completed call. Results are shortened stand-ins for base64 images.
SAMPLE_RESPONSE = {
    "id": "resp_sample",
    "object": "response",
    "output": [
        {"id": "ig_sample_harbour", "type": "image_generation_call", "status": "completed",
         "result": "iVBORw0KGgo...", "revised_prompt": "A harbour at dawn, flat illustration"},
        {"id": "msg_sample", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "Here are your images.", "annotations": []}]},
        {"id": "ig_sample_blocked", "type": "image_generation_call", "status": "failed", "result": None,
         "error": {"type": "image_generation_user_error", "code": "moderation_blocked",
                   "message": "(simulated) Your request was rejected by the safety system."}},
        {"id": "ig_sample_lighthouse", "type": "image_generation_call", "status": "completed",
         "result": "iVBORw0KGgo...", "revised_prompt": "A lighthouse on the harbour wall"},
    ],
}
SAMPLE_IMAGE_IDS = ["ig_sample_harbour", "ig_sample_lighthouse"]

# Other responses the learner's function must also read correctly.
_CASES = [
    (SAMPLE_RESPONSE, SAMPLE_IMAGE_IDS),
    ({"output": [{"id": "msg_only", "type": "message", "role": "assistant", "content": []}]}, []),
    ({"output": [{"id": "ig_one", "type": "image_generation_call", "status": "completed", "result": "QUJD"}]},
     ["ig_one"]),
]


@exercise("03.image_ids", title="Extract the ids of the images a response holds",
          wrong_answer=lambda response: [item["id"] for item in response["output"]],
          giveaways=lambda: tuple(str(expected) for _response, expected in _CASES if expected),
          method=("Walk response['output'] in order.",
                  "Keep an item when its 'type' is 'image_generation_call' and its 'status' is 'completed'.",
                  "Return the list of the kept items' 'id' values."))
def grade_image_ids(answer: Any) -> Verdict:
    """Grade an answer to 03.image_ids: a passing Result, or a Hint (first, then more specific)."""
    if not callable(answer):
        return Hint("answer should be a function image_ids(response).",
                    "define it with def and pass the function itself (no parentheses) to check.")
    for response, expected in _CASES:
        got = answer(response)
        if got == expected:
            continue
        if not isinstance(got, list):
            return Hint(f"return a list of id strings, got {type(got).__name__}.",
                        "build a list and return it at the end of the function.")
        if {"msg_sample", "msg_only"} & set(got):
            return Hint("a message item is not an image.",
                        "keep only items whose type is 'image_generation_call'.")
        if "ig_sample_blocked" in got:
            return Hint("one of those image calls produced no image.",
                        "ig_sample_blocked has status 'failed' and no result: keep only calls whose status is "
                        "'completed'.")
        if not got and expected:
            return Hint("you returned no ids, but the sample holds image calls.",
                        "walk response['output'] and keep the 'id' of each image call.")
        if set(got) == set(expected):
            return Hint("the right ids in the wrong order.", "keep them in the order of response['output'].")
        if set(got) < set(expected):
            return Hint("some completed image calls are missing.",
                        "look at every item of response['output'], not only the first.")
        return Hint(f"for a response whose output holds {[i.get('id') for i in response['output']]} you "
                    f"returned {got!r}.",
                    "keep the 'id' of each item whose type is 'image_generation_call' and whose status is "
                    "'completed'.")
    return Result(True, "you read the image calls the way helpers.responses.image_calls does.")


FOLLOW_UP_CALL_ID = "ig_sample_lighthouse"


@exercise("03.follow_up", title="Build a follow-up input that references an earlier image call",
          wrong_answer=[{"role": "user", "content": f"Edit {FOLLOW_UP_CALL_ID}: make the sky stormy"}],
          giveaways=lambda: (str({"type": "image_generation_call", "id": FOLLOW_UP_CALL_ID}),
                             str({"id": FOLLOW_UP_CALL_ID, "type": "image_generation_call"})),
          method=("Start a list with one user message: {'role': 'user', 'content': <what to change>}.",
                  "Add a second item that points at the earlier call the way the lesson's follow-up cell does: "
                  "its type and its id, nothing else.",
                  "Pass that list as input, without previous_response_id."))
def grade_follow_up(answer: Any) -> Verdict:
    """Grade an answer to 03.follow_up: a passing Result, or a Hint (first, then more specific)."""
    if not isinstance(answer, list):
        return Hint("input is a list of items.",
                    "one user message and one item that points at the earlier image call.")
    references = [item for item in answer if isinstance(item, dict)
                  and item.get("type") in ("image_generation_call", "item_reference")]
    messages = [item for item in answer if isinstance(item, dict) and item.get("role") == "user"]
    if not references:
        return Hint("nothing in this input points at the earlier call (an id inside the message text does not "
                    "attach the image).",
                    "add an item of its own that names the earlier call, typed like the call itself, as the "
                    "lesson's follow-up cell does.")
    if [r.get("id") for r in references] != [FOLLOW_UP_CALL_ID]:
        return Hint(f"reference exactly one call, FOLLOW_UP_CALL_ID (got {[r.get('id') for r in references]}).",
                    "the reference item carries the call's id under the key 'id'.")
    if "result" in references[0]:
        return Hint("the reference repeats the image itself.",
                    "the id is enough: sending the base64 result back again only makes the request bigger.")
    if len(messages) != 1 or not _text_of(messages[0].get("content")).strip():
        return Hint("the next turn needs to say what to change.",
                    "add one user message, {'role': 'user', 'content': '<what to change>'}.")
    if len(answer) != 2:
        return Hint("the input holds more than it needs.",
                    "keep the input to the two items: the user message and the reference.")
    form = ("the guide's id-only form" if references[0]["type"] == "image_generation_call"
            else "an item_reference, which works too (the guide shows type 'image_generation_call')")
    return Result(True, f"{form}: the earlier image is back in context without sending its bytes again.")


def _text_of(content: Any) -> str:
    """A message's words, whether content is a string or a list of input_text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "input_text")
    return ""
