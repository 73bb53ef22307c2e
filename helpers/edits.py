"""Inputs for ``images.edit``: masks, checks that run before anything is sent, and change measurement.

The edit endpoint takes multipart form data: one ``image[]`` part per input picture, an optional
``mask`` part and plain form fields. :func:`validate_edit_inputs` checks every file against the
limits in ``helpers.registry`` and returns parts the SDK sends as they are, so a wrong path, an
oversized file or a mask of the wrong size is reported locally, with what to fix, instead of
coming back as a 400 after the upload.

Masks use the API's convention: alpha 0 marks the area the model may repaint, alpha 255 the rest.
"""

from __future__ import annotations

import datetime as dt

import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

import openai
from PIL import Image, ImageChops, ImageDraw, ImageStat

from . import imaging, registry
from .wrapping import wrap

ImageSource = Union[str, os.PathLike, bytes]
Picture = Union[Image.Image, bytes, str, os.PathLike]
Box = tuple[int, int, int, int]

MB = 1024 * 1024
# The input size limit when a model's own is not in the registry: the largest any model states.
DEFAULT_MAX_INPUT_MB = 50
# Input formats the edit endpoint takes ([SDK] image_edit_params.py:15-24: png, webp or jpg),
# with the content type each part is sent with.
INPUT_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
INPUT_FORMATS_SOURCE = registry.SRC_SDK_EDIT_PARAMS
EDIT, KEEP = 0, 255
# A base64 string is far longer than any path a learner types.
MAX_PATH_CHARS = 4096
# Pixel modes the kit sends: 8 bits per channel, grey, palette, RGB, with or without alpha. The API's
# rules for other modes (CMYK, 16-bit, float) are not found, so the kit converts-first rather than guess.
INPUT_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA")
# The API's largest accepted input dimensions are not found. The kit's own bound is Pillow's
# decompression-bomb threshold, checked from the header before any pixel is decoded.
MAX_INPUT_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class EditInputError(ValueError):
    """An edit input the API would reject (or that cannot mean what was intended), found before sending."""


@dataclass(frozen=True)
class Upload:
    """One validated file, ready to be sent as a multipart part."""

    filename: str
    data: bytes = field(repr=False)
    content_type: str
    size: tuple[int, int]

    @property
    def part(self) -> tuple[str, bytes, str]:
        """What the SDK sends as a file part: (filename, bytes, content type)."""
        return (self.filename, self.data, self.content_type)


@dataclass(frozen=True)
class EditInputs:
    """Validated inputs. ``images`` and ``mask`` go straight into ``client.images.edit``."""

    uploads: tuple[Upload, ...]
    mask_upload: Optional[Upload] = None

    @property
    def images(self) -> list[tuple[str, bytes, str]]:
        return [u.part for u in self.uploads]

    @property
    def mask(self):
        """The mask part, or the SDK's ``omit`` so ``mask=inputs.mask`` also works without a mask."""
        return self.mask_upload.part if self.mask_upload else openai.omit


@dataclass(frozen=True)
class ChangeReport:
    """Mean absolute pixel difference (0-255, averaged over R, G and B) inside and outside a mask."""

    inside: Optional[float]
    outside: Optional[float]
    edit_area: float  # share of the image the mask marks for editing, 0-1

    def __str__(self) -> str:
        def show(value: Optional[float]) -> str:
            return "no such pixels" if value is None else f"{value:5.1f} / 255"

        return (f"edit area: {self.edit_area:.0%} of the image\n"
                f"mean change inside the mask:  {show(self.inside)}\n"
                f"mean change outside the mask: {show(self.outside)}")


@dataclass(frozen=True)
class FidelityRow:
    model: str
    status: str
    accepts: str
    source: registry.Source


# --- masks -----------------------------------------------------------------------------------

def _blank_mask(size: tuple[int, int]) -> Image.Image:
    width, height = size
    if width < 1 or height < 1:
        raise EditInputError(f"a mask needs a positive size, got {width}x{height}")
    return Image.new("RGBA", (width, height), (0, 0, 0, KEEP))


def _check_box(size: tuple[int, int], box: Box) -> Box:
    left, top, right, bottom = box
    width, height = size
    if not (0 <= left < right <= width and 0 <= top < bottom <= height):
        raise EditInputError(f"box {box} must be (left, top, right, bottom) with left < right, top < bottom, "
                             f"inside the {width}x{height} image")
    return box


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def rectangle_mask(size: tuple[int, int], box: Box) -> bytes:
    """PNG mask of ``size`` (width, height) whose ``box`` (left, top, right, bottom) is the edit area."""
    mask = _blank_mask(size)
    left, top, right, bottom = _check_box(size, box)
    ImageDraw.Draw(mask).rectangle((left, top, right - 1, bottom - 1), fill=(0, 0, 0, EDIT))
    return _png(mask)


