"""Checks for lesson 05 (rate limits and the Batch API)."""

from __future__ import annotations

from .. import bulk, registry
from . import Result, exercise


@exercise("05.batch_line", title="Write one Batch input line for an image generation",
          wrong_answer={"custom_id": "", "method": "GET", "url": "/v1/images/edits", "body": {}})
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
        return Result(False, f"url must be the batch's endpoint, {bulk.GENERATIONS}; JSON bodies for edits in "
                             "Batch are not verified.")
    body = answer["body"]
    if not isinstance(body, dict) or body.get("model") != registry.lesson_image_model():
        return Result(False, "body is what images.generate would send: set model to registry.lesson_image_model().")
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        return Result(False, "body needs a prompt, as any generation request does.")
    if body.get("stream"):
        return Result(False, "Batch requests do not stream: leave out stream and partial_images.")
    return Result(True, "that line would run in a /v1/images/generations batch.")


CASES = ((7, 5), (12, 5), (1, 5), (5, 5), (100, 20), (250, 250), (251, 250))


@exercise("05.last_start", title="When can the last image start under a per-minute limit?",
          wrong_answer=lambda count, images_per_minute: count / images_per_minute * 60)
def grade_last_start(answer) -> Result:
    if not callable(answer):
        return Result(False, "answer should be a function answer(count, images_per_minute) returning seconds.")
    for count, ipm in CASES:
        expected, got = bulk.minimum_span(count, ipm), answer(count, ipm)
        if got != expected:
            return Result(False, f"for {count} images at {ipm} images per minute you gave {got!r} s, expected {expected:g} s. "
                                 "The first window's images all start at once; each later group of up to "
                                 f"{ipm} starts one minute after the previous group.")
    return Result(True, "a sliding one-minute window lets groups of the limit start a minute apart.")
