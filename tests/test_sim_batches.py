"""The simulator's Files and Batch API through the SDK, and JSON Lines downloads through record and replay."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import httpx2
import openai
import pytest
from openai.types import Batch, FileObject, ImagesResponse
from PIL import Image

from helpers import bulk, registry
from helpers import transports
from helpers.offline.transport import SimulatorTransport
from helpers.transports import recording as rec
from helpers.api_errors import SIMULATED
from helpers.offline.simulator import Simulator
from tests.conftest import sdk_client

MODEL = "gpt-image-1-mini"  # these tests check mini's own facts, whatever model the lessons use
NO_BATCH = next(m.id for m in registry.image_models()
                if m.capabilities and m.capabilities.batch is False and m.served_on(registry.as_of_day()))


class Validating(httpx2.BaseTransport):
    """The simulator's transport, keeping every JSON answer so tests can validate it with SDK types."""

    def __init__(self, simulator: Simulator):
        self.inner, self.answers = SimulatorTransport(simulator), []

    def handle_request(self, request):
        stored = self.inner.answer(request)
        self.answers.append((request.method, request.url.path, stored))
        return transports.to_httpx(stored, request)


def good_lines(n=3):
    return bulk.batch_jsonl([bulk.Job(f"k{i}", f"Draw a boat, number {i}") for i in range(n)], MODEL)


def line(custom_id, **body):
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/images/generations",
                       "body": {"model": MODEL, "prompt": "Draw a boat", **body}}).encode() + b"\n"


@pytest.fixture
def sim():
    return Validating(Simulator())


def start(sim, data, endpoint="/v1/images/generations"):
    client = sdk_client(sim)
    uploaded = client.files.create(file=("requests.jsonl", data), purpose="batch")
    return client, client.batches.create(input_file_id=uploaded.id, endpoint=endpoint, completion_window="24h")


def test_upload_answers_a_file_object(sim):
    data = good_lines()
    uploaded = sdk_client(sim).files.create(file=("requests.jsonl", data), purpose="batch")
    assert uploaded.bytes == len(data) and uploaded.purpose == "batch" and uploaded.filename == "requests.jsonl"
    FileObject.model_validate(sim.answers[-1][2].json)
    assert sdk_client(sim).files.retrieve(uploaded.id) == uploaded


def test_a_batch_moves_one_status_per_poll_and_every_answer_validates(sim):
    client, batch = start(sim, good_lines(3))
    assert batch.status == "validating" and batch.endpoint == "/v1/images/generations" and batch.model == MODEL
    statuses = [batch.status]
    while batch.status != "completed":
        batch = client.batches.retrieve(batch.id)
        statuses.append(batch.status)
    assert statuses == ["validating", "in_progress", "finalizing", "completed"]
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (3, 3, 0)
    assert batch.error_file_id is None and batch.output_file_id
    assert batch.created_at < batch.in_progress_at < batch.finalizing_at < batch.completed_at
    for method, path, stored in sim.answers:
        if path.startswith("/v1/batches"):
            Batch.model_validate(stored.json)
        elif method == "POST" or path.count("/") == 3:
            FileObject.model_validate(stored.json)


def test_results_are_jsonl_lines_with_image_bodies(sim):
    client, batch = start(sim, good_lines(2))
    for _ in range(3):
        batch = client.batches.retrieve(batch.id)
    output = client.files.retrieve(batch.output_file_id)
    assert output.purpose == "batch_output"
    text = client.files.content(batch.output_file_id).text
    assert output.bytes == len(text.encode())
    records = [json.loads(row) for row in text.splitlines()]
    assert [r["custom_id"] for r in records] == ["k0", "k1"]
    for record in records:
        assert set(record) == {"id", "custom_id", "response", "error"} and record["error"] is None
        assert record["response"]["status_code"] == 200 and record["response"]["request_id"].startswith("req_")
        ImagesResponse.model_validate(record["response"]["body"])
    assert [r.ok for r in bulk.read_batch_results(text)] == [True, True]


