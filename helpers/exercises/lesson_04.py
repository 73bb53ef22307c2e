"""Checks for lesson 04 (costs). The numbers come from the registry, so the checks follow it."""

from __future__ import annotations

from typing import Any, Optional

from .. import pricing, registry
from . import TOLERANCE_NOTE, Result, close_enough, exercise, is_number, priced_model

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
          wrong_answer=_per_attempt() or 0.0, giveaways=_accepted_texts)
def accepted_cost(answer: Any) -> Result:
    model = priced_model()
    price = _per_attempt()
    if price is None:
        return Result(False, f"no served model has a per-image table in the registry ({registry.NOT_FOUND}); "
                             "this exercise cannot be checked.")
    expected = price / ACCEPTED_SHARE
    if close_enough(answer, expected):
        return Result(True, f"{pricing.usd(expected)} per kept image: {pricing.usd(price)} per attempt / "
                            f"{ACCEPTED_SHARE:.0%} ({TOLERANCE_NOTE}).")
    if answer is None:
        return Result(False, f"answer is still None: take the per-image price of {model} at medium quality, "
                             "1024x1024 (exercises.priced_model()), and divide it by the share of attempts you keep.")
    if not is_number(answer):
        return Result(False, f"give a number of US dollars (a float), not {type(answer).__name__}.")
    tokens = pricing.estimate(model, QUALITY, SIZE).from_token_table
    if close_enough(answer, price):
        return Result(False, "that is the cost of one attempt. Only 60% of attempts are kept: divide by 0.6.")
    if close_enough(answer, price * ACCEPTED_SHARE):
        return Result(False, "you multiplied by the acceptance rate; each kept image needs 1 / 0.6 attempts, "
                             "so divide instead.")
    if close_enough(answer, price / (1 - ACCEPTED_SHARE)):
        return Result(False, "you divided by the rejection rate (40%); divide by the acceptance rate (60%).")
    if tokens is not None and close_enough(answer, tokens / ACCEPTED_SHARE):
        return Result(False, "right method, other source: that is the token-table figure. This exercise asks "
                             "for the per-image table (pricing.per_image_price).")
    return Result(False, f"step 1: pricing.per_image_price({model!r}, 'medium', '1024x1024'); step 2: divide by the "
                         f"acceptance rate, pricing.cost_per_accepted_image(price, 0.6) ({TOLERANCE_NOTE}).")


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


def _tempting() -> str:
    """The served model cheapest per attempt, whether or not it lasts as long as the lessons' model: the
    answer a learner reaches by comparing prices alone (today mini on its own track)."""
    day = registry.kit_day()
    prices = {m: pricing.per_image_price(m, QUALITY, SIZE) for m in pricing.listed_models()
              if registry.get(m).served_on(day)}
    return min((m for m in prices if prices[m] is not None), key=prices.get)


def _best() -> str:
    costs = _candidates()
    return min(costs, key=costs.get)


@exercise("04.cheaper_model", title="Which model is cheapest per accepted image?",
          wrong_answer=_tempting(), giveaways=lambda: (_best(),))
def cheaper_model(answer: Any) -> Result:
    costs = _candidates()
    best = min(costs, key=costs.get)
    if answer == best:
        life = registry.get(best).lifecycle
        caveat = (f" Mind its lifecycle: {registry.on(best, registry.kit_day()).status}, shutdown {life.shutdown_date}."
                  if life.shutdown_date else "")
        return Result(True, f"{best} at {pricing.usd(costs[best])} per kept image.{caveat}")
    if answer is None:
        return Result(False, "answer is still None: compute per attempt / acceptance for every model with a "
                             "per-image table, then take the smallest.")
    if not isinstance(answer, str):
        return Result(False, f"give the model id as a string, not {type(answer).__name__}.")
    if answer not in registry.MODELS:
        return Result(False, f"{answer!r} is not a model id in the registry; use the ids printed above.")
    if answer not in costs and pricing.per_image_price(answer, QUALITY, SIZE) is not None:
        return Result(False, f"{answer} is {registry.on(answer, registry.kit_day()).status_line()}: it does not "
                             "last as long as the lessons' model, so it is no model to move to. Compare the "
                             "models pricing.comparison_models(MODEL) lists.")
    if answer not in costs:
        return Result(False, f"{answer} has no per-image table ({registry.NOT_FOUND}), so it cannot be compared "
                             "here: pick among the models with a price.")
    if answer == _cheapest_per_attempt():
        return Result(False, f"{answer} is the cheapest per attempt, but at "
                             f"{LESSON_MODEL_ACCEPTANCE:.0%} acceptance you pay for about "
                             f"{1 / LESSON_MODEL_ACCEPTANCE:.0f} attempts per kept image. Divide each price by its "
                             "acceptance rate.")
    return Result(False, f"{answer} costs {pricing.usd(costs[answer])} per kept image; another model costs less.")
