"""The kit's one image decoder and encoder, and the text fitting its pictures share.

Lessons, display and input checks decode and encode through here; the simulator's pictures are drawn
in ``helpers.offline.rendering`` on top of these functions.
"""

from __future__ import annotations

import base64
import binascii
import io
import unicodedata
from functools import lru_cache
from typing import Optional

from PIL import Image, ImageFont, UnidentifiedImageError

FORMATS = ("png", "webp", "jpeg")
BACKGROUNDS = ("auto", "opaque", "transparent")
WHITE = (255, 255, 255)
# Characters the built-in font lacks that have an obvious plain stand-in.
STAND_INS = {"\u2013": "-", "\u2014": "-", "\u00df": "ss", "\u20ac": "EUR", "\u00a3": "GBP"}

RGB = tuple[int, int, int]


# ---------------------------------------------------------------- decode / encode

def decode_image(data: bytes | str) -> Image.Image:
    """Open raw image bytes, or base64 text as found in ``b64_json`` (a ``data:`` prefix is allowed)."""
    if isinstance(data, str):
        text = data.strip()
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except binascii.Error as err:
            raise ValueError(f"not base64 image data ({err})") from None
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"expected image bytes or base64 text, got {type(data).__name__}")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"data is not a readable image ({len(data)} bytes): {err}") from None
    return image


def encode_image(image: Image.Image, output_format: str, compression: Optional[int] = None) -> bytes:
    """Encode as png, webp or jpeg; ``compression`` is the API's 0-100 level (jpeg/webp quality)."""
    fmt = _check_format(output_format)
    quality = 100 if compression is None else min(100, max(1, int(compression)))
    if fmt == "jpeg":
        image = flatten(image, WHITE)
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if has_alpha(image) else "RGB")
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, "PNG")
    elif fmt == "webp":
        image.save(out, "WEBP", quality=quality, method=0)
    else:
        image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def flatten(image: Image.Image, backdrop: RGB | Image.Image) -> Image.Image:
    """RGB copy of ``image`` with any transparency composited over a colour or a same-size image."""
    if not has_alpha(image):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    base = backdrop.convert("RGBA") if isinstance(backdrop, Image.Image) else Image.new("RGBA", rgba.size, backdrop)
    return Image.alpha_composite(base, rgba).convert("RGB")


# ---------------------------------------------------------------- small helpers

def _check_format(output_format: str) -> str:
    fmt = str(output_format).lower()
    if fmt not in FORMATS:
        raise ValueError(f"output_format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    return fmt


def _check_output(output_format: str, background: str) -> None:
    fmt = _check_format(output_format)
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, not {background!r}")
    if background == "transparent" and fmt == "jpeg":
        raise ValueError("a transparent background needs png or webp; jpeg has no alpha channel")


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=max(6, size))


@lru_cache(maxsize=4096)
def _glyph(ch: str) -> str:
    """``ch`` if the built-in font can draw it, else a stand-in, so prompts never show empty boxes."""
    font = _font(16)
    missing = font.getmask("\uffff")

    def drawable(c: str) -> bool:
        mask = font.getmask(c)
        return c.isspace() or mask.size != missing.size or bytes(mask) != bytes(missing)

    if drawable(ch):
        return ch
    plain = STAND_INS.get(ch) or "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return plain if plain and all(map(drawable, plain)) else "?"


def _printable(text: str) -> str:
    return "".join(map(_glyph, " ".join(text.split())))


def fit_text(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    """``text`` in glyphs the font has, cut with an ellipsis to fit ``max_width`` pixels."""
    text = _printable(text)
    if font.getlength(text) <= max_width:
        return text
    while text and font.getlength(text + "…") > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


