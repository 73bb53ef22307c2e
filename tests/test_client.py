"""make_client in each mode, including the live path over real HTTP against the simulator on 127.0.0.1."""

import io
import json
from pathlib import Path

import openai
import pytest
from PIL import Image, ImageDraw

from helpers import budget, client as client_module
from helpers.transports import recording as rec
from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator
from helpers.wrapping import LINE_WIDTH

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

SAMPLES = Path(__file__).resolve().parent.parent / "sample_inputs"
MINI = "gpt-image-1-mini"


@pytest.fixture
def recordings(tmp_path, monkeypatch):
    monkeypatch.setattr(client_module, "RECORDINGS_DIR", tmp_path)
    monkeypatch.setattr(client_module, "OFFLINE_EVENT_DELAY_S", 0.0)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("COOKBOOK_MODE", raising=False)
    monkeypatch.setattr(rec, "_OPEN_FOR_RECORDING", {})
    return tmp_path


def record_with_simulator(monkeypatch, recordings, lesson, call):
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    call(client_module.make_client(lesson, mode="record", quiet=True))
    (recordings / f"{lesson}.new.json").rename(recordings / f"{lesson}.json")


def generate(client, prompt="Draw a kite"):
    return client.images.generate(model=MINI, prompt=prompt, size="1024x1024", quality="low")


def test_default_mode_is_offline(recordings, capsys):
    assert client_module.current_mode() == "offline"
    client_module.make_client("lesson")
    assert "Mode: offline" in capsys.readouterr().out


def test_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("COOKBOOK_MODE", "liev")
    with pytest.raises(client_module.ModeError, match="liev"):
        client_module.current_mode()


def test_record_from_simulator_then_replay_strictly(recordings, monkeypatch, capsys):
    record_with_simulator(monkeypatch, recordings, "lesson", generate)
    document = json.loads((recordings / "lesson.json").read_text())
    assert document["sources"] == ["simulator"]
    replay = client_module.make_client("lesson", mode="replay")
    assert "recorded from the kit's offline simulator (not OpenAI)" in capsys.readouterr().out
    assert generate(replay).usage.output_tokens == 272
    with pytest.raises(rec.RecordingMismatch):
        generate(replay, prompt="Draw a boat")


def test_offline_mode_falls_back_to_the_simulator_with_a_visible_warning(recordings, monkeypatch, capsys):
    record_with_simulator(monkeypatch, recordings, "lesson", generate)
    offline = client_module.make_client("lesson", mode="offline", quiet=True)
    result = generate(offline, prompt="Draw a boat")
    assert result.data[0].b64_json
    warning = capsys.readouterr().err
    assert "SIMULATED, NOT RECORDED" in warning
    assert max(len(line) for line in warning.splitlines()) <= LINE_WIDTH


def test_offline_fallback_continues_a_recorded_conversation(recordings, monkeypatch):
    model = "gpt-5.5"

    def first_turn(client):
        return client.responses.create(model=model, input="Draw a lighthouse", tools=[{"type": "image_generation"}])

    record_with_simulator(monkeypatch, recordings, "chat", first_turn)
    offline = client_module.make_client("chat", mode="offline", quiet=True)
    first = first_turn(offline)
    follow_up = offline.responses.create(model=model, previous_response_id=first.id, input="Make it night",
                                         tools=[{"type": "image_generation"}])
    assert follow_up.output[0].type == "image_generation_call"


def test_live_mode_needs_a_key(recordings):
    with pytest.raises(client_module.ModeError, match="OPENAI_API_KEY"):
        client_module.make_client("lesson", mode="live")