def test_failed_lines_go_to_the_error_file(sim):
    data = line("good") + line("bad-size", size="512x512") + line("no-batch", model=NO_BATCH) + line("streamed", stream=True)
    client, batch = start(sim, data)
    for _ in range(3):
        batch = client.batches.retrieve(batch.id)
    assert (batch.request_counts.completed, batch.request_counts.failed) == (1, 3)
    errors = {r.custom_id: r for r in bulk.read_batch_results(client.files.content(batch.error_file_id).text)}
    assert errors["bad-size"].status_code == 400 and "512x512" in errors["bad-size"].message
    assert errors["no-batch"].status_code is None and "does not support the Batch API" in errors["no-batch"].message
    assert "cannot stream" in errors["streamed"].message
    assert all(SIMULATED in r.message for r in errors.values())
    assert [r.custom_id for r in bulk.read_batch_results(client.files.content(batch.output_file_id).text)] == ["good"]


def test_edit_lines_run_with_file_ids_and_data_urls(sim):
    client = sdk_client(sim)
    picture = client.files.create(file=("cat.png", png_bytes(), "image/png"), purpose="vision")
    mask = "data:image/png;base64," + base64.b64encode(png_bytes(mode="RGBA")).decode()
    data = (json.dumps(bulk.batch_line("e1", {"model": MODEL, "prompt": "Add a hat",
                                              "images": [{"file_id": picture.id}], "mask": {"image_url": mask}},
                                       url="/v1/images/edits")) + "\n").encode()
    client, batch = start(sim, data, endpoint="/v1/images/edits")
    for _ in range(3):
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.error_file_id is None
    (result,) = bulk.read_batch_results(client.files.content(batch.output_file_id).text)
    assert result.status_code == 200
    ImagesResponse.model_validate(result.body)


def png_bytes(mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, (64, 64), (10, 20, 30) if mode == "RGB" else (10, 20, 30, 0)).save(out, "PNG")
    return out.getvalue()


def test_unreadable_lines_fail_the_whole_batch(sim):
    data = line("a") + line("a") + b"not json\n"
    client, batch = start(sim, data)
    batch = client.batches.retrieve(batch.id)
    assert batch.status == "failed" and batch.failed_at
    assert [(e.line, e.code) for e in batch.errors.data] == [(2, "duplicate_custom_id"), (3, "invalid_json_line")]
    Batch.model_validate(sim.answers[-1][2].json)


@pytest.mark.parametrize("change, match", [
    (dict(completion_window="1h"), "Supported values are: '24h'"),
    (dict(endpoint="/v1/embeddings"), "image batches only"),
    (dict(input_file_id="file-missing"), "No such File"),
])
def test_bad_batch_requests_are_refused(sim, change, match):
    client = sdk_client(sim)
    uploaded = client.files.create(file=("requests.jsonl", good_lines(1)), purpose="batch")
    params = {**dict(input_file_id=uploaded.id, endpoint="/v1/images/generations", completion_window="24h"), **change}
    with pytest.raises(openai.APIStatusError, match=match):
        client.batches.create(**params)


def test_a_batch_file_must_be_json_lines(sim):
    with pytest.raises(openai.BadRequestError, match="JSON Lines"):
        sdk_client(sim).files.create(file=("requests.jsonl", b"\xff\xfe"), purpose="batch")


def test_jsonl_downloads_record_and_replay_to_the_same_text(tmp_path):
    path = tmp_path / "lesson.json"
    recorder = transports.RecordingTransport(SimulatorTransport(Simulator()), rec.Recording(path),
                                            rec.SIMULATOR)
    client, batch = start(recorder, good_lines(2))
    for _ in range(3):
        batch = client.batches.retrieve(batch.id)
    recorded = client.files.content(batch.output_file_id)
    stored = json.loads(path.read_text())["interactions"][-1]["response"]
    assert rec.is_jsonl_payload(stored["json"])
    assert "$image" in json.dumps(stored), "images inside JSONL lines are stored as thumbnails"

    replay = sdk_client(transports.ReplayTransport(rec.Recording.load(path)))
    replayed = replay.files.content(batch.output_file_id)
    assert replayed.response.headers["content-type"] == rec.JSONL_MEDIA_TYPE
    recorded_lines = [json.loads(row) for row in recorded.text.splitlines()]
    replayed_lines = [json.loads(row) for row in replayed.text.splitlines()]
    assert [r["custom_id"] for r in replayed_lines] == [r["custom_id"] for r in recorded_lines]
    assert replayed_lines[0]["response"]["request_id"] == recorded_lines[0]["response"]["request_id"]
    assert replayed.text == replay.files.content(batch.output_file_id).text


