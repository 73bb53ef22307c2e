"""Checks for lesson 05 (rate limits and the Batch API)."""

from __future__ import annotations

from .. import bulk, pricing, registry
from . import Result, exercise


def _batch_model() -> str:
    """The model the lesson runs Batch with: the lesson's model, or the registry's Batch fallback for it."""
    return pricing.batch_model(registry.lesson_image_model())[0] or registry.lesson_image_model()


@exercise("05.batch_line", title="Write one Batch input line for an image generation",
          wrong_answer={"custom_id": "", "method": "GET", "url": "/v1/images/edits", "body": {}},
          giveaways=lambda: (_batch_model(),))
def grade_batch_line(answer) -> Result:
    if not isinstance(answer, dict):
        return Result(False, "a Batch input line is a dict (one JSON object per line of the file).")
    missing = [k for k in ("custom_id", "method", "url", "body") if k not in answer]
    if missing:
        return Result(False, f"each line needs custom_id, method, url and body; missing: {', '.join(missing)}.")
    if not isinstance(answer["custom_id"], str) or not answer["custom_id"]:
        return Result(False, "custom_id must be a non-empty string: it is how you match a result to its request.")
    if answer["method"] != "POST":
        return Result(False, "every Batch line is sent as a POST, as the synchronous call would be.")
    if answer["url"] != bulk.GENERATIONS:
        return Result(False, f"this line is a generation, so its url is {bulk.GENERATIONS} (edit lines go to "
                             f"{bulk.EDITS} with a JSON body).")
    body = answer["body"]
    if not isinstance(body, dict) or body.get("model") != _batch_model():
        return Result(False, "body is what images.generate would send: set model to the lesson's Batch model, "
                             "BATCH_MODEL (pricing.batch_model(MODEL)).")
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        return Result(False, "body needs a prompt, as any generation request does.")
    if body.get("stream"):
        return Result(False, "Batch requests do not stream: leave out stream and partial_images.")
    return Result(True, "that line would run in a /v1/images/generations batch.")


CASES = ((7, 5), (12, 5), (1, 5), (5, 5), (100, 20), (250, 250), (251, 250))


def _spans() -> tuple[str, ...]:
    return tuple(f"{span:g} s" for span in {bulk.minimum_span(count, ipm) for count, ipm in CASES} if span)


@exercise("05.last_start", title="When can the last image start under a per-minute limit?",
          wrong_answer=lambda count, images_per_minute: count / images_per_minute * 60, giveaways=_spans)
def grade_last_start(answer) -> Result:
    if not callable(answer):
        return Result(False, "answer should be a function answer(count, images_per_minute) returning seconds.")
    for count, ipm in CASES:
        expected, got = bulk.minimum_span(count, ipm), answer(count, ipm)
        if got == expected:
            continue
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return Result(False, f"return a number of seconds, not {type(got).__name__}.")
        if count <= ipm:
            return Result(False, f"{count} images at {ipm} per minute fit in the first window: when does the "
                                 "last of them start?")
        way = "too late" if got > expected else "too early"
        return Result(False, f"for {count} images at {ipm} images per minute, {got!r} s is {way}. Step 1: how many "
                             f"groups of up to {ipm} are there (round up)? Step 2: the first group starts at 0 s and "
                             "each later group one minute after the previous one.")
    return Result(True, "a sliding one-minute window lets groups of the limit start a minute apart.")