def ellipse_mask(size: tuple[int, int], box: Box) -> bytes:
    """PNG mask of ``size`` whose ellipse inscribed in ``box`` is the edit area."""
    mask = _blank_mask(size)
    left, top, right, bottom = _check_box(size, box)
    ImageDraw.Draw(mask).ellipse((left, top, right - 1, bottom - 1), fill=(0, 0, 0, EDIT))
    return _png(mask)


def mask_from_painting(painting: Picture, *, color: Optional[tuple[int, int, int]] = None,
                       tolerance: int = 40) -> bytes:
    """Turn a painted-over copy of the image into a mask.

    With ``color``, pixels within ``tolerance`` of that colour on every channel are the edit area
    (paint the area in any editor with a colour the picture does not use, e.g. magenta). Without
    it, fully transparent pixels are (erase the area instead of painting it).
    """
    picture = _picture(painting)
    if color is None:
        if not imaging.has_alpha(picture):
            raise EditInputError("the painting has no transparency: erase the edit area to transparent, "
                                 "or pass the colour you painted with as color=(r, g, b)")
        area = picture.convert("RGBA").getchannel("A").point(lambda a: 255 if a == 0 else 0)
    else:
        rgb = imaging.flatten(picture, imaging.WHITE)
        distance = ImageChops.difference(rgb, Image.new("RGB", rgb.size, tuple(color)))
        near = [band.point(lambda d: 255 if d <= tolerance else 0) for band in distance.split()]
        area = ImageChops.multiply(ImageChops.multiply(near[0], near[1]), near[2])
    if area.getbbox() is None:
        what = "fully transparent pixel" if color is None else f"pixel within {tolerance} of colour {tuple(color)}"
        raise EditInputError(f"the painting has no {what}, so the mask would mark nothing to edit")
    mask = _blank_mask(picture.size)
    mask.putalpha(area.point(lambda a: EDIT if a else KEEP))
    return _png(mask)


# --- checks before sending -------------------------------------------------------------------

def _capabilities(model: str) -> registry.Capabilities:
    caps = registry.get(model).capabilities
    if caps is None:
        raise EditInputError(f"the registry has no capabilities for {model}, so its edit limits are not known")
    return caps


def _label(source: ImageSource, what: str) -> str:
    if isinstance(source, (str, os.PathLike)):
        return f"{what} '{os.fspath(source)}'"
    return f"{what} ({type(source).__name__})"


@dataclass(frozen=True)
class InputImage:
    """What the header of an input image says: Pillow's format name, (width, height) in pixels, mode."""

    format: str
    size: tuple[int, int]
    mode: str
    has_alpha: bool


def _png_bit_depth(data: bytes) -> Optional[int]:
    """The bit depth in a PNG's IHDR chunk (Pillow reads 16-bit RGB as 8-bit RGB and hides it)."""
    if data[:8] == _PNG_SIGNATURE and len(data) >= 25 and data[12:16] == b"IHDR":
        return data[24]
    return None


