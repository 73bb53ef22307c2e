import base64
import io

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from PIL import Image, ImageDraw
from traitlets.config import Config

from helpers import display, imaging
from helpers.offline import rendering

JPEG_MIME = {"image/jpeg", "text/plain"}
CONSTANT_REPR = "<IPython.core.display.Image object>"


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """A real IPython shell so displays are published (and captured) as in a notebook."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
        config = Config()
        config.HistoryManager.enabled = False
        instance = InteractiveShell.instance(config=config)
        yield instance
        InteractiveShell.clear_instance()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def open_jpeg(data: bytes | str) -> Image.Image:
    """Open thumbnail bytes, or the base64 text that IPython publishes for ``image/jpeg``."""
    image = Image.open(io.BytesIO(base64.b64decode(data) if isinstance(data, str) else data))
    assert image.format == "JPEG"
    return image


def half_transparent(size=(400, 300)) -> Image.Image:
    """Opaque red on the left half, fully transparent on the right half."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2 - 1, size[1]), fill=(220, 0, 0, 255))
    return image


@pytest.mark.parametrize("size,max_side,expected", [
    ((1024, 1536), 256, (171, 256)),
    ((1536, 1024), 256, (256, 171)),
    ((1024, 1024), 512, (512, 512)),
    ((100, 50), 256, (100, 50)),
])
def test_thumbnail_is_a_jpeg_within_max_side(size, max_side, expected):
    thumb = open_jpeg(display.thumbnail_jpeg(Image.new("RGB", size, (10, 120, 200)), max_side))
    assert thumb.size == expected


def test_thumbnail_is_small_and_deterministic():
    picture = rendering.render_generated("a fox", 1024, 1024)
    first = display.thumbnail_jpeg(picture)
    assert first == display.thumbnail_jpeg(picture)
    assert len(first) < 30_000


def test_transparency_is_flattened_onto_a_light_checkerboard():
    thumb = open_jpeg(display.thumbnail_jpeg(half_transparent(), 256)).convert("RGB")
    assert thumb.mode == "RGB"
    assert thumb.getpixel((30, 50))[0] > 180 and thumb.getpixel((30, 50))[1] < 60
    right = [thumb.getpixel((x, 4)) for x in range(140, 250)]
    assert all(min(px) > 200 for px in right), "transparent area must be light"
    assert max(px[0] for px in right) - min(px[0] for px in right) > 15, "a checkerboard, not a flat fill"


@pytest.mark.parametrize("kind", ["pil", "bytes", "base64", "str path", "Path"])
def test_every_kind_of_image_gives_the_same_thumbnail(kind, tmp_path):
    data = rendering.render_generated("a fox", 1024, 1024)
    path = tmp_path / "fox.png"
    path.write_bytes(data)
    source = {"pil": imaging.decode_image(data), "bytes": data, "base64": base64.b64encode(data).decode(),
              "str path": str(path), "Path": path}[kind]
    assert display.thumbnail_jpeg(source) == display.thumbnail_jpeg(data)
    if kind == "pil":
        assert source.size == (1024, 1024), "the caller's image must not be shrunk in place"


def test_a_missing_file_or_junk_string_is_a_clear_error():
    with pytest.raises(ValueError, match="not an existing file nor base64"):
        display.thumbnail_jpeg("no/such/file.png")


def test_show_emits_only_a_small_jpeg_and_the_constant_repr(shell):
    with capture_output() as captured:
        result = display.show(half_transparent((1024, 1536)))
    assert result is None
    assert len(captured.outputs) == 1
    data = captured.outputs[0].data
    assert set(data) == JPEG_MIME
    assert data["text/plain"] == CONSTANT_REPR
    assert max(open_jpeg(data["image/jpeg"]).size) == 256


def test_show_hero_size(shell, tmp_path):
    path = tmp_path / "hero.png"
    path.write_bytes(rendering.render_generated("a fox", 1536, 1024))
    with capture_output() as captured:
        display.show(path, max_side=512)
    assert open_jpeg(captured.outputs[0].data["image/jpeg"]).size == (512, 341)


def test_gallery_is_one_contact_sheet(shell):
    images = [rendering.render_generated(f"fox {i}", 1024, 1024) for i in range(6)]
    with capture_output() as captured:
        display.gallery(images, [f"#{i}" for i in range(6)], columns=4)
    assert len(captured.outputs) == 1
    assert set(captured.outputs[0].data) == JPEG_MIME
    sheet = open_jpeg(captured.outputs[0].data["image/jpeg"])
    gap, label = display.SHEET_GAP, display.LABEL_HEIGHT
    assert sheet.size == (4 * 256 + 5 * gap, 2 * (256 + label) + 3 * gap)


def test_gallery_draws_labels_under_tiles():
    tiles = [Image.new("RGB", (256, 256), (0, 0, 0))] * 2
    labelled = display.contact_sheet(tiles, ["input", "result"])
    plain = display.contact_sheet(tiles)
    assert labelled.height == plain.height + display.LABEL_HEIGHT
    strip = labelled.crop((0, 256 + display.SHEET_GAP, labelled.width, labelled.height - display.SHEET_GAP))
    assert min(strip.convert("L").get_flattened_data()) < 128, "label text expected under the tiles"


def test_gallery_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        display.contact_sheet([Image.new("RGB", (8, 8))] * 2, ["only one"])


def test_side_by_side_is_one_row(shell):
    images = [rendering.render_generated("a", 1024, 1536), half_transparent(), rendering.render_generated("b", 1024, 1536)]
    with capture_output() as captured:
        display.side_by_side(images, ["input", "mask", "result"])
    assert len(captured.outputs) == 1
    sheet = open_jpeg(captured.outputs[0].data["image/jpeg"])
    assert sheet.height == 256 + display.LABEL_HEIGHT + 2 * display.SHEET_GAP
    assert sheet.width == 3 * 256 + 4 * display.SHEET_GAP


def test_show_progress_updates_one_display_in_place(shell):
    partials = [rendering.render_partial("a fox", 1024, 1024, index=i, total=2) for i in range(2)]
    with capture_output() as captured:
        progress = display.show_progress()
        for partial in partials:
            progress.update(partial)
        progress.update(rendering.render_generated("a fox", 1024, 1024))
    outputs = captured.outputs
    assert [o.update for o in outputs] == [False, True, True, True]
    assert len({o.transient["display_id"] for o in outputs}) == 1
    assert all(set(o.data) == JPEG_MIME for o in outputs)
    assert len({o.data["image/jpeg"] for o in outputs}) == 4


def test_show_progress_can_start_with_an_image(shell):
    first = rendering.render_partial("a fox", 1024, 1024, index=0, total=1)
    with capture_output() as captured:
        display.show_progress(first, max_side=128)
    published = base64.b64decode(captured.outputs[0].data["image/jpeg"])
    assert published == display.thumbnail_jpeg(first, 128)


def test_show_chart_emits_one_vega_lite_output_with_its_text(shell):
    chart = display.Chart({"mark": "bar", "data": {"values": [{"usd": 0.5}]}}, "one bar: $0.5")
    with capture_output() as captured:
        assert display.show_chart(chart) is None
    [output] = captured.outputs
    assert output.data == {display.VEGA_LITE_MIME: chart.spec, "text/plain": "one bar: $0.5"}


def test_the_vega_lite_mime_type_is_the_one_the_pinned_altair_emits():
    from altair.vegalite.v5.display import VEGALITE_MIME_TYPE

    assert display.VEGA_LITE_MIME == VEGALITE_MIME_TYPE