def test_stored_jsonl_is_written_back_byte_for_byte():
    text = b'{"a":1,"b":{"c":[1,2]}}\n{"d":"e"}\n'
    payload = rec.parse_jsonl(text)
    assert rec.jsonl_bytes(payload) == text
    assert rec.parse_jsonl(b"plain text") is None and rec.parse_jsonl(b"[1]\n") is None


def test_from_httpx_keeps_jsonl_and_still_wraps_other_text():
    jsonl = httpx2.Response(200, content=b'{"a":1}\n{"b":2}\n', headers={"content-type": "application/octet-stream"})
    assert transports.from_httpx(jsonl).json == rec.jsonl_payload([{"a": 1}, {"b": 2}])
    plain = httpx2.Response(200, content=b"hello", headers={"content-type": "text/plain"})
    assert transports.from_httpx(plain).json == {"text": "hello"}


def test_a_batch_where_every_line_failed_has_no_output_file_and_batch_results_reads_the_errors(sim):
    from helpers import triage

    client, batch = start(sim, line("bad-size", size="512x512") + line("streamed", stream=True))
    for _ in range(3):
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.output_file_id is None and batch.error_file_id
    with pytest.raises(ValueError) as info:  # lesson 05's plain pattern, on a batch with no output file
        client.files.content(batch.output_file_id)
    found = triage.diagnose(info.value)
    assert found.kind == "batch_without_output_file" and "bulk.batch_results" in found.next_step
    results = bulk.batch_results(client, batch)
    assert [r.custom_id for r in results] == ["bad-size", "streamed"] and not any(r.ok for r in results)


def test_batch_results_refuses_a_batch_still_running(sim):
    client, batch = start(sim, good_lines(1))
    with pytest.raises(ValueError, match="poll it"):
        bulk.batch_results(client, batch)


def test_a_batch_created_in_one_process_is_polled_from_another(tmp_path):
    """Offline, the simulator keeps files and batches in the outputs folder's state, as the API keeps them."""
    import subprocess
    import sys

    env = {**__import__("os").environ, "COOKBOOK_OUTPUTS_DIR": str(tmp_path), "COOKBOOK_MODE": "offline"}
    create = (
        "import io\n"
        "from helpers import bulk, make_client\n"
        "client = make_client('05_batch', quiet=True)\n"
        f"data = bulk.batch_jsonl([bulk.Job('k0', 'Draw a boat')], {MODEL!r})\n"
        "uploaded = client.files.create(file=('requests.jsonl', data), purpose='batch')\n"
        "batch = client.batches.create(input_file_id=uploaded.id, endpoint='/v1/images/generations',"
        " completion_window='24h')\n"
        "print(batch.id)\n")
    made = subprocess.run([sys.executable, "-c", create], env=env, capture_output=True, text=True, check=True,
                          cwd=str(Path(__file__).resolve().parents[1]))
    batch_id = made.stdout.strip().splitlines()[-1]
    poll = ("from helpers import make_client\n"
            "client = make_client('05_batch', quiet=True)\n"
            f"print([client.batches.retrieve({batch_id!r}).status for _ in range(3)])\n")
    polled = subprocess.run([sys.executable, "-c", poll], env=env, capture_output=True, text=True, check=True,
                            cwd=str(Path(__file__).resolve().parents[1]))
    assert polled.stdout.strip().splitlines()[-1] == "['in_progress', 'finalizing', 'completed']"


def test_two_simulators_sharing_a_state_folder_see_each_others_stored_responses(tmp_path):
    first, second = sdk_client(SimulatorTransport(Simulator(state_dir=tmp_path))), \
        sdk_client(SimulatorTransport(Simulator(state_dir=tmp_path)))
    made = first.responses.create(model=registry.LESSON_MAINLINE_MODEL, input="Draw a cat",
                                  tools=[{"type": "image_generation"}])
    assert second.responses.retrieve(made.id).id == made.id
    (tmp_path / "simulator-state.json").write_text("{not json")  # a broken file is answered around, then rewritten
    third = sdk_client(SimulatorTransport(Simulator(state_dir=tmp_path)))
    with pytest.raises(openai.NotFoundError):
        third.responses.retrieve(made.id)
    json.loads((tmp_path / "simulator-state.json").read_text())
