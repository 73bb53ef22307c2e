import pytest

from helpers import pricing, registry


def test_cost_of_usage_hand_computed_for_mini():
    usage = {"input_tokens": 50, "input_tokens_details": {"text_tokens": 50, "image_tokens": 0},
             "output_tokens": 1056, "total_tokens": 1106}
    cost = pricing.cost_of_usage("gpt-image-1-mini", usage)
    # 50 text tokens at $2.00/M + 1056 image output tokens at $8.00/M
    assert cost.total == pytest.approx(0.0001 + 0.008448)


def test_cost_of_usage_counts_cached_tool_tokens_at_cached_rates():
    image_gen = {"input_tokens": 1000, "input_tokens_details": {"text_tokens": 200, "image_tokens": 800},
                 "cached_tokens_details": {"cached_text_tokens": 100, "cached_image_tokens": 400},
                 "output_tokens": 272, "total_tokens": 1272}
    cost = pricing.cost_of_usage("gpt-image-1-mini", image_gen)
    expected = 100 * 2.00 + 400 * 2.50 + 100 * 0.20 + 400 * 0.25 + 272 * 8.00
    assert cost.total == pytest.approx(expected / 1e6)


def test_unpriced_models_have_no_total():
    usage = {"input_tokens": 1, "input_tokens_details": {"text_tokens": 1, "image_tokens": 0},
             "output_tokens": 10, "total_tokens": 11}
    assert pricing.cost_of_usage("chatgpt-image-latest", usage).total is None


def test_mini_estimate_keeps_both_official_sources_and_flags_the_gap():
    est = pricing.estimate("gpt-image-1-mini", "low", "1024x1024")
    assert est.output_tokens == 272
    assert est.from_token_table == pytest.approx(272 * 8.0 / 1e6)
    assert est.from_per_image_table == 0.005
    assert est.sources_disagree and est.upper == 0.005


def test_partial_images_add_100_output_tokens_each():
    assert pricing.output_tokens("gpt-image-1-mini", "medium", "1024x1024", partial_images=2) == 1056 + 200


def test_token_table_matches_per_image_prices_to_the_cent_for_gpt_image_1_and_1_5():
    for model in ("gpt-image-1", "gpt-image-1.5"):
        for (quality, size), price in registry.get(model).per_image_prices.usd.items():
            assert round(pricing.estimate(model, quality, size).from_token_table, 2) == round(price, 2)


def test_cost_per_accepted_image():
    assert pricing.cost_per_accepted_image(0.011, 0.5) == pytest.approx(0.022)
    with pytest.raises(ValueError):
        pricing.cost_per_accepted_image(0.011, 0)
