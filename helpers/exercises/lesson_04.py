"""Checks for lesson 04 (costs). The numbers come from the registry, so the checks follow it."""

from __future__ import annotations

from typing import Any, Optional

from .. import pricing, registry
from . import TOLERANCE_NOTE, Hint, Result, Verdict, close_enough, exercise, is_number, priced_model

QUALITY, SIZE = "medium", "1024x1024"
ACCEPTED_SHARE = 0.6
LESSON_MODEL_ACCEPTANCE, OTHER_ACCEPTANCE = 0.25, 0.9


def _per_attempt() -> Optional[float]:
    return pricing.per_image_price(priced_model(), QUALITY, SIZE)


def _accepted_texts() -> tuple[str, ...]:
    price = _per_attempt()
    if price is None:
        return ()
    value = price / ACCEPTED_SHARE
    return (pricing.usd(value), f"{value:.4f}", f"{value:.3g}", repr(value))


@exercise("04.accepted_cost", title="Cost per accepted image at 60% acceptance",
          wrong_answer=_per_attempt() or 0.0, giveaways=_accepted_texts, facts=True,
          method=("Take the per-image price of the printed model at medium quality, 1024x1024: "
                  "pricing.per_image_price(model, 'medium', '1024x1024').",
                  "Each kept image needs 1 / 0.6 attempts: divide the price by the acceptance rate, as "
                  "pricing.cost_per_accepted_image(price, 0.6) does."))
def accepted_cost(answer: Any) -> Verdict:
    """Grade an answer to 04.accepted_cost: a passing Result, or a Hint (first, then more specific)."""
    model = priced_model()
    price = _per_attempt()
    if price is None:
        return Hint(f"no served model has a per-image table in the registry ({registry.NOT_FOUND}).",
                    "this exercise cannot be checked until the registry has a per-image table.")
    expected = price / ACCEPTED_SHARE
    if close_enough(answer, expected):
        return Result(True, f"{pricing.usd(expected)} per kept image: {pricing.usd(price)} per attempt / "
                            f"{ACCEPTED_SHARE:.0%} ({TOLERANCE_NOTE}).")
    if not is_number(answer):
        return Hint(f"give a number of US dollars (a float), not {type(answer).__name__}.",
                    "compute it with Python in the cell and assign the number itself to answer.")
    tokens = pricing.estimate(model, QUALITY, SIZE).from_token_table
    if close_enough(answer, price):
        return Hint("that is the cost of one attempt, and not every attempt is kept.",
                    "only 60% of attempts are kept: how many attempts does one kept image take?")
    if close_enough(answer, price * ACCEPTED_SHARE):
        return Hint("a kept image cannot cost less than an attempt.",
                    "you multiplied by the acceptance rate; each kept image needs 1 / 0.6 attempts, so divide.")
    if close_enough(answer, price / (1 - ACCEPTED_SHARE)):
        return Hint("you used the share of attempts that are thrown away.",
                    "divide by the acceptance rate (60%), not the rejection rate (40%).")
    if tokens is not None and close_enough(answer, tokens / ACCEPTED_SHARE):
        return Hint("right method, other source: that is the token-table figure.",
                    "this exercise asks for the per-image table (pricing.per_image_price).")
    return Hint("not yet: start from the price of one attempt in the per-image table.",
                f"the per-image price of {model} at medium 1024x1024, then the acceptance rate ({TOLERANCE_NOTE}).")


def _candidates() -> dict[str, float]:
    """Cost per accepted image of each comparison model that has a per-image table."""
    model = registry.lesson_image_model()
    out = {}
    for candidate in pricing.comparison_models(model):
        price = pricing.per_image_price(candidate, QUALITY, SIZE)
        if price is not None:
            share = LESSON_MODEL_ACCEPTANCE if candidate == model else OTHER_ACCEPTANCE
            out[candidate] = pricing.cost_per_accepted_image(price, share)
    return out


def _cheapest_per_attempt() -> str:
    prices = {m: pricing.per_image_price(m, QUALITY, SIZE) for m in _candidates()}
    return min(prices, key=prices.get)


def _best() -> str:
    costs = _candidates()
    return min(costs, key=costs.get)


@exercise("04.cheaper_model", title="Which model is cheapest per accepted image?",
          wrong_answer=registry.lesson_image_model(), giveaways=lambda: (_best(),), facts=True,
          method=("For every model pricing.comparison_models(MODEL) lists, take its per-image price at medium "
                  "1024x1024 (skip the ones with none).",
                  "Divide each by its acceptance rate: 25% for MODEL, 90% for the others "
                  "(pricing.cost_per_accepted_image).",
                  "Answer the id with the smallest figure."))
def cheaper_model(answer: Any) -> Verdict:
    """Grade an answer to 04.cheaper_model: a passing Result, or a Hint (first, then more specific)."""
    costs = _candidates()
    best = min(costs, key=costs.get)
    if answer == best:
        life = registry.get(best).lifecycle
        caveat = (f" Mind its lifecycle: {registry.on(best, registry.kit_day()).status}, shutdown {life.shutdown_date}."
                  if life.shutdown_date else "")
        return Result(True, f"{best} at {pricing.usd(costs[best])} per kept image.{caveat}")
    if not isinstance(answer, str):
        return Hint(f"give the model id as a string, not {type(answer).__name__}.",
                    "copy an id exactly as the tables above print it.")
    if answer not in registry.MODELS:
        return Hint(f"{answer!r} is not a model id in the registry.", "use the ids printed in the tables above.")
    if answer not in costs and pricing.per_image_price(answer, QUALITY, SIZE) is not None:
        return Hint(f"{answer} is {registry.on(answer, registry.kit_day()).status_line()}: no model to move to.",
                    "compare only the models pricing.comparison_models(MODEL) lists.")
    if answer not in costs:
        return Hint(f"{answer} has no per-image table ({registry.NOT_FOUND}), so it cannot be compared here.",
                    "pick among the models that have a per-image price at medium 1024x1024.")
    if answer == _cheapest_per_attempt():
        return Hint(f"{answer} is the cheapest per attempt, but not every attempt is kept.",
                    f"at {LESSON_MODEL_ACCEPTANCE:.0%} acceptance you pay for about "
                    f"{1 / LESSON_MODEL_ACCEPTANCE:.0f} attempts per kept image: divide each price by its "
                    "acceptance rate.")
    return Hint(f"{answer} costs {pricing.usd(costs[answer])} per kept image; another model costs less.",
                "work out the cost per kept image of each listed model, not only this one.")