def check_input_image(data: bytes, label: str, limit_mb: int) -> InputImage:
    """Check one image the kit would send (edit input, mask, Responses input) from its header only.

    Checks, in order and before decoding any pixel: size in bytes (< ``limit_mb`` MB), a readable
    header, format (PNG, JPEG or WebP), one frame (no animation), 8-bit depth and a mode in
    ``INPUT_MODES``, and dimensions (1 pixel to ``MAX_INPUT_PIXELS`` pixels). Raises EditInputError
    naming ``label`` and what to do.
    """
    if len(data) >= limit_mb * MB:
        raise EditInputError(f"{label} is {len(data) / MB:.1f} MB; it must be smaller than {limit_mb} MB "
                             f"({INPUT_FORMATS_SOURCE.citation}). Resize it or save it as JPEG or WebP.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:  # lazy: reads the header, not the pixels
                fmt, size, mode = img.format, img.size, img.mode
                frames = getattr(img, "n_frames", 1)
                alpha = imaging.has_alpha(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EditInputError(f"{label} has more than {MAX_INPUT_PIXELS:,} pixels, the kit's limit for an input "
                             "(the API's is not found). Resize it first.") from None
    except (OSError, SyntaxError, ValueError):
        raise EditInputError(f"{label} is not a readable image. Send a PNG, JPEG or WebP file.") from None
    if fmt not in INPUT_FORMATS:
        raise EditInputError(f"{label} is {fmt}; the edit endpoint takes PNG, JPEG or WebP only "
                             f"({INPUT_FORMATS_SOURCE.citation}). Convert it first.")
    if frames > 1:
        raise EditInputError(f"{label} is animated ({frames} frames); send one still frame, e.g. the first "
                             "saved as PNG.")
    depth = _png_bit_depth(data)
    if (depth is not None and depth > 8) or mode not in INPUT_MODES:
        shown = f"{depth}-bit {mode}" if depth and depth > 8 else mode
        raise EditInputError(f"{label} is {shown}; the kit sends 8-bit grey, palette, RGB or RGBA images only "
                             "(what the API does with others is not found). Convert it first, e.g. "
                             "Image.open(path).convert('RGBA').save('converted.png').")
    width, height = size
    if width < 1 or height < 1 or width * height > MAX_INPUT_PIXELS:
        raise EditInputError(f"{label} is {width}x{height}; the kit sends 1 to {MAX_INPUT_PIXELS:,} pixels "
                             "(the API's largest input is not found). Resize it first.")
    return InputImage(fmt, size, mode, alpha)


def _read(source: ImageSource, what: str, limit_mb: int) -> tuple[str, bytes]:
    """(filename, bytes), checking existence and size before reading anything large."""
    label = _label(source, what)
    if isinstance(source, (bytes, bytearray)):
        name, size, path = what.replace(" ", "_"), len(source), None
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            raise EditInputError(f"{label} is a directory, not an image file. Name a file inside it.")
        if not path.is_file():
            raise EditInputError(f"{label} does not exist. Check the path: relative paths start from the "
                                 "notebook's folder.")
        name, size = path.name, path.stat().st_size
    else:
        raise EditInputError(f"{what} must be a file path or bytes, not {type(source).__name__}")
    if size >= limit_mb * MB:
        raise EditInputError(f"{label} is {size / MB:.1f} MB; it must be smaller than {limit_mb} MB "
                             f"({INPUT_FORMATS_SOURCE.citation}). Resize it or save it as JPEG or WebP.")
    return name, bytes(source) if path is None else path.read_bytes()


def _upload(source: ImageSource, what: str, limit_mb: int) -> tuple[Upload, Image.Image]:
    name, data = _read(source, what, limit_mb)
    label = _label(source, what)
    check_input_image(data, label, limit_mb)
    try:
        image = imaging.decode_image(data)
    except ValueError:
        raise EditInputError(f"{label} is not a readable image. Send a PNG, JPEG or WebP file.") from None
    if image.format not in INPUT_FORMATS:
        raise EditInputError(f"{label} is {image.format}; the edit endpoint takes PNG, JPEG or WebP only "
                             f"({INPUT_FORMATS_SOURCE.citation}). Convert it first.")
    if isinstance(source, (bytes, bytearray)):
        name = f"{name}.{image.format.lower()}"
    return Upload(name, data, INPUT_FORMATS[image.format], image.size), image


def validate_edit_inputs(images: Union[ImageSource, Sequence[ImageSource]], mask: Optional[ImageSource] = None,
                         *, model: str) -> EditInputs:
    """Check edit inputs against ``model``'s limits in the registry; raise :class:`EditInputError` if wrong.

    ``images`` is one path or bytes, or a list of them (the first is the canvas the mask applies
    to). Nothing is sent: the returned :class:`EditInputs` holds the parts for ``images.edit``.
    """
    caps = _capabilities(model)
    sources = [images] if isinstance(images, (str, bytes, bytearray, os.PathLike)) else list(images)
    if not sources:
        raise EditInputError("give at least one input image")
    if len(sources) > caps.max_input_images:
        raise EditInputError(f"{len(sources)} input images given; {model} takes at most {caps.max_input_images} "
                             f"({registry.SRC_SDK_EDIT_PARAMS.citation}). Drop the least important ones: "
                             "the first image matters most.")
    opened = [_upload(s, f"image {i}", caps.max_input_image_mb) for i, s in enumerate(sources, start=1)]
    mask_upload = None
    if mask is not None:
        if caps.masks is False:
            raise EditInputError(f"{model} does not take a mask")
        mask_upload = _check_mask(mask, opened[0][1], caps.max_mask_mb)
    return EditInputs(tuple(upload for upload, _ in opened), mask_upload)


def _check_mask(source: ImageSource, first: Image.Image, limit_mb: int) -> Upload:
    upload, mask = _upload(source, "mask", limit_mb)
    label = _label(source, "mask")
    if mask.format != "PNG":
        raise EditInputError(f"{label} is {mask.format}; a mask must be a PNG (it needs an alpha channel).")
    if not imaging.has_alpha(mask):
        raise EditInputError(f"{label} has no alpha channel (mode {mask.mode}). The API reads only "
                             "transparency: make the edit area transparent (alpha 0), e.g. with rectangle_mask.")
    if mask.size != first.size:
        raise EditInputError(f"{label} is {mask.size[0]}x{mask.size[1]} but the first image is "
                             f"{first.size[0]}x{first.size[1]}; they must have the same dimensions.")
    if _edit_area(mask).getbbox() is None:
        raise EditInputError(f"{label} has no fully transparent pixel, so it marks nothing to edit "
                             "(alpha 0 marks the edit area; is it inverted?).")
    return upload


def check_input_fidelity(model: str, value: Optional[str]) -> Optional[str]:
    """Return ``value`` if ``model`` accepts it as ``input_fidelity`` per the registry, else raise."""
    caps = _capabilities(model)
    accepted = caps.input_fidelity
    if value is None:
        return None
    if accepted == ():
        raise EditInputError(f"{model} does not take input_fidelity: omit the parameter ({caps.source_of('input_fidelity').citation}).")
    if value not in ("high", "low"):
        raise EditInputError(f"input_fidelity is 'high' or 'low', not {value!r}")
    if accepted is not None and value not in accepted:
        others = ", ".join(models_accepting_fidelity(value)) or registry.NOT_FOUND
        raise EditInputError(f"{model} accepts input_fidelity {', '.join(repr(v) for v in accepted)} only, not "
                             f"{value!r} ({caps.source_of('input_fidelity').citation}). Models that accept {value!r}: {others}.")
    return value


@dataclass(frozen=True)
class FidelityDemo:
    """What the registry says about ``input_fidelity`` for one model, for a lesson to show.

    ``value`` is a value the model refuses per the registry (the one to send to see the API's
    refusal), or None when there is none to show: every value is accepted, or it is not found.
    """

    model: str
    value: Optional[str]
    text: str


def refused_fidelity(model: str) -> FidelityDemo:
    """The ``input_fidelity`` value ``model`` refuses per the registry, with the reason and its source."""
    caps = registry.get(model).capabilities
    if caps is None:
        return FidelityDemo(model, None, f"{model}: accepted input_fidelity values {registry.NOT_FOUND} (the registry "
                                         "holds no capabilities for it), so there is no refusal to show.")
    accepted, source = caps.input_fidelity, caps.source_of("input_fidelity")
    if accepted is None:
        return FidelityDemo(model, None, f"{model}: accepted input_fidelity values {registry.NOT_FOUND}, so there is "
                                         f"no documented refusal to show; leave the parameter out. Source: {source}")
    if accepted == ():
        return FidelityDemo(model, "low", f"{model} takes no input_fidelity: omit the parameter. Source: {source}")
    refused = [v for v in ("high", "low") if v not in accepted]
    if not refused:
        return FidelityDemo(model, None, f"{model} accepts input_fidelity {registry.fmt(accepted)}: no value to "
                                         f"refuse. Source: {source}")
    return FidelityDemo(model, refused[0], f"{model} accepts input_fidelity {registry.fmt(accepted)} only. "
                                           f"Source: {source}")


def models_accepting_fidelity(value: str, day: Optional[dt.date] = None) -> list[str]:
    """Models served on ``day`` (no snapshots) whose registry entry lists ``value`` for input_fidelity."""
    return [m.id for m in registry.served_image_models(day or registry.kit_day())
            if m.capabilities and value in (m.capabilities.input_fidelity or ())]


def models_omitting_fidelity(day: Optional[dt.date] = None) -> list[str]:
    """Models served on ``day`` (no snapshots) that must be sent without input_fidelity, per the registry."""
    return [m.id for m in registry.served_image_models(day or registry.kit_day())
            if m.capabilities and m.capabilities.input_fidelity == ()]


def fidelity_table(day: Optional[dt.date] = None) -> list[FidelityRow]:
    """What each image model in the registry accepts for ``input_fidelity`` (snapshots left out), on ``day``."""
    day = day or registry.kit_day()
    rows = []
    for m in registry.image_models():
        if m.snapshot_of or m.capabilities is None:
            continue
        accepted = m.capabilities.input_fidelity
        accepts = registry.NOT_FOUND if accepted is None else ("omit it" if accepted == () else ", ".join(accepted))
        rows.append(FidelityRow(m.id, m.status_on(day), accepts, m.capabilities.source_of("input_fidelity")))
    return rows


def fidelity_table_text() -> str:
    """:func:`fidelity_table` as aligned text with numbered sources and the registry's as-of date."""
    sources: list[registry.Source] = []
    lines = [f"input_fidelity by model (registry as of {registry.AS_OF})",
             f"{'model':24} {'status':11} {'accepts':12} source"]
    for row in fidelity_table():
        if row.source not in sources:
            sources.append(row.source)
        lines.append(f"{row.model:24} {row.status:11} {row.accepts:12} [{sources.index(row.source) + 1}]")
    # A long citation wraps with its continuation lines under the text, past its "[n] " number.
    lines += [wrap(f"[{i}] {s.citation}", indent=" " * len(f"[{i}] ")) for i, s in enumerate(sources, start=1)]
    return "\n".join(lines)


def input_limits_text(model: str) -> str:
    """The edit input limits the checks use for ``model``, with their source and as-of date."""
    caps = _capabilities(model)
    src = registry.SRC_SDK_EDIT_PARAMS
    return "\n".join([
        # Continuation lines of a long heading sit deeper than the limits listed under it.
        wrap(f"Edit input limits for {model} (as of {src.as_of}, {src.citation}):", indent="    "),
        f"  input images per request: at most {caps.max_input_images}",
        f"  each input image:         smaller than {caps.max_input_image_mb} MB, PNG, JPEG or WebP",
        f"  mask:                     PNG with alpha, same size as the first image, smaller than "
        f"{caps.max_mask_mb} MB",
    ])


# --- measuring an edit -----------------------------------------------------------------------

def _picture(source: Picture) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, os.PathLike) or (isinstance(source, str) and len(source) < MAX_PATH_CHARS
                                           and os.path.isfile(source)):
        return imaging.decode_image(Path(source).read_bytes())
    return imaging.decode_image(source)


def _edit_area(mask: Image.Image) -> Image.Image:
    """L image, 255 where the mask is fully transparent (the edit area)."""
    if not imaging.has_alpha(mask):
        raise EditInputError(f"the mask has no alpha channel (mode {mask.mode})")
    return mask.convert("RGBA").getchannel("A").point(lambda a: 255 if a == 0 else 0)


def _aligned(before: Picture, after: Picture, mask: Picture) -> tuple[Image.Image, Image.Image, Image.Image]:
    """RGB before, RGB after scaled to before's size, and the edit area; the mask must match before."""
    first = _picture(before)
    area = _edit_area(_picture(mask))
    if area.size != first.size:
        raise EditInputError(f"the mask is {area.size[0]}x{area.size[1]} but the image is "
                             f"{first.size[0]}x{first.size[1]}")
    result = imaging.flatten(_picture(after), imaging.WHITE)
    if result.size != first.size:
        result = result.resize(first.size, Image.Resampling.BILINEAR)
    return imaging.flatten(first, imaging.WHITE), result, area


def change_inside_vs_outside(before: Picture, after: Picture, mask: Picture) -> ChangeReport:
    """How much an edit changed the pixels inside the mask's edit area and outside it.

    ``after`` is scaled to ``before``'s size if the API returned another size.
    """
    first, result, area = _aligned(before, after, mask)
    difference = ImageChops.difference(first, result)
    total = first.size[0] * first.size[1]
    edited = area.histogram()[255]

    def mean(region: Image.Image, count: int) -> Optional[float]:
        if count == 0:
            return None
        return round(sum(ImageStat.Stat(difference, mask=region).mean) / 3, 1)

    outside = area.point(lambda a: 0 if a else 255)
    return ChangeReport(inside=mean(area, edited), outside=mean(outside, total - edited),
                        edit_area=edited / total)


def keep_outside(before: Picture, after: Picture, mask: Picture) -> bytes:
    """PNG of ``after`` inside the edit area and ``before`` everywhere else.

    Masks steer the model but do not stop it repainting the rest; paste the result back like this
    when the pixels outside the mask must stay exactly as they were.
    """
    first, result, area = _aligned(before, after, mask)
    return _png(Image.composite(result, first, area))
