"""Every learner script in tests/client_corpus runs against the kit and against the simulator server.

"kit": the kit's offline simulator transport, injected into the SDK clients (what ``make_client``
falls back to offline, without its pacing of stream events). "server": the simulator served on
127.0.0.1, reached by plain ``openai.OpenAI()`` / ``openai.AsyncOpenAI()`` through ``OPENAI_BASE_URL``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openai
import pytest
from PIL import Image, ImageDraw

from helpers.client import make_async_client, make_client
from helpers.offline.transport import SimulatorTransport
from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

CORPUS = Path(__file__).parent / "client_corpus"
SCRIPTS = sorted(p for p in CORPUS.glob("*.py"))


def load(script: Path):
    spec = importlib.util.spec_from_file_location(f"client_corpus_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def workdir(tmp_path):
    cat = Image.new("RGB", (256, 256), (230, 180, 120))
    ImageDraw.Draw(cat).ellipse((64, 64, 192, 192), fill=(90, 60, 40))
    cat.save(tmp_path / "cat.png")
    mask = Image.new("RGBA", (256, 256), (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((64, 0, 192, 96), fill=(0, 0, 0, 0))
    mask.save(tmp_path / "mask.png")
    return tmp_path


def kit_clients(simulator: Simulator) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
    adapter = SimulatorTransport(simulator)
    return (openai.OpenAI(api_key="corpus-placeholder", max_retries=0,
                          http_client=openai.DefaultHttpx2Client(transport=adapter)),
            openai.AsyncOpenAI(api_key="corpus-placeholder", max_retries=0,
                               http_client=openai.DefaultAsyncHttpx2Client(transport=adapter)))


def test_the_corpus_covers_what_the_issue_asks():
    text = "\n".join(p.read_text() for p in SCRIPTS)
    for needle in ("aclient.", "stream=True", "with_raw_response", "with_streaming_response",
                   "io.BytesIO", "workdir / \"cat.png\"", "image.seek(0)", "\"image/png\")", "file_id",
                   "\"images\": [{\"file_id\"", "instructions="):
        assert needle in text, needle
    assert len({m for m in ("gpt-5.5", "gpt-5.4-mini", "gpt-6.1-sol", "gpt-5", "gpt-6-astra") if m in text}) >= 4


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_against_the_kit(script, workdir):
    client, aclient = kit_clients(Simulator())
    load(script).main(client, aclient, workdir)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_against_the_server_through_openai_base_url(script, workdir, monkeypatch):
    with serve(Simulator()) as url:
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", "corpus-placeholder")
        load(script).main(openai.OpenAI(max_retries=0), openai.AsyncOpenAI(max_retries=0), workdir)


def test_make_client_and_make_async_client_run_a_script_offline(workdir, monkeypatch, capsys):
    monkeypatch.setenv("COOKBOOK_MODE", "offline")
    client = make_client("corpus_none", quiet=True, max_retries=0)
    aclient = make_async_client("corpus_none", quiet=True, max_retries=0)
    for name in ("generate_and_save", "async_generate_and_edit"):
        load(CORPUS / f"{name}.py").main(client, aclient, workdir)
    assert "SIMULATED, NOT RECORDED" in capsys.readouterr().err
