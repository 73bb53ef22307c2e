"""Deterministic pictures for the offline simulator, each with a visible SIMULATED mark.

Every rendered image carries a red "SIMULATED" corner ribbon so that nobody mistakes it for a
model output. The same arguments always give the same bytes (for the pinned Pillow), so lessons
run offline produce stable outputs.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
import math
import random
from typing import Optional

from PIL import Image, ImageChops, ImageDraw, ImageFont

from ..imaging import WHITE, RGB, _check_output, _font, _printable, decode_image, encode_image, fit_text, flatten, has_alpha

MARK_TEXT = "SIMULATED"
MARK_RED = (200, 24, 32)
INK = (28, 28, 36)
MAX_PROMPT_LINES = 5


def render_generated(prompt: str, width: int, height: int, *, output_format: str = "png",
                     background: str = "auto", compression: Optional[int] = None,
                     model: str = "", variant: int = 0) -> bytes:
    """A flat picture derived from (prompt, model, variant), with the prompt written inside it."""
    _check_output(output_format, background)
    image = _scene(prompt, width, height, background, model, variant)
    return encode_image(_mark(image), output_format, compression)


def render_partial(prompt: str, width: int, height: int, *, index: int, total: int,
                   output_format: str = "png", background: str = "auto",
                   compression: Optional[int] = None, model: str = "", variant: int = 0) -> bytes:
    """Partial image ``index`` (0-based) of ``total``: the final picture, pixelated less each time.

    The label counts from 1 ("partial 1/3") because learners read it, not code.
    """
    _check_output(output_format, background)
    if not 0 <= index < total:
        raise ValueError(f"partial index {index} is outside 0..{total - 1}")
    image = _scene(prompt, width, height, background, model, variant)
    # Cells across the short side grow geometrically (16, 32, 64 for three partials) so each
    # preview is visibly sharper than the last yet none looks finished.
    cells = 8 * 16 ** ((index + 1) / (total + 1))
    block = max(2, round(min(width, height) / cells))
    small = image.resize((max(1, width // block), max(1, height // block)), Image.Resampling.BOX)
    image = small.resize((width, height), Image.Resampling.NEAREST)
    s = min(width, height)
    _pill(ImageDraw.Draw(image), (width // 2, round(height * 0.06)), f"partial {index + 1}/{total}",
          _font(round(s / 26)), WHITE, INK, anchor="mm")
    return encode_image(_mark(image), output_format, compression)


def render_edit(inputs: list[bytes], prompt: str, width: int, height: int, *,
                mask: Optional[bytes] = None, output_format: str = "png", background: str = "auto",
                compression: Optional[int] = None, model: str = "", variant: int = 0) -> bytes:
    """An "edit" of ``inputs[0]``: changed only where the mask is transparent, or lightly all over.

    Later inputs are drawn as small "ref k" insets. With ``background="auto"`` the first input's
    transparency is kept; ``"opaque"`` flattens it onto white.
    """
    _check_output(output_format, background)
    if not inputs:
        raise ValueError("render_edit needs at least one input image")
    first = decode_image(inputs[0])
    keep_alpha = background == "transparent" or (background == "auto" and has_alpha(first))
    canvas = (first.convert("RGBA") if keep_alpha else flatten(first, WHITE)).resize(
        (width, height), Image.Resampling.BILINEAR)
    hue = _hue(prompt, model, variant)
    tint, stripe = _hsv(hue, 0.55, 0.95), _hsv(hue, 0.75, 0.6)
    s = min(width, height)
    if mask is None:
        graded = Image.blend(canvas.convert("RGB"), Image.new("RGB", canvas.size, tint), 0.22)
        if keep_alpha:
            graded.putalpha(canvas.getchannel("A"))
        canvas = graded
        font = _font(round(s / 40))
        stamp = fit_text(f"edit: {prompt}", font, width * 0.6)
        _pill(ImageDraw.Draw(canvas), (round(s * 0.03), round(s * 0.12)), stamp, font, INK, tint)
    else:
        area = _edit_area(decode_image(mask), first.size).resize((width, height), Image.Resampling.NEAREST)
        canvas = Image.composite(_edit_fill(canvas, area, prompt, tint, stripe), canvas, area)
    if background == "transparent":
        # The API isolates the subject on a clear backdrop: keep the input's own alpha, and clear the
        # same inset border as generated transparent pictures, so the result really has transparency.
        canvas = canvas.convert("RGBA")
        cutout = Image.new("L", canvas.size, 0)
        ImageDraw.Draw(cutout).ellipse((width * 0.06, height * 0.06, width * 0.94, height * 0.94), fill=255)
        canvas.putalpha(ImageChops.multiply(canvas.getchannel("A"), cutout))
    draw = ImageDraw.Draw(canvas)
    _insets(canvas, draw, inputs[1:])
    _labels(draw, width, height, model, variant)
    return encode_image(_mark(canvas), output_format, compression)


def _scene(prompt: str, width: int, height: int, background: str, model: str, variant: int) -> Image.Image:
    """The unmarked picture: sky, sun, hills and blocks, then the prompt panel and labels."""
    if width < 16 or height < 16:
        raise ValueError(f"image size {width}x{height} is too small")
    rng = random.Random(_digest(prompt, model, variant))
    hue = _hue(prompt, model, variant)
    s = min(width, height)
    image = Image.new("RGB", (width, height), _hsv(hue, 0.25, 0.97))
    draw = ImageDraw.Draw(image)
    r = s * rng.uniform(0.10, 0.16)
    cx, cy = width * rng.uniform(0.2, 0.8), height * rng.uniform(0.15, 0.35)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_hsv(hue + 0.5, 0.65, 0.98))
    for k in range(rng.randint(2, 3)):
        hx, hr = width * rng.uniform(-0.1, 1.1), width * rng.uniform(0.35, 0.7)
        top = height * rng.uniform(0.45, 0.62) + k * height * 0.06
        draw.ellipse((hx - hr, top, hx + hr, top + 2 * hr), fill=_hsv(hue + 0.08 * k + 0.25, 0.55, 0.75 - 0.12 * k))
    for _ in range(rng.randint(2, 4)):
        bx, by, side = width * rng.uniform(0.05, 0.85), height * rng.uniform(0.3, 0.6), s * rng.uniform(0.06, 0.14)
        color = _hsv(hue + rng.choice((0.33, 0.5, 0.66)), 0.7, 0.7)
        if rng.random() < 0.5:
            draw.rectangle((bx, by, bx + side, by + side * 1.6), fill=color)
        else:
            draw.polygon(((bx, by + side), (bx + side / 2, by - side * 0.4), (bx + side, by + side)), fill=color)
    if background == "transparent":
        # An isolated "subject" on a clear backdrop, as the API returns for transparent requests;
        # the inset also keeps every corner fully transparent.
        cutout = Image.new("L", image.size, 0)
        ImageDraw.Draw(cutout).ellipse((width * 0.06, height * 0.06, width * 0.94, height * 0.94), fill=255)
        image.putalpha(cutout)
        draw = ImageDraw.Draw(image)
    _prompt_panel(draw, prompt, width, height)
    _labels(draw, width, height, model, variant)
    return image


def _prompt_panel(draw: ImageDraw.ImageDraw, prompt: str, width: int, height: int) -> None:
    s = min(width, height)
    font = _font(round(s / 24))
    lines = _wrap(prompt or "(empty prompt)", font, width * 0.72)
    step = round(font.size * 1.25)
    pad = round(s * 0.025)
    bottom = height * 0.86
    top = bottom - len(lines) * step - 2 * pad
    draw.rounded_rectangle((width * 0.12, top, width * 0.88, bottom), radius=pad, fill=WHITE, outline=INK,
                           width=max(1, s // 400))
    for i, line in enumerate(lines):
        draw.text((width / 2, top + pad + i * step + step / 2), line, font=font, fill=INK, anchor="mm")


def _labels(draw: ImageDraw.ImageDraw, width: int, height: int, model: str, variant: int) -> None:
    """Image number top left; size and model bottom left, inside a margin so corners stay untouched."""
    s = min(width, height)
    margin = round(s * 0.03)
    _pill(draw, (margin, margin), f"#{variant + 1}", _font(round(s / 24)), WHITE, INK)
    info = f"{width}x{height}" + (f" · {model}" if model else "")
    _pill(draw, (margin, height - margin), _printable(info), _font(max(10, round(s / 40))), WHITE, INK, anchor="ld")


def _edit_area(mask: Image.Image, expected: tuple[int, int]) -> Image.Image:
    """L image, 255 where the mask's alpha is 0 (the area the API may repaint)."""
    if mask.size != expected:
        raise ValueError(f"mask is {mask.size[0]}x{mask.size[1]} but the first image is {expected[0]}x{expected[1]}")
    if not has_alpha(mask):
        raise ValueError(f"mask must have an alpha channel (got mode {mask.mode}); alpha 0 marks the area to edit")
    return mask.convert("RGBA").getchannel("A").point(lambda a: 255 if a == 0 else 0)


