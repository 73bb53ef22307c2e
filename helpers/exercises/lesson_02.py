"""Checks for lesson 02 (edits: masks and the order of input images)."""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any

from PIL import Image

from .. import imaging
from ..edits import rectangle_mask
from . import Hint, Result, Verdict, exercise

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


def _as_mask(answer: Any) -> Any:
    """A (left, top, right, bottom) box becomes its rectangle mask; anything else is returned unchanged."""
    if isinstance(answer, (tuple, list)) and len(answer) == 4 and all(isinstance(v, int) for v in answer):
        left, top, right, bottom = answer
        if left < right and top < bottom:
            return rectangle_mask(ROOM_SIZE, tuple(answer))
    return answer


@exercise("02.sofa_mask", title="Give a box (or a mask) whose edit area is the sofa in room.png",
          wrong_answer=(96, 150, 456, 500), giveaways=_sofa_texts,
          method=("On the grid over room.png, find the sofa's leftmost and rightmost x and its highest and "
                  "lowest y, legs included (x grows to the right, y downwards from the top-left corner).",
                  "Give (left, top, right, bottom) a little outside those lines, so the outline is inside.",
                  "Look at your mask next to the room (side_by_side) before checking again."))
def grade_sofa_mask(answer: Any) -> Verdict:
    """Grade an answer to 02.sofa_mask: a passing Result, or a Hint (first, then more specific)."""
    if isinstance(answer, (tuple, list)) and len(answer) == 4 and all(isinstance(v, int) for v in answer):
        left, top, right, bottom = answer
        if not (left < right and top < bottom):
            return Hint("left must be less than right, and top less than bottom.",
                        "x grows to the right and y grows downwards from the top-left corner, (0, 0).")
    answer = _as_mask(answer)
    if not isinstance(answer, (bytes, bytearray)):
        return Hint("give the box as (left, top, right, bottom): four whole numbers of pixels.",
                    "read the four numbers off the grid over room.png above: left and right on the x axis, "
                    "top and bottom on the y axis.")
    try:
        mask = imaging.decode_image(bytes(answer))
    except ValueError:
        return Hint("those bytes are not an image.", "give a box instead, or PNG bytes from rectangle_mask(size, box).")
    if mask.format != "PNG" or not imaging.has_alpha(mask):
        return Hint("a mask is a PNG with an alpha channel: the API reads only transparency.",
                    "build it with rectangle_mask or with Pillow in mode RGBA, saved as PNG.")
    if mask.size != ROOM_SIZE:
        return Hint(f"the mask is {mask.size[0]}x{mask.size[1]}; it must be the size of room.png.",
                    f"room.png is {ROOM_SIZE[0]}x{ROOM_SIZE[1]}: make the mask exactly that size.")
    area = _edit_area(mask)
    if area.getbbox() is None:
        return Hint("nothing in this mask is fully transparent, so it marks nothing to edit.",
                    "the edit area is where alpha is 0.")
    core = _share_covered(area, SOFA_CORE)
    beyond = (area.histogram()[255] - area.crop(SOFA_WITH_MARGIN).histogram()[255]) / (ROOM_SIZE[0] * ROOM_SIZE[1])
    if core < 0.05 and beyond > 0.5:
        return Hint("the mask looks inverted: most of the room is marked, and not the sofa.",
                    "alpha 0 (transparent) marks the area to EDIT, so the sofa must be the transparent part.")
    if core < MIN_CORE_COVERED:
        return Hint(f"the edit area covers {core:.0%} of the sofa ({MIN_CORE_COVERED:.0%} needed).",
                    _which_way(area) + " Compare your mask with the grid over room.png.")
    if beyond > MAX_SHARE_BEYOND_MARGIN:
        return Hint("the sofa is covered, but too much around it is marked too.",
                    f"{beyond:.0%} of the image outside the sofa is marked: bring the edges closer to the sofa so "
                    "the window, lamp and rug stay as they are.")
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
                             f"{REFERENCE} is the reference"),
          method=("Decide which picture you are editing: that one is the canvas.",
                  "Put the canvas first in the list and the reference images after it."))
def grade_canvas_first(answer: Any) -> Verdict:
    """Grade an answer to 02.canvas_first: a passing Result, or a Hint (first, then more specific)."""
    if isinstance(answer, (str, bytes, os.PathLike)) or not isinstance(answer, (list, tuple)):
        return Hint("give a list of the two file paths.",
                    "a list in the order you would pass them as image=[...], using the names defined above.")
    names = [PurePath(os.fspath(item)).name if isinstance(item, (str, os.PathLike)) else repr(item)
             for item in answer]
    if sorted(names) != sorted([CANVAS, REFERENCE]):
        return Hint(f"use exactly the two sample inputs (got {names}).",
                    f"the list holds {', '.join(sorted([CANVAS, REFERENCE]))}, each once.")
    if names[0] != CANVAS:
        return Hint(f"with {names[0]} first, which picture would the model keep as it is?",
                    "the model preserves the first image most (the canvas) and takes the others as references.")
    return Result(True, "the product is the canvas and the logo a reference; a mask, if any, applies to the "
                        "product too.")
