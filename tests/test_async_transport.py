"""The kit's transports under openai.AsyncOpenAI: record, replay, simulate and the spending cap."""

from __future__ import annotations

import asyncio

import httpx2
import openai
import pytest

from helpers import budget
from helpers import transports
from helpers.offline.transport import SimulatorTransport
from helpers.transports import recording as rec
from helpers.offline.simulator import Simulator

MINI = "gpt-image-1-mini"


def async_client(inner) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="test-placeholder", base_url="https://api.openai.com/v1", max_retries=0,
                              http_client=openai.DefaultAsyncHttpx2Client(transport=inner))


class AsyncSimulatorAPI(httpx2.AsyncBaseTransport):
    """Stands in for httpx2.AsyncHTTPTransport: the simulator behind an async interface, counting requests."""

    def __init__(self):
        self.inner, self.sent = SimulatorTransport(Simulator()), 0

    async def handle_async_request(self, request):
        self.sent += 1
        return await self.inner.handle_async_request(request)


def test_record_then_replay_with_the_async_client(tmp_path):
    recording = rec.open_for_recording(tmp_path / "lesson.new.json")
    recorder = transports.RecordingTransport(SimulatorTransport(Simulator()), recording, rec.SIMULATOR)

    async def twice(inner):
        client = async_client(inner)
        image = await client.images.generate(model=MINI, prompt="A kite", quality="low")
        events = [e.type async for e in await client.images.generate(model=MINI, prompt="A kite", quality="low",
                                                                      stream=True, partial_images=1)]
        return image, events

    recorded, recorded_events = asyncio.run(twice(recorder))
    recording.save()
    replayed, replayed_events = asyncio.run(twice(transports.ReplayTransport(rec.Recording.load(recording.path))))
    assert replayed.created == recorded.created and replayed_events == recorded_events
    assert recorded_events == ["image_generation.partial_image", "image_generation.completed"]


def test_the_spending_cap_holds_for_the_async_client():
    api = AsyncSimulatorAPI()
    cap = budget.SpendingCap(limit_usd=0.01)
    client = async_client(transports.SpendingCapTransport(api, cap))
    asyncio.run(client.images.generate(model=MINI, prompt="A kite", quality="low", size="1024x1024"))
    assert api.sent == 1 and 0 < cap.spent_usd <= 0.01
    with pytest.raises(budget.BudgetExceeded):
        asyncio.run(client.images.generate(model=MINI, prompt="A kite", quality="high", size="1024x1024"))
    assert api.sent == 1  # refused before sending
