"""Fault injection: the spending cap cannot be outrun, and no recording, image or secret is lost or leaked.

Each test reproduces one way the kit was broken, as an attacker or a careless learner would try it:
threads racing the cap, processes killed by PID, read-only and full output folders (a stub writer:
the suite may run as root, where permissions do not stop a write), corrupted recordings, and
canary secrets. "Live" is the kit's live code path pointed at the simulator served on 127.0.0.1,
with a count of what reached the server.

``scripts/fault_report.py`` runs this module and prints the figures (inputs stopped, faults
survived, the largest overspend of the concurrent test).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import openai
import pytest
from PIL import Image

from helpers import budget, bulk, client as client_module, edits, files, pricing, registry, triage, wire, writes
from helpers.maintainer import rebuild
from helpers.transports import recording as rec
from helpers import transports
from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

ROOT = Path(__file__).resolve().parent.parent
MINI = "gpt-image-1-mini"
ORG_CANARY = "org-CanaryOrg1234567890abcd"  # canary: a fake id that must never be written
KEY_CANARY = "sk-proj-CanaryKey0123456789abcdefXYZ"  # canary: a fake key that must never be written
PROJECT_CANARY = "proj_CanaryProject12345678"
CANARIES = (ORG_CANARY, KEY_CANARY, PROJECT_CANARY, "CanaryOrg", "CanaryKey", "CanaryProject")


# --- the simulator behind a socket, counting and pricing what reaches it -------------------------

class CountingSimulator(Simulator):
    """The simulator, remembering each POST it answered and what the API would have billed for it."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.posts: Counter = Counter()
        self.billed_usd = 0.0
        self._count_lock = threading.Lock()

    def handle(self, method, path, query, headers, body):
        answer = super().handle(method, path, query, headers, body)
        with self._count_lock:
            if method.upper() == "POST":
                self.posts[path] += 1
            if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("usage"):
                model = json.loads(body).get("model") if path.endswith("/generations") else None
                if model:
                    self.billed_usd += pricing.cost_of_usage(model, answer.body["usage"]).total
        return answer

    @property
    def sent(self) -> int:
        return sum(self.posts.values())


@pytest.fixture
def live(tmp_path, monkeypatch):
    """Live mode over real HTTP against a counting simulator; a fresh kernel cap for each test."""
    monkeypatch.setattr(client_module, "RECORDINGS_DIR", tmp_path)
    monkeypatch.setattr(rec, "_OPEN_FOR_RECORDING", {})
    monkeypatch.setattr(budget, "KERNEL_CAP", None)
    monkeypatch.delenv("COOKBOOK_ALLOW_UNPRICED", raising=False)
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-11-29")  # the calendar must not decide what is served
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-faults")
    simulator = CountingSimulator()
    with serve(simulator) as base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        yield simulator


def live_client(**kw) -> openai.OpenAI:
    return client_module.make_client("faults", mode="live", quiet=True, max_retries=0, **kw)


def high_square(client, prompt="Draw a kite"):
    return client.images.generate(model=MINI, prompt=prompt, quality="high", size="1024x1024")


# --- 1. the budget itself ----------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "-0.01", "1e400", "one dollar", ""])
def test_fault_a_budget_that_is_not_a_finite_amount_is_refused_before_any_request(live, monkeypatch, raw):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", raw)
    with pytest.raises(budget.BudgetConfigError, match="COOKBOOK_BUDGET_USD"):
        live_client()
    assert live.sent == 0


def test_fault_a_zero_budget_sends_nothing(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "0")
    client = live_client()
    with pytest.raises(budget.BudgetExceeded):
        client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")
    assert live.sent == 0


# --- 2. racing the cap -------------------------------------------------------------------------

@contextmanager
def on_a_day_mini_was_served():
    """The registry's facts and today as of a day mini was the lessons' model (tests/conftest.py's
    ``lessons_on_mini``), for the races scripts/fault_report.py runs outside pytest."""
    saved_day, saved_today = registry.AS_OF, os.environ.get("COOKBOOK_TODAY")
    registry.AS_OF, os.environ["COOKBOOK_TODAY"] = "2026-11-29", "2026-11-29"
    try:
        yield
    finally:
        registry.AS_OF = saved_day
        if saved_today is None:
            os.environ.pop("COOKBOOK_TODAY", None)
        else:
            os.environ["COOKBOOK_TODAY"] = saved_today


def concurrent_overspend(threads: int = 8, limit_usd: float = 0.05, quality: str = "high") -> dict:
    with on_a_day_mini_was_served():
        return _concurrent_overspend(threads, limit_usd, quality)


def _concurrent_overspend(threads: int, limit_usd: float, quality: str) -> dict:
    """Run ``threads`` live generations at once under ``limit_usd`` against the simulator server.

    Returns what was sent, refused and billed (from the server's usage) and the overspend in USD
    (billed - limit, 0 when the cap held). Used by the test below and scripts/fault_report.py.
    """
    simulator = CountingSimulator()
    saved = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "COOKBOOK_TODAY")}
    saved_cap, cap = budget.KERNEL_CAP, budget.SpendingCap(limit_usd)
    barrier = threading.Barrier(threads)
    outcomes: Counter = Counter()
    lock = threading.Lock()
    with serve(simulator) as base_url:
        os.environ.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-test-race", COOKBOOK_TODAY="2026-11-29")
        budget.KERNEL_CAP = cap
        try:
            clients = [client_module.make_client("race", mode="live", quiet=True, max_retries=0)
                       for _ in range(threads)]

            def one(index: int) -> None:
                barrier.wait()
                try:
                    clients[index].images.generate(model=MINI, prompt=f"kite {index}", quality=quality,
                                                   size="1024x1024")
                    outcome = "sent"
                except budget.BudgetExceeded:
                    outcome = "refused"
                except openai.APIConnectionError:  # the server's accept queue overflowed: counted as billed
                    outcome = "dropped"
                with lock:
                    outcomes[outcome] += 1

            workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        finally:
            budget.KERNEL_CAP = saved_cap
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return {"sent": outcomes["sent"], "refused": outcomes["refused"], "dropped": outcomes["dropped"],
            "reached_server": simulator.sent,
            "billed_usd": simulator.billed_usd, "counted_usd": cap.spent_usd,
            "overspend_usd": max(0.0, simulator.billed_usd - limit_usd)}


def test_fault_eight_threads_cannot_outrun_the_cap():
    result = concurrent_overspend(threads=8, limit_usd=0.05)
    assert result["reached_server"] == result["sent"] == 1 and result["refused"] == 7
    assert result["overspend_usd"] == 0.0
    assert result["billed_usd"] <= result["counted_usd"] <= 0.05


