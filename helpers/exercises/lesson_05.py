"""Checks for lesson 05 (rate limits and the Batch API)."""

from __future__ import annotations

from .. import bulk, pricing, registry
from . import Hint, Result, Verdict, exercise


def _batch_model() -> str:
    """The model the lesson runs Batch with: the lesson's model, or the registry's Batch fallback for it."""
    return pricing.batch_model(registry.lesson_image_model())[0] or registry.lesson_image_model()


@exercise("05.batch_line", title="Write one Batch input line for an image generation",
          wrong_answer={"custom_id": "", "method": "GET", "url": "/v1/images/edits", "body": {}},
          giveaways=lambda: (_batch_model(),), facts=True,
          method=("A line is a dict with four keys: custom_id, method, url and body.",
                  "custom_id is any non-empty string of yours; method is the HTTP method the synchronous call "
                  "uses; url is the generations path the lesson's batch file uses.",
                  "body is what images.generate would send, with model set to BATCH_MODEL and no streaming."))
def grade_batch_line(answer) -> Verdict:
    """Grade an answer to 05.batch_line: a passing Result, or a Hint (first, then more specific)."""
    if not isinstance(answer, dict):
        return Hint("a Batch input line is a dict.", "one JSON object per line of the file: write it as a dict.")
    missing = [k for k in ("custom_id", "method", "url", "body") if k not in answer]
    if missing:
        return Hint(f"the line is missing {', '.join(missing)}.",
                    "each line needs custom_id, method, url and body, as the lesson's batch file shows.")
    if not isinstance(answer["custom_id"], str) or not answer["custom_id"]:
        return Hint("custom_id must be a non-empty string.", "it is how you match a result to its request.")
    if answer["method"] != "POST":
        return Hint("that method is not how an image request is sent.",
                    "every Batch line is sent with the method the synchronous call uses (the one that sends a body).")
    if answer["url"] != bulk.GENERATIONS:
        return Hint("this line is a generation: check its url.",
                    f"edit lines go to {bulk.EDITS}; a generation goes to the generations path of the same API.")
    body = answer["body"]
    if not isinstance(body, dict) or body.get("model") != _batch_model():
        return Hint("the body does not name the model the batch runs with.",
                    "body is what images.generate would send: set model to the lesson's Batch model, BATCH_MODEL "
                    "(pricing.batch_model(MODEL)).")
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        return Hint("the body has no prompt.", "body needs a prompt, as any generation request does.")
    if body.get("stream"):
        return Hint("Batch requests do not stream.", "leave out stream and partial_images.")
    return Result(True, "that line would run in a /v1/images/generations batch.")


CASES = ((7, 5), (12, 5), (1, 5), (5, 5), (100, 20), (250, 250), (251, 250))


def _spans() -> tuple[str, ...]:
    return tuple(f"{span:g} s" for span in {bulk.minimum_span(count, ipm) for count, ipm in CASES} if span)


@exercise("05.last_start", title="When can the last image start under a per-minute limit?",
          wrong_answer=lambda count, images_per_minute: count / images_per_minute * 60, giveaways=_spans,
          method=("Count the groups of up to images_per_minute images: count / images_per_minute, rounded up.",
                  "The first group starts at 0 s and each later group one minute after the previous one.",
                  "The last image starts with the last group."))
def grade_last_start(answer) -> Verdict:
    """Grade an answer to 05.last_start: a passing Result, or a Hint (first, then more specific)."""
    if not callable(answer):
        return Hint("answer should be a function.", "define last_start(count, images_per_minute) returning seconds.")
    for count, ipm in CASES:
        expected, got = bulk.minimum_span(count, ipm), answer(count, ipm)
        if got == expected:
            continue
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return Hint(f"return a number of seconds, not {type(got).__name__}.",
                        "end the function with a return of the number of seconds.")
        if count <= ipm:
            return Hint(f"{count} images at {ipm} per minute fit in the first window: when does the last start?",
                        "a limit counted over a sliding minute lets every image of the first window start at once.")
        way = "too late" if got > expected else "too early"
        return Hint(f"for {count} images at {ipm} images per minute, {got!r} s is {way}.",
                    f"images start in groups of up to {ipm}, not one by one: how many groups are there, and when "
                    "does each start?")
    return Result(True, "a sliding one-minute window lets groups of the limit start a minute apart.")