def test_live_path_over_real_http_with_cap_multipart_sse_and_retry(recordings, monkeypatch):
    clock = [1000.0]
    simulator = Simulator(clock=lambda: clock[0], images_per_minute=1)
    monkeypatch.setattr(budget, "KERNEL_CAP", budget.SpendingCap(limit_usd=0.10))
    with serve(simulator) as base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-live-path")
        monkeypatch.setenv("COOKBOOK_TODAY", "2026-11-29")  # live asks today's lifecycle: pin the day
        live = client_module.make_client("lesson", mode="live", quiet=True, max_retries=0)
        assert generate(live).usage.output_tokens == 272
        with pytest.raises(openai.RateLimitError) as info:
            generate(live)
        assert float(info.value.response.headers["retry-after"]) > 0
        clock[0] += 61
        with open(SAMPLES / "room.png", "rb") as room:
            edited = live.images.edit(model=MINI, image=room, prompt="Add a plant", quality="low", size="1024x1024",
                                      mask=("mask.png", _mask_for(SAMPLES / "room.png"), "image/png"))
        assert edited.size == "1024x1024"
        clock[0] += 61
        events = [e.type for e in live.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024",
                                                       stream=True, partial_images=2)]
        assert events == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert 0 < budget.KERNEL_CAP.spent_usd < 0.10


def _mask_for(path: Path) -> bytes:
    with Image.open(path) as base:
        mask = Image.new("RGBA", base.size, (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((100, 100, 400, 400), fill=(0, 0, 0, 0))
    out = io.BytesIO()
    mask.save(out, "PNG")
    return out.getvalue()


def test_failure_scenarios_record_and_replay_as_the_sdks_exceptions(recordings, monkeypatch):
    def fail(client):
        with pytest.raises(openai.RateLimitError) as info:
            generate(client)
        return info.value

    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    recorded = fail(client_module.make_client("triage", mode="record", quiet=True, scenario="insufficient_quota",
                                              max_retries=0))
    (recordings / "triage.new.json").rename(recordings / "triage.json")
    replayed = fail(client_module.make_client("triage", mode="replay", quiet=True, scenario="insufficient_quota",
                                              max_retries=0))
    assert replayed.code == recorded.code == "insufficient_quota"
    plain = client_module.make_client("triage", mode="replay", quiet=True)
    with pytest.raises(rec.RecordingMismatch, match="scenario"):
        generate(plain)


def test_failure_scenarios_never_reach_the_real_api(recordings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    live = client_module.make_client("triage", mode="live", scenario="insufficient_quota", quiet=True,
                                     max_retries=0)
    with pytest.raises(openai.RateLimitError) as info:
        generate(live)
    assert info.value.code == "insufficient_quota"
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "api")
    recorder = client_module.make_client("triage", mode="record", scenario="insufficient_quota", quiet=True,
                                         max_retries=0)
    with pytest.raises(openai.RateLimitError):
        generate(recorder)
    document = json.loads((recordings / "triage.new.json").read_text())
    assert document["sources"] == ["simulator"]


def test_offline_learners_past_the_recordings_day_see_the_calendar_notice_once(monkeypatch, capsys, lessons_on_mini):
    monkeypatch.setattr(client_module, "_NOTICE_SHOWN", __import__("threading").Event())
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-12-02")
    client_module.make_client("01_generate", mode="offline")
    client_module.make_client("01_generate", mode="offline")
    printed = capsys.readouterr().out
    assert all(len(line) <= LINE_WIDTH for line in printed.splitlines()), printed
    out = " ".join(printed.split())  # the notice wraps at the kit's width
    assert out.count("since then gpt-image-1-mini shut down on 2026-12-01") == 1
    assert "live, the lessons use gpt-image-2.6-flare" in out
    client_module.make_client("01_generate", mode="replay")
    assert "since then" not in capsys.readouterr().out


def test_no_calendar_notice_in_replay_or_before_the_event(monkeypatch):
    assert client_module.calendar_notice("replay", {"COOKBOOK_TODAY": "2026-12-02"}) is None
    assert client_module.calendar_notice("live", {"COOKBOOK_TODAY": "2026-12-02"}) is None
    assert client_module.calendar_notice("offline", {"COOKBOOK_TODAY": "2026-11-30"}) is None


def test_live_mode_says_where_requests_go_when_the_base_url_is_not_openai(recordings, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-base-url")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    client_module.make_client("lesson", mode="live")
    line = capsys.readouterr().out
    assert "Requests go to http://127.0.0.1:8000/v1 (OPENAI_BASE_URL)" in line and "Real API calls" not in line