def test_fault_the_cap_is_one_per_kernel_even_when_first_asked_from_many_threads(monkeypatch):
    monkeypatch.setattr(budget, "KERNEL_CAP", None)
    made = budget.cap_from_environment

    def slow_to_make():  # widens the window in which a second thread could make a second cap
        threading.Event().wait(0.02)
        return made()

    monkeypatch.setattr(budget, "cap_from_environment", slow_to_make)
    caps, barrier = [], threading.Barrier(16)

    def ask():
        barrier.wait()
        caps.append(budget.kernel_cap())

    workers = [threading.Thread(target=ask) for _ in range(16)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len({id(c) for c in caps}) == 1


def test_fault_bulk_after_earlier_spending_stays_under_the_kernel_cap(live, monkeypatch, tmp_path):
    monkeypatch.setenv("COOKBOOK_MODE", "live")
    monkeypatch.setattr(budget, "KERNEL_CAP", budget.SpendingCap(0.20, spent_usd=0.15))
    jobs = [bulk.Job(f"img-{i}", f"Draw kite {i}", quality="medium") for i in range(6)]
    report = bulk.run(jobs, client=live_client(), model=MINI, run_dir=tmp_path / "run",
                      limits=bulk.Limits(100, 10_000_000), progress=False, say=lambda m: None)
    assert report.stopped and "Not sent" in report.stopped
    assert 0.15 + live.billed_usd <= 0.20
    assert budget.KERNEL_CAP.spent_usd <= 0.20


# --- 3. unpriced requests and the stated bounds ----------------------------------------------------

def responses_call(client, model="gpt-5.5", **kw):
    return client.responses.create(model=model, input="Draw a lighthouse", tools=[{"type": "image_generation"}], **kw)


def test_fault_responses_calls_are_priced_and_refused_once_the_cap_is_reached(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "0.05")
    monkeypatch.setenv("COOKBOOK_ALLOW_UNPRICED", "1")
    client = live_client()
    refused = 0
    for _ in range(8):
        try:
            responses_call(client)
        except budget.BudgetExceeded as error:
            refused += 1
            assert "conservative bound" in str(error)
    assert refused == 8 and live.sent == 0  # one call's worst case is above $0.05


def test_fault_allow_unpriced_sends_at_a_stated_bound_and_never_once_the_cap_is_spent(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "1.20")
    monkeypatch.setenv("COOKBOOK_ALLOW_UNPRICED", "1")
    client = live_client()
    # gpt-5 is served until 2026-12-11 but the registry has no price for it: sent at the stated bound.
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-11-29")
    responses_call(client, model="gpt-5", max_tool_calls=1)  # one image call at most: a hard bound
    assert live.sent == 1
    cap = budget.kernel_cap()
    # The tool's image tokens are counted from usage; the unpriced mainline part stays at its bound.
    assert budget.UNPRICED_BOUND_USD < cap.spent_usd < budget.UNPRICED_BOUND_USD + 0.30
    cap.charge(cap.remaining_usd)  # the cap is now spent
    with pytest.raises(budget.BudgetExceeded, match="Unpriced requests stop too"):
        responses_call(client, model="gpt-5", max_tool_calls=1)
    assert live.sent == 1


def test_fault_an_unpriced_request_is_refused_without_the_switch():
    cap = budget.SpendingCap(10.0)
    expected = budget.expected_cost({"method": "POST", "path": "/v1/images/generations",
                                     "json": {"model": "chatgpt-image-latest", "prompt": "p"}})
    with pytest.raises(budget.BudgetExceeded, match="COOKBOOK_ALLOW_UNPRICED"):
        cap.reserve(expected)
    assert cap.reserved_usd == 0.0


def test_fault_a_long_prompt_counts_its_input_tokens(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "0.01")
    prompt = " ".join(["lighthouse"] * 6400)
    with pytest.raises(budget.BudgetExceeded, match="text tokens"):
        live_client().images.generate(model=MINI, prompt=prompt[:32000], quality="low", size="1024x1024")
    assert live.sent == 0


def test_fault_sixteen_input_images_count_as_input(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "0.05")
    image = png((64, 64))
    with pytest.raises(budget.BudgetExceeded, match="16 image"):
        live_client().images.edit(model=MINI, image=[(f"{i}.png", image, "image/png") for i in range(16)],
                                  prompt="Combine them", quality="low", size="1024x1024")
    assert live.sent == 0


def test_fault_ten_batches_over_one_uploaded_file_are_each_priced(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "0.10")
    lines = [bulk.batch_line(f"j{i}", {"model": MINI, "prompt": f"kite {i}", "quality": "medium",
                                       "size": "1024x1024", "n": 1}) for i in range(8)]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    client = live_client()
    uploaded = client.files.create(file=("jobs.jsonl", data), purpose="batch")
    created = refused = 0
    for _ in range(10):
        try:
            client.batches.create(input_file_id=uploaded.id, endpoint="/v1/images/generations",
                                  completion_window="24h")
            created += 1
        except budget.BudgetExceeded:
            refused += 1
    each = budget.batch_file_cost(data).usd
    assert created == int(0.10 // each) and created * each <= 0.10 and refused == 10 - created
    assert live.posts["/v1/batches"] == created


def test_fault_a_batch_over_an_unknown_file_is_priced_from_its_content(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "0.01")
    line = bulk.batch_line("a", {"model": MINI, "prompt": "kite", "quality": "high", "size": "1024x1024", "n": 1})
    other = openai.OpenAI(max_retries=0)  # uploads behind the kit's back, through no cap at all
    uploaded = other.files.create(file=("jobs.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch")
    with pytest.raises(budget.BudgetExceeded, match="Batch input file"):
        live_client().batches.create(input_file_id=uploaded.id, endpoint="/v1/images/generations",
                                     completion_window="24h")
    assert live.posts["/v1/batches"] == 0


# --- 4. settling as the API bills ----------------------------------------------------------------

class Answer(httpx2.BaseTransport):
    """An API stand-in: runs ``behaviour(request)`` for every request."""

    def __init__(self, behaviour):
        self.behaviour, self.requests = behaviour, []

    def handle_request(self, request):
        request.read()
        self.requests.append(request)
        return self.behaviour(request)


def capped(behaviour, limit=1.0):
    cap = budget.SpendingCap(limit)
    api = Answer(behaviour)
    client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=transports.SpendingCapTransport(api, cap)))
    return client, cap, api


def test_fault_a_client_timeout_keeps_the_reservation():
    def slow(request):
        raise httpx2.ReadTimeout("the server took too long", request=request)

    client, cap, _ = capped(slow)
    with pytest.raises(openai.APITimeoutError):
        high_square(client)
    expected = budget.expected_cost({"method": "POST", "path": "/v1/images/generations",
                                     "json": {"model": MINI, "prompt": "Draw a kite", "quality": "high",
                                              "size": "1024x1024"}}).usd
    assert cap.spent_usd == pytest.approx(expected) and cap.reserved_usd == 0.0


def test_fault_a_refused_request_releases_the_reservation():
    client, cap, _ = capped(lambda r: httpx2.Response(400, json={"error": {"message": "bad", "type": "x"}}))
    with pytest.raises(openai.BadRequestError):
        high_square(client)
    assert cap.spent_usd == 0.0 and cap.reserved_usd == 0.0


def test_fault_a_connection_that_never_opened_releases_the_reservation():
    def down(request):
        raise httpx2.ConnectError("refused", request=request)

    client, cap, _ = capped(down)
    with pytest.raises(openai.APIConnectionError):
        high_square(client)
    assert cap.spent_usd == 0.0 and cap.reserved_usd == 0.0


# --- 5. pre-send checks in live mode ---------------------------------------------------------------

def test_fault_a_shut_down_model_is_refused_before_sending_on_its_day(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-12-02")
    client = live_client()
    with pytest.raises(registry.ModelShutDown, match="2026-12-01") as info:
        client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")
    assert "gpt-image-2.6-flare" in str(info.value) and "COOKBOOK_IMAGE_MODEL" in str(info.value)
    with pytest.raises(registry.ModelShutDown):
        client.images.edit(model=MINI, image=("a.png", png((64, 64)), "image/png"), prompt="p")
    with pytest.raises(registry.ModelShutDown):
        client.responses.create(model="gpt-5.5", input="p", tools=[{"type": "image_generation", "model": MINI}])
    line = bulk.batch_line("a", {"model": MINI, "prompt": "p", "n": 1})
    with pytest.raises(registry.ModelShutDown):
        client.files.create(file=("b.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch")
    assert live.sent == 0
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-11-29")
    client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")
    assert live.sent == 1


def test_fault_recording_from_the_api_refuses_a_shut_down_model_and_records_nothing(live, monkeypatch, tmp_path):
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-12-02")
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "api")
    recorder = client_module.make_client("faults", mode="record", quiet=True, max_retries=0)
    with pytest.raises(registry.ModelShutDown):
        recorder.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")
    assert live.sent == 0 and not (tmp_path / "faults.new.json").exists()


def test_fault_a_shut_down_top_level_model_is_refused(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-12-11")
    with pytest.raises(registry.ModelShutDown, match="gpt-5 was shut down"):
        live_client().responses.create(model="gpt-5", input="p", tools=[{"type": "image_generation"}])
    assert live.sent == 0


def test_fault_the_tool_default_model_is_checked_too(live, monkeypatch):
    monkeypatch.setattr(registry, "IMAGE_TOOL_DEFAULT_MODEL", MINI)
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-12-02")
    with pytest.raises(registry.ModelShutDown):
        live_client().responses.create(model="gpt-5.5", input="p", tools=[{"type": "image_generation"}])
    assert live.sent == 0


BAD_PARAMETERS = {
    "unknown quality": dict(quality="ultra"),
    "size not offered": dict(size="999x999"),
    "n above 10": dict(n=11),
    "transparent jpeg": dict(background="transparent", output_format="jpeg"),
    "compression on png": dict(output_compression=50, output_format="png"),
    "prompt too long": dict(prompt="x" * 32001),
    "response_format": dict(response_format="url"),
}


@pytest.mark.parametrize("case", BAD_PARAMETERS)
def test_bad_input_a_request_the_registry_knows_is_refused_stops_before_sending(live, case):
    params = {"model": MINI, "prompt": "p", "quality": "low", "size": "1024x1024", **BAD_PARAMETERS[case]}
    with pytest.raises(openai.BadRequestError, match="Source:") as refused:
        live_client().images.generate(**params)
    assert refused.value.response.headers[transports.NOT_SENT_HEADER]
    assert triage.diagnose(refused.value).kind == "refused_before_sending"
    assert live.sent == 0


# The refused parameter's own source, and text that source is not about (another field's).
REFUSAL_SOURCES = {"unknown quality": ("quality", "input_fidelity"), "size not offered": ("size", "Batch"),
                   "transparent jpeg": ("background", "Batch")}


@pytest.mark.parametrize("case", REFUSAL_SOURCES)
def test_bad_input_a_refusal_cites_the_source_of_the_refused_parameter_only(live, case):
    param, unrelated = REFUSAL_SOURCES[case]
    params = {"model": MINI, "prompt": "p", "quality": "low", "size": "1024x1024", **BAD_PARAMETERS[case]}
    with pytest.raises(openai.BadRequestError) as refused:
        live_client().images.generate(**params)
    message = refused.value.body["message"]
    assert f"Source: {registry.get(MINI).capabilities.source_of_param(param)}." in message
    assert unrelated not in message.split("Source:", 1)[1]


def test_fault_a_format_the_registry_offers_is_sent_though_the_simulator_cannot_draw_it(live):
    flare = "gpt-image-2.6-flare"
    assert "gif" in registry.on(flare, registry.as_of_day()).record.capabilities.output_formats
    with pytest.raises(openai.BadRequestError, match="simulator renders") as answered:
        live_client().images.generate(model=flare, prompt="p", quality="low", size="1024x1024", output_format="gif")
    assert transports.NOT_SENT_HEADER not in answered.value.response.headers
    assert live.sent == 1


def test_fault_the_learner_can_override_the_registry_for_one_call(live):
    client = live_client()
    with pytest.raises(openai.BadRequestError):  # the simulator refuses it too, but it was sent
        client.images.generate(model=MINI, prompt="p", quality="ultra",
                               extra_headers={transports.SKIP_CHECKS_HEADER: "1"})
    assert live.sent == 1


# --- 6. input images, checked before decoding and before sending -----------------------------------

def png(size=(64, 64), mode="RGBA", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG", **save)
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (64, 64)).save(out, "JPEG")
    return out.getvalue()


def png_16_bit() -> bytes:
    out = io.BytesIO()
    Image.new("I;16", (64, 64)).save(out, "PNG")
    return out.getvalue()


def animated(fmt: str) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGBA", (64, 64), (i * 80, 0, 0, 255)) for i in range(3)]
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    return out.getvalue()


@functools.lru_cache(maxsize=None)  # encoding 400 million pixels takes most of a second
def huge_png() -> bytes:
    """A 20000x20000 PNG header (the pixels are never decoded, so a tiny file suffices)."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (64, 64)).save(out, "GIF")
    return out.getvalue()


BAD_IMAGES = {
    "CMYK JPEG": (cmyk_jpeg, "CMYK"),
    "16-bit PNG": (png_16_bit, "16-bit"),
    "animated PNG": (lambda: animated("PNG"), "animated"),
    "animated WebP": (lambda: animated("WEBP"), "animated"),
    "20000x20000 PNG": (huge_png, "pixels"),
    "GIF": (gif, "GIF"),
    "not an image": (lambda: b"plain text, not pixels", "not a readable image"),
}


@pytest.mark.parametrize("case", BAD_IMAGES)
def test_bad_input_an_edit_input_the_api_does_not_take_is_refused_before_sending(live, case):
    make, message = BAD_IMAGES[case]
    data = make()
    with pytest.raises(edits.EditInputError, match=message):
        edits.validate_edit_inputs(data, model=MINI)
    with pytest.raises(edits.EditInputError, match=message):
        live_client().images.edit(model=MINI, image=("input.png", data, "image/png"), prompt="p")
    assert live.sent == 0


def test_bad_input_a_directory_says_it_is_a_directory(tmp_path):
    with pytest.raises(edits.EditInputError, match="is a directory"):
        edits.validate_edit_inputs(tmp_path, model=MINI)


def test_bad_input_a_responses_input_image_is_checked_before_sending(live):
    url = "data:image/png;base64," + base64.b64encode(animated("PNG")).decode()
    content = [{"type": "input_text", "text": "Edit this"}, {"type": "input_image", "image_url": url}]
    with pytest.raises(edits.EditInputError, match="animated"):
        live_client().responses.create(model="gpt-5.5", input=[{"role": "user", "content": content}],
                                       tools=[{"type": "image_generation"}])
    assert live.sent == 0


# --- 7. recordings: one writer, plain names, no stray files, clear errors -------------------------

def test_fault_a_lesson_name_cannot_leave_the_recordings_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(client_module, "RECORDINGS_DIR", tmp_path / "recordings")
    monkeypatch.setattr(rec, "_OPEN_FOR_RECORDING", {})
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    for name in ("../../somewhere/else", "../x", "/etc/passwd", "a/b", "..", ".hidden", "x.new", ""):
        for mode in ("offline", "record"):
            with pytest.raises(ValueError, match="plain name"):
                client_module.make_client(name, mode=mode, quiet=True)
    assert not any(p for p in tmp_path.rglob("*") if p.is_file())


HOLD_RECORDING = textwrap.dedent("""
    import sys
    from pathlib import Path
    from helpers.transports import recording
    recording.open_for_recording(Path(sys.argv[1]))
    print("holding", flush=True)
    sys.stdin.read()
""")


@contextmanager
def other_process_recording(path: Path):
    """A second process holding the recording's writer lock, as a kernel recording the lesson would."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_RECORDING, str(path)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_fault_two_processes_recording_one_lesson_get_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(client_module, "RECORDINGS_DIR", tmp_path)
    monkeypatch.setattr(rec, "_OPEN_FOR_RECORDING", {})
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    with other_process_recording(tmp_path / "lesson.new.json"):
        with pytest.raises(rec.RecordingLocked, match="another process"):
            client_module.make_client("lesson", mode="record", quiet=True)
    # Once that process is gone (killed: the OS drops its lock), recording works.
    client = client_module.make_client("lesson", mode="record", quiet=True)
    client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")
    assert len(json.loads((tmp_path / "lesson.new.json").read_text())["interactions"]) == 1


def test_fault_rebuild_never_promotes_another_process_recording(tmp_path):
    final = tmp_path / "lesson.json"
    final.write_text("the previous recording")
    (tmp_path / "lesson.new.json").write_text("another process's half-made recording")
    calls = []
    with other_process_recording(tmp_path / "lesson.new.json"):
        with pytest.raises(rec.RecordingLocked):
            rebuild.record_and_promote("lesson", calls.append, tmp_path)
    assert calls == [] and final.read_text() == "the previous recording"
    assert (tmp_path / "lesson.new.json").read_text() == "another process's half-made recording"


def test_fault_a_failed_rebuild_leaves_no_new_or_temporary_file(tmp_path):
    final = tmp_path / "lesson.json"
    final.write_text("previous")

    def record(env):
        (tmp_path / "lesson.new.json").write_text("partial")
        (tmp_path / ".lesson.new.json.abc123.tmp").write_text("partial")
        raise RuntimeError("a cell failed")

    with pytest.raises(RuntimeError):
        rebuild.record_and_promote("lesson", record, tmp_path)
    assert final.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".lock") == ["lesson.json"]


def test_fault_rebuild_hands_its_lock_to_the_recording_process_only(tmp_path):
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from helpers.transports import recording
        r = recording.open_for_recording(Path(sys.argv[1]))
        r.add({"method": "GET", "path": "/v1/models"}, recording.StoredResponse(200, {}, json={}), "simulator")
    """)

    def record(env):
        child = {**os.environ, **env}
        subprocess.run([sys.executable, "-c", script, str(tmp_path / "lesson.new.json")], cwd=ROOT, env=child,
                       check=True)
        stranger = subprocess.run([sys.executable, "-c", script, str(tmp_path / "lesson.new.json")], cwd=ROOT,
                                  capture_output=True, text=True)
        assert stranger.returncode != 0 and "RecordingLocked" in stranger.stderr

    final = rebuild.record_and_promote("lesson", record, tmp_path)
    assert len(rec.Recording.load(final).interactions) == 1


KEEP_RECORDING = textwrap.dedent("""
    import sys
    from pathlib import Path
    from helpers.transports import recording
    r = recording.open_for_recording(Path(sys.argv[1]))
    payload = "x" * 200_000
    print("writing", flush=True)
    while True:
        r.add({"method": "GET", "path": "/v1/models", "query": [["n", str(len(r.interactions))]]},
              recording.StoredResponse(200, {}, json={"padding": payload}), "simulator")
""")


@pytest.mark.parametrize("delay_ms", [0, 5, 20, 60])
def test_fault_a_recording_killed_mid_write_stays_readable_and_its_temporary_is_cleaned(tmp_path, delay_ms):
    path = tmp_path / "lesson.new.json"
    proc = subprocess.Popen([sys.executable, "-c", KEEP_RECORDING, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "writing"
    threading.Event().wait(delay_ms / 1000)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    if path.exists():
        rec.Recording.load(path)  # whole, never half-written
    rec.open_for_recording(path)  # the next writer takes the lock the OS released
    assert writes.temporary_files(path) == []
    for left in ("notebooks/recordings/.x.new.json.abc.tmp", "notebooks/successor/recordings/x.lock",
                 "notebooks/successor/recordings/x.new.json"):
        assert subprocess.run(["git", "check-ignore", "-q", left], cwd=ROOT).returncode == 0, left


CORRUPTIONS = {
    "empty file": "",
    "not JSON": "{not json",
    "truncated": '{"format": 1, "interactions": [{"source": "simulator"',
    "a list": "[]",
    "wrong format": '{"format": 99, "interactions": []}',
    "no interactions": '{"format": 1}',
    "interactions not a list": '{"format": 1, "interactions": {}}',
    "interaction not an object": '{"format": 1, "interactions": [3]}',
    "no source": '{"format": 1, "interactions": [{"request": {"method": "GET", "path": "/"}, '
                 '"response": {"status": 200, "headers": {}}}]}',
    "no request path": '{"format": 1, "interactions": [{"source": "s", "request": {"method": "GET"}, '
                       '"response": {"status": 200, "headers": {}}}]}',
    "status not a number": '{"format": 1, "interactions": [{"source": "s", "request": {"method": "GET", '
                           '"path": "/"}, "response": {"status": "200", "headers": {}}}]}',
    "headers not text": '{"format": 1, "interactions": [{"source": "s", "request": {"method": "GET", '
                        '"path": "/"}, "response": {"status": 200, "headers": {"a": 1}}}]}',
    "bad event stream": '{"format": 1, "interactions": [{"source": "s", "request": {"method": "GET", '
                        '"path": "/"}, "response": {"status": 200, "headers": {}, "sse": [1]}}]}',
    "not UTF-8": b"\xff\xfe\x00garbage",
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_fault_a_corrupted_recording_names_the_file_and_the_fault(tmp_path, case):
    path = tmp_path / "lesson.json"
    content = CORRUPTIONS[case]
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(rec.RecordingError, match="lesson.json"):
        rec.Recording.load(path)


def stored_image(**claims) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, "PNG")
    info = {"format": "png", "width": 1024, "height": 1024, "alpha": False,
            "thumbnail": base64.b64encode(out.getvalue()).decode(), **claims}
    return {"$image": info}


@pytest.mark.parametrize("claims", [dict(width=100_000, height=100_000), dict(width=3840, height=3840),
                                    dict(width=0), dict(width="1024"), dict(format="gif"),
                                    dict(thumbnail="not base64!")])
def test_fault_a_replayed_thumbnail_expands_only_to_sizes_the_api_returns(tmp_path, claims):
    path = tmp_path / "lesson.json"
    request = {"method": "POST", "path": "/v1/images/generations", "json": {"prompt": "p"}}
    document = {"format": 1, "interactions": [{"source": "simulator", "request": request, "response": {
        "status": 200, "headers": {}, "json": {"data": [{"b64_json": stored_image(**claims)}]}}}]}
    path.write_text(json.dumps(document))
    with pytest.raises(rec.RecordingError, match="lesson.json: interaction 1"):
        rec.Recording.load(path).lookup(request)


# --- 8. secrets never reach a file or the screen ------------------------------------------------

class _Leaky(BaseHTTPRequestHandler):
    """The real API's 429 names the organization; this one also echoes the URL and a project id."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": {
            "message": f"Rate limit reached for gpt-image-1-mini in organization {ORG_CANARY} on images per "
                       f"minute (IPM): Limit 5, Used 5. Request: {self.path}. Project {PROJECT_CANARY}.",
            "type": "requests", "param": None, "code": "rate_limit_exceeded"}}).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", f"req_{ORG_CANARY}")
        self.send_header("x-should-retry", "false")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def leaky_api(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Leaky)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-canary-run")
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_fault_canaries_from_a_429_and_a_query_key_reach_no_file_and_no_message(tmp_path, monkeypatch,
                                                                                leaky_api):
    monkeypatch.setattr(client_module, "RECORDINGS_DIR", tmp_path)
    monkeypatch.setattr(rec, "_OPEN_FOR_RECORDING", {})
    monkeypatch.setattr(budget, "KERNEL_CAP", None)
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "api")
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-11-29")
    recorder = client_module.make_client("canary", mode="record", quiet=True, max_retries=0)
    with pytest.raises(openai.RateLimitError) as info:
        recorder.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024",
                                 extra_query={"api_key": KEY_CANARY, "project": PROJECT_CANARY})
    shown = f"{info.value} {info.value.body} {info.value.response.headers} {bulk.describe_error(info.value)}"
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert written and b"rate_limit_exceeded" in written
    for canary in CANARIES:
        assert canary not in shown and canary.encode() not in written, canary


