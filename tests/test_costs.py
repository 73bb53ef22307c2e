"""Lesson 04's cost arithmetic, checked against the official tables and hand-worked examples."""

import dataclasses

import pytest

from helpers import pricing, registry
from helpers.wrapping import LINE_WIDTH

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

# The official per-image output prices (image generation guide, "Calculating costs", as of 2026-11-20),
# copied here independently of the registry: rows low/medium/high, columns 1024x1024, 1024x1536, 1536x1024.
OFFICIAL_PER_IMAGE = {
    "gpt-image-1-mini": ((0.005, 0.006, 0.006), (0.011, 0.015, 0.015), (0.036, 0.052, 0.052)),
    "gpt-image-1.5": ((0.009, 0.013, 0.013), (0.034, 0.05, 0.05), (0.133, 0.2, 0.2)),
    "gpt-image-2": ((0.006, 0.005, 0.005), (0.053, 0.041, 0.041), (0.211, 0.165, 0.165)),
    "gpt-image-1": ((0.011, 0.016, 0.016), (0.042, 0.063, 0.063), (0.167, 0.25, 0.25)),
}
QUALITIES = ("low", "medium", "high")
SIZES = ("1024x1024", "1024x1536", "1536x1024")
MINI = "gpt-image-1-mini"


def official_cells():
    for model, grid in OFFICIAL_PER_IMAGE.items():
        for qi, quality in enumerate(QUALITIES):
            for si, size in enumerate(SIZES):
                yield model, quality, size, grid[qi][si]


def usage(text=0, image=0, out=0, cached_text=0, cached_image=0):
    block = {"input_tokens": text + image, "input_tokens_details": {"text_tokens": text, "image_tokens": image},
             "output_tokens": out, "total_tokens": text + image + out}
    if cached_text or cached_image:
        block["cached_tokens_details"] = {"cached_text_tokens": cached_text, "cached_image_tokens": cached_image}
    return block


# --- the per-image tables ----------------------------------------------------------------------

@pytest.mark.parametrize("model,quality,size,price", list(official_cells()))
def test_per_image_estimates_match_the_official_table_to_the_cent(model, quality, size, price):
    assert round(pricing.per_image_price(model, quality, size), 3) == price
    assert round(pricing.estimate(model, quality, size).from_per_image_table, 3) == price
    assert pricing.estimate(model, quality, size, images=3).from_per_image_table == pytest.approx(3 * price)


def test_every_model_with_a_per_image_table_is_checked_above():
    with_tables = {m.snapshot_of or m.id for m in registry.image_models() if m.per_image_prices}
    assert with_tables == set(OFFICIAL_PER_IMAGE)
    for model in registry.image_models():
        if model.per_image_prices:
            assert set(model.per_image_prices.usd) == {(q, s) for q in QUALITIES for s in SIZES}


@pytest.mark.parametrize("model", ["gpt-image-1", "gpt-image-1.5"])
def test_token_table_reproduces_the_per_image_table_for_older_models(model):
    for _, quality, size, price in (c for c in official_cells() if c[0] == model):
        assert round(pricing.estimate(model, quality, size).from_token_table, 2) == round(price, 2)


def test_gpt_image_2_calculator_readings_reproduce_its_table():
    for (quality, size), _ in registry.get("gpt-image-2").output_tokens.tokens.items():
        est = pricing.estimate("gpt-image-2", quality, size)
        assert abs(est.from_token_table - est.from_per_image_table) < 0.005


def test_mini_sources_disagree_in_every_cell_and_the_table_is_always_higher():
    for _, quality, size, price in (c for c in official_cells() if c[0] == MINI):
        est = pricing.estimate(MINI, quality, size)
        assert est.sources_disagree
        assert price / est.from_token_table > 1.03
        assert est.upper == est.from_per_image_table


def test_source_comparison_table_shows_the_implied_token_counts():
    text = str(pricing.source_comparison_table(MINI))
    # 0.005 / $8 per 1M = 625 tokens, against the table's 272 (our arithmetic, labelled as such)
    assert "625" in text and "272" in text and "2.30x" in text
    assert "our arithmetic" in text


def test_models_without_tables_or_rates_read_not_found():
    per_image = str(pricing.per_image_price_table())
    for model in ("gpt-image-2.5-flare", "gpt-image-2.6-sunburst", "chatgpt-image-latest"):
        row = next(line for line in per_image.splitlines() if line.startswith(model + " "))
        assert row.count(registry.NOT_FOUND) == 3
    rates = str(pricing.token_rate_table())
    row = next(line for line in rates.splitlines() if line.startswith("chatgpt-image-latest "))
    assert row.count(registry.NOT_FOUND) == 6
    assert registry.AS_OF in rates and "[OAI]" in rates


def test_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        pricing.Table(("a", "b", "c"), (("1", "2"),))


