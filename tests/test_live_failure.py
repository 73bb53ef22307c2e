"""Live mode without a working key or network: the first cell says so in one short message, and later
cells stop with the same message instead of a NameError or a long traceback."""

import json
from pathlib import Path

import httpx2
import nbformat
import pytest
from nbclient import NotebookClient

from helpers import access

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FAKE_KEY = "sk-proj-" + "f" * 40 + "0000"


@pytest.fixture(autouse=True)
def no_failure_yet():
    access._LIVE_FAILURE.clear()
    yield
    access._LIVE_FAILURE.clear()


def stop_message(**kw):
    with pytest.raises(access.LiveAccessUnavailable) as stopped:
        access.check_live_access("gpt-image-2.6-flare", **kw)
    return str(stopped.value)


def answering(status):
    return httpx2.Client(transport=httpx2.MockTransport(
        lambda request: httpx2.Response(status, json={"error": {"message": "x", "type": "t", "code": None}})))


def unreachable(request):
    raise httpx2.ConnectError("connection refused", request=request)


def test_offline_and_replay_send_nothing_and_say_nothing(capsys):
    for mode in ("offline", "replay"):
        access.check_live_access(mode=mode, env={}, http_client=httpx2.Client(transport=httpx2.MockTransport(unreachable)))
    assert capsys.readouterr().out == "" and access.live_failure() is None


@pytest.mark.parametrize("env, client, says", [
    ({}, None, "OPENAI_API_KEY is not set"),
    ({"OPENAI_API_KEY": FAKE_KEY}, answering(401), "refused the key sk-proj-...0000"),
    ({"OPENAI_API_KEY": FAKE_KEY}, httpx2.Client(transport=httpx2.MockTransport(unreachable)), "could not be reached"),
], ids=["no key", "fake key", "no network"])
def test_a_live_run_that_cannot_work_stops_with_one_short_message(env, client, says):
    message = stop_message(mode="live", env=env, http_client=client)
    assert message.startswith("Live mode stopped: ") and says in message
    assert "\n" not in message and len(message) < 200 and FAKE_KEY not in message
    assert access.live_failure() == message


def test_a_key_that_works_passes_even_if_the_model_is_refused():
    access.check_live_access("gpt-image-2.6-flare", mode="live", env={"OPENAI_API_KEY": FAKE_KEY},
                             http_client=answering(403))
    assert access.live_failure() is None


def test_every_lesson_checks_live_access_in_its_first_cell_before_building_its_client():
    for path in LESSONS:
        first = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        source = "".join(first["source"])
        assert "access.check_live_access(" in source, path.name
        assert source.index("access.check_live_access(") < source.index("make_client("), path.name


def run_in_a_kernel(cells, monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if "OPENAI_API_KEY" not in env:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    return notebook.cells


def shown(cell):
    """Everything a learner sees under a cell: streams, and an error's traceback lines."""
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", "") if output.output_type == "stream" else "\n".join(output.get("traceback", [])))
    return "\n".join(parts)


@pytest.mark.parametrize("env", [
    {"COOKBOOK_MODE": "live"},
    {"COOKBOOK_MODE": "live", "OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
], ids=["no key", "fake key, nothing listening"])
def test_in_a_kernel_the_first_cell_and_every_later_one_show_the_same_short_message(env, monkeypatch):
    first = "".join(next(c for c in json.loads(LESSONS[0].read_text())["cells"] if c["cell_type"] == "code")["source"])
    cells = run_in_a_kernel([first, "print(client)", "request_with('rate_limit')"], monkeypatch, **env)
    messages = [shown(cell).strip() for cell in cells]
    assert messages[0].endswith(messages[1]) and messages[1] == messages[2]
    assert messages[1].startswith("Live mode stopped: ")
    for text in messages:
        assert "NameError" not in text and "Traceback" not in text
        assert len(text.splitlines()) <= 4, text
