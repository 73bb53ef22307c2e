"""Check for the playground: fix a combination the playground refuses, using its own rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Optional

from .. import playground, registry
from . import Hint, Result, Verdict, exercise


def logo_model(day: Optional[dt.date] = None) -> str:
    """The model the exercise's logo is made with on ``day`` (default the kit's day): the lessons' model when
    the playground offers it a transparent background, else the first offered model that has one (the lessons'
    model when none has), so the exercise can be solved whatever model the lessons use."""
    day = day or registry.kit_day()
    lesson = registry.lesson_image_model(day)
    offered = [model_id for _, model_id in playground.offered_models(day)]
    transparent = [m for m in offered if "transparent" in playground.options_for(m).backgrounds]
    return lesson if lesson in transparent or not transparent else transparent[0]


def starting_settings() -> playground.Settings:
    """The refused starting point: a transparent fox logo asked for as a jpeg at compression 80."""
    return playground.Settings(model=logo_model(), prompt="Draw a flat fox logo",
                               output_format="jpeg", background="transparent", compression=80)


def _fixed_texts() -> tuple[str, ...]:
    """A fixed Settings as a learner would see it printed (the two formats with alpha, compression left out)."""
    return tuple(repr(dataclasses.replace(starting_settings(), output_format=f, compression=None))
                 for f in ("png", "webp"))


@exercise("06.transparent_logo", title="Settings the playground will send for a transparent logo",
          wrong_answer=starting_settings(), giveaways=_fixed_texts,
          method=("Start from starting_settings() and change it with dataclasses.replace(...).",
                  "Pick an output_format from the formats the lesson lists as keeping transparency.",
                  "Leave compression out (None) unless the format you picked takes it; problems(...) must be empty."))
def transparent_logo(answer: Any) -> Verdict:
    """Grade an answer to 06.transparent_logo: a passing Result, or a Hint (first, then more specific)."""
    if not isinstance(answer, playground.Settings):
        return Hint("answer should be a playground.Settings.",
                    "start from starting_settings() and use dataclasses.replace(...) to change fields.")
    if answer.background != "transparent":
        return Hint("the logo needs a transparent background.", "keep background='transparent'; fix the format instead.")
    found = playground.problems(answer)
    if found:
        return Hint(f"the playground still refuses these settings ({len(found)} problem"
                    f"{'' if len(found) == 1 else 's'}): which field can a transparent logo not keep as it is?",
                    "the playground still refuses it: " + " ".join(found))
    return Result(True, f"{answer.output_format} keeps the alpha channel"
                        + (" and compression is left out." if answer.compression is None else "."))