def test_fault_a_recorded_request_query_is_scrubbed(tmp_path):
    recording = rec.Recording(tmp_path / "r.json")
    recording.add({"method": "GET", "path": "/v1/models", "query": [["key", KEY_CANARY]]},
                  rec.StoredResponse(200, {"x-request-id": ORG_CANARY}, json={"org": ORG_CANARY}), "openai-api")
    text = (tmp_path / "r.json").read_text()
    assert all(c not in text for c in CANARIES) and "[redacted]" in text


# --- 9. bulk: a folder that cannot take files, a full disk, a kill between writes -----------------

OK_IMAGE = {"created": 1, "data": [{"b64_json": base64.b64encode(png((8, 8))).decode()}], "output_format": "png",
            "usage": {"input_tokens": 5, "input_tokens_details": {"text_tokens": 5, "image_tokens": 0},
                      "output_tokens": 272, "total_tokens": 277}}


def counting_client():
    api = Answer(lambda request: httpx2.Response(200, json=OK_IMAGE))
    return openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                         http_client=openai.DefaultHttpx2Client(transport=api)), api


def sixteen():
    return [bulk.Job(f"img-{i:02d}", f"Draw kite {i}", output_format="png") for i in range(16)]


def run_bulk(client, run_dir, **kw):
    return bulk.run(sixteen(), client=client, model=MINI, run_dir=run_dir, limits=bulk.Limits(100, 10_000_000),
                    progress=False, say=lambda m: None, cap=budget.SpendingCap(10.0), **kw)