def test_a_table_too_wide_for_the_line_wraps_its_widest_column_and_keeps_its_text():
    what = "image generation: 1 x a-model medium 1024x1024 + 2 partial(s); input: 108 text tokens at most"
    table = pricing.Table(("#", "path", "what", "expected"),
                          (("1", "/v1/images/generations", what, "$0.0068"), ("2", "/v1/responses", "short", "$0.1")),
                          ("a note " * 20,))
    printed = str(table).splitlines()
    assert len("  ".join(("1", "/v1/images/generations", what, "$0.0068"))) > LINE_WIDTH
    assert all(len(line) <= LINE_WIDTH for line in printed)
    first = next(i for i, line in enumerate(printed) if line.startswith("1 "))
    # The row's other cells stay on its first line; the wrapped cell continues under its column.
    assert printed[first].endswith("$0.0068") and printed[first + 1].startswith(" " * len("1  /v1/images/generations  "))
    assert " ".join(printed[first].split()[2:-1] + printed[first + 1].split()) == what
    assert printed[first + 2].startswith("2  /v1/responses") and printed[-2].startswith("* a note")


def test_a_table_that_fits_is_not_wrapped():
    cell = " ".join("x" * 30)
    assert str(pricing.Table(("a", "b"), (("1", cell),))).splitlines() == ["a  b", "-  " + "-" * 59, "1  " + cell]


# --- exact cost from usage ---------------------------------------------------------------------

def test_generate_usage_hand_computed():
    cost = pricing.cost_of_usage(MINI, usage(text=14, out=1056))
    assert cost.total == pytest.approx((14 * 2.00 + 1056 * 8.00) / 1e6)


def test_edit_usage_prices_image_input_tokens():
    cost = pricing.cost_of_usage(MINI, usage(text=22, image=581, out=272))
    assert cost.image_in == pytest.approx(581 * 2.50 / 1e6)
    assert cost.total == pytest.approx((22 * 2.00 + 581 * 2.50 + 272 * 8.00) / 1e6)


def test_cached_tokens_are_billed_at_cached_rates():
    block = usage(text=200, image=1000, out=272, cached_text=150, cached_image=800)
    expected = (50 * 2.00 + 150 * 0.20 + 200 * 2.50 + 800 * 0.25 + 272 * 8.00) / 1e6
    assert pricing.cost_of_usage(MINI, block).total == pytest.approx(expected)
    table = str(pricing.cost_breakdown(MINI, block))
    assert pricing.usd_fine(expected) in table


def test_breakdown_total_is_not_found_when_a_rate_is():
    table = str(pricing.cost_breakdown("chatgpt-image-latest", usage(text=10, out=100)))
    assert table.splitlines()[-2].startswith("total") and registry.NOT_FOUND in table.splitlines()[-2]


def responses_body(tool_model=None, mainline="gpt-5.5"):
    tool = {"type": "image_generation"} | ({"model": tool_model} if tool_model else {})
    return {"object": "response", "model": mainline, "tools": [tool],
            "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 40}, "output_tokens": 50},
            "tool_usage": {"image_gen": usage(text=30, image=0, out=272), "web_search": {"num_requests": 0}}}


def test_responses_tool_usage_priced_with_the_tool_model_and_mainline_not_found():
    unpriced_mainline = "gpt-5"
    assert registry.get(unpriced_mainline).token_prices is None
    bill = pricing.cost_of_response(responses_body(MINI, mainline=unpriced_mainline))
    assert bill.tool_model == MINI
    assert bill.tool.total == pytest.approx((30 * 2.00 + 272 * 8.00) / 1e6)
    assert bill.mainline is None and bill.total is None
    assert (bill.mainline_input_tokens, bill.mainline_output_tokens) == (100, 50)


def test_responses_tool_without_a_model_uses_the_sdk_default():
    bill = pricing.cost_of_response(responses_body())
    assert bill.tool_model == registry.IMAGE_TOOL_DEFAULT_MODEL
    rates = registry.get(registry.IMAGE_TOOL_DEFAULT_MODEL).token_prices
    assert bill.tool.total == pytest.approx((30 * rates.text_in + 272 * rates.image_out) / 1e6)


def test_responses_mainline_is_added_when_the_registry_prices_it(monkeypatch):
    mainline = registry.get(registry.LESSON_MAINLINE_MODEL)
    rates = registry.TokenPrices(registry.Source("test rates"), 1.0, 0.5, None, None, None, 4.0)
    monkeypatch.setitem(registry.MODELS, mainline.id, dataclasses.replace(mainline, token_prices=rates))
    bill = pricing.cost_of_response(responses_body(MINI))
    assert bill.mainline == pytest.approx((60 * 1.0 + 40 * 0.5 + 50 * 4.0) / 1e6)
    assert bill.total == pytest.approx(bill.tool.total + bill.mainline)


def test_partial_images_add_100_tokens_each_to_both_estimates():
    est = pricing.estimate(MINI, "low", "1024x1024", partial_images=2)
    assert est.output_tokens == 272 + 200
    assert est.from_token_table == pytest.approx(472 * 8.00 / 1e6)
    assert est.from_per_image_table == pytest.approx(0.005 + 200 * 8.00 / 1e6)