def _edit_fill(canvas: Image.Image, area: Image.Image, prompt: str, tint: RGB, stripe: RGB) -> Image.Image:
    """Canvas-sized tinted stripes with the prompt centred on the area (clipped later by the area)."""
    width, height = canvas.size
    fill = Image.blend(canvas.convert("RGB"), Image.new("RGB", canvas.size, tint), 0.8)
    draw = ImageDraw.Draw(fill)
    s = min(width, height)
    gap, thick = max(8, s // 24), max(2, s // 160)
    for x in range(-height, width, gap):
        draw.line((x, height, x + height, 0), fill=stripe, width=thick)
    box = area.getbbox()
    if box:
        font = _font(max(10, round(s / 30)))
        lines = _wrap(prompt or "(empty prompt)", font, (box[2] - box[0]) * 0.9)
        step = round(font.size * 1.25)
        y = (box[1] + box[3]) / 2 - (len(lines) - 1) * step / 2
        for i, line in enumerate(lines):
            draw.text(((box[0] + box[2]) / 2, y + i * step), line, font=font, fill=INK, anchor="mm",
                      stroke_width=max(1, font.size // 10), stroke_fill=WHITE)
    if canvas.mode == "RGBA":
        fill.putalpha(255)
    return fill


def _insets(canvas: Image.Image, draw: ImageDraw.ImageDraw, refs: list[bytes]) -> None:
    """Reference images 2..n as a row of small labelled tiles above the bottom label."""
    if not refs:
        return
    width, height = canvas.size
    s = min(width, height)
    margin, gap = round(s * 0.03), max(4, s // 100)
    side = min(round(s / 7), (width - 2 * margin) // len(refs) - gap)
    font = _font(max(9, side // 6))
    top = height - margin - round(s / 40) - 2 * gap - side
    for k, data in enumerate(refs, start=2):
        x = margin + (k - 2) * (side + gap)
        tile = decode_image(data)
        tile.thumbnail((side, side), Image.Resampling.BILINEAR)
        tile = flatten(tile, WHITE)
        draw.rectangle((x, top, x + side - 1, top + side - 1), fill=WHITE, outline=INK)
        canvas.paste(tile, (x + (side - tile.width) // 2, top + (side - tile.height) // 2))
        _pill(draw, (x + side // 2, top + side - 2), f"ref {k}", font, WHITE, INK, anchor="md")


def _mark(image: Image.Image) -> Image.Image:
    """Paste the red SIMULATED ribbon across the top-right corner (the corner pixel itself stays clear)."""
    width, height = image.size
    s = min(width, height)
    reach, thick = round(s * 0.3), max(12, round(s * 0.085))
    length = round(reach * math.sqrt(2)) + 2 * thick
    strip = Image.new("RGBA", (length, thick), MARK_RED + (255,))
    draw = ImageDraw.Draw(strip)
    edge = max(1, thick // 14)
    draw.rectangle((0, edge, length, 2 * edge), fill=WHITE)
    draw.rectangle((0, thick - 1 - 2 * edge, length, thick - 1 - edge), fill=WHITE)
    size = round(thick * 0.6)
    room = (reach * math.sqrt(2) - thick) * 0.9
    while size > 6 and _font(size).getlength(MARK_TEXT) > room:
        size -= 1
    draw.text((length / 2, thick / 2), MARK_TEXT, font=_font(size), fill=WHITE, anchor="mm",
              stroke_width=max(1, size // 18), stroke_fill=WHITE)
    ribbon = strip.rotate(-45, resample=Image.Resampling.BICUBIC, expand=True)
    cx, cy = width - reach / 2, reach / 2
    image.paste(ribbon, (round(cx - ribbon.width / 2), round(cy - ribbon.height / 2)), ribbon)
    return image


def _digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(json.dumps(parts).encode()).digest(), "big")


def _hue(prompt: str, model: str, variant: int) -> float:
    # Siblings of one request share a base hue and step away from it, so they look related yet distinct.
    return (_digest(prompt, model) % 360 / 360 + 0.17 * variant) % 1.0


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float, max_lines: int = MAX_PROMPT_LINES) -> list[str]:
    """Greedy word wrap; over-long words are split, and text past ``max_lines`` ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in _printable(text).split(" "):
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > max_width and len(word) > 1:
            cut = next((i for i in range(len(word) - 1, 0, -1) if font.getlength(word[:i]) <= max_width), 1)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = fit_text(lines[-1] + " …", font, max_width)
    return lines


def _pill(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
          fg: RGB, bg: RGB, anchor: str = "la") -> None:
    """Text on a rounded label so it stays legible on any background."""
    left, top, right, bottom = draw.textbbox(xy, text, font=font, anchor=anchor)
    pad = max(2, font.size // 3)
    draw.rounded_rectangle((left - pad, top - pad, right + pad, bottom + pad), radius=pad, fill=bg)
    draw.text(xy, text, font=font, fill=fg, anchor=anchor)

