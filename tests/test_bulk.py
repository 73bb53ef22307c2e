"""Bulk generation: pacing math, 429 handling, stopping, resuming, saving, spending; Batch JSONL."""

from __future__ import annotations

import base64
import io
import json
import threading

import httpx2
import openai
import pytest
from PIL import Image

from helpers import budget, bulk, pricing, registry
from helpers.offline.transport import SimulatorTransport
from helpers.api_errors import error_body
from helpers.offline.simulator import Simulator
from tests.conftest import sdk_client

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

MODEL = "gpt-image-1-mini"  # these tests check mini's own facts, whatever model the lessons use
LIMITS = bulk.Limits(images_per_minute=5, tokens_per_minute=100_000)


class FakeClock:
    """Time that moves only when something sleeps; every sleep is logged."""

    def __init__(self):
        self.t, self.sleeps, self._lock = 0.0, [], threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.t += max(0.0, seconds)


def jpeg_b64(color=(200, 40, 40)) -> str:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def images_body(output_tokens=272, text_tokens=9) -> dict:
    return {"created": 1767225600, "background": "opaque", "data": [{"b64_json": jpeg_b64()}],
            "output_format": "jpeg", "quality": "low", "size": "1024x1024",
            "usage": {"input_tokens": text_tokens,
                      "input_tokens_details": {"image_tokens": 0, "text_tokens": text_tokens},
                      "output_tokens": output_tokens, "total_tokens": output_tokens + text_tokens}}


class Scripted:
    """A fake API: answers from a script (the last answer repeats); counts what was sent."""

    def __init__(self, *answers):
        self.answers, self.requests = list(answers), []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(json.loads(request.read() or b"{}"))
        status, body, headers = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return httpx2.Response(status, json=body, headers=headers)


OK = (200, images_body(), {})


def client_for(handler) -> openai.OpenAI:
    return sdk_client(httpx2.MockTransport(handler))


def jobs(n=3, **kw):
    return [bulk.Job(f"img-{i}", f"Draw a lighthouse, number {i}", **kw) for i in range(n)]


def run(job_list, client, tmp_path, clock=None, **kw):
    kw.setdefault("concurrency", 1)
    kw.setdefault("limits", LIMITS)
    return bulk.run(job_list, client=client, model=MODEL, run_dir=tmp_path / "run", clock=clock or FakeClock(),
                    progress=False, say=lambda _msg: None, **kw)


# --- pacing math ---------------------------------------------------------------------------

def test_an_empty_window_starts_now():
    assert bulk.earliest_start([], 12.0, 1, 300, LIMITS) == 12.0


def test_a_full_window_waits_for_its_oldest_slot_to_leave():
    slots = [bulk.Slot(t, 1, 300) for t in (0, 10, 20, 30, 40)]
    assert bulk.earliest_start(slots, 45.0, 1, 300, LIMITS) == 60.0
    assert bulk.earliest_start(slots, 45.0, 1, 300, LIMITS, margin=1.0) == 61.0


def test_slots_older_than_the_window_do_not_count():
    slots = [bulk.Slot(t, 1, 300) for t in (0, 10, 20, 30, 40)]
    assert bulk.earliest_start(slots, 60.0, 1, 300, LIMITS) == 60.0


def test_tokens_per_minute_can_be_the_binding_limit():
    limits = bulk.Limits(images_per_minute=50, tokens_per_minute=10_000)
    slots = [bulk.Slot(0, 1, 4000), bulk.Slot(5, 1, 4000)]
    assert bulk.earliest_start(slots, 6.0, 1, 4000, limits) == 60.0
    assert bulk.earliest_start(slots, 6.0, 1, 2000, limits) == 6.0


def test_a_request_larger_than_the_limit_is_refused():
    with pytest.raises(ValueError, match="exceeds the limits"):
        bulk.earliest_start([], 0.0, 6, 1, LIMITS)


def test_the_pacer_spreads_requests_over_windows():
    clock = FakeClock()
    pacer = bulk.Pacer(LIMITS, clock, margin=0.0)
    starts = []
    for _ in range(12):
        pacer.acquire(1, 300)
        starts.append(clock.now())
    assert starts == [0.0] * 5 + [60.0] * 5 + [120.0] * 2


