"""The kit rolls over the next shutdown by itself, from the registry alone.

The registry below gives gpt-image-2.6-flare (the lessons' model on 2026-12-02) a notice date, a
shutdown date and a successor, as a deprecations page would. Nothing else changes: every consumer
is asked before, during and after the notice, and follows.
"""

import datetime as dt
from dataclasses import replace

import httpx2
import openai
import pytest

from helpers import playground, registry, run_plan, tracks
from helpers.offline.simulator import Simulator
from helpers.offline.transport import SimulatorTransport
from helpers.transports.precheck import PreSendCheckTransport

FLARE, NEXT = "gpt-image-2.6-flare", "gpt-image-2.6-sunburst"
NOTICE, SHUTDOWN = "2027-01-05", "2027-04-06"
BEFORE, DURING, AFTER = dt.date(2026, 12, 20), dt.date(2027, 2, 1), dt.date(2027, 4, 6)
REQUEST = dict(prompt="Draw a red kite", size="1024x1024", quality="low")


@pytest.fixture(autouse=True)
def flare_retiring(monkeypatch):
    models = dict(registry.MODELS)
    life = models[FLARE].lifecycle
    models[FLARE] = replace(models[FLARE], lifecycle=replace(
        life, deprecated_on=NOTICE, shutdown_date=SHUTDOWN, successors=(NEXT,)))
    monkeypatch.setattr(registry, "MODELS", models)


def test_the_lessons_model_follows_the_lane_past_the_shutdown():
    assert [registry.lesson_image_model(day, env={}) for day in (BEFORE, DURING, AFTER)] == [FLARE, FLARE, NEXT]


def test_a_successor_track_exists_only_during_the_notice():
    assert [[t.name for t in registry.lesson_tracks(day)] for day in (BEFORE, DURING, AFTER)] == [
        [tracks.PRIMARY], [tracks.PRIMARY, tracks.SUCCESSOR], [tracks.PRIMARY]]
    assert registry.track_image_model(tracks.SUCCESSOR, DURING) == NEXT


def test_the_playground_offers_and_defaults_to_the_days_model():
    assert playground.default_model(DURING) == FLARE
    assert "2027-04-06" in playground.status_label(FLARE, DURING)
    assert playground.default_model(AFTER) == NEXT
    assert FLARE not in [model for _, model in playground.offered_models(AFTER)]


def test_the_readme_table_shows_the_notice():
    row = next(line for line in registry.markdown_model_table(DURING).splitlines() if line.startswith(f"| `{FLARE}` |"))
    assert f"| {registry.DEPRECATED} | {SHUTDOWN} | `{NEXT}` |" in row


def _client(inner):
    return openai.OpenAI(api_key="sk-test", base_url="http://simulator.invalid/v1", max_retries=0,
                         http_client=httpx2.Client(transport=inner))


def test_the_simulator_refuses_flare_from_the_shutdown_day():
    assert _client(SimulatorTransport(Simulator(day=DURING))).images.generate(model=FLARE, **REQUEST).data
    with pytest.raises(openai.BadRequestError, match=f"The model '{FLARE}' does not exist"):
        _client(SimulatorTransport(Simulator(day=AFTER))).images.generate(model=FLARE, **REQUEST)
    assert _client(SimulatorTransport(Simulator(day=AFTER))).images.generate(model=NEXT, **REQUEST).data


def test_live_refuses_flare_before_sending_from_the_shutdown_day():
    sent = []

    class Counting(SimulatorTransport):
        def handle_request(self, request):
            sent.append(request)
            return super().handle_request(request)

    live = _client(PreSendCheckTransport(Counting(Simulator(day=AFTER)), day=lambda: AFTER))
    with pytest.raises(registry.ModelShutDown, match=SHUTDOWN):
        live.images.generate(model=FLARE, **REQUEST)
    assert sent == []
    live.images.generate(model=registry.lesson_image_model(AFTER, env={}), **REQUEST)
    assert len(sent) == 1


def test_the_live_cost_notice_prices_the_model_that_will_be_sent():
    after = run_plan.plan_lesson("01_generate", AFTER)
    images = [r for r in after.live if "/images/" in r.path]
    assert images and all(NEXT in r.description and FLARE not in r.description for r in images)
    text = run_plan.live_cost_text("01_generate", "live", env={"COOKBOOK_TODAY": AFTER.isoformat()})
    assert f"on {AFTER} with {NEXT}" in text.replace("\n  ", " ")
    during = run_plan.plan_lesson("01_generate", DURING)
    assert all(FLARE in r.description for r in during.live if "/images/" in r.path)


def test_offline_learners_are_told_after_the_shutdown(monkeypatch):
    monkeypatch.setattr(registry, "AS_OF", DURING.isoformat())
    notice = registry.calendar_notice(AFTER)
    assert FLARE in notice and SHUTDOWN in notice and NEXT in notice
    assert registry.calendar_notice(DURING) is None
