"""Check for lesson 07 (migration): make a DALL·E-era call one that the lessons' model takes.

What the model takes is read from the registry through ``migration.plan``, so the check follows the
facts; the hints name the parameter that still needs work, never its new value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import migration, registry
from . import Hint, Result, Verdict, exercise

# A DALL·E 3 call as such code was written before 2026-05-12 (the lesson's fourth example, upright).
OLD_CALL = dict(model="dall-e-3", prompt="Draw a tall poster of a lighthouse at night, flat illustration",
                size="1024x1792", quality="standard", style="natural", response_format="url", n=1)


def _model() -> str:
    return registry.lesson_image_model()


def _plan(answer: Mapping[str, Any]) -> migration.Migration:
    return migration.plan(answer, day=registry.kit_day(), target=_model())


def _fixed_texts() -> tuple[str, ...]:
    """The fixed call as a learner would read it: the whole dict, and each changed keyword line."""
    fixed = _plan(OLD_CALL)
    return (repr(fixed.call_after), *(f"{c.what}={c.after}" for c in fixed.edits if c.kind == migration.CALL))


@exercise("07.fix_call", title="The DALL·E 3 call, fixed for the lessons' model",
          wrong_answer=dict(OLD_CALL, model=_model()), giveaways=_fixed_texts, facts=True,
          method=("Start from dict(lesson_07.OLD_CALL) and set model to MODEL; keep the prompt as it is.",
                  "Run migration.plan on your dict, as the lesson's cells do, and make each change it lists.",
                  "Keep a quality and an upright WIDTHxHEIGHT size that the plan accepts."))
def fix_call(answer: Any) -> Verdict:
    """Grade an answer to 07.fix_call: a passing Result, or a Hint (first, then more specific)."""
    if not isinstance(answer, Mapping):
        return Hint("answer should be a dict of the call's keyword arguments.",
                    "start from dict(lesson_07.OLD_CALL) and change what the lessons' model does not take.")
    if answer.get("model") != _model():
        return Hint("the call still names a model that no longer answers.",
                    "the call must name the lessons' model, MODEL.")
    if answer.get("prompt") != OLD_CALL["prompt"]:
        return Hint("the prompt changed.", "keep the prompt exactly as it was; only the parameters change.")
    plan = _plan(answer)
    if plan.edits:
        first = plan.edits[0]
        left = len(plan.edits)
        return Hint(f"{left} change{'' if left == 1 else 's'} to go; the next is {first.what}.",
                    f"{first.what}: {first.before} still needs a change for {_model()} (the plans above show the "
                    "same kinds).")
    size = registry.parse_size(answer.get("size"))
    if "quality" not in answer or size is None:
        return Hint("the call should say what it pays for and what shape it wants.",
                    "keep quality and a WIDTHxHEIGHT size in the call, with values the model takes.")
    if size[1] <= size[0]:
        return Hint("the poster is no longer upright.", "keep the picture taller than wide, as 1024x1792 was.")
    return Result(True, f"{_model()} takes every keyword of this call; the image comes back in "
                        ".data[0].b64_json, so read that instead of .url.")