@pytest.mark.parametrize("error", [OSError(30, "Read-only file system"), PermissionError(13, "Permission denied"),
                                   OSError(28, "No space left on device")])
def test_fault_bulk_checks_the_output_folder_before_paying(tmp_path, error):
    def refuse(path, data):
        raise error

    client, api = counting_client()
    with pytest.raises(bulk.OutputFolderError, match="Nothing was sent"):
        run_bulk(client, tmp_path / "run", write=refuse)
    assert api.requests == []


def test_fault_bulk_into_a_file_instead_of_a_folder(tmp_path):
    (tmp_path / "run").write_text("not a folder")
    client, api = counting_client()
    with pytest.raises(bulk.OutputFolderError):
        run_bulk(client, tmp_path / "run")
    assert api.requests == []


def test_fault_bulk_stops_when_the_disk_fills_up(tmp_path):
    budget_bytes = [20_000]  # a tiny filesystem: the probe fits, then it fills

    def tiny_disk(path, data):
        if len(data) > budget_bytes[0]:
            raise OSError(28, "No space left on device")
        budget_bytes[0] -= len(data)
        writes.atomic_write_bytes(path, data)

    client, api = counting_client()
    report = run_bulk(client, tmp_path / "run", write=tiny_disk, concurrency=1)
    saved = report.count(bulk.SAVED)
    unsaved = [i for i in report.items if i.status == bulk.FAILED]
    assert report.stopped and "could not save" in report.stopped
    assert len(api.requests) == saved + len(unsaved) and len(unsaved) == 1 and unsaved[0].unsaved_image
    assert report.count(bulk.NOT_STARTED) == 16 - len(api.requests)


