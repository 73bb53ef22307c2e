"""The one way lessons show images and charts: small JPEG thumbnails through ``IPython.display.Image``,
and charts as Vega-Lite specs with a plain-text account of the same numbers.

A PIL image left to Jupyter is saved as PNG *and* JPEG at full size, and its text repr changes
with the size, which breaks output comparison. Everything here emits one ``image/jpeg`` (quality
70, longest side 256 px, or 512 for a single hero image) whose text repr is always
``<IPython.core.display.Image object>``. Transparent pixels are laid over a light checkerboard so
learners can see where an image is transparent.

Every function accepts the same kinds of image:

* a PIL image;
* raw encoded bytes (PNG, JPEG, WebP, ...);
* a ``pathlib.Path``, which must name a file;
* a ``str``: if it is shorter than 4096 characters and names an existing file it is read as a
  path, otherwise it is base64 image data as in a response's ``b64_json``.

A chart (``Chart``, shown by ``show_chart``) is one output with two MIME types: the Vega-Lite v5
spec, which JupyterLab draws itself (offline, no script from a CDN), and ``text/plain``, a short
table of the same numbers that GitHub's viewer and the output comparison read. Vega-Lite v5 is
the version JupyterLab 4 renders natively; newer Altair releases emit v6, which it does not.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from IPython.display import DisplayHandle, display
from IPython.display import Image as IPythonImage
from PIL import Image, ImageDraw, ImageFont

from . import imaging
from .wrapping import LINE_WIDTH, wrap

ImageLike = Union[Image.Image, bytes, bytearray, str, os.PathLike]

JPEG_QUALITY = 70
DEFAULT_MAX_SIDE = 256
HERO_MAX_SIDE = 512
MAX_PATH_CHARS = 4096
CHECKER_CELL = 8
CHECKER_LIGHT, CHECKER_DARK = (255, 255, 255), (224, 224, 224)
SHEET_GAP = 8
LABEL_HEIGHT = 22
SHEET_BACKGROUND = (255, 255, 255)
LABEL_INK = (40, 40, 48)
VEGA_LITE_MIME = "application/vnd.vegalite.v5+json"


def thumbnail_jpeg(image: ImageLike, max_side: int = DEFAULT_MAX_SIDE) -> bytes:
    """JPEG bytes (quality 70) of ``image`` shrunk to fit ``max_side``, transparency on a checkerboard."""
    return _jpeg(_thumbnail(image, max_side))


def show(image: ImageLike, *, max_side: int = DEFAULT_MAX_SIDE) -> None:
    """Display one image as a small JPEG (use ``max_side=512`` for a lesson's one hero image)."""
    display(_ipython_image(_thumbnail(image, max_side)))


class ProgressImage:
    """One output that is replaced in place as newer images arrive (e.g. streamed partial images)."""

    def __init__(self, image: Optional[ImageLike] = None, *, max_side: int = DEFAULT_MAX_SIDE):
        self.max_side = max_side
        self.handle = DisplayHandle()
        first = _placeholder(max_side) if image is None else _thumbnail(image, max_side)
        self.handle.display(_ipython_image(first))

    def update(self, image: ImageLike) -> None:
        self.handle.update(_ipython_image(_thumbnail(image, self.max_side)))


def show_progress(image: Optional[ImageLike] = None, *, max_side: int = DEFAULT_MAX_SIDE) -> ProgressImage:
    """Start an updatable image output; call ``.update(image)`` on the result for each new image.

    Updating a display (rather than clearing and re-displaying) leaves exactly one output in the
    saved notebook, so re-running the lesson compares cleanly.
    """
    return ProgressImage(image, max_side=max_side)


def gallery(images: Sequence[ImageLike], labels: Optional[Sequence[str]] = None, *,
            columns: int = 4, max_side: int = DEFAULT_MAX_SIDE) -> None:
    """Display several images as ONE contact sheet: tiles of at most ``max_side``, labels beneath."""
    display(_ipython_image(contact_sheet(images, labels, columns=columns, max_side=max_side)))


def side_by_side(images: Sequence[ImageLike], labels: Optional[Sequence[str]] = None, *,
                 max_side: int = DEFAULT_MAX_SIDE) -> None:
    """Display images in one row, e.g. input, mask and result."""
    gallery(images, labels, columns=max(1, len(images)), max_side=max_side)


def contact_sheet(images: Sequence[ImageLike], labels: Optional[Sequence[str]] = None, *,
                  columns: int = 4, max_side: int = DEFAULT_MAX_SIDE) -> Image.Image:
    """The RGB sheet that ``gallery`` shows: a grid of equal cells, each tile centred in its cell."""
    if not images:
        raise ValueError("gallery needs at least one image")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    if columns < 1:
        raise ValueError("columns must be at least 1")
    tiles = [_thumbnail(image, max_side) for image in images]
    cell_w, cell_h = max(t.width for t in tiles), max(t.height for t in tiles)
    label_h = LABEL_HEIGHT if labels is not None else 0
    cols = min(columns, len(tiles))
    rows = -(-len(tiles) // cols)
    sheet = Image.new("RGB", (cols * cell_w + (cols + 1) * SHEET_GAP,
                              rows * (cell_h + label_h) + (rows + 1) * SHEET_GAP), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for i, tile in enumerate(tiles):
        row, col = divmod(i, cols)
        x = SHEET_GAP + col * (cell_w + SHEET_GAP)
        y = SHEET_GAP + row * (cell_h + label_h + SHEET_GAP)
        sheet.paste(tile, (x + (cell_w - tile.width) // 2, y + (cell_h - tile.height) // 2))
        if labels is not None:
            text = imaging.fit_text(str(labels[i]), font, cell_w)
            draw.text((x + cell_w / 2, y + cell_h + label_h / 2), text, font=font, fill=LABEL_INK, anchor="mm")
    return sheet


def _load(image: ImageLike) -> Image.Image:
    """Any accepted kind of image (see the module docstring) as a PIL image."""
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, os.PathLike):
        return imaging.decode_image(Path(image).read_bytes())
    if isinstance(image, str) and len(image) < MAX_PATH_CHARS and os.path.isfile(image):
        return imaging.decode_image(Path(image).read_bytes())
    if isinstance(image, str):
        try:
            return imaging.decode_image(image)
        except ValueError as err:
            raise ValueError(f"not an existing file nor base64 image data: {image[:60]!r}") from err
    return imaging.decode_image(bytes(image))


def _thumbnail(image: ImageLike, max_side: int) -> Image.Image:
    if max_side < 1:
        raise ValueError("max_side must be a positive number of pixels")
    picture = _load(image)
    picture = picture.convert("RGBA" if imaging.has_alpha(picture) else "RGB")
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return imaging.flatten(picture, _checkerboard(picture.size)) if picture.mode == "RGBA" else picture


def _checkerboard(size: tuple[int, int]) -> Image.Image:
    cols, rows = -(-size[0] // CHECKER_CELL), -(-size[1] // CHECKER_CELL)
    cells = Image.new("RGB", (cols, rows))
    cells.putdata([CHECKER_LIGHT if (x + y) % 2 == 0 else CHECKER_DARK for y in range(rows) for x in range(cols)])
    board = cells.resize((cols * CHECKER_CELL, rows * CHECKER_CELL), Image.Resampling.NEAREST)
    return board.crop((0, 0) + size)


def _placeholder(max_side: int) -> Image.Image:
    """A neutral square shown until the first image of a progress display arrives."""
    side = min(max_side, DEFAULT_MAX_SIDE)
    tile = Image.new("RGB", (side, side), (238, 238, 238))
    ImageDraw.Draw(tile).text((side / 2, side / 2), "waiting for the first image…",
                              font=ImageFont.load_default(size=13), fill=LABEL_INK, anchor="mm")
    return tile


def _jpeg(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def _ipython_image(picture: Image.Image) -> IPythonImage:
    return IPythonImage(data=_jpeg(picture), format="jpeg")


def say(*parts: object, width: int = LINE_WIDTH) -> None:
    """Print ``parts`` (joined by spaces, like ``print``) wrapped at ``width`` characters (the kit's line
    width by default, ``wrapping.wrap``): continuation lines sit two spaces further in than their line.
    Existing line breaks are kept."""
    print(wrap(" ".join(str(p) for p in parts), width=width))


@dataclass(frozen=True)
class Chart:
    """A chart as a notebook shows it.

    ``spec`` is a Vega-Lite v5 spec as a JSON-ready dict (e.g. an Altair chart's ``to_dict()``) with
    its data inline, so the saved notebook draws without the kernel; ``text`` says what the chart
    shows and lists its numbers, for readers (and tests) that cannot draw it.
    """

    spec: dict[str, Any]
    text: str

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {VEGA_LITE_MIME: self.spec, "text/plain": self.text}

    def as_output(self) -> dict[str, Any]:
        """The chart as one nbformat ``display_data`` output (what an ``ipywidgets.Output`` holds)."""
        return {"output_type": "display_data", "data": self._repr_mimebundle_(), "metadata": {}}


def show_chart(chart: Chart) -> None:
    """Display ``chart`` as one output: its Vega-Lite spec plus its plain-text account."""
    display(chart)


GRID_INK = (255, 0, 160)


def with_grid(image: ImageLike, *, step: int = 100) -> Image.Image:
    """``image`` (any kind ``show`` takes) as RGB with a labelled coordinate grid drawn on it: a thin line
    every ``step`` pixels in both directions, each labelled with its x (along the top) or y (down the
    left) in the image's own pixels, so a box (left, top, right, bottom) can be read off a thumbnail.

    The grid is drawn at full size, so its labels keep their meaning whatever size it is shown at.
    Raises ValueError if ``step`` < 1.
    """
    if step < 1:
        raise ValueError(f"step must be at least 1 pixel, got {step}")
    picture = _load(image).convert("RGB").copy()
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(12, picture.width // 36))
    for x in range(step, picture.width, step):
        draw.line((x, 0, x, picture.height), fill=GRID_INK, width=max(1, picture.width // 512))
        draw.text((x + 3, 2), str(x), font=font, fill=GRID_INK)
    for y in range(step, picture.height, step):
        draw.line((0, y, picture.width, y), fill=GRID_INK, width=max(1, picture.height // 512))
        draw.text((3, y + 2), str(y), font=font, fill=GRID_INK)
    return picture
