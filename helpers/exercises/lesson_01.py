"""Checks for lesson 01 (one-shot generation)."""

from __future__ import annotations

from typing import Any, Optional

from .. import pricing, registry
from . import TOLERANCE_NOTE, Hint, Result, Verdict, close_enough, exercise, is_number, priced_model

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
          giveaways=lambda: _money_texts(_usage_cost()), facts=True,
          method=("Take text_tokens (under input_tokens_details) and output_tokens from the usage block.",
                  "Multiply text_tokens by token_prices.text_in and output_tokens by token_prices.image_out "
                  "(both are dollars per 1M tokens; partial images are already in output_tokens).",
                  "Add the two products and divide by 1,000,000, as the hand-priced cell above does."))
def grade_usage_cost(answer: Any) -> Verdict:
    """Grade an answer to 01.usage_cost: a passing Result, or a Hint (first, then more specific)."""
    expected = _usage_cost()
    rates = registry.get(_model()).token_prices
    if expected is None or rates is None or rates.text_in is None or rates.image_out is None:
        return Hint(f"the registry has no token rates for {_model()}; this exercise needs them.",
                    f"the registry has no token rates for {_model()} ({registry.NOT_FOUND}); it cannot be checked.")
    if not is_number(answer):
        return Hint("answer should be a number of US dollars (a float).",
                    "compute it with Python arithmetic in the cell and assign the number itself to answer.")
    if close_enough(answer, expected):
        return Result(True, f"{pricing.usd(expected)} (exactly {expected:.6f}; {TOLERANCE_NOTE}): text input "
                            "tokens at the text rate plus image output tokens (partial images included) at the "
                            "image output rate.")
    text, output = USAGE["input_tokens_details"]["text_tokens"], USAGE["output_tokens"]
    # Each wrong turn a learner can take: (the mistake's figure, targeted hint, more specific hint).
    steps = [
        (expected * 1_000_000, "that is far too large: look at the unit of the rates.",
         "the rates are dollars per million tokens, so divide the sum by 1,000,000."),
        (output * rates.image_out / 1_000_000, "part of the bill is missing: the prompt's tokens cost too.",
         "you priced only the image output; add the text_tokens at token_prices.text_in."),
        (text * rates.text_in / 1_000_000, "most of the bill is missing: what did the model send back?",
         "you priced only the text input; add output_tokens at token_prices.image_out (partial images are "
         "already counted in it)."),
        (USAGE["total_tokens"] * rates.image_out / 1_000_000,
         "total_tokens mixes two kinds of tokens that have different rates.",
         "price text_tokens at token_prices.text_in and output_tokens at token_prices.image_out, separately."),
        (pricing.per_image_price(_model(), "medium", SIZE),
         "that is the per-image table price, not the price of this usage block.",
         "price the usage block instead: its tokens times the registry's per-million rates."),
    ]
    for mistake, first, second in steps:
        if mistake is not None and close_enough(answer, mistake):
            return Hint(first, second)
    return Hint("not yet the cost of this usage block: compare your arithmetic with the usage priced by hand "
                "earlier in this lesson.",
                f"price each kind of token at its own rate from the table printed above ({TOLERANCE_NOTE}).")


def affordable_quality() -> str | None:
    """The highest quality whose larger estimate (of the two official sources) fits the budget."""
    fitting = [q for q in QUALITIES
               if (cost := pricing.estimate(priced_model(), q, SIZE, images=IMAGES).upper) is not None
               and cost <= BUDGET_USD]
    return fitting[-1] if fitting else None


@exercise("01.afford", title="The best quality a budget affords by both price sources", wrong_answer="high",
          giveaways=lambda: (str(affordable_quality()),), facts=True,
          method=("For each quality in lesson_01.QUALITIES, compute pricing.estimate(priced_model(), quality, "
                  "SIZE, images=IMAGES).upper, as the estimate cell above does for one quality.",
                  "Keep the qualities whose figure is at most BUDGET_USD.",
                  "Answer the highest of them."))
def grade_afford(answer: Any) -> Verdict:
    """Grade an answer to 01.afford: a passing Result, or a Hint (first, then more specific)."""
    expected = affordable_quality()
    if answer == expected:
        return Result(True, f"{expected}: the larger of the two estimates fits, so the budget holds whichever "
                            "source turns out right.")
    if answer not in QUALITIES:
        return Hint("answer with a quality name, as a string.",
                    "one of lesson_01.QUALITIES, spelt as printed.")
    over = pricing.estimate(priced_model(), answer, SIZE, images=IMAGES).upper
    if over is not None and over > BUDGET_USD:
        return Hint(f"{IMAGES} images at {answer} cost more than the budget by the larger estimate: try a lower one.",
                    f"compare pricing.estimate(priced_model(), {answer!r}, SIZE, images=IMAGES).upper with "
                    "BUDGET_USD, then do the same for the next quality down.")
    return Hint(f"{answer} fits, but a better quality fits too.",
                "check the next quality up the same way: its .upper estimate against BUDGET_USD.")