KILLED_BULK = textwrap.dedent("""
    import os, signal, sys, base64, io, json
    from pathlib import Path
    import httpx2, openai
    from PIL import Image
    from helpers import budget, bulk, writes
    out = io.BytesIO(); Image.new("RGBA", (8, 8)).save(out, "PNG")
    body = {"created": 1, "data": [{"b64_json": base64.b64encode(out.getvalue()).decode()}],
            "usage": {"input_tokens": 5, "input_tokens_details": {"text_tokens": 5, "image_tokens": 0},
                      "output_tokens": 272, "total_tokens": 277}}
    api = httpx2.MockTransport(lambda r: httpx2.Response(200, json=body))
    client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=api))
    kill_after = sys.argv[2]
    def write(path, data):
        writes.atomic_write_bytes(path, data)
        if path.name == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
    jobs = [bulk.Job(f"img-{i:02d}", f"Draw kite {i}", output_format="png") for i in range(16)]
    bulk.run(jobs, client=client, model="gpt-image-1-mini", run_dir=Path(sys.argv[1]), concurrency=1,
             limits=bulk.Limits(100, 10_000_000), progress=False, say=lambda m: None, cap=budget.SpendingCap(10.0),
             write=write)
""")


@pytest.mark.parametrize("kill_after", ["img-00.png", "img-03.png", "manifest.json"])
def test_fault_a_killed_bulk_run_never_pays_twice_for_a_saved_image(tmp_path, kill_after):
    run_dir = tmp_path / "run"
    # Live mode asks the lifecycle on today (COOKBOOK_TODAY, a day mini was served), as the resumed run here does.
    proc = subprocess.run([sys.executable, "-c", KILLED_BULK, str(run_dir), kill_after], cwd=ROOT,
                          env={**os.environ, "COOKBOOK_MODE": "live"})
    assert proc.returncode == -signal.SIGKILL
    saved_before = {p.name for p in run_dir.glob("img-*.png")}
    client, api = counting_client()
    report = run_bulk(client, run_dir)
    sent = {json.loads(r.content)["prompt"] for r in api.requests}
    for name in saved_before:
        assert f"Draw kite {int(name[4:6])}" not in sent, f"{name} was saved but paid for again"
    assert report.count(bulk.SAVED) + report.count(bulk.SKIPPED) == 16


def test_bad_input_bulk_checks_prompts_like_single_calls(tmp_path):
    client, api = counting_client()
    jobs = [bulk.Job("long", "x" * 32001)]
    with pytest.raises(ValueError, match="32000"):
        bulk.run(jobs, client=client, model=MINI, run_dir=tmp_path, progress=False)
    assert api.requests == []


# --- 10. streams settle from the usage of their last event ---------------------------------------

def test_fault_a_stream_read_to_the_end_settles_from_usage_and_one_cut_short_keeps_its_hold(live):
    client = live_client()
    cap = budget.kernel_cap()
    params = dict(model=MINI, prompt="p", quality="low", size="1024x1024", stream=True, partial_images=2)
    events = list(client.images.generate(**params))
    usage = events[-1].usage
    assert cap.reserved_usd == 0.0
    assert cap.spent_usd == pytest.approx(pricing.cost_of_usage(MINI, usage).total)
    before = cap.spent_usd
    stream = client.images.generate(**params)
    next(iter(stream))
    stream.close()  # the learner stopped reading: the images may still have been made and billed
    worst = budget.expected_cost({"method": "POST", "path": "/v1/images/generations",
                                  "json": {**params, "stream": "true"}}).usd
    assert cap.spent_usd - before == pytest.approx(worst) and cap.reserved_usd == 0.0


