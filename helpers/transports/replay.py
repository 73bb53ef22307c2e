"""Replay: answers from a recording, strict unless an offline fallback is given (offline mode)."""

from __future__ import annotations

import sys
from typing import Callable, Optional, Protocol

import httpx2

from ..wrapping import wrap
from . import recording as rec
from .memory import AnswersFromMemory, read_request, to_httpx


class Fallback(Protocol):
    """What replay asks of the offline stand-in when a request is not recorded (``offline.transport``)."""

    def answer(self, request: httpx2.Request) -> rec.StoredResponse: ...

    def remember(self, response: dict) -> None: ...


# On an answer the offline simulator drew because the recording did not hold the request.
NOT_RECORDED_HEADER = "x-cookbook-simulated-not-recorded"


class ReplayTransport(AnswersFromMemory):
    """Answers from a recording. Strict (``RecordingMismatch`` with a diff) unless a fallback is given.

    Offline mode gives the stand-in as ``fallback``: a request the recording lacks is answered by it,
    labelled SIMULATED, NOT RECORDED on stderr and in ``NOT_RECORDED_HEADER``.
    """

    def __init__(self, recording: rec.Recording, *, fallback: Optional[Fallback] = None,
                 event_delay: float = 0.0, scenario: Optional[str] = None,
                 warn: Callable[[str], None] = lambda m: print(m, file=sys.stderr)):
        self.recording, self.fallback, self.event_delay, self.warn = recording, fallback, event_delay, warn
        self.scenario = scenario
        self.log: list[tuple[str, str, int]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        normalised = read_request(request, self.scenario)
        try:
            stored, _ = self.recording.lookup(normalised)
        except rec.RecordingMismatch:
            if self.fallback is None:
                raise
            warning = (f"SIMULATED, NOT RECORDED: {request.method} {request.url.path} is not in "
                       f"{self.recording.path.name}; the kit's offline simulator drew this answer.")
            self.warn(wrap(warning))  # the header below keeps it on one line, as headers must be
            stored = self.fallback.answer(request)
            # Code that shows no stderr (a widget's button) reads the same warning from the answer.
            stored = rec.StoredResponse(stored.status, {**stored.headers, NOT_RECORDED_HEADER: warning},
                                        json=stored.json, sse=stored.sse)
        else:
            if self.fallback is not None:
                self._share_with_simulator(stored)
        self.log.append((request.method, request.url.path, stored.status))
        return to_httpx(stored, request, event_delay=self.event_delay)

    def _share_with_simulator(self, stored: rec.StoredResponse) -> None:
        """Let the simulator continue a conversation that started in the recording."""
        if isinstance(stored.json, dict) and stored.json.get("object") == "response":
            self.fallback.remember(stored.json)
        for event in stored.sse or ():
            if isinstance(event["data"], dict) and event["data"].get("type") == "response.completed":
                self.fallback.remember(event["data"]["response"])
