"""Checks for lesson 02 (edits: masks and the order of input images)."""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any

from PIL import Image

from .. import imaging
from ..edits import rectangle_mask
from . import Result, exercise

ROOM_SIZE = (1024, 1024)
# Where sample_inputs/make_samples.py draws the sofa in room.png: its solid middle (back, seat and
# arms) must be in the edit area; a margin around its outline (legs included) may be.
SOFA_CORE = (170, 570, 830, 780)
SOFA_WITH_MARGIN = (90, 490, 934, 900)
MIN_CORE_COVERED = 0.95
MAX_SHARE_BEYOND_MARGIN = 0.03


def _edit_area(mask: Image.Image) -> Image.Image:
    return mask.convert("RGBA").getchannel("A").point(lambda a: 255 if a == 0 else 0)


def _share_covered(area: Image.Image, box: tuple[int, int, int, int]) -> float:
    region = area.crop(box)
    return region.histogram()[255] / (region.width * region.height)


def _sofa_texts() -> tuple[str, ...]:
    """The sofa's coordinates as a hint could spell them out."""
    left, top, right, bottom = SOFA_CORE
    return (*(str(v) for v in SOFA_CORE), f"{left}-{right}", f"{top}-{bottom}", "x 150-850", "y 560-830")


@exercise("02.sofa_mask", title="Build a mask whose edit area is the sofa in room.png",
          wrong_answer=rectangle_mask(ROOM_SIZE, (96, 150, 456, 500)), giveaways=_sofa_texts)
def grade_sofa_mask(answer: Any) -> Result:
    if not isinstance(answer, (bytes, bytearray)):
        return Result(False, "pass the mask as PNG bytes, which is what rectangle_mask and ellipse_mask return "
                             f"(got {type(answer).__name__}).")
    try:
        mask = imaging.decode_image(bytes(answer))
    except ValueError:
        return Result(False, "those bytes are not an image: build the mask with rectangle_mask(size, box).")
    if mask.format != "PNG" or not imaging.has_alpha(mask):
        return Result(False, "a mask is a PNG with an alpha channel: the API reads only transparency.")
    if mask.size != ROOM_SIZE:
        return Result(False, f"the mask is {mask.size[0]}x{mask.size[1]}; it must match room.png, "
                             f"{ROOM_SIZE[0]}x{ROOM_SIZE[1]}.")
    area = _edit_area(mask)
    if area.getbbox() is None:
        return Result(False, "nothing in this mask is fully transparent, so it marks nothing to edit.")
    core = _share_covered(area, SOFA_CORE)
    beyond = (area.histogram()[255] - area.crop(SOFA_WITH_MARGIN).histogram()[255]) / (ROOM_SIZE[0] * ROOM_SIZE[1])
    if core < 0.05 and beyond > 0.5:
        return Result(False, "the mask looks inverted: alpha 0 (transparent) marks the area to EDIT, so the sofa "
                             "must be the transparent part.")
    if core < MIN_CORE_COVERED:
        return Result(False, f"the edit area covers {core:.0%} of the sofa ({MIN_CORE_COVERED:.0%} needed): "
                             + _which_way(area) + " The box is (left, top, right, bottom) in pixels from the "
                             "top-left corner; compare your mask with room.png side by side.")
    if beyond > MAX_SHARE_BEYOND_MARGIN:
        return Result(False, f"{beyond:.0%} of the image outside the sofa is marked too; keep the box close to "
                             "the sofa so the window, lamp and rug stay as they are.")
    return Result(True, "the sofa is the edit area and the rest of the room is kept. The model may still "
                        "stray beyond it a little: measure with change_inside_vs_outside.")


def _which_way(area: Image.Image) -> str:
    """Which edge of the box to move, from where the edit area lies against the sofa (no coordinates)."""
    box = area.getbbox()
    left, top, right, bottom = SOFA_CORE
    moves = []
    if box[3] <= top:
        moves.append("the sofa is lower down (increase top and bottom)")
    elif box[1] >= bottom:
        moves.append("the sofa is higher up (decrease top and bottom)")
    if box[0] > left:
        moves.append("widen it to the left")
    if box[2] < right:
        moves.append("widen it to the right")
    if top < box[3] < bottom:
        moves.append("extend it down")
    if top < box[1] < bottom:
        moves.append("extend it up")
    return ("Move the box: " + "; ".join(moves) + ".") if moves else "Cover the whole sofa."


CANVAS, REFERENCE = "product.png", "logo.png"


@exercise("02.canvas_first", title="Order two inputs so the product photo is the one preserved",
          wrong_answer=["../sample_inputs/logo.png", "../sample_inputs/product.png"],
          giveaways=lambda: (f"{CANVAS} goes first", f"{CANVAS}, {REFERENCE}", f"{CANVAS} and {REFERENCE}",
                             f"{REFERENCE} is the reference"))
def grade_canvas_first(answer: Any) -> Result:
    if isinstance(answer, (str, bytes, os.PathLike)) or not isinstance(answer, (list, tuple)):
        return Result(False, "give a list of the two file paths, in the order you would pass them as image=[...].")
    names = [PurePath(os.fspath(item)).name if isinstance(item, (str, os.PathLike)) else repr(item)
             for item in answer]
    if sorted(names) != sorted([CANVAS, REFERENCE]):
        return Result(False, f"use exactly the two sample inputs, {', '.join(sorted([CANVAS, REFERENCE]))} "
                             f"(got {names}).")
    if names[0] != CANVAS:
        return Result(False, f"the model preserves the first image most (the canvas) and takes the others as "
                             f"references. With {names[0]} first, which picture would it keep as it is? Put the "
                             "one you are editing first.")
    return Result(True, "the product is the canvas and the logo a reference; a mask, if any, applies to the "
                        "product too.")