@pytest.mark.parametrize("data, message", [(huge_png(), "pixels"), (b"not an image", "unknown format")])
def test_bad_input_save_image_reads_the_header_before_decoding(tmp_path, data, message):
    with pytest.raises(ValueError, match=message):
        files.save_image(data, "out", output_format="png", folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_bad_input_an_image_model_at_the_top_of_a_responses_call_is_refused_before_sending(live):
    with pytest.raises(openai.BadRequestError, match="tools\\[\\].model"):
        live_client().responses.create(model=MINI, input="p", tools=[{"type": "image_generation"}])
    assert live.sent == 0


@pytest.mark.parametrize("tool", [{"quality": "ultra"}, {"size": "999x999"}, {"output_format": "bmp"},
                                  {"partial_images": 4}])
def test_bad_input_a_responses_tool_the_registry_knows_is_refused_stops_before_sending(live, tool):
    with pytest.raises(openai.BadRequestError, match="Source:"):
        live_client().responses.create(model="gpt-5.5", input="Draw a kite",
                                       tools=[{"type": "image_generation", "model": MINI, **tool}])
    assert live.sent == 0


def test_bad_input_a_mask_without_alpha_is_refused_before_sending(live):
    with pytest.raises(edits.EditInputError, match="alpha"):
        live_client().images.edit(model=MINI, image=("a.png", png((64, 64)), "image/png"), prompt="p",
                                  mask=("m.png", png((64, 64), mode="RGB"), "image/png"))
    assert live.sent == 0


# --- 11. the async client draws on the same reservations ------------------------------------------

def test_fault_eight_async_requests_cannot_outrun_the_cap(live, monkeypatch):
    monkeypatch.setattr(budget, "KERNEL_CAP", budget.SpendingCap(0.05))
    client = client_module.make_async_client("faults", mode="live", quiet=True, max_retries=0)

    async def one(index):
        try:
            await client.images.generate(model=MINI, prompt=f"kite {index}", quality="high", size="1024x1024")
            return "sent"
        except budget.BudgetExceeded:
            return "refused"

    async def race():
        return await asyncio.gather(*(one(i) for i in range(8)))

    outcomes = Counter(asyncio.run(race()))
    assert outcomes == {"sent": 1, "refused": 7} and live.sent == 1
    assert live.billed_usd <= budget.KERNEL_CAP.spent_usd <= 0.05 and budget.KERNEL_CAP.reserved_usd == 0.0


def test_fault_the_live_stack_serves_the_async_client_with_the_same_checks(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-12-02")
    stack = client_module.live_transport(budget.kernel_cap(), http=httpx2.AsyncHTTPTransport())
    client = openai.AsyncOpenAI(max_retries=0, http_client=openai.DefaultAsyncHttpx2Client(transport=stack))
    with pytest.raises(registry.ModelShutDown):
        asyncio.run(client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024"))
    assert live.sent == 0


def test_fault_the_async_client_has_the_same_pre_send_checks(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-12-02")
    client = client_module.make_async_client("faults", mode="live", quiet=True, max_retries=0)

    async def generate():
        return await client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")

    with pytest.raises(registry.ModelShutDown):
        asyncio.run(generate())
    assert live.sent == 0
    monkeypatch.setenv("COOKBOOK_TODAY", "2026-11-29")
    asyncio.run(generate())
    assert live.sent == 1


# --- 12. scrubbing never changes a request, and catches secrets in every form ------------------------

KEY_SHAPED_PROMPT = "A chess sk-8board beside an org-chartroom and a proj_sketchbook"


def test_fault_key_shaped_words_in_a_prompt_replay_exactly_and_a_different_prompt_does_not_match(
        tmp_path, monkeypatch):
    monkeypatch.setattr(client_module, "RECORDINGS_DIR", tmp_path)
    monkeypatch.setattr(rec, "_OPEN_FOR_RECORDING", {})
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    recorder = client_module.make_client("keywords", mode="record", quiet=True, max_retries=0)
    recorder.images.generate(model=MINI, prompt=KEY_SHAPED_PROMPT, quality="low", size="1024x1024")
    (tmp_path / "keywords.new.json").rename(tmp_path / "keywords.json")
    stored = json.loads((tmp_path / "keywords.json").read_text())["interactions"][0]["request"]
    assert stored["json"]["prompt"] == KEY_SHAPED_PROMPT  # the prompt is stored exactly as sent
    replay = client_module.make_client("keywords", mode="replay", quiet=True, max_retries=0)
    assert replay.images.generate(model=MINI, prompt=KEY_SHAPED_PROMPT, quality="low", size="1024x1024").data
    with pytest.raises(rec.RecordingMismatch):
        replay.images.generate(model=MINI, prompt=KEY_SHAPED_PROMPT.replace("sk-8board", "sk-9lives"),
                               quality="low", size="1024x1024")
    offline = client_module.make_client("keywords", mode="offline", quiet=True, max_retries=0)
    answer = offline.images.with_raw_response.generate(model=MINI, prompt="sk-9lives " + KEY_SHAPED_PROMPT,
                                                       quality="low", size="1024x1024")
    assert transports.NOT_RECORDED_HEADER in answer.headers  # drawn by the simulator and labelled


ESCAPED_KEY = "sk-proj-EscapedCanary0123456789abcdef"
ESCAPED_ORG = "org-EscapedOrgCanary12345"
GATEWAY_KEY = "gw_live_GatewayCanary7f3a9c"  # a gateway credential not shaped like sk-...


def escaped_error_body(request) -> bytes:
    """A 401 whose JSON escapes the key and the organization id, and echoes the caller's bearer value."""
    bearer = request.headers.get("authorization", "").split(" ", 1)[-1]
    key_escaped = ESCAPED_KEY.replace("-", "\\u002d")  # sk\u002dproj\u002d...: JSON for the same key
    org_escaped = ESCAPED_ORG.replace("o", "\\u006f", 1)
    quote = '\\"'
    message = (f"Incorrect API key provided: {quote}{ESCAPED_KEY}{quote}. Key {key_escaped} "
               f"of organization {org_escaped}; the gateway saw {bearer}.")
    return ('{"error": {"message": "' + message + '", "type": "invalid_request_error", "param": null, '
            '"code": "invalid_api_key"}}').encode()


def test_fault_json_escaped_secrets_and_an_echoed_gateway_key_reach_no_message_and_no_recording(tmp_path):
    api = Answer(lambda request: httpx2.Response(401, content=escaped_error_body(request),
                                                 headers={"content-type": "application/json",
                                                          "x-request-id": f"req_{ESCAPED_ORG}",
                                                          "x-gateway-echo": GATEWAY_KEY}))
    recording = rec.Recording(tmp_path / "escaped.json")
    stack = transports.live_transport(budget.SpendingCap(1.0), record_to=recording, http=api)
    client = openai.OpenAI(api_key=GATEWAY_KEY, base_url="https://gateway.example/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=stack))
    with pytest.raises(openai.AuthenticationError) as info:
        client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")
    explained = io.StringIO()
    with contextlib_redirect(explained):
        triage.explain(info.value)
    shown = (f"{info.value} {info.value.body} {info.value.response.headers} {bulk.describe_error(info.value)} "
             f"{triage.diagnose(info.value)} {explained.getvalue()}")
    written = (tmp_path / "escaped.json").read_text()
    assert "invalid_api_key" in written and "[redacted]" in shown
    for canary in (ESCAPED_KEY, ESCAPED_ORG, GATEWAY_KEY, "EscapedCanary", "EscapedOrgCanary", "GatewayCanary"):
        assert canary not in shown and canary not in written, canary


def contextlib_redirect(target):
    from contextlib import redirect_stdout
    return redirect_stdout(target)


def test_fault_an_echoed_gateway_key_in_a_successful_answer_and_a_stream_is_not_recorded(tmp_path):
    def echo(request):
        bearer = request.headers["authorization"].split(" ", 1)[1]
        if json.loads(request.content).get("stream"):
            event = {"type": "image_generation.completed", "b64_json": "", "note": f"billed to {bearer}",
                     "usage": OK_IMAGE["usage"]}
            return httpx2.Response(200, content=f"event: x\ndata: {json.dumps(event)}\n\n".encode(),
                                   headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, json={**OK_IMAGE, "gateway": {"billed_to": bearer}})

    recording = rec.Recording(tmp_path / "gateway.json")
    stack = transports.live_transport(budget.SpendingCap(1.0), record_to=recording, http=Answer(echo))
    client = openai.OpenAI(api_key=GATEWAY_KEY, base_url="https://gateway.example/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=stack))
    answer = client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024")
    events = list(client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024", stream=True))
    seen = answer.model_dump_json() + "".join(e.model_dump_json() for e in events)
    written = (tmp_path / "gateway.json").read_text()
    assert "[redacted]" in written and "[redacted]" in seen
    assert GATEWAY_KEY not in written and GATEWAY_KEY not in seen


def test_fault_a_non_key_extra_query_value_is_not_recorded_and_still_replays(tmp_path):
    recording = rec.Recording(tmp_path / "query.json")
    api = Answer(lambda request: httpx2.Response(200, json=OK_IMAGE))
    stack = transports.live_transport(budget.SpendingCap(1.0), record_to=recording, http=api)
    client = openai.OpenAI(api_key="sk-test", base_url="https://gateway.example/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(transport=stack))
    client.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024",
                           extra_query={"gateway_token": "plainword42", "limit": "5"})
    assert "gateway_token=plainword42" in str(api.requests[0].url)  # sent as given
    stored = json.loads((tmp_path / "query.json").read_text())["interactions"][0]["request"]
    assert stored["query"] == [["gateway_token", "[redacted]"], ["limit", "5"]]
    assert "plainword42" not in (tmp_path / "query.json").read_text()
    replay = openai.OpenAI(api_key="sk-test", base_url="https://gateway.example/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(
                               transport=transports.ReplayTransport(rec.Recording.load(tmp_path / "query.json"))))
    assert replay.images.generate(model=MINI, prompt="p", quality="low", size="1024x1024",
                                  extra_query={"gateway_token": "plainword42", "limit": "5"}).data


# --- 13. the cap prices what can come back -----------------------------------------------------------

TOOL = {"type": "image_generation", "model": MINI, "quality": "high", "size": "1024x1024"}


class BillingAPI(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """The simulator in process, reshaped like a broken or generous upstream, billing what it made.

    ``images_per_answer`` image calls in each Responses answer (tool usage summed, as the API does);
    ``strip_tool_usage`` drops ``tool_usage`` from what the client sees (the SDK allows it);
    ``usage_tokens`` replaces every reported token count (a broken proxy: 0, -10**7, "many");
    ``background`` answers ``background=true`` creates as queued and the retrieve as completed.
    ``billed_usd`` is priced from the true usage, before any reshaping.
    """

    def __init__(self, *, images_per_answer=1, strip_tool_usage=False, usage_tokens=None):
        self.simulator = Simulator()
        self.images, self.strip, self.usage_tokens = images_per_answer, strip_tool_usage, usage_tokens
        self.billed_usd, self.posts, self.queued = 0.0, 0, {}
        self._lock = threading.Lock()

    def _bill(self, request, answer) -> None:
        usd = 0.0
        if answer.get("object") == "response":
            cost = pricing.cost_of_response(answer)
            usd = (cost.tool.total or 0.0) + (cost.mainline or 0.0)
        elif answer.get("usage"):
            model = json.loads(request.content).get("model") if request.headers.get(
                "content-type", "").startswith("application/json") else MINI
            usd = pricing.cost_of_usage(model, answer["usage"]).total
        with self._lock:
            self.billed_usd += usd

    def _bill_batch(self, file_id: str) -> None:
        """What the lines of a created Batch bill once run: each answered by a scratch simulator, at Batch rates."""
        content = self.simulator.handle("GET", f"/v1/files/{file_id}/content", {}, {}, b"")
        lines = content.body.get("$jsonl", []) if isinstance(content.body, dict) else []  # the stored JSONL form
        scratch, usd = Simulator(), 0.0
        for line in lines:
            answer = scratch.handle("POST", line["url"], {}, {"content-type": "application/json"},
                                    json.dumps(line["body"]).encode())
            if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("usage"):
                usd += pricing.cost_of_usage(line["body"]["model"], answer.body["usage"], batch=True).total
        with self._lock:
            self.billed_usd += usd

    def _reshape(self, answer: dict) -> dict:
        answer = json.loads(json.dumps(answer))
        if answer.get("object") == "response" and self.images > 1:
            call = next(i for i in answer["output"] if i["type"] == "image_generation_call")
            answer["output"] = [dict(call, id=f"{call['id']}{k}") for k in range(self.images)] + answer["output"][1:]
            image_gen = answer["tool_usage"]["image_gen"]
            for name in ("input_tokens", "output_tokens", "total_tokens"):
                image_gen[name] *= self.images
            for details in ("input_tokens_details", "output_tokens_details"):
                if isinstance(image_gen.get(details), dict):
                    image_gen[details] = {k: v * self.images for k, v in image_gen[details].items()}
        return answer

    def _shown(self, answer: dict) -> dict:
        shown = json.loads(json.dumps(answer))
        if self.strip:
            shown.pop("tool_usage", None)
        if self.usage_tokens is not None:
            for block in (shown.get("usage"), (shown.get("tool_usage") or {}).get("image_gen")):
                if isinstance(block, dict):
                    for name in ("input_tokens", "output_tokens", "total_tokens"):
                        block[name] = self.usage_tokens
                    block.pop("input_tokens_details", None)
                    block.pop("output_tokens_details", None)
        return shown

    def handle_request(self, request):
        request.read()
        path = request.url.path
        if request.method == "GET" and path.startswith("/v1/responses/"):
            answer = self.queued.get(path.rsplit("/", 1)[1])
            if answer is None:
                return httpx2.Response(404, json={"error": {"message": "no such response", "type": "invalid_request_error"}})
            return httpx2.Response(200, json=self._shown(answer))
        content = request.content
        if path.endswith("/responses") and request.method == "POST":
            # This fake holds background answers itself (queued, then completed on the first retrieve),
            # so the simulator is asked for the finished answer at once.
            body = json.loads(content)
            content = json.dumps({k: v for k, v in body.items() if k != "background"}).encode()
        sim = self.simulator.handle(request.method, path, dict(request.url.params.multi_items()),
                                    dict(request.headers), content)
        if sim.events is not None and sim.status == 200:
            events = [dict(e) for e in sim.events]
            for event in events:
                data = event.get("data")
                if isinstance(data, dict) and data.get("type") == "response.completed":
                    self._bill(request, data["response"])
                elif isinstance(data, dict) and data.get("usage"):
                    self._bill(request, data)
            with self._lock:
                self.posts += 1
            return httpx2.Response(200, content=b"".join(wire.encode_sse(events)),
                                   headers={"content-type": "text/event-stream"})
        if path.endswith("/batches") and request.method == "POST" and sim.status == 200:
            self._bill_batch(json.loads(request.content)["input_file_id"])
        if sim.events is not None or not isinstance(sim.body, dict) or sim.status != 200:
            return httpx2.Response(sim.status, json=sim.body, headers=dict(sim.headers))
        with self._lock:
            self.posts += request.method == "POST"
        answer = self._reshape(sim.body)
        self._bill(request, answer)
        if answer.get("object") == "response" and json.loads(request.content).get("background"):
            self.queued[answer["id"]] = answer
            return httpx2.Response(200, json={**answer, "status": "queued", "output": [], "usage": None,
                                              "tool_usage": None, "background": True})
        return httpx2.Response(200, json=self._shown(answer))

    async def handle_async_request(self, request):
        await request.aread()
        return self.handle_request(request)


def billing_client(api, cap, *, asynchronous=False):
    stack = transports.live_transport(cap, http=api)
    if asynchronous:
        return openai.AsyncOpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                                  http_client=openai.DefaultAsyncHttpx2Client(transport=stack))
    return openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                         http_client=openai.DefaultHttpx2Client(transport=stack))


def race(threads, call):
    """Run ``call(i)`` in ``threads`` threads released together; Counter of "sent" / "refused"."""
    barrier, outcomes, lock = threading.Barrier(threads), Counter(), threading.Lock()

    def one(index):
        barrier.wait()
        try:
            call(index)
            outcome = "sent"
        except budget.BudgetExceeded:
            outcome = "refused"
        with lock:
            outcomes[outcome] += 1

    workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


@pytest.mark.parametrize("max_tool_calls", [4, None])
def test_fault_several_images_in_one_responses_answer_cannot_pass_the_cap(max_tool_calls):
    api, cap = BillingAPI(images_per_answer=4), budget.SpendingCap(0.30)
    client = billing_client(api, cap)
    extra = {"max_tool_calls": max_tool_calls} if max_tool_calls else {}
    race(6, lambda i: client.responses.create(model="gpt-5.5", input=f"Draw four kites {i}", tools=[TOOL],
                                              max_output_tokens=200, **extra))
    assert api.posts and api.billed_usd <= 0.30 and api.billed_usd <= cap.spent_usd + 1e-9


def test_fault_an_answer_with_more_images_than_reserved_is_settled_at_its_own_count():
    api, cap = BillingAPI(images_per_answer=6, strip_tool_usage=True), budget.SpendingCap(5.0)
    client = billing_client(api, cap)
    client.responses.create(model="gpt-5.5", input="Draw six kites", tools=[TOOL], max_tool_calls=2)
    assert cap.spent_usd >= api.billed_usd > 0


def test_fault_a_responses_answer_without_tool_usage_settles_at_its_bound():
    api, cap = BillingAPI(strip_tool_usage=True), budget.SpendingCap(0.20)
    client = billing_client(api, cap)
    for index in range(40):
        try:
            client.responses.create(model="gpt-5.5", input=f"Draw a kite {index}", tools=[TOOL], max_tool_calls=1)
        except budget.BudgetExceeded:
            break
    assert api.billed_usd <= cap.spent_usd <= 0.20 and api.posts < 40


@pytest.mark.parametrize("tokens", [0, -10_000_000, "many", 1.5])
def test_fault_implausible_usage_from_a_proxy_settles_at_the_bound_and_never_lowers_spending(tokens):
    api, cap = BillingAPI(usage_tokens=tokens), budget.SpendingCap(0.30)
    client = billing_client(api, cap)
    sent = 0
    for index in range(20):
        try:
            high_square(client, prompt=f"Draw a kite {index}")
            client.responses.create(model="gpt-5.5", input=f"Draw a kite {index}", tools=[TOOL], max_tool_calls=1)
            sent += 1
        except (budget.BudgetExceeded, openai.APIError):
            break
    assert cap.spent_usd >= api.billed_usd > 0 and api.billed_usd <= 0.30 and cap.spent_usd <= 0.30


def test_fault_a_settlement_below_zero_is_never_counted():
    cap = budget.SpendingCap(1.0)
    held = cap.reserve(budget.ExpectedCost(0.25, "one image"))
    cap.settle(held, -320.0)
    assert cap.spent_usd == pytest.approx(0.25) and cap.reserved_usd == 0.0
    with pytest.raises(ValueError):
        cap.charge(-36.0)


def test_fault_background_creates_are_held_until_retrieved_and_a_second_retrieve_is_free():
    api, cap = BillingAPI(), budget.SpendingCap(1.0)
    client = billing_client(api, cap)
    created, refused = [], 0
    for index in range(10):
        try:
            created.append(client.responses.create(model="gpt-5.5", input=f"Draw a kite {index}", tools=[TOOL],
                                                   background=True, max_tool_calls=1))
        except budget.BudgetExceeded:
            refused += 1
    assert refused and api.billed_usd <= 1.0
    assert cap.reserved_usd > 0 and cap.spent_usd == 0.0  # held while queued
    for response in created:
        assert response.status == "queued"
        client.responses.retrieve(response.id)
    settled = cap.spent_usd
    assert cap.reserved_usd == pytest.approx(0.0) and api.billed_usd <= settled <= 1.0
    for response in created:
        client.responses.retrieve(response.id)  # already settled: free
    assert cap.spent_usd == settled


def test_fault_a_connect_timeout_releases_the_reservation():
    for error in (httpx2.ConnectTimeout, httpx2.PoolTimeout):
        def never_left(request, error=error):
            raise error("no connection", request=request)

        client, cap, _ = capped(never_left)
        with pytest.raises(openai.APITimeoutError):
            high_square(client)
        assert cap.spent_usd == 0.0 and cap.reserved_usd == 0.0


def test_fault_a_batch_over_an_unreadable_file_is_refused_even_when_unpriced_is_allowed(live, monkeypatch):
    monkeypatch.setenv("COOKBOOK_BUDGET_USD", "1.00")
    monkeypatch.setenv("COOKBOOK_ALLOW_UNPRICED", "1")
    with pytest.raises(budget.BudgetExceeded, match="could not be read"):
        live_client().batches.create(input_file_id="file-nobody-uploaded", endpoint="/v1/images/generations",
                                     completion_window="24h")
    assert live.posts["/v1/batches"] == 0


def test_fault_responses_batch_lines_are_priced_at_their_own_worst_case():
    body = {"model": "gpt-5.5", "input": "Draw a kite", "tools": [TOOL], "max_tool_calls": 1}
    lines = [{"custom_id": f"r{i}", "method": "POST", "url": "/v1/responses", "body": body} for i in range(4)]
    cost = budget.batch_file_cost("".join(json.dumps(line) + "\n" for line in lines).encode())
    assert cost.fully_priced and cost.usd == pytest.approx(4 * budget.responses_cost(body).usd)


@pytest.mark.parametrize("count", [0, -5000])
def test_fault_a_zero_or_negative_output_token_fact_never_makes_the_cap_hold_nothing(monkeypatch, count):
    from dataclasses import replace
    record = registry.MODELS[MINI]
    table = replace(record.output_tokens, tokens={k: count for k in record.output_tokens.tokens})
    monkeypatch.setitem(registry.MODELS, MINI, replace(record, output_tokens=table, per_image_prices=None))
    expected = budget.expected_cost({"method": "POST", "path": "/v1/images/generations",
                                     "json": {"model": MINI, "prompt": "p", "quality": "high", "size": "1024x1024"}})
    assert expected.usd is not None and expected.usd > 0.01
    api, cap = BillingAPI(usage_tokens=count), budget.SpendingCap(0.10)
    client = billing_client(api, cap)
    race(12, lambda i: high_square(client, prompt=f"kite {i}"))
    assert 0 < cap.spent_usd <= 0.10 and api.billed_usd <= 0.10


def test_fault_threads_and_async_tasks_draw_on_one_ledger(monkeypatch):
    monkeypatch.setattr(budget, "KERNEL_CAP", budget.SpendingCap(0.30))
    api = BillingAPI()
    sync_client = billing_client(api, budget.kernel_cap())
    async_client = billing_client(api, budget.kernel_cap(), asynchronous=True)

    async def tasks():
        async def one(index):
            try:
                await async_client.images.generate(model=MINI, prompt=f"a{index}", quality="high", size="1024x1024")
            except budget.BudgetExceeded:
                pass
        await asyncio.gather(*(one(i) for i in range(8)))

    loop_thread = threading.Thread(target=lambda: asyncio.run(tasks()))
    loop_thread.start()
    race(8, lambda i: high_square(sync_client, prompt=f"s{i}"))
    loop_thread.join()
    assert api.billed_usd <= budget.kernel_cap().spent_usd <= 0.30 and budget.kernel_cap().reserved_usd == 0.0


# --- 14. every route under 16 racing threads and 16 concurrent tasks (scripts/fault_report.py) ----------

ROUTES = ("images", "edits", "responses", "responses stream", "responses background", "batch", "bulk")
ROUTE_CAPS_USD = {"images": 0.05, "edits": 0.12, "responses": 0.30, "responses stream": 0.30,
                  "responses background": 0.30, "batch": 0.05, "bulk": 0.05}


def _route_call(route: str, client, index: int, run_dir: Path):
    """One request (or one bulk run) of ``route``; a coroutine when ``client`` is async."""
    square = dict(model=MINI, quality="high", size="1024x1024")
    four = dict(model="gpt-5.5", tools=[TOOL], max_tool_calls=4, max_output_tokens=200)
    if route == "images":
        return client.images.generate(prompt=f"kite {index}", **square)
    if route == "edits":
        return client.images.edit(image=("in.png", png((64, 64)), "image/png"), prompt=f"hat {index}", **square)
    if route == "responses":
        return client.responses.create(input=f"four kites {index}", **four)
    if route == "responses stream":
        return client.responses.create(input=f"four kites {index}", stream=True,
                                       **{**four, "tools": [{**TOOL, "partial_images": 1}]})
    if route == "responses background":
        return client.responses.create(input=f"four kites {index}", background=True, **four)
    raise ValueError(route)


def _batch_lines(index: int) -> bytes:
    lines = [bulk.batch_line(f"j{index}-{k}", {"model": MINI, "prompt": f"kite {index} {k}", "quality": "high",
                                               "size": "1024x1024", "n": 1}) for k in range(2)]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def route_overspend(route: str, *, workers: int = 16, asynchronous: bool = False, tmp: Path | None = None) -> dict:
    with on_a_day_mini_was_served():
        return _route_overspend(route, workers, asynchronous, tmp)


def _route_overspend(route: str, workers: int, asynchronous: bool, tmp: Path | None) -> dict:
    """Race ``workers`` threads (or asyncio tasks) through the live stack and the spending cap on ``route``
    (one of ``ROUTES``) against the simulator in process (``BillingAPI``: Responses answers hold four
    images each). Returns sent, refused, billed (USD, from the simulator's usage), counted (USD, the
    ledger's spent + held) and the overspend (billed - cap, 0 when the cap held)."""
    import tempfile
    limit = ROUTE_CAPS_USD[route]
    api, cap = BillingAPI(images_per_answer=4), budget.SpendingCap(limit)
    outcomes: Counter = Counter()
    saved_mode, saved_cap = os.environ.get("COOKBOOK_MODE"), budget.KERNEL_CAP
    folder = Path(tmp or tempfile.mkdtemp())
    os.environ["COOKBOOK_MODE"] = "live"  # bulk draws on the client's cap, as in a live kernel
    budget.KERNEL_CAP = cap
    try:
        client = billing_client(api, cap, asynchronous=asynchronous)
        sync_client = billing_client(api, cap)

        def finish(answer):
            if route == "responses stream":
                for _ in answer:
                    pass
            if route == "responses background":
                for _ in range(2):  # the second retrieve must be free
                    sync_client.responses.retrieve(answer.id)

        def blocking(index):
            if route == "bulk":
                jobs = [bulk.Job(f"b{index}-{k}", f"kite {index} {k}", quality="high") for k in range(2)]
                report = bulk.run(jobs, client=sync_client, model=MINI, run_dir=folder / f"run{index}",
                                  limits=bulk.Limits(1000, 10_000_000), progress=False, say=lambda m: None)
                if report.stopped and "Not sent" in report.stopped and not report.count(bulk.SAVED):
                    raise budget.BudgetExceeded(report.stopped)
                return
            if route == "batch":
                uploaded = sync_client.files.create(file=(f"jobs{index}.jsonl", _batch_lines(index)), purpose="batch")
                sync_client.batches.create(input_file_id=uploaded.id, endpoint="/v1/images/generations",
                                           completion_window="24h")
                return
            finish(_route_call(route, sync_client, index, folder))

        if not asynchronous or route in ("bulk", "batch"):
            if asynchronous:  # bulk and the Batch upload are blocking helpers: each task runs one in a thread
                async def tasks():
                    async def one(index):
                        try:
                            await asyncio.to_thread(blocking, index)
                            return "sent"
                        except budget.BudgetExceeded:
                            return "refused"
                    return await asyncio.gather(*(one(i) for i in range(workers)))
                outcomes.update(asyncio.run(tasks()))
            else:
                outcomes.update(race(workers, blocking))
        else:
            async def tasks():
                async def one(index):
                    try:
                        answer = await _route_call(route, client, index, folder)
                        if route == "responses stream":
                            async for _ in answer:
                                pass
                        if route == "responses background":
                            for _ in range(2):
                                await client.responses.retrieve(answer.id)
                        return "sent"
                    except budget.BudgetExceeded:
                        return "refused"
                return await asyncio.gather(*(one(i) for i in range(workers)))
            outcomes.update(asyncio.run(tasks()))
    finally:
        budget.KERNEL_CAP = saved_cap
        if saved_mode is None:
            os.environ.pop("COOKBOOK_MODE", None)
        else:
            os.environ["COOKBOOK_MODE"] = saved_mode
    counted = cap.spent_usd + cap.reserved_usd
    return {"route": route, "sent": outcomes["sent"], "refused": outcomes["refused"], "billed_usd": api.billed_usd,
            "counted_usd": counted, "limit_usd": limit, "overspend_usd": max(0.0, api.billed_usd - limit),
            "undercounted_usd": max(0.0, api.billed_usd - counted)}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["threads", "asyncio"])
@pytest.mark.parametrize("route", ROUTES)
def test_fault_no_route_spends_past_the_cap_under_sixteen_racing_workers(route, asynchronous, tmp_path):
    result = route_overspend(route, asynchronous=asynchronous, tmp=tmp_path)
    assert result["sent"] >= 1 and result["refused"] >= 1 and result["billed_usd"] > 0, result
    assert result["overspend_usd"] == 0.0 and result["undercounted_usd"] <= 1e-9, result


def test_fault_a_background_response_from_the_simulator_is_held_through_in_progress_and_billed_once():
    from helpers.offline.transport import SimulatorTransport

    cap = budget.SpendingCap(2.0)
    client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                           http_client=openai.DefaultHttpx2Client(
                               transport=transports.live_transport(cap, http=SimulatorTransport(Simulator()))))
    created = client.responses.create(model="gpt-5.5", input="Draw a kite", tools=[TOOL], background=True,
                                      max_tool_calls=1)
    held = cap.reserved_usd
    assert created.status == "queued" and held > 0 and cap.spent_usd == 0.0
    assert client.responses.retrieve(created.id).status == "in_progress" and cap.reserved_usd == held
    assert client.responses.retrieve(created.id).status == "completed"
    spent = cap.spent_usd
    assert cap.reserved_usd == pytest.approx(0.0) and 0 < spent <= held
    client.responses.retrieve(created.id)
    assert cap.spent_usd == spent  # a retrieve of a response already settled is free


def test_fault_a_revised_prompt_echoing_a_key_shaped_word_reads_as_written_but_loses_the_sent_key():
    from helpers.secrets import scrub, scrub_answer_bytes

    answer = {"data": [{"revised_prompt": "A kid riding a sk-8board, key sk-live-abcdef123456"}],
              "error": {"message": "Incorrect API key provided: sk-live-abcdef123456"}}
    cleaned = json.loads(scrub_answer_bytes(json.dumps(answer).encode(), ("sk-live-abcdef123456",)))
    assert cleaned["data"][0]["revised_prompt"] == "A kid riding a sk-8board, key [redacted]"
    assert "sk-live" not in cleaned["error"]["message"]
    assert scrub(answer)["data"][0]["revised_prompt"].startswith("A kid riding a sk-8board")
