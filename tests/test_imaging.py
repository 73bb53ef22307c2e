import base64
import io

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from helpers import imaging
from helpers.offline import rendering

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

SIZES = [(1024, 1024), (1536, 1024), (1024, 1536)]
MODEL = "gpt-image-1-mini"


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def mean_abs_diff(a: Image.Image, b: Image.Image, area: Image.Image) -> float:
    """Mean absolute RGB difference between a and b over the pixels where ``area`` is 255."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
    return ImageStat.Stat(diff, mask=area).mean[0]


def ribbon_box(width: int, height: int) -> tuple[int, int, int, int]:
    """A small square on the ribbon's centre line, where the word SIMULATED is written."""
    reach = round(min(width, height) * 0.3)
    cx, cy = width - reach // 2, reach // 2
    return cx - 20, cy - 20, cx + 20, cy + 20


@pytest.mark.parametrize("render", [
    lambda: rendering.render_generated("a fox", 1024, 1024, model=MODEL, variant=1),
    lambda: rendering.render_partial("a fox", 1024, 1024, index=1, total=3, model=MODEL),
    lambda: rendering.render_generated("a fox", 1024, 1024, output_format="webp", compression=50),
    lambda: rendering.render_generated("a fox", 1024, 1024, output_format="jpeg", compression=70),
])
def test_rendering_is_byte_identical_across_calls(render):
    assert render() == render()


def test_edit_is_byte_identical_across_calls():
    room = rendering.render_generated("a room", 1024, 1024)
    args = ([room, rendering.render_generated("a lamp", 1024, 1024)], "add a plant", 1024, 1024)
    assert rendering.render_edit(*args, variant=2) == rendering.render_edit(*args, variant=2)


def test_prompt_model_and_variant_change_the_picture():
    base = rendering.render_generated("a fox", 1024, 1024, model=MODEL)
    assert rendering.render_generated("a cat", 1024, 1024, model=MODEL) != base
    assert rendering.render_generated("a fox", 1024, 1024, model="other-model") != base
    other = open_image(rendering.render_generated("a fox", 1024, 1024, model=MODEL, variant=1))
    everywhere = Image.new("L", (1024, 1024), 255)
    assert mean_abs_diff(open_image(base), other, everywhere) > 10


@pytest.mark.parametrize("width,height", SIZES)
def test_every_renderer_gives_exact_dimensions(width, height):
    room = rendering.render_generated("a room", 1024, 1024)
    outputs = [
        rendering.render_generated("a fox", width, height),
        rendering.render_partial("a fox", width, height, index=0, total=2),
        rendering.render_edit([room], "add a lamp", width, height),
    ]
    assert [open_image(data).size for data in outputs] == [(width, height)] * 3


@pytest.mark.parametrize("fmt,pil_format", [("png", "PNG"), ("webp", "WEBP"), ("jpeg", "JPEG")])
def test_output_format_is_the_requested_one(fmt, pil_format):
    outputs = [
        rendering.render_generated("a fox", 1024, 1024, output_format=fmt),
        rendering.render_partial("a fox", 1024, 1024, index=0, total=1, output_format=fmt),
        rendering.render_edit([rendering.render_generated("x", 1024, 1024)], "y", 1024, 1024, output_format=fmt),
    ]
    assert [open_image(data).format for data in outputs] == [pil_format] * 3


def test_compression_lowers_jpeg_and_webp_size():
    for fmt in ("jpeg", "webp"):
        full = rendering.render_generated("a fox", 1024, 1024, output_format=fmt)
        squeezed = rendering.render_generated("a fox", 1024, 1024, output_format=fmt, compression=20)
        assert len(squeezed) < len(full) * 0.7, fmt


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_transparent_background_has_clear_corners(fmt):
    image = open_image(rendering.render_generated("a logo", 1536, 1024, output_format=fmt, background="transparent"))
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    corners = [(0, 0), (1535, 0), (0, 1023), (1535, 1023)]
    assert [alpha.getpixel(xy) for xy in corners] == [0, 0, 0, 0]
    assert alpha.getpixel((768, 512)) == 255


