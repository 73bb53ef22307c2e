"""Every response stored in notebooks/recordings parses with the pinned SDK's own types.

A recorded body that the SDK cannot read would break a learner's code in replay exactly where the
real API's answer would not: each 200 body is validated with the model the SDK gives that route
(ImagesResponse, Response, Model, FileObject, Batch), each stream event with the route's event
union, each Batch result line's body with ImagesResponse, and each error body with ErrorObject.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openai.types import Batch, FileObject, ImageEditStreamEvent, ImageGenStreamEvent, ImagesResponse, Model
from openai.types.responses import Response, ResponseStreamEvent
from openai.types.shared import ErrorObject
from pydantic import TypeAdapter

from helpers.transports import recording as rec

RECORDINGS = sorted((Path(__file__).resolve().parent.parent / "notebooks" / "recordings").glob("*.json"))
BODY_MODELS = [
    (r"/v1/images/(generations|edits)", ImagesResponse),
    (r"/v1/responses(/[\w-]+)?", Response),
    (r"/v1/models/[\w.-]+", Model),
    (r"/v1/files(/[\w-]+)?", FileObject),
    (r"/v1/batches(/[\w-]+)?", Batch),
]
EVENT_UNIONS = {"/v1/images/generations": TypeAdapter(ImageGenStreamEvent),
                "/v1/images/edits": TypeAdapter(ImageEditStreamEvent),
                "/v1/responses": TypeAdapter(ResponseStreamEvent)}


def thumbnails(value):
    """``value`` with each stored ``{"$image": {...}}`` replaced by its base64 thumbnail string."""
    if isinstance(value, dict):
        if set(value) == {"$image"}:
            return value["$image"]["thumbnail"]
        return {k: thumbnails(v) for k, v in value.items()}
    if isinstance(value, list):
        return [thumbnails(v) for v in value]
    return value


def interactions():
    for path in RECORDINGS:
        for number, interaction in enumerate(json.loads(path.read_text(encoding="utf-8"))["interactions"]):
            yield pytest.param(interaction, id=f"{path.stem}-{number}")


def test_there_are_recordings_to_check():
    assert len(RECORDINGS) >= 6 and sum(1 for _ in interactions()) > 50


@pytest.mark.parametrize("interaction", list(interactions()))
def test_recorded_response_parses_with_the_sdk_types(interaction):
    path = interaction["request"]["path"]
    # Shrunk images stay thumbnails (replay expands them to base64 strings of the recorded size):
    # the shapes are what replay serves, without the cost of expanding every picture.
    response = thumbnails(interaction["response"])
    stored = rec.StoredResponse(response["status"], response.get("headers", {}), json=response.get("json"),
                                sse=response.get("sse"))
    if stored.status != 200:
        ErrorObject.model_validate(stored.json["error"])
        return
    if stored.sse is not None:
        union = EVENT_UNIONS[path]
        for event in stored.sse:
            union.validate_python(event["data"])
        return
    if rec.is_jsonl_payload(stored.json):  # a Batch output or error file
        for line in stored.json[rec.JSONL_KEY]:
            body = (line.get("response") or {}).get("body")
            if body is not None and line["response"]["status_code"] == 200:
                ImagesResponse.model_validate(body)
            elif body is not None:
                ErrorObject.model_validate(body["error"])
        return
    model = next(m for pattern, m in BODY_MODELS if re.fullmatch(pattern, path))
    model.model_validate(stored.json)
