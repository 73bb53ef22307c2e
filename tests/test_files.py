"""files.save_image never overwrites and writes only real images; format rules refuse before sending."""

import base64
import io
import threading

import httpx2
import openai
import pytest
from PIL import Image

from helpers import files, imaging



def sdk_client(transport: httpx2.BaseTransport) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-placeholder", base_url="https://api.openai.com/v1", max_retries=0,
                         http_client=openai.DefaultHttpx2Client(transport=transport))

MINI = "gpt-image-1-mini"


def encoded(fmt: str, size=(32, 24)) -> bytes:
    return imaging.encode_image(Image.new("RGB", size, (200, 40, 40)), fmt)


def test_saves_bytes_and_base64_under_new_numbered_names(tmp_path):
    first = files.save_image(encoded("jpeg"), "kite", output_format="jpeg", folder=tmp_path)
    second = files.save_image(base64.b64encode(encoded("jpeg")).decode(), "kite", output_format="jpeg",
                              folder=tmp_path)
    assert (first.name, second.name) == ("kite-001.jpeg", "kite-002.jpeg")
    assert first.read_bytes() == second.read_bytes() == encoded("jpeg")


def test_never_overwrites_an_existing_file(tmp_path):
    (tmp_path / "kite-001.png").write_bytes(b"keep me")
    path = files.save_image(encoded("png"), "kite", output_format="png", folder=tmp_path)
    assert path.name == "kite-002.png"
    assert (tmp_path / "kite-001.png").read_bytes() == b"keep me"


def test_concurrent_saves_get_distinct_names(tmp_path):
    data = encoded("webp")
    paths = []
    lock = threading.Lock()

    def save():
        path = files.save_image(data, "burst", output_format="webp", folder=tmp_path)
        with lock:
            paths.append(path)

    threads = [threading.Thread(target=save) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(paths)) == 8
    assert all(p.read_bytes() == data for p in paths)


def test_wrong_format_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="PNG, not jpeg"):
        files.save_image(encoded("png"), "kite", output_format="jpeg", folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", [b"not an image", "!!! not base64 !!!"])
def test_undecodable_data_writes_nothing(tmp_path, bad):
    with pytest.raises(ValueError):
        files.save_image(bad, "kite", output_format="png", folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stem", ["", "../escape", "a/b", ".hidden"])
def test_stem_must_be_a_plain_name(tmp_path, stem):
    with pytest.raises(ValueError, match="stem"):
        files.save_image(encoded("png"), stem, output_format="png", folder=tmp_path)


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="output_format"):
        files.save_image(encoded("png"), "kite", output_format="gif", folder=tmp_path)


def test_creates_the_folder(tmp_path):
    path = files.save_image(encoded("png"), "kite", output_format="png", folder=tmp_path / "new" / "dir")
    assert path.exists()


def test_outputs_dir_is_the_notebooks_outputs_folder_unless_overridden(monkeypatch, tmp_path):
    import importlib

    monkeypatch.delenv("COOKBOOK_OUTPUTS_DIR", raising=False)
    assert importlib.reload(files).OUTPUTS_DIR.parts[-2:] == ("notebooks", "outputs")
    monkeypatch.setenv("COOKBOOK_OUTPUTS_DIR", str(tmp_path))
    assert importlib.reload(files).OUTPUTS_DIR == tmp_path
    monkeypatch.undo()
    importlib.reload(files)


@pytest.mark.parametrize("options,match", [
    (dict(output_format="jpeg", background="transparent"), "png or webp"),
    (dict(output_format="png", output_compression=80), "jpeg and webp only"),
    (dict(output_format="webp", output_compression=101), "0-100"),
    (dict(output_format="gif"), "not 'gif'"),
])
def test_format_rules_refuse_before_any_request_is_sent(options, match):
    sent = []
    client = sdk_client(httpx2.MockTransport(lambda request: sent.append(request) or httpx2.Response(500)))
    with pytest.raises(files.FormatRuleError, match=match):
        files.check_format_options(MINI, **options)
        client.images.generate(model=MINI, prompt="Draw a kite", **options)
    assert sent == []


@pytest.mark.parametrize("options", [
    dict(output_format="png", background="transparent"),
    dict(output_format="webp", background="transparent", output_compression=50),
    dict(output_format="jpeg", output_compression=80),
])
def test_format_rules_accept_valid_options(options):
    files.check_format_options(MINI, **options)


def test_saved_file_decodes_as_the_format(tmp_path):
    path = files.save_image(encoded("webp"), "kite", output_format="WEBP", folder=tmp_path)
    assert path.suffix == ".webp"
    assert Image.open(io.BytesIO(path.read_bytes())).format == "WEBP"
