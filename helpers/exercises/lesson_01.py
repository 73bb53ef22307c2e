"""Checks for lesson 01 (one-shot generation)."""

from __future__ import annotations

import math
from typing import Any

from .. import pricing, registry
from . import Result, exercise

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


@exercise("01.usage_cost", title="Price this usage block with the registry's token rates",
          wrong_answer=pricing.per_image_price(registry.LESSON_IMAGE_MODEL, "medium", SIZE))
def grade_usage_cost(answer: Any) -> Result:
    expected = pricing.cost_of_usage(_model(), USAGE).total
    if expected is None:
        return Result(False, f"the registry has no token rates for {_model()}; this exercise needs them.")
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        return Result(False, "answer should be a number of US dollars, e.g. 0.0123.")
    if math.isclose(answer, expected, rel_tol=1e-6):
        return Result(True, f"{pricing.usd(expected)}: text input tokens at the text rate plus image output "
                            "tokens (partial images included) at the image output rate.")
    table = pricing.per_image_price(_model(), "medium", SIZE)
    if table is not None and math.isclose(answer, table, rel_tol=1e-6):
        return Result(False, "that is the per-image table price. Price the usage block instead: tokens times the "
                             "registry's per-million rates.")
    return Result(False, "multiply text_tokens by token_prices.text_in and output_tokens by token_prices.image_out, "
                         "add them, and divide by 1,000,000. The output count already includes the partial images.")


def affordable_quality() -> str | None:
    """The highest quality whose larger estimate (of the two official sources) fits the budget."""
    fitting = [q for q in QUALITIES
               if (cost := pricing.estimate(_model(), q, SIZE, images=IMAGES).upper) is not None and cost <= BUDGET_USD]
    return fitting[-1] if fitting else None


@exercise("01.afford", title="The best quality a budget affords by both price sources", wrong_answer="high")
def grade_afford(answer: Any) -> Result:
    expected = affordable_quality()
    if answer == expected:
        return Result(True, f"{expected}: the larger of the two estimates fits, so the budget holds whichever "
                            "source turns out right.")
    if answer not in QUALITIES:
        return Result(False, f"answer with one of {', '.join(QUALITIES)}.")
    return Result(False, f"compare pricing.estimate(MODEL, q, SIZE, images={IMAGES}).upper (the larger of the two "
                         "sources) with the budget for each quality, and keep the best one that fits.")