def test_a_refused_request_gives_its_slot_back():
    clock = FakeClock()
    pacer = bulk.Pacer(LIMITS, clock, margin=0.0)
    tickets = [pacer.acquire(1, 300) for _ in range(5)]
    pacer.cancel(tickets[0])
    pacer.acquire(1, 300)
    assert clock.now() == 0.0


def test_minimum_span_and_sustained_rate():
    assert bulk.minimum_span(12, 5) == 120.0
    assert bulk.minimum_span(5, 5) == 0.0
    perfect = [0.0] * 5 + [60.0] * 5 + [120.0] * 2
    assert bulk.sustained_rate(perfect, 5) == pytest.approx(5.0)
    assert bulk.sustained_rate([0.0] * 5 + [120.0] * 5, 5) == pytest.approx(2.5)
    assert bulk.sustained_rate([0.0] * 5, 5) is None


def test_the_tier_limits_come_from_the_registry():
    ipm, tpm = registry.rate_limits(MODEL, 1)
    limits = bulk.Limits.for_tier(MODEL, 1)
    assert (limits.images_per_minute, limits.tokens_per_minute) == (ipm, tpm)
    assert limits.source
    with pytest.raises(ValueError, match="not found"):
        bulk.Limits.for_tier(MODEL, 9)


@pytest.mark.parametrize("headers, expected", [
    ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    ({"Retry-After": "12"}, 12.0),
    ({"retry-after": "Fri, 20 Nov 2026 12:00:30 GMT"}, 30.0),
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after_reads_milliseconds_seconds_and_dates(headers, expected):
    now = 1795176000.0  # 2026-11-20 12:00:00 GMT
    assert bulk.retry_after_s(headers, now_epoch=now) == expected


def test_backoff_doubles_up_to_a_ceiling():
    assert [bulk.backoff_s(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


# --- the run -------------------------------------------------------------------------------

def test_a_429_is_waited_out_as_retry_after_says_then_retried(tmp_path):
    status, body, headers = error_body("rate_limit", retry_after_s=12.5)
    api = Scripted((status, body, headers), OK)
    clock = FakeClock()
    report = run(jobs(1), client_for(api), tmp_path, clock)
    item = report.items[0]
    assert item.status == bulk.SAVED and item.attempts == 2 and item.rate_limited == 1
    assert clock.sleeps == [12.5] and item.waited_s == 12.5
    assert len(api.requests) == 2


def test_a_429_without_retry_after_backs_off(tmp_path):
    status, body, _ = error_body("rate_limit")
    api = Scripted((status, body, {}), (status, body, {}), OK)
    clock = FakeClock()
    report = run(jobs(1), client_for(api), tmp_path, clock)
    assert report.items[0].status == bulk.SAVED
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("kind", ["insufficient_quota", "billing_hard_limit"])
def test_quota_and_billing_errors_stop_the_run_without_retrying(tmp_path, kind):
    api = Scripted(error_body(kind))
    clock = FakeClock()
    report = run(jobs(3), client_for(api), tmp_path, clock)
    assert len(api.requests) == 1
    assert clock.sleeps == []
    assert [i.status for i in report.items] == [bulk.FAILED, bulk.NOT_STARTED, bulk.NOT_STARTED]
    code = error_body(kind)[1]["error"]["code"]
    assert code in report.stopped and "run stopped" in report.summary()


def test_a_bad_request_fails_that_job_only(tmp_path):
    api = Scripted(error_body("moderation_blocked"), OK)
    report = run(jobs(2), client_for(api), tmp_path)
    assert [i.status for i in report.items] == [bulk.FAILED, bulk.SAVED]
    assert "moderation_blocked" in report.items[0].error and report.stopped is None


def test_a_rerun_skips_saved_jobs_and_redoes_changed_ones(tmp_path):
    first = Scripted(OK)
    run(jobs(3), client_for(first), tmp_path)
    again = Scripted(OK)
    report = run(jobs(3), client_for(again), tmp_path)
    assert again.requests == [] and report.count(bulk.SKIPPED) == 3
    changed = jobs(3)
    changed[1] = bulk.Job("img-1", "Draw a lighthouse at night")
    report = run(changed, client_for(again), tmp_path)
    assert [r["prompt"] for r in again.requests] == ["Draw a lighthouse at night"]
    assert [i.status for i in report.items] == [bulk.SKIPPED, bulk.SAVED, bulk.SKIPPED]


def test_a_failed_write_loses_nothing_and_stops_the_run(tmp_path):
    def flaky_write(path, data):
        if path.name == "img-1.jpg":
            raise OSError("No space left on device")
        bulk.atomic_write_bytes(path, data)

    api = Scripted(OK)
    report = run(jobs(3), client_for(api), tmp_path, write=flaky_write, concurrency=1)
    failed = report.items[1]
    assert failed.status == bulk.FAILED and "No space left" in failed.error
    assert failed.unsaved_image == base64.b64decode(images_body()["data"][0]["b64_json"])
    assert report.items[2].status == bulk.NOT_STARTED and "could not save" in report.stopped
    assert len(api.requests) == 2
    manifest = bulk.load_manifest(tmp_path / "run")
    assert sorted(manifest) == ["img-0"]
    retry = Scripted(OK)
    report = run(jobs(3), client_for(retry), tmp_path)
    assert sorted(r["prompt"][-1] for r in retry.requests) == ["1", "2"]
    assert (tmp_path / "run" / "img-1.jpg").exists() and report.count(bulk.SKIPPED) == 1


def test_a_failed_manifest_write_keeps_the_previous_manifest(tmp_path):
    run(jobs(1), client_for(Scripted(OK)), tmp_path)
    before = (tmp_path / "run" / bulk.MANIFEST_NAME).read_text()

    def no_manifest(path, data):
        if path.name == bulk.MANIFEST_NAME:
            raise OSError("read-only file system")
        bulk.atomic_write_bytes(path, data)

    report = run(jobs(2), client_for(Scripted(OK)), tmp_path, write=no_manifest)
    assert report.items[1].status == bulk.FAILED
    assert (tmp_path / "run" / bulk.MANIFEST_NAME).read_text() == before


def test_spend_is_tracked_from_usage_against_the_cap(tmp_path):
    cap = budget.SpendingCap(1.0)
    report = run(jobs(2), client_for(Scripted(OK)), tmp_path, cap=cap)
    each = pricing.cost_of_usage(MODEL, images_body()["usage"]).total
    assert [i.cost_usd for i in report.items] == [each, each]
    assert cap.spent_usd == pytest.approx(2 * each) == pytest.approx(report.spent_usd)
    expected = pricing.estimate(MODEL, "low", "1024x1024").upper
    assert report.estimated_usd == pytest.approx(2 * expected)


def test_a_run_that_would_pass_the_cap_stops_before_sending(tmp_path):
    api = Scripted(OK)
    report = run(jobs(2), client_for(api), tmp_path, cap=budget.SpendingCap(0.0001))
    assert api.requests == []
    assert "Not sent" in report.stopped and report.count(bulk.NOT_STARTED) == 2


@pytest.mark.parametrize("job_list, message", [
    ([bulk.Job("a", "p"), bulk.Job("a", "q")], "unique"),
    ([bulk.Job("a", "p", size="512x512")], "size"),
    ([bulk.Job("a", "p", quality="max")], "quality"),
])
def test_bad_jobs_are_refused_before_any_request(tmp_path, job_list, message):
    api = Scripted(OK)
    with pytest.raises(ValueError, match=message):
        run(job_list, client_for(api), tmp_path)
    assert api.requests == []


def test_jobs_check_their_own_fields():
    for bad in (dict(key="../up", prompt="p"), dict(key="a", prompt=" "), dict(key="a", prompt="p", output_format="gif")):
        with pytest.raises(ValueError):
            bulk.Job(**bad)


def test_a_client_that_retries_by_itself_is_refused(tmp_path):
    api = Scripted(OK)
    with pytest.raises(ValueError, match="max_retries=0"):
        bulk.run(jobs(1), client=sdk_client(httpx2.MockTransport(api), max_retries=2), model=MODEL,
                 run_dir=tmp_path, limits=LIMITS, progress=False)
    assert api.requests == []


def test_a_shut_down_model_is_refused_before_any_request(tmp_path):
    shut = next(m.id for m in registry.image_models() if not m.served_on(registry.as_of_day()) and m.rate_limits)
    api = Scripted(OK)
    with pytest.raises(ValueError, match="shut down"):
        bulk.run(jobs(1), client=client_for(api), model=shut, run_dir=tmp_path, progress=False)
    assert api.requests == []


def test_against_the_rate_limited_simulator_nothing_is_refused_and_nothing_lost(tmp_path):
    clock = FakeClock()
    simulator = Simulator(clock=clock.now, images_per_minute=5)
    client = sdk_client(SimulatorTransport(simulator))
    report = run(jobs(12), client, tmp_path, clock, limits=bulk.Limits.for_tier(MODEL, 1))
    assert report.count(bulk.SAVED) == 12 and report.rate_limited == 0
    assert report.sustained_rate() == pytest.approx(5 * 120 / 122)  # one second of margin per window
    assert len(list((tmp_path / "run").glob("*.jpg"))) == 12


def test_edits_send_their_images(tmp_path):
    clock = FakeClock()
    client = sdk_client(SimulatorTransport(Simulator(clock=clock.now)))
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 90, 160)).save(out, "PNG")
    edit = bulk.Job("edit-0", "Edit: add a red door", images=(out.getvalue(),))
    report = run([edit], client, tmp_path, clock)
    assert report.items[0].status == bulk.SAVED and report.items[0].cost_usd > 0


# --- Batch JSONL ---------------------------------------------------------------------------

def test_batch_jsonl_has_one_generation_request_per_line():
    data = bulk.batch_jsonl(jobs(3), MODEL)
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert data.endswith(b"\n") and len(lines) == 3
    assert [line["custom_id"] for line in lines] == ["img-0", "img-1", "img-2"]
    assert {line["method"] for line in lines} == {"POST"}
    assert {line["url"] for line in lines} == {"/v1/images/generations"}
    assert lines[0]["body"] == {"model": MODEL, "prompt": "Draw a lighthouse, number 0", "size": "1024x1024",
                                "quality": "low", "output_format": "jpeg", "n": 1}


def test_batch_lines_refuse_what_is_not_documented():
    with pytest.raises(ValueError, match="needs 'images'"):
        bulk.batch_line("a", {"model": MODEL, "prompt": "p"}, url="/v1/images/edits")
    with pytest.raises(ValueError, match="not multipart"):
        bulk.batch_line("a", {"model": MODEL, "prompt": "p", "image": "x.png"}, url="/v1/images/edits")
    with pytest.raises(ValueError, match="file_id"):
        bulk.batch_line("a", {"model": MODEL, "prompt": "p", "images": ["x.png"]}, url="/v1/images/edits")
    with pytest.raises(ValueError, match="builds"):
        bulk.batch_line("a", {"model": MODEL, "prompt": "p"}, url="/v1/embeddings")
    with pytest.raises(ValueError, match="stream"):
        bulk.batch_line("a", {"model": MODEL, "prompt": "p", "stream": True})
    with pytest.raises(ValueError, match="custom_id"):
        bulk.batch_line("", {"model": MODEL, "prompt": "p"})
    with pytest.raises(ValueError, match="edit"):
        bulk.batch_jsonl([bulk.Job("e", "p", images=(b"x",))], MODEL)


def test_batch_edit_line_takes_the_official_json_body():
    line = bulk.batch_line("e", {"model": MODEL, "prompt": "Add a hat", "images": [{"file_id": "file-abc"}],
                                 "mask": {"image_url": "data:image/png;base64,AAAA"}}, url="/v1/images/edits")
    assert line == {"custom_id": "e", "method": "POST", "url": "/v1/images/edits",
                    "body": {"model": MODEL, "prompt": "Add a hat", "images": [{"file_id": "file-abc"}],
                             "mask": {"image_url": "data:image/png;base64,AAAA"}}}
    priced = budget.batch_file_cost(json.dumps(line).encode())
    assert priced.usd is not None and priced.usd > 0 and "1 image line" in priced.description
    synchronous = budget.expected_cost({"method": "POST", "path": "/v1/images/edits", "json": line["body"]})
    assert synchronous.usd is not None and synchronous.usd > priced.usd  # Batch is the discounted one
    with pytest.raises(ValueError, match="unique"):
        bulk.batch_jsonl([bulk.Job("a", "p"), bulk.Job("a", "q")], MODEL)


def test_batch_results_are_read_sorted_with_their_errors():
    text = "\n".join(json.dumps(line) for line in [
        {"id": "r2", "custom_id": "b", "response": {"status_code": 400, "request_id": "req",
                                                    "body": {"error": {"code": "invalid_value", "message": "bad"}}},
         "error": None},
        {"id": "r1", "custom_id": "a", "response": None, "error": {"code": "model_not_supported", "message": "no"}},
        {"id": "r3", "custom_id": "c", "response": {"status_code": 200, "request_id": "req", "body": {"data": []}},
         "error": None},
    ])
    results = bulk.read_batch_results(text)
    assert [r.custom_id for r in results] == ["a", "b", "c"]
    assert [r.ok for r in results] == [False, False, True]
    assert results[0].message == "model_not_supported: no"
    assert results[1].message == "400 invalid_value: bad"


def test_after_a_429_pause_one_probe_goes_first_and_the_rest_wait_for_it():
    clock = FakeClock()
    pacer = bulk.Pacer(LIMITS, clock, margin=0.0)
    pacer.pause_for(10.0)
    probe = pacer.acquire(1, 300)
    assert clock.now() == 10.0
    held = pacer.acquire(1, 300, stopped=lambda: clock.now() >= 12.0)
    assert held is None and clock.now() == 12.0, "a second request waits while the probe is out"
    pacer.settle(probe, 280)
    pacer.acquire(1, 300)
    assert clock.now() == 12.0, "once the probe succeeds the others go at once"


def _stepped_run(tmp_path, name):
    """A Tier-1-limited bulk run against a fresh simulator on a fresh stepped clock, as a rebuild records it."""
    clock = bulk.SteppedClock()
    seen = []
    simulator = Simulator(clock=clock.now, images_per_minute=2, day=registry.as_of_day())
    inner = SimulatorTransport(simulator)

    def spy(request):
        response = inner.handle_request(request)
        seen.append((json.loads(request.content)["prompt"], response.status_code,
                     response.headers.get("retry-after"), response.headers.get("x-ratelimit-reset-requests")))
        return response

    report = bulk.run(jobs(5), client=client_for(spy), model=registry.lesson_image_model(), run_dir=tmp_path / name,
                      limits=bulk.Limits(2, 10**7), clock=clock, concurrency=3, progress=False, say=lambda _m: None)
    return report, seen


def test_a_stepped_clock_makes_a_limited_run_answer_the_same_way_every_time(tmp_path):
    first, seen_first = _stepped_run(tmp_path, "a")
    second, seen_second = _stepped_run(tmp_path, "b")
    assert [i.status for i in first.items] == [bulk.SAVED] * 5
    assert seen_first == seen_second  # same order, same 429s, same headers: a rebuild records the same bytes
    assert [i.waited_s for i in first.items] == [i.waited_s for i in second.items]


def test_recording_from_the_simulator_uses_the_stepped_clock(monkeypatch):
    monkeypatch.setenv("COOKBOOK_MODE", "record")
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    assert isinstance(bulk.lesson_clock(), bulk.SteppedClock)
    monkeypatch.setenv("COOKBOOK_MODE", "offline")
    assert isinstance(bulk.lesson_clock(), bulk.ScaledClock)


def test_a_stepped_clock_moves_only_when_slept():
    clock = bulk.SteppedClock()
    assert clock.now() == clock.now() == 0.0
    clock.sleep(12.5)
    clock.sleep(-3)
    assert clock.now() == 12.5