def test_opaque_background_has_no_alpha():
    assert open_image(rendering.render_generated("a logo", 1024, 1024)).mode == "RGB"


def test_transparent_jpeg_is_rejected():
    with pytest.raises(ValueError, match="transparent"):
        rendering.render_generated("a logo", 1024, 1024, output_format="jpeg", background="transparent")


def test_unknown_format_and_background_are_rejected():
    with pytest.raises(ValueError, match="output_format"):
        rendering.render_generated("x", 1024, 1024, output_format="gif")
    with pytest.raises(ValueError, match="background"):
        rendering.render_generated("x", 1024, 1024, background="clear")


def test_partials_differ_from_the_final_and_sharpen():
    final = open_image(rendering.render_generated("a fox", 1024, 1024, model=MODEL))
    partials = [open_image(rendering.render_partial("a fox", 1024, 1024, index=i, total=3, model=MODEL))
                for i in range(3)]
    # Compare below the labels and away from the ribbon, where only the pixelation differs.
    body = Image.new("L", final.size, 0)
    ImageDraw.Draw(body).rectangle((0, 150, 700, 950), fill=255)
    distances = [mean_abs_diff(final, p, body) for p in partials]
    assert all(d > 0.5 for d in distances)
    assert distances[0] > distances[1] > distances[2]


def test_partial_index_must_be_in_range():
    with pytest.raises(ValueError):
        rendering.render_partial("a fox", 1024, 1024, index=3, total=3)


