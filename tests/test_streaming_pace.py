"""Offline streams stay visibly progressive: each image-bearing event is paced, bookkeeping events are not."""

from helpers import transports


def test_only_events_that_carry_an_image_wait(monkeypatch):
    waits = []
    monkeypatch.setattr(transports.memory.time, "sleep", waits.append)
    events = [
        {"event": "response.created", "data": {"type": "response.created"}},
        {"event": "response.image_generation_call.partial_image", "data": {"partial_image_b64": "QUJD"}},
        {"event": "response.output_text.delta", "data": {"delta": "Here"}},
        {"event": "response.image_generation_call.partial_image", "data": {"partial_image_b64": "REVG"}},
        {"event": "response.output_item.done", "data": {"item": {"type": "image_generation_call", "result": "R0hJ"}}},
        {"event": "image_generation.completed", "data": {"b64_json": "SktM"}},
        {"event": "response.completed", "data": {"type": "response.completed"}},
    ]
    frames = list(transports.memory.EventStream(events, 0.3))
    assert len(frames) == len(events)
    assert waits == [0.3] * 4


def test_no_pacing_when_the_delay_is_zero(monkeypatch):
    waits = []
    monkeypatch.setattr(transports.memory.time, "sleep", waits.append)
    list(transports.memory.EventStream([{"event": "x", "data": {"b64_json": "QUJD"}}] * 3, 0.0))
    assert waits == []
