"""Checks for lesson 01 (one-shot generation)."""

from __future__ import annotations

from typing import Any, Optional

from .. import pricing, registry
from . import TOLERANCE_NOTE, Result, close_enough, exercise, is_number, priced_model

# A usage block as a streamed medium 1024x1024 request with two partial images reports it.
USAGE = {"input_tokens": 31, "input_tokens_details": {"image_tokens": 0, "text_tokens": 31},
         "output_tokens": 1256, "total_tokens": 1287}

# A workshop budget for a batch of square images (a budget, not a price).
BUDGET_USD = 0.25
IMAGES = 20
SIZE = "1024x1024"
QUALITIES = ("low", "medium", "high")


def _model() -> str:
    return registry.lesson_image_model()


def _usage_cost() -> Optional[float]:
    return pricing.cost_of_usage(_model(), USAGE).total


def _money_texts(value: Optional[float]) -> tuple[str, ...]:
    """How a dollar figure may be written out: the kit's usd() and plain decimals."""
    if value is None:
        return ()
    return (pricing.usd(value), f"{value:.4f}", f"{value:.3g}", repr(value))


@exercise("01.usage_cost", title="Price this usage block with the registry's token rates",
          wrong_answer=0.0,  # no usage with tokens in it is free
          giveaways=lambda: _money_texts(_usage_cost()))
def grade_usage_cost(answer: Any) -> Result:
    expected = _usage_cost()
    rates = registry.get(_model()).token_prices
    if expected is None or rates is None or rates.text_in is None or rates.image_out is None:
        return Result(False, f"the registry has no token rates for {_model()}; this exercise needs them.")
    if not is_number(answer):
        return Result(False, "answer should be a number of US dollars, e.g. 0.0123.")
    if close_enough(answer, expected):
        return Result(True, f"{pricing.usd(expected)} (exactly {expected:.6f}; {TOLERANCE_NOTE}): text input "
                            "tokens at the text rate plus image output tokens (partial images included) at the "
                            "image output rate.")
    text, output = USAGE["input_tokens_details"]["text_tokens"], USAGE["output_tokens"]
    # Each wrong turn a learner can take, and the step it points at.
    steps = [
        (expected * 1_000_000, "step 3: the rates are dollars per million tokens, so divide the sum by 1,000,000."),
        (output * rates.image_out / 1_000_000, "step 1: you priced only the image output tokens; add the "
                                               "text_tokens at token_prices.text_in."),
        (text * rates.text_in / 1_000_000, "step 2: you priced only the text input; add output_tokens at "
                                           "token_prices.image_out (partial images are already counted in it)."),
        (USAGE["total_tokens"] * rates.image_out / 1_000_000,
         "step 1: total_tokens mixes text and image tokens, which have different rates; price text_tokens at "
         "token_prices.text_in and output_tokens at token_prices.image_out."),
        (pricing.per_image_price(_model(), "medium", SIZE),
         "that is the per-image table price. Price the usage block instead: tokens times the registry's "
         "per-million rates."),
    ]
    for mistake, hint in steps:
        if mistake is not None and close_enough(answer, mistake):
            return Result(False, hint)
    return Result(False, "multiply text_tokens by token_prices.text_in and output_tokens by token_prices.image_out, "
                         f"add them, and divide by 1,000,000 ({TOLERANCE_NOTE}). The output count already includes "
                         "the partial images.")


def affordable_quality() -> str | None:
    """The highest quality whose larger estimate (of the two official sources) fits the budget."""
    fitting = [q for q in QUALITIES
               if (cost := pricing.estimate(priced_model(), q, SIZE, images=IMAGES).upper) is not None
               and cost <= BUDGET_USD]
    return fitting[-1] if fitting else None


@exercise("01.afford", title="The best quality a budget affords by both price sources", wrong_answer="high",
          giveaways=lambda: (str(affordable_quality()),))
def grade_afford(answer: Any) -> Result:
    expected = affordable_quality()
    if answer == expected:
        return Result(True, f"{expected}: the larger of the two estimates fits, so the budget holds whichever "
                            "source turns out right.")
    if answer not in QUALITIES:
        return Result(False, "answer with a quality name as a string, one of lesson_01.QUALITIES.")
    over = pricing.estimate(priced_model(), answer, SIZE, images=IMAGES).upper
    if over is not None and over > BUDGET_USD:
        return Result(False, f"{IMAGES} images at {answer} cost more than the budget by the larger estimate "
                             f"(pricing.estimate({priced_model()!r}, {answer!r}, SIZE, images={IMAGES}).upper): "
                             "try a lower one.")
    return Result(False, f"{answer} fits, but a better quality fits too: check each quality's "
                         f"pricing.estimate({priced_model()!r}, q, SIZE, images={IMAGES}).upper against the budget.")