def edit_with_mask(background: str = "auto") -> tuple[Image.Image, Image.Image, Image.Image]:
    """(first input, result, area) for an edit whose mask opens a rectangle in the middle."""
    first = open_image(rendering.render_generated("a quiet room", 1024, 1024))
    mask = Image.new("RGBA", first.size, (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((300, 300, 700, 600), fill=(0, 0, 0, 0))
    result = open_image(rendering.render_edit([png_bytes(first)], "a big red armchair", 1024, 1024,
                                            mask=png_bytes(mask), background=background))
    area = Image.new("L", first.size, 0)
    ImageDraw.Draw(area).rectangle((300, 300, 700, 600), fill=255)
    return first, result, area


def test_masked_edit_changes_inside_far_more_than_outside():
    first, result, area = edit_with_mask()
    inside = mean_abs_diff(first, result, area)
    outside = mean_abs_diff(first, result, ImageChops.invert(area))
    assert inside > 40
    assert inside > 10 * outside


def test_masked_edit_leaves_the_middle_of_the_outside_untouched():
    first, result, _ = edit_with_mask()
    band = (100, 650, 900, 700)
    assert ImageChops.difference(first.crop(band), result.crop(band)).getbbox() is None


def test_unmasked_edit_changes_everything_a_little():
    first = open_image(rendering.render_generated("a quiet room", 1024, 1024))
    result = open_image(rendering.render_edit([png_bytes(first)], "make it autumn", 1024, 1024))
    everywhere = Image.new("L", first.size, 255)
    assert 3 < mean_abs_diff(first, result, everywhere) < 60


def test_reference_images_appear_as_insets_and_keep_the_canvas():
    canvas = rendering.render_generated("a quiet room", 1024, 1024)
    black = png_bytes(Image.new("RGB", (300, 300), (0, 0, 0)))
    alone = open_image(rendering.render_edit([canvas], "p", 1024, 1024))
    with_refs = open_image(rendering.render_edit([canvas, black, black], "p", 1024, 1024))
    changed = ImageChops.difference(alone, with_refs).getbbox()
    assert changed is not None
    left, top, right, bottom = changed
    assert bottom > 900 and right < 512, "insets belong in a row at the bottom left"


def test_mask_must_match_the_first_image_and_have_alpha():
    first = rendering.render_generated("a room", 1024, 1024)
    with pytest.raises(ValueError, match="mask is"):
        rendering.render_edit([first], "p", 1024, 1024, mask=png_bytes(Image.new("RGBA", (512, 512))))
    with pytest.raises(ValueError, match="alpha"):
        rendering.render_edit([first], "p", 1024, 1024, mask=png_bytes(Image.new("RGB", (1024, 1024))))


def test_edit_keeps_transparency_of_a_transparent_first_image():
    logo = rendering.render_generated("a logo", 1024, 1024, background="transparent")
    result = open_image(rendering.render_edit([logo], "make it gold", 1024, 1024))
    assert result.mode == "RGBA" and result.getchannel("A").getpixel((0, 512)) == 0
    flat = open_image(rendering.render_edit([logo], "make it gold", 1024, 1024, background="opaque"))
    assert flat.mode == "RGB"


@pytest.mark.parametrize("width,height", SIZES)
def test_simulated_ribbon_is_the_same_whatever_the_prompt(width, height):
    box = ribbon_box(width, height)
    crops = [open_image(rendering.render_generated(p, width, height, model=m, variant=v)).crop(box)
             for p, m, v in [("a fox", MODEL, 0), ("a teal ocean", "other", 3)]]
    assert ImageChops.difference(crops[0], crops[1]).getbbox() is None
    red = sum(1 for r, g, b in crops[0].get_flattened_data() if r > 150 and g < 80 and b < 80)
    white = sum(1 for r, g, b in crops[0].get_flattened_data() if min(r, g, b) > 200)
    assert red > 0.3 * 1600 and white > 0.05 * 1600, "ribbon red with white lettering expected"


def test_simulated_ribbon_is_on_partials_and_edits():
    box = ribbon_box(1024, 1024)
    generated = open_image(rendering.render_generated("a fox", 1024, 1024)).crop(box)
    partial = open_image(rendering.render_partial("a fox", 1024, 1024, index=0, total=2)).crop(box)
    plain_input = png_bytes(Image.new("RGB", (1024, 1024), (0, 90, 0)))
    edited = open_image(rendering.render_edit([plain_input], "p", 1024, 1024)).crop(box)
    assert ImageChops.difference(generated, partial).getbbox() is None
    assert ImageChops.difference(generated, edited).getbbox() is None


def test_long_and_non_latin_prompts_render():
    prompt = "café — naïve 中文 " + "word " * 400 + "Supercalifragilisticexpialidocious" * 5
    assert open_image(rendering.render_generated(prompt, 1024, 1024)).size == (1024, 1024)
    lines = rendering._wrap(prompt, imaging._font(40), 700)
    assert len(lines) == rendering.MAX_PROMPT_LINES and lines[-1].endswith("…")
    assert lines[0].startswith("cafe - naive ??")


def test_decode_image_accepts_bytes_and_base64():
    data = rendering.render_generated("a fox", 1024, 1024, output_format="webp")
    text = base64.b64encode(data).decode()
    for source in (data, text, "data:image/webp;base64," + text):
        image = imaging.decode_image(source)
        assert (image.format, image.size) == ("WEBP", (1024, 1024))


@pytest.mark.parametrize("junk", [b"not an image", "not base64 at all!", base64.b64encode(b"plain text").decode(), b""])
def test_decode_image_rejects_junk(junk):
    with pytest.raises(ValueError):
        imaging.decode_image(junk)


def test_encode_image_flattens_alpha_onto_white_for_jpeg():
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    jpeg = open_image(imaging.encode_image(clear, "jpeg"))
    assert jpeg.mode == "RGB" and min(jpeg.getpixel((32, 32))) > 250


def test_encode_image_maps_compression_to_quality():
    picture = open_image(rendering.render_generated("a fox", 1024, 1024))
    sizes = [len(imaging.encode_image(picture, "jpeg", c)) for c in (-5, 1, 50, 100, None, 150)]
    assert sizes[0] == sizes[1] < sizes[2] < sizes[3] == sizes[4] == sizes[5]