# --- cost per accepted image and break-even ----------------------------------------------------

def test_break_even_acceptance_hand_computed():
    # mini low square at 70% costs 0.005 / 0.7 per kept image; gpt-image-2 at 0.006 needs 0.006 * 0.7 / 0.005
    needed = pricing.break_even_acceptance(0.006, versus_cost=0.005, versus_acceptance=0.7)
    assert needed == pytest.approx(0.84)
    assert 0.006 / needed == pytest.approx(0.005 / 0.7)


def test_break_even_is_none_when_even_full_acceptance_loses():
    assert pricing.break_even_acceptance(0.053, versus_cost=0.011, versus_acceptance=0.6) is None
    assert pricing.break_even_acceptance(0.011, versus_cost=0.011, versus_acceptance=1.0) == 1.0


@pytest.mark.parametrize("kwargs", [dict(cost=0.0, versus_cost=0.01, versus_acceptance=0.5),
                                    dict(cost=0.01, versus_cost=0.01, versus_acceptance=0.0),
                                    dict(cost=0.01, versus_cost=0.01, versus_acceptance=1.5)])
def test_break_even_rejects_impossible_inputs(kwargs):
    with pytest.raises(ValueError):
        pricing.break_even_acceptance(kwargs.pop("cost"), **kwargs)


def test_break_even_table_names_never_and_not_found():
    models = pricing.comparison_models(MINI)
    text = str(pricing.break_even_table(MINI, "low", "1024x1024", 0.7, models[1:]))
    assert "above 84%" in text
    assert "never" in text  # gpt-image-1.5 at 0.009 would need 126%
    assert registry.NOT_FOUND in text  # the successors have no per-image table


def test_comparison_models_are_the_model_successors_and_priced_available_models():
    models = pricing.comparison_models(MINI)
    assert models[0] == MINI
    assert models[1:3] == list(registry.get(MINI).lifecycle.successors)
    assert "gpt-image-2" in models and "gpt-image-1.5" in models
    assert "gpt-image-1" not in models  # shut down
    assert len(models) == len(set(models)) and not any(registry.get(m).snapshot_of for m in models)


def test_accepted_cost_table_divides_by_acceptance_and_checks_rates():
    text = str(pricing.accepted_cost_table([MINI], "medium", "1024x1024", {MINI: 0.5}))
    assert pricing.usd(0.022) in text
    with pytest.raises(ValueError):
        pricing.accepted_cost_table([MINI], "medium", "1024x1024", {MINI: 0})


# --- Batch ---------------------------------------------------------------------------------------

def test_batch_halves_mini_both_ways_and_says_it_is_inferred():
    sync, batch = pricing.estimate(MINI, "medium", "1024x1024"), pricing.estimate(MINI, "medium", "1024x1024",
                                                                                 batch=True)
    assert batch.from_per_image_table == pytest.approx(sync.from_per_image_table / 2)
    assert batch.from_token_table == pytest.approx(sync.from_token_table / 2)
    assert "inferred" in pricing.batch_note(MINI)


def test_batch_discount_applies_once_to_partial_images():
    est = pricing.estimate(MINI, "low", "1024x1024", partial_images=2, batch=True)
    assert est.from_per_image_table == pytest.approx((0.005 + 200 * 8.00 / 1e6) / 2)


def test_gpt_image_2_batch_uses_its_published_batch_rates():
    est = pricing.estimate("gpt-image-2", "high", "1024x1024", batch=True)
    assert est.from_token_table == pytest.approx(7024 * 15.00 / 1e6)
    assert est.from_per_image_table == pytest.approx(0.211 / 2)
    assert "published" in pricing.batch_note("gpt-image-2")


def test_models_without_batch_get_no_batch_price():
    est = pricing.estimate("gpt-image-2.5-flare", "medium", "1024x1024", batch=True)
    assert est.from_per_image_table is None and est.from_token_table is None
    assert "not supported" in est.assumption
    assert pricing.batch_note("gpt-image-2.5-sunburst") == f"Batch support {registry.NOT_FOUND}"


def test_volume_table_at_1000_and_10000_images():
    text = str(pricing.volume_table([MINI, "gpt-image-2.5-flare"], "medium", "1024x1024", (1_000, 10_000)))
    assert "$11.00" in text and "$5.50" in text and "$110.00" in text and "$55.00" in text
    flare = [line for line in text.splitlines() if line.startswith("gpt-image-2.5-flare ")]
    assert len(flare) == 2 and all("not supported" in line and registry.NOT_FOUND in line for line in flare)


def test_usd_formats():
    assert pricing.usd_total(1234.5) == "$1,234.50"
    assert pricing.usd_fine(0.000028) == "$0.000028"
    assert pricing.usd_total(None) == pricing.usd_fine(None) == registry.NOT_FOUND
