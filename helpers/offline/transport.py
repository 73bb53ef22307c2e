"""The offline stand-in's transport: every request answered by the kit's simulator, never sent.

Only ``helpers.client`` wires it in (replay's fallback in offline mode, or the inner transport when
recording from the simulator).
"""

from __future__ import annotations

import json
from typing import Optional

import httpx2

from .. import api_errors
from ..transports import recording as rec
from ..transports.memory import AnswersFromMemory, to_httpx


def _json_model(request: httpx2.Request) -> Optional[str]:
    """The ``model`` of a JSON request body, or None (multipart or no body)."""
    try:
        body = json.loads(request.read() or b"null")
    except ValueError:
        return None
    return body.get("model") if isinstance(body, dict) else None


class SimulatorTransport(AnswersFromMemory):
    """Answers every request with the kit's offline simulator."""

    def __init__(self, simulator, *, event_delay: float = 0.0, scenario: Optional[str] = None):
        self.simulator, self.event_delay, self.scenario = simulator, event_delay, scenario

    def answer(self, request: httpx2.Request) -> rec.StoredResponse:
        if self.scenario:
            # moderation_details was observed only on the Responses route (errors._moderation_blocked);
            # the observed 403 names the requested model, so the simulated one names it too.
            extra = {}
            if self.scenario == "moderation_blocked":
                extra["route"] = "responses" if request.url.path.endswith("/responses") else "images"
            if self.scenario == "org_not_verified" and _json_model(request):
                extra["model"] = _json_model(request)
            status, body, headers = api_errors.error_body(self.scenario, **extra)
            return rec.StoredResponse(status, {"content-type": "application/json", **headers}, json=body)
        body = request.read()
        sim = self.simulator.handle(request.method, request.url.path, dict(request.url.params.multi_items()),
                                    dict(request.headers), body)
        headers = dict(sim.headers)
        if sim.events is not None:
            return rec.StoredResponse(sim.status, headers, sse=[dict(e) for e in sim.events])
        return rec.StoredResponse(sim.status, headers, json=sim.body)

    def remember(self, response: dict) -> None:
        """Let the simulator continue a conversation that started in a recording."""
        self.simulator.remember(response)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return to_httpx(self.answer(request), request, event_delay=self.event_delay)
