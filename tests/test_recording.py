import base64
import io
import json
import os

import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from helpers.transports import recording as rec
from tests.conftest import b64_png, png_bytes

GENERATE = {"model": "gpt-image-1-mini", "prompt": "Draw a red kite", "size": "1024x1024",
            "quality": "medium", "output_format": "jpeg", "output_compression": 80, "n": 1}


def normalised_json(body: dict) -> dict:
    return rec.normalise_request("POST", "/v1/images/generations", [], "application/json",
                                 json.dumps(body).encode())


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str) -> tuple[str, bytes]:
    chunks = []
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if filename:
            head += "Content-Type: image/png\r\n"
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def stored_recording(tmp_path, *pairs):
    recording = rec.Recording(tmp_path / "lesson.json")
    for request, body in pairs:
        recording.add(request, rec.StoredResponse(200, {"content-type": "application/json"}, json=body), rec.SIMULATOR)
    return rec.Recording.load(recording.path)


def test_json_bodies_match_as_data_not_text():
    reordered = dict(reversed(list(GENERATE.items())))
    assert rec.request_key(normalised_json(GENERATE)) == rec.request_key(normalised_json(reordered))


def test_multipart_matches_on_pixels_not_encoding_or_boundary():
    fast, small = png_bytes(compress_level=1), png_bytes(compress_level=9)
    assert fast != small
    a = rec.normalise_request("POST", "/v1/images/edits", [], *multipart(
        [("prompt", None, b"Edit it"), ("image[]", "a.png", fast)], "aaa"))
    b = rec.normalise_request("POST", "/v1/images/edits", [], *multipart(
        [("prompt", None, b"Edit it"), ("image[]", "a.png", small)], "bbb"))
    other = rec.normalise_request("POST", "/v1/images/edits", [], *multipart(
        [("prompt", None, b"Edit it"), ("image[]", "a.png", png_bytes(color=(0, 0, 0, 255)))], "aaa"))
    assert rec.request_key(a) == rec.request_key(b)
    assert rec.request_key(a) != rec.request_key(other)
    assert a["files"]["image[]"][0]["image"] == "64x64"


def test_image_order_in_multipart_is_significant():
    red, blue = png_bytes(color=(255, 0, 0, 255)), png_bytes(color=(0, 0, 255, 255))
    first = rec.normalise_request("POST", "/v1/images/edits", [], *multipart(
        [("image[]", "r.png", red), ("image[]", "b.png", blue)], "x"))
    swapped = rec.normalise_request("POST", "/v1/images/edits", [], *multipart(
        [("image[]", "b.png", blue), ("image[]", "r.png", red)], "x"))
    assert rec.request_key(first) != rec.request_key(swapped)


def test_data_url_images_in_json_are_fingerprinted():
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    request = rec.normalise_request("POST", "/v1/responses", [], "application/json",
                                    json.dumps({"input": [{"image_url": data_url}]}).encode())
    assert request["json"]["input"][0]["image_url"]["image"] == "64x64"
    assert "base64" not in json.dumps(request)


_mutations = st.sampled_from(sorted(GENERATE)).flatmap(
    lambda key: st.tuples(st.just(key), st.one_of(st.text(max_size=8), st.integers(), st.none(), st.booleans())))


@settings(max_examples=150, deadline=None)
@given(_mutations)
def test_any_changed_parameter_misses(tmp_path_factory, mutation):
    key, value = mutation
    if GENERATE[key] == value and type(GENERATE[key]) is type(value):
        return
    recording = stored_recording(tmp_path_factory.mktemp("r"), (normalised_json(GENERATE), {"ok": 1}))
    with pytest.raises(rec.RecordingMismatch) as info:
        recording.lookup(normalised_json({**GENERATE, key: value}))
    assert key in str(info.value)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(sorted(GENERATE)))
def test_a_dropped_parameter_misses(tmp_path_factory, key):
    recording = stored_recording(tmp_path_factory.mktemp("r"), (normalised_json(GENERATE), {"ok": 1}))
    with pytest.raises(rec.RecordingMismatch):
        recording.lookup(normalised_json({k: v for k, v in GENERATE.items() if k != key}))


def test_mismatch_message_shows_a_readable_diff(tmp_path):
    recording = stored_recording(tmp_path, (normalised_json(GENERATE), {"ok": 1}))
    with pytest.raises(rec.RecordingMismatch) as info:
        recording.lookup(normalised_json({**GENERATE, "prompt": "Draw a blue kite"}))
    message = str(info.value)
    assert '-  "prompt": "Draw a red kite",' in message
    assert '+  "prompt": "Draw a blue kite",' in message
    assert "lesson.json" in message


def test_identical_requests_replay_in_recorded_order_and_the_last_repeats(tmp_path):
    request = normalised_json(GENERATE)
    recording = stored_recording(tmp_path, (request, {"turn": 1}), (request, {"turn": 2}))
    served = [recording.lookup(request)[0].json["turn"] for _ in range(4)]
    assert served == [1, 2, 2, 2]


def test_images_are_stored_small_and_expanded_to_their_claimed_size(tmp_path, images_response):
    recording = stored_recording(tmp_path, (normalised_json(GENERATE), images_response))
    text = recording.path.read_text()
    assert len(text) < len(images_response["data"][0]["b64_json"]) / 4
    replayed = recording.lookup(normalised_json(GENERATE))[0].json
    image = Image.open(io.BytesIO(base64.b64decode(replayed["data"][0]["b64_json"])))
    assert image.size == (1024, 1024) and image.format == "PNG"


def test_transparent_images_keep_their_alpha_through_storage():
    shrunk = rec.shrink_image(base64.b64encode(png_bytes((1500, 1500), (0, 0, 0, 0))).decode())
    image = Image.open(io.BytesIO(base64.b64decode(rec.expand_image(shrunk))))
    assert image.size == (1500, 1500) and image.getpixel((3, 3))[3] == 0


def test_a_failed_write_leaves_the_previous_recording_intact(tmp_path, monkeypatch):
    recording = stored_recording(tmp_path, (normalised_json(GENERATE), {"ok": 1}))
    before = recording.path.read_bytes()

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        recording.add(normalised_json({**GENERATE, "n": 2}), rec.StoredResponse(200, {}, json={}), rec.SIMULATOR)
    assert recording.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.json"]


def test_each_interaction_says_where_it_came_from(tmp_path):
    recording = stored_recording(tmp_path, (normalised_json(GENERATE), {"ok": 1}))
    document = json.loads(recording.path.read_text())
    assert document["sources"] == ["simulator"]
    assert document["interactions"][0]["source"] == "simulator"
    assert "not by OpenAI" in document["note"]
