"""Edit inputs: masks, checks before sending (with a request counter) and change measurement."""

import dataclasses
import io
from pathlib import Path

import httpx2
import openai
import pytest
from PIL import Image, ImageDraw

from helpers import edits, registry
from helpers.offline.transport import SimulatorTransport
from helpers import wire
from helpers.edits import EditInputError
from helpers.offline.simulator import Simulator
from helpers.wrapping import LINE_WIDTH
from tests.conftest import sdk_client

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

MODEL = "gpt-image-1-mini"  # these tests check mini's own facts, whatever model the lessons use
SAMPLES = Path(__file__).resolve().parent.parent / "sample_inputs"
ROOM, PRODUCT, LOGO, PORTRAIT = (SAMPLES / f"{n}.png" for n in ("room", "product", "logo", "portrait"))
MB = 1024 * 1024
OMIT_FIDELITY_MODEL = edits.models_omitting_fidelity()[0]


class CountingTransport(httpx2.BaseTransport):
    """Counts requests and lets the offline simulator answer them."""

    def __init__(self):
        self.requests: list[httpx2.Request] = []
        self.inner = SimulatorTransport(Simulator())

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)


@pytest.fixture
def counter():
    return CountingTransport()


def checked_edit(client, images, mask=None, *, model=MODEL, input_fidelity=None):
    """What a lesson does: check everything, then send one edit."""
    inputs = edits.validate_edit_inputs(images, mask, model=model)
    extra = {} if edits.check_input_fidelity(model, input_fidelity) is None else {"input_fidelity": input_fidelity}
    return client.images.edit(model=model, image=inputs.images, mask=inputs.mask, prompt="Edit it", **extra)


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def alpha_of(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGBA"
    return image.getchannel("A")


def sparse_file(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


# --- every bad input: a clear error and zero requests ----------------------------------------

def bad_inputs(tmp: Path):
    """(label, images, mask, model, input_fidelity, expected fragment of the message)."""
    room_mask = edits.rectangle_mask((1024, 1024), (100, 100, 300, 300))
    text_file = tmp / "notes.png"
    text_file.write_text("not a picture")
    gif = tmp / "anim.gif"
    gif.write_bytes(encoded(Image.new("RGB", (64, 64), "red"), "GIF"))
    bmp = tmp / "scan.bmp"
    bmp.write_bytes(encoded(Image.new("RGB", (64, 64), "red"), "BMP"))
    huge = sparse_file(tmp / "huge.png", 50 * MB)
    huge_mask = sparse_file(tmp / "huge_mask.png", 4 * MB)
    no_alpha = encoded(Image.new("RGB", (1024, 1024), "black"), "PNG")
    jpeg_mask = encoded(Image.new("RGB", (1024, 1024), "black"), "JPEG")
    opaque = encoded(Image.new("RGBA", (1024, 1024), (0, 0, 0, 255)), "PNG")
    return [
        ("missing file", [tmp / "sofa.png"], None, MODEL, None, "does not exist"),
        ("not an image", [text_file], None, MODEL, None, "not a readable image"),
        ("image of 50 MB", [huge], None, MODEL, None, "smaller than 50 MB"),
        ("17 images", [ROOM] * 17, None, MODEL, None, "at most 16"),
        ("no images", [], None, MODEL, None, "at least one"),
        ("GIF input", [gif], None, MODEL, None, "PNG, JPEG or WebP"),
        ("BMP input", [bmp], None, MODEL, None, "PNG, JPEG or WebP"),
        ("second image unreadable", [ROOM, text_file], None, MODEL, None, "image 2"),
        ("wrong type", [42], None, MODEL, None, "file path or bytes"),
        ("mask without alpha", [ROOM], no_alpha, MODEL, None, "no alpha channel"),
        ("mask of another size", [PORTRAIT], room_mask, MODEL, None, "same dimensions"),
        ("mask sized for the second image only", [PORTRAIT, ROOM], room_mask, MODEL, None, "first image"),
        ("mask of 4 MB", [ROOM], huge_mask, MODEL, None, "smaller than 4 MB"),
        ("JPEG mask", [ROOM], jpeg_mask, MODEL, None, "must be a PNG"),
        ("mask with nothing to edit", [ROOM], opaque, MODEL, None, "marks nothing to edit"),
        ("missing mask file", [ROOM], tmp / "mask.png", MODEL, None, "does not exist"),
        ("input_fidelity high on the lesson model", [ROOM], None, MODEL, "high", "only"),
        ("input_fidelity where it must be omitted", [ROOM], None, OMIT_FIDELITY_MODEL, "low", "omit the parameter"),
        ("input_fidelity typo", [ROOM], None, MODEL, "hihg", "'high' or 'low'"),
    ]


def test_lesson_model_accepts_only_low_fidelity_per_registry():
    # The input_fidelity cases below assume this registry fact; fail loudly if it changes.
    assert registry.get(MODEL).capabilities.input_fidelity == ("low",)


@pytest.mark.parametrize("index", range(19))
def test_every_bad_input_fails_clearly_before_any_request(index, tmp_path, counter):
    cases = bad_inputs(tmp_path)
    assert len(cases) == 19
    label, images, mask, model, fidelity, fragment = cases[index]
    with pytest.raises(EditInputError) as caught:
        checked_edit(sdk_client(counter), images, mask, model=model, input_fidelity=fidelity)
    assert fragment in str(caught.value), (label, str(caught.value))
    assert counter.requests == [], f"{label}: a request was sent"


def test_size_limits_come_from_the_registry(counter, monkeypatch):
    record = registry.get(MODEL)
    tighter = dataclasses.replace(record, capabilities=dataclasses.replace(record.capabilities, max_input_images=2))
    monkeypatch.setattr(registry, "get", lambda model_id: tighter)
    with pytest.raises(EditInputError, match="at most 2"):
        checked_edit(sdk_client(counter), [ROOM, PRODUCT, LOGO])
    assert counter.requests == []


def test_a_file_one_byte_under_the_limit_passes_the_size_check(tmp_path):
    limit = registry.get(MODEL).capabilities.max_input_image_mb
    almost = sparse_file(tmp_path / "almost.png", limit * MB - 1)
    with pytest.raises(EditInputError, match="not a readable image"):
        edits.validate_edit_inputs(almost, model=MODEL)


# --- good inputs: one request, multipart parts in order ---------------------------------------

def test_valid_inputs_send_one_multipart_request_in_order(counter):
    mask = edits.rectangle_mask((1024, 1024), (300, 300, 700, 700))
    result = checked_edit(sdk_client(counter), [PRODUCT, LOGO], mask, input_fidelity="low")
    assert len(counter.requests) == 1
    request = counter.requests[0]
    assert request.url.path == "/v1/images/edits"
    parts = wire.parse_multipart(request.headers["content-type"], request.content)
    files = [(p.name, p.filename, p.content_type) for p in parts if p.is_file]
    assert files == [("image[]", "product.png", "image/png"), ("image[]", "logo.png", "image/png"),
                     ("mask", "mask.png", "image/png")]
    assert wire.form_fields(parts)["input_fidelity"] == "low"
    assert result.data[0].b64_json


def test_without_a_mask_the_mask_argument_is_omitted(counter):
    inputs = edits.validate_edit_inputs(ROOM, model=MODEL)
    assert inputs.mask is openai.omit
    checked_edit(sdk_client(counter), ROOM)
    parts = wire.parse_multipart(counter.requests[0].headers["content-type"], counter.requests[0].content)
    assert [p.name for p in parts if p.is_file] == ["image[]"]


@pytest.mark.parametrize("fmt, content_type", [("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("PNG", "image/png")])
def test_bytes_inputs_get_the_content_type_of_what_they_are(fmt, content_type):
    data = encoded(Image.new("RGB", (32, 32), "blue"), fmt)
    upload = edits.validate_edit_inputs([data], model=MODEL).uploads[0]
    assert upload.content_type == content_type
    assert upload.filename == f"image_1.{fmt.lower()}"
    assert upload.part == (upload.filename, data, content_type)


def test_a_mislabelled_file_is_sent_as_what_it_really_is(tmp_path):
    fake_png = tmp_path / "photo.png"
    fake_png.write_bytes(encoded(Image.new("RGB", (32, 32), "blue"), "JPEG"))
    assert edits.validate_edit_inputs(fake_png, model=MODEL).uploads[0].content_type == "image/jpeg"


# --- masks ------------------------------------------------------------------------------------

def test_rectangle_mask_is_transparent_exactly_in_the_box():
    alpha = alpha_of(edits.rectangle_mask((200, 100), (10, 20, 60, 50)))
    assert alpha.size == (200, 100)
    assert alpha.getpixel((10, 20)) == 0 and alpha.getpixel((59, 49)) == 0
    assert alpha.getpixel((60, 49)) == 255 and alpha.getpixel((9, 20)) == 255 and alpha.getpixel((59, 50)) == 255
    assert alpha.histogram()[0] == 50 * 30


def test_ellipse_mask_is_transparent_in_the_middle_not_the_corners():
    alpha = alpha_of(edits.ellipse_mask((100, 100), (0, 0, 100, 100)))
    assert alpha.getpixel((50, 50)) == 0
    assert alpha.getpixel((1, 1)) == 255 and alpha.getpixel((98, 98)) == 255
    assert set(alpha.histogram()[1:255]) == {0}


@pytest.mark.parametrize("box", [(0, 0, 0, 10), (10, 10, 5, 20), (-1, 0, 10, 10), (0, 0, 101, 10)])
def test_a_box_outside_the_image_is_refused(box):
    with pytest.raises(EditInputError, match="box"):
        edits.rectangle_mask((100, 100), box)


def test_mask_from_a_colour_painting_marks_the_painted_pixels():
    painting = Image.open(ROOM).convert("RGB")
    ImageDraw.Draw(painting).rectangle((600, 180, 880, 400), fill=(255, 0, 255))
    alpha = alpha_of(edits.mask_from_painting(painting, color=(255, 0, 255)))
    assert alpha.getbbox() is not None
    assert Image.eval(alpha, lambda a: 255 - a).getbbox() == (600, 180, 881, 401)


def test_mask_from_an_erased_painting_marks_the_transparent_pixels(tmp_path):
    painting = Image.open(ROOM).convert("RGBA")
    ImageDraw.Draw(painting).ellipse((100, 100, 300, 300), fill=(0, 0, 0, 0))
    path = tmp_path / "erased.png"
    path.write_bytes(encoded(painting, "PNG"))
    alpha = alpha_of(edits.mask_from_painting(path))
    assert alpha.getpixel((200, 200)) == 0 and alpha.getpixel((20, 20)) == 255


def test_mask_from_painting_explains_a_painting_with_nothing_painted():
    with pytest.raises(EditInputError, match="no transparency"):
        edits.mask_from_painting(ROOM)
    with pytest.raises(EditInputError, match="nothing to edit"):
        edits.mask_from_painting(ROOM, color=(255, 0, 255))


def test_the_lesson_masks_pass_the_checks():
    for mask in (edits.rectangle_mask((1024, 1024), (96, 150, 456, 500)),
                 edits.ellipse_mask((1024, 1024), (600, 180, 880, 400))):
        assert edits.validate_edit_inputs([ROOM], mask, model=MODEL).mask_upload.size == (1024, 1024)


# --- input_fidelity from the registry ---------------------------------------------------------

def test_fidelity_checks_follow_the_registry():
    assert edits.check_input_fidelity(MODEL, None) is None
    assert edits.check_input_fidelity(MODEL, "low") == "low"
    assert edits.check_input_fidelity(OMIT_FIDELITY_MODEL, None) is None
    for model in edits.models_omitting_fidelity():
        assert registry.get(model).capabilities.input_fidelity == ()
        with pytest.raises(EditInputError, match="omit"):
            edits.check_input_fidelity(model, "low")
    high = edits.models_accepting_fidelity("high")
    assert high and MODEL not in high
    for model in high:
        assert edits.check_input_fidelity(model, "high") == "high"
        assert registry.get(model).served_on(registry.as_of_day())


def test_fidelity_table_lists_each_model_once_with_its_source():
    rows = {row.model: row for row in edits.fidelity_table()}
    assert rows[MODEL].accepts == "low"
    assert rows[OMIT_FIDELITY_MODEL].accepts == "omit it"
    assert not any(registry.get(m).snapshot_of for m in rows)
    unknown = [m.id for m in registry.image_models() if m.capabilities and m.capabilities.input_fidelity is None
               and not m.snapshot_of]
    assert all(rows[m].accepts == registry.NOT_FOUND for m in unknown)
    text = edits.fidelity_table_text()
    # Each source is listed whole, wrapped at the kit's width.
    citation = " ".join(rows[MODEL].source.citation.split())
    assert registry.AS_OF in text and citation in " ".join(text.split())
    assert all(len(line) <= LINE_WIDTH for line in text.splitlines())


def test_input_limits_text_shows_the_registry_values_and_date():
    caps = registry.get(MODEL).capabilities
    text = edits.input_limits_text(MODEL)
    assert f"at most {caps.max_input_images}" in text and f"smaller than {caps.max_mask_mb} MB" in text
    assert registry.SRC_SDK_EDIT_PARAMS.as_of in text


# --- measuring an edit ------------------------------------------------------------------------

def test_change_inside_vs_outside_separates_the_two_areas():
    before = Image.new("RGB", (100, 100), (100, 100, 100))
    mask = edits.rectangle_mask((100, 100), (0, 0, 50, 100))
    after = before.copy()
    ImageDraw.Draw(after).rectangle((0, 0, 49, 99), fill=(160, 100, 100))
    report = edits.change_inside_vs_outside(before, encoded(after, "PNG"), mask)
    assert report.inside == 20.0 and report.outside == 0.0 and report.edit_area == 0.5
    ImageDraw.Draw(after).rectangle((50, 0, 99, 99), fill=(100, 130, 100))
    assert edits.change_inside_vs_outside(before, after, mask).outside == 10.0
    assert "50% of the image" in str(report)


def test_change_report_scales_a_result_of_another_size():
    before = Image.new("RGB", (100, 100), (0, 0, 0))
    after = Image.new("RGB", (50, 50), (0, 0, 0))
    report = edits.change_inside_vs_outside(before, after, edits.rectangle_mask((100, 100), (0, 0, 10, 10)))
    assert report.inside == 0.0 and report.outside == 0.0


def test_change_report_refuses_a_mask_of_another_size():
    with pytest.raises(EditInputError, match="100x100"):
        edits.change_inside_vs_outside(Image.new("RGB", (100, 100)), Image.new("RGB", (100, 100)),
                                       edits.rectangle_mask((50, 50), (0, 0, 10, 10)))


def test_keep_outside_restores_everything_but_the_edit_area():
    before = Image.new("RGB", (100, 100), (10, 20, 30))
    after = Image.new("RGB", (100, 100), (200, 0, 0))
    mask = edits.rectangle_mask((100, 100), (20, 20, 40, 40))
    kept = Image.open(io.BytesIO(edits.keep_outside(before, after, mask))).convert("RGB")
    assert kept.getpixel((25, 25)) == (200, 0, 0) and kept.getpixel((5, 5)) == (10, 20, 30)
    report = edits.change_inside_vs_outside(before, kept, mask)
    assert report.outside == 0.0 and report.inside > 0
