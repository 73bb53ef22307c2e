"""Checks for lesson 03 (multi-turn image work on the Responses API)."""

from __future__ import annotations

from typing import Any

from . import Result, exercise

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
          giveaways=lambda: tuple(str(expected) for _response, expected in _CASES if expected))
def grade_image_ids(answer: Any) -> Result:
    if not callable(answer):
        return Result(False, "define a function image_ids(response) that takes a response dict and returns a "
                             "list of ids, then pass the function itself (no parentheses).")
    for response, expected in _CASES:
        got = answer(response)
        if got == expected:
            continue
        if not isinstance(got, list):
            return Result(False, f"return a list of id strings, got {type(got).__name__}.")
        if {"msg_sample", "msg_only"} & set(got):
            return Result(False, "a message item is not an image: keep only items whose type is "
                                 "'image_generation_call'.")
        if "ig_sample_blocked" in got:
            return Result(False, "ig_sample_blocked has status 'failed' and no result: keep only calls whose "
                                 "status is 'completed'.")
        if not got and expected:
            return Result(False, "you returned no ids: walk response['output'] and keep the 'id' of each image "
                                 "call.")
        if set(got) == set(expected):
            return Result(False, "the right ids in the wrong order: keep them in the order of response['output'].")
        if set(got) < set(expected):
            return Result(False, "some completed image calls are missing: look at every item of "
                                 "response['output'], not only the first.")
        return Result(False, f"for a response whose output holds {[i.get('id') for i in response['output']]} you "
                             f"returned {got!r}: keep the 'id' of each item with type 'image_generation_call' and "
                             "status 'completed'.")
    return Result(True, "you read the image calls the way helpers.responses.image_calls does.")


FOLLOW_UP_CALL_ID = "ig_sample_lighthouse"


@exercise("03.follow_up", title="Build a follow-up input that references an earlier image call",
          wrong_answer=[{"role": "user", "content": f"Edit {FOLLOW_UP_CALL_ID}: make the sky stormy"}],
          giveaways=lambda: (str({"type": "image_generation_call", "id": FOLLOW_UP_CALL_ID}),
                             str({"id": FOLLOW_UP_CALL_ID, "type": "image_generation_call"})))
def grade_follow_up(answer: Any) -> Result:
    if not isinstance(answer, list):
        return Result(False, "input is a list of items: one user message and one item that points at the "
                             "earlier image call.")
    references = [item for item in answer if isinstance(item, dict)
                  and item.get("type") in ("image_generation_call", "item_reference")]
    messages = [item for item in answer if isinstance(item, dict) and item.get("role") == "user"]
    if not references:
        return Result(False, "nothing in this input points at the earlier call: add "
                             "{'type': 'image_generation_call', 'id': ...} as its own item (an id written "
                             "inside the message text does not attach the image).")
    if [r.get("id") for r in references] != [FOLLOW_UP_CALL_ID]:
        return Result(False, f"reference exactly one call, {FOLLOW_UP_CALL_ID!r}, with the key 'id' "
                             f"(got {[r.get('id') for r in references]}).")
    if "result" in references[0]:
        return Result(False, "the id is enough: sending the base64 result back again only makes the request "
                             "bigger.")
    if len(messages) != 1 or not _text_of(messages[0].get("content")).strip():
        return Result(False, "add one user message, {'role': 'user', 'content': '<what to change>'}, saying "
                             "what the next turn should change.")
    if len(answer) != 2:
        return Result(False, "keep the input to the two items: the user message and the reference.")
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
