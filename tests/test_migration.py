"""migration.plan: the kit's March-2026 mini examples and a DALL·E call, moved to today's models.

Facts (which model follows which, what a model accepts, prices) are read from the registry in the
assertions, so these tests hold when the facts are updated; the shape of each plan is asserted exactly.
"""

import dataclasses
import datetime as dt
import re
from pathlib import Path

import openai
import pytest

from helpers import migration, pricing, registry
from helpers.migration import BATCH, CALL, CHECK, NOT_SENT, PRICE, RESULT
from helpers.wrapping import LINE_WIDTH

DAY = dt.date(2026, 12, 2)  # the day after gpt-image-1-mini, gpt-image-1.5 and chatgpt-image-latest shut down
MINI = "gpt-image-1-mini"
PRODUCT = Path(__file__).resolve().parent.parent / "sample_inputs" / "product.png"
SDK_TYPES = Path(openai.__file__).parent / "types"
TAGS = {"[OAI]", "[SDK]", "[3P]", "[derived]", "[registry]"}

# The kit's original examples, as written in March 2026.
MINI_GENERATE = dict(model=MINI, prompt="...", size="1024x1024", quality="medium", output_format="jpeg",
                     output_compression=80)
MINI_TOOL = {"type": "image_generation", "model": MINI, "quality": "medium", "size": "1024x1024"}
MINI_RESPONSES = dict(model="gpt-5.5", input="...", tools=[MINI_TOOL])
MINI_FOLLOW_UP = dict(model="gpt-5.5", previous_response_id="resp_first", input="...", tools=[MINI_TOOL])
DALLE_3 = dict(model="dall-e-3", prompt="...", size="1792x1024", quality="hd", style="vivid",
               response_format="url", n=1)


@pytest.fixture
def mini_edit():
    with open(PRODUCT, "rb") as product:
        yield dict(model=MINI, image=[product], prompt="...", input_fidelity="high", size="1024x1024",
                   quality="medium")


def successor_of(model_id: str) -> str:
    """What the plan should move to by default: the registry's served successor, else the lessons' model."""
    return registry.on(model_id, DAY).successor or registry.lesson_image_model(DAY, env={})


def caps(model_id: str) -> registry.Capabilities:
    return registry.get(model_id).capabilities


def whats(changes) -> list[str]:
    return [c.what for c in changes]


def check_model_change(plan: migration.Migration, what: str, old: str, new: str) -> None:
    change = plan.change(what)
    assert (change.before, change.after, change.kind) == (f'"{old}"', f'"{new}"', CALL)
    assert change.source == registry.get(old).lifecycle.source
    assert registry.get(old).lifecycle.shutdown_date in change.why


def check_batch_and_price(plan: migration.Migration, old: str, new: str, quality: str, size: str,
                          new_quality: str, new_size: str) -> None:
    was, now = caps(old), caps(new)
    batch = plan.change("Batch")
    if was is not None and now is not None and was.batch == now.batch and was.batch is not None:
        assert batch is None
    else:
        was_text = f"{registry.fmt(was.batch)} {was.source_of('batch').tag}" if was else registry.NOT_FOUND
        assert batch.kind == BATCH and batch.before.startswith(was_text)
        assert batch.after == f"{registry.fmt(now.batch)} {now.source_of('batch').tag}"
        assert batch.source == now.source_of("batch")
        if was is not None:
            assert batch.before_source == was.source_of("batch")
    price = plan.change("price per image")
    assert price.kind == PRICE and plan.changes[-1] == price
    for model_id, q, s, text, source, est in ((old, quality, size, price.before, price.before_source,
                                               plan.price_before),
                                              (new, new_quality, new_size, price.after, price.source,
                                               plan.price_after)):
        table = pricing.per_image_price(model_id, q, s)
        assert est.from_per_image_table == table
        tokens = pricing.estimate(model_id, q, s).from_token_table
        if table is None and tokens is None:
            assert text == registry.NOT_FOUND and source.tag == "[registry]"
        if table is not None:
            assert pricing.usd(table) in text and source == registry.get(model_id).per_image_prices.source
        if tokens is not None:
            assert pricing.usd(tokens) in text


def check_every_change_is_sourced_and_printable(plan: migration.Migration) -> None:
    for change in plan.changes:
        assert isinstance(change.source, registry.Source) and change.source.tag in TAGS, change
        assert change.kind in migration.KINDS and change.why
    for text in (str(plan), plan.side_by_side(), plan.diff()):
        long = [line for line in text.splitlines() if len(line) > LINE_WIDTH]
        assert not long, long


# --- the three mini examples --------------------------------------------------------------------

def test_the_mini_generate_example_changes_only_its_model():
    target = successor_of(MINI)
    flare = caps(target)
    # The facts that make the model the only edit: the target takes every value the call sends.
    assert "medium" in flare.qualities and "1024x1024" in flare.sizes and "jpeg" in flare.output_formats
    plan = migration.plan(MINI_GENERATE, day=DAY)
    assert (plan.source.id, plan.target.id, plan.route) == (MINI, target, migration.GENERATE)
    assert whats(plan.edits) == ["model"]
    check_model_change(plan, "model", MINI, target)
    assert plan.call_after == {**MINI_GENERATE, "model": target}
    assert MINI_GENERATE["model"] == MINI, "the call given is left as it was"
    check_batch_and_price(plan, MINI, target, "medium", "1024x1024", "medium", "1024x1024")
    assert plan.price_before.from_per_image_table is not None, "mini's per-image table is in the registry"
    check_every_change_is_sourced_and_printable(plan)


def test_the_mini_edit_example_drops_the_fidelity_mini_already_refused(mini_edit):
    target = successor_of(MINI)
    plan = migration.plan(mini_edit, route=migration.EDIT, day=DAY)
    assert whats(plan.edits) == ["model", "input_fidelity"]
    check_model_change(plan, "model", MINI, target)
    fidelity = plan.change("input_fidelity")
    assert (fidelity.before, fidelity.after) == ('"high"', NOT_SENT)
    assert fidelity.source == caps(target).source_of("input_fidelity")
    assert "high" not in caps(MINI).input_fidelity and "refused it too" in fidelity.why
    if caps(target).input_fidelity is None:
        assert registry.NOT_FOUND in fidelity.why
    assert "input_fidelity" not in plan.call_after and plan.call_after["model"] == target
    assert plan.call_after["image"] is mini_edit["image"], "the files are passed on, not copied"
    assert {k: v for k, v in plan.call_after.items() if k != "model"} == {
        k: v for k, v in mini_edit.items() if k not in ("model", "input_fidelity")}
    check_batch_and_price(plan, MINI, target, "medium", "1024x1024", "medium", "1024x1024")
    check_every_change_is_sourced_and_printable(plan)
    assert 'open("' in plan.diff() and "0x" not in plan.diff(), "an open file reads as open(...), no address"


@pytest.mark.parametrize("call", [MINI_RESPONSES, MINI_FOLLOW_UP], ids=["first turn", "previous_response_id"])
def test_the_mini_responses_example_moves_the_tools_model_not_the_top_level_one(call):
    target = successor_of(MINI)
    assert registry.on(call["model"], DAY).served, "the mainline model is still served on the day"
    plan = migration.plan(call, route=migration.RESPONSES, day=DAY)
    assert plan.source.id == MINI and whats(plan.edits) == ["tools[0].model"]
    check_model_change(plan, "tools[0].model", MINI, target)
    assert plan.call_after == {**call, "tools": [{**MINI_TOOL, "model": target}]}
    assert MINI_TOOL["model"] == MINI and call["tools"] == [MINI_TOOL], "the call given is left as it was"
    check_batch_and_price(plan, MINI, target, "medium", "1024x1024", "medium", "1024x1024")
    check_every_change_is_sourced_and_printable(plan)


# --- the DALL·E example -------------------------------------------------------------------------

def test_the_dalle_3_example_lists_every_legacy_parameter_and_the_url_reading():
    target = successor_of("dall-e-3")
    tcaps = caps(target)
    assert registry.get("dall-e-3").capabilities is None
    plan = migration.plan(DALLE_3, day=DAY)
    assert plan.target.id == target
    check_model_change(plan, "model", "dall-e-3", target)

    # 1792x1024 is a DALL·E size; the target keeps it where its size rule accepts it, else moves it.
    keeps_size = tcaps.arbitrary_sizes and tcaps.size_problem("1792x1024") is None
    sized = [] if keeps_size else ["size"]
    assert whats(plan.edits) == ["model", *sized, "quality", "style", "response_format", "result.data[i].url"]
    new_size = plan.call_after["size"]
    if keeps_size:
        assert new_size == "1792x1024" and plan.change("size") is None
    else:
        size = plan.change("size")
        assert size.before == '"1792x1024"' and size.source == migration.LEGACY_SIZES_SOURCE
        width, height = registry.parse_size(new_size)
        assert new_size in tcaps.sizes and width > height, "a listed landscape size, like 1792x1024"
        assert size.after == f'"{new_size}"'

    quality = plan.change("quality")
    assert (quality.before, quality.after) == ('"hd"', '"high"') and "high" in tcaps.qualities
    assert quality.source == migration.LEGACY_QUALITIES_SOURCE and quality.source.tag == "[SDK]"
    for name in ("style", "response_format"):
        change = plan.change(name)
        assert (change.after, change.source, change.kind) == (NOT_SENT, migration.LEGACY_PARAMS[name][1], CALL)
    reading = plan.change("result.data[i].url")
    assert (reading.before, reading.after, reading.kind) == (".data[0].url", ".data[0].b64_json", RESULT)
    assert reading.source == migration.URL_RESULT_SOURCE
    assert plan.change("n") is None and tcaps.n_range[0] <= 1 <= tcaps.n_range[1], "n=1 needs no change"
    assert plan.call_after == {"model": target, "prompt": "...", "size": new_size, "quality": "high", "n": 1}

    check_batch_and_price(plan, "dall-e-3", target, "hd", "1792x1024", "high", new_size)
    assert plan.change("Batch").before.startswith(registry.NOT_FOUND)
    assert plan.change("price per image").before == registry.NOT_FOUND, "the registry has no DALL·E prices"
    check_every_change_is_sourced_and_printable(plan)


def test_a_dalle_size_the_target_refuses_moves_to_its_nearest_listed_shape():
    target = successor_of("dall-e-2")
    problem = caps(target).size_problem("256x256")
    assert problem, "256x256 is under the pixel budget of today's GPT image models"
    plan = migration.plan(dict(model="dall-e-2", prompt="...", size="256x256"), day=DAY)
    size = plan.change("size")
    assert size.before == '"256x256"' and size.source == migration.LEGACY_SIZES_SOURCE
    assert problem in size.why and "DALL·E size" in size.why
    width, height = registry.parse_size(plan.call_after["size"])
    assert plan.call_after["size"] in caps(target).sizes and width == height, "the square listed size"


def test_the_side_by_side_diff_marks_changed_removed_and_kept_lines():
    plan = migration.plan(DALLE_3, day=DAY)
    lines = plan.side_by_side().splitlines()
    assert plan.source.id in lines[0] and plan.target.id in lines[0]
    row = {line.split("=")[0].strip(): line for line in lines if "=" in line}
    assert ' | ' in row["model"] and row["model"].rstrip().endswith(f'model="{plan.target.id}",')
    assert row["style"].rstrip().endswith("<") and row["response_format"].rstrip().endswith("<")
    assert row["prompt"].count('prompt="..."') == 2, "an unchanged line shows on both sides"
    listing = plan.diff().splitlines()
    assert '-     style="vivid",' in listing and '-     quality="hd",' in listing
    assert listing.index('-     quality="hd",') + 1 == listing.index('+     quality="high",')
    assert '      n=1,' in listing


# --- any pair, no special cases -----------------------------------------------------------------

def test_gpt_image_2_to_2_6_flare_follows_each_records_rules():
    old, new = "gpt-image-2", "gpt-image-2.6-flare"
    assert caps(old).size_problem("1536x864") is None, "a size gpt-image-2 takes"
    call = dict(model=old, prompt="...", size="1536x864", quality="low")
    plan = migration.plan(call, day=DAY, target=new)
    takes_it = caps(new).arbitrary_sizes and caps(new).size_problem("1536x864") is None
    assert whats(plan.edits) == ["model"] + ([] if takes_it else ["size"])
    assert plan.change("model").source == registry.get(old).lifecycle.source
    if takes_it:
        assert plan.call_after["size"] == "1536x864"
    else:
        size = plan.change("size")
        assert plan.call_after["size"] in caps(new).sizes and size.source == caps(new).source_of_param("size")
    check_batch_and_price(plan, old, new, "low", "1536x864", "low", plan.call_after["size"])
    check_every_change_is_sourced_and_printable(plan)


def test_a_size_the_targets_rule_refuses_moves_and_cites_the_rule():
    old, new = "gpt-image-2", "gpt-image-2.6-flare"
    problem = caps(new).size_problem("4096x1024")
    assert problem, "an edge over the longest edge the rule allows"
    plan = migration.plan(dict(model=old, prompt="...", size="4096x1024", quality="low"), day=DAY, target=new)
    size = plan.change("size")
    assert problem in size.why and size.source == caps(new).source_of_param("size")
    width, height = registry.parse_size(plan.call_after["size"])
    assert plan.call_after["size"] in caps(new).sizes and width > height, "the listed landscape size"
    assert caps(new).size_problem(plan.call_after["size"]) is None


def test_gpt_image_1_5_to_gpt_image_2_drops_fidelity_and_lowers_an_unknown_quality():
    old, new = "gpt-image-1.5", "gpt-image-2"
    assert caps(new).input_fidelity == () and "high" in caps(old).input_fidelity
    assert "max" not in caps(new).qualities and "high" in caps(new).qualities
    call = dict(model=old, image=b"...", prompt="...", input_fidelity="high", quality="max", n=12)
    plan = migration.plan(call, route=migration.EDIT, day=DAY, target=new)
    assert whats(plan.edits) == ["model", "input_fidelity", "quality", "n"]
    assert plan.change("input_fidelity").source == caps(new).source_of("input_fidelity")
    assert plan.call_after["quality"] == "high" and plan.change("quality").source == caps(new).source_of_param("quality")
    assert plan.call_after["n"] == caps(new).n_range[1]
    assert "input_fidelity" not in plan.call_after
    check_every_change_is_sourced_and_printable(plan)


def test_a_format_the_target_lacks_falls_back_and_takes_its_compression_with_it():
    old, new = "gpt-image-2.6-flare", "gpt-image-2"
    assert "gif" in caps(old).output_formats and "gif" not in caps(new).output_formats
    call = dict(model=old, prompt="...", quality="low", size="1024x1024", output_format="gif", output_compression=50)
    plan = migration.plan(call, day=DAY, target=new)
    assert plan.call_after["output_format"] == caps(new).output_formats[0]
    if plan.call_after["output_format"] not in migration.COMPRESSIBLE_FORMATS:
        assert "output_compression" not in plan.call_after
        assert plan.change("output_compression").source == migration.COMPRESSION_SOURCE


def test_a_transparent_background_the_target_refuses_is_dropped():
    assert caps("gpt-image-2").transparent_background == "no"
    plan = migration.plan(dict(model="gpt-image-1.5", prompt="...", quality="low", background="transparent",
                               output_format="png"), day=DAY, target="gpt-image-2")
    assert "background" not in plan.call_after
    assert plan.change("background").source == caps("gpt-image-2").source_of_param("background")


def test_a_parameter_the_route_does_not_have_is_removed_with_the_sdks_word_for_it():
    assert "input_fidelity" in migration.SDK_PARAMS[migration.EDIT]
    assert "input_fidelity" not in migration.SDK_PARAMS[migration.GENERATE]
    plan = migration.plan(dict(model="gpt-image-2", prompt="...", quality="low", input_fidelity="low"), day=DAY,
                          target="gpt-image-2")
    assert whats(plan.edits) == ["input_fidelity"]
    assert plan.change("input_fidelity").source == migration.SDK_PARAMS_SOURCE[migration.GENERATE]


def test_a_call_that_needs_nothing_else_lists_only_the_model_change():
    old, new = "gpt-image-2.6-flare", "gpt-image-2.6-sunburst"
    call = dict(model=old, prompt="...", size="1024x1024", quality="medium", output_format="png")
    plan = migration.plan(call, day=DAY, target=new)
    assert whats(plan.edits) == ["model"] and plan.call_after == {**call, "model": new}
    assert whats(plan.changes) == ["model", "price per image"], "same Batch facts: no Batch row"
    same = migration.plan(call, day=DAY, target=old)
    assert same.edits == () and same.call_after == call


def test_an_omitted_quality_is_flagged_for_checking_not_filled_in():
    plan = migration.plan(dict(model=MINI, prompt="...", size="1024x1024"), day=DAY)
    quality = plan.change("quality")
    assert (quality.kind, quality.before, quality.after) == (CHECK, NOT_SENT, NOT_SENT)
    assert "quality" not in plan.call_after and quality.source == migration.QUALITY_DEFAULT_SOURCE
    # The price of an omitted quality is what pricing gives "auto": a count for it where one is known,
    # else the dearest quality, labelled. It is never below the dearest listed quality's count.
    after, auto = plan.price_after, pricing.estimate(plan.target.id, "auto", "1024x1024")
    assert (after.quality, after.output_tokens, after.assumption) == ("auto", auto.output_tokens, auto.assumption)
    high = pricing.estimate(plan.target.id, "high", "1024x1024")
    assert after.output_tokens >= high.output_tokens


def test_a_target_without_capabilities_says_not_found_instead_of_guessing():
    plan = migration.plan(dict(model=MINI, prompt="...", quality="medium", style="vivid"), day=DAY, target="dall-e-2")
    check = plan.change("parameters")
    assert check.kind == CHECK and check.after == registry.NOT_FOUND and check.source.tag == "[registry]"
    assert plan.call_after == {"model": "dall-e-2", "prompt": "...", "quality": "medium", "style": "vivid"}
    assert "not served" in plan.change("model").why


def test_a_tool_without_a_model_runs_the_sdk_default_and_the_plan_says_so():
    plan = migration.plan(dict(model="gpt-5.5", input="...", tools=[{"type": "image_generation", "quality": "low"}]),
                          route=migration.RESPONSES, day=DAY, target=MINI)
    change = plan.change("tools[0].model")
    assert plan.source.id == registry.IMAGE_TOOL_DEFAULT_MODEL
    assert change.before == f"{NOT_SENT}: {registry.IMAGE_TOOL_DEFAULT_MODEL}"
    assert plan.call_after["tools"][0]["model"] == MINI


def test_a_shut_down_mainline_model_moves_to_its_successor():
    mainline = next(m for m in registry.mainline_models() if m.lifecycle.shutdown_date and m.lifecycle.successors
                    and not m.snapshot_of)
    later = mainline.lifecycle.shutdown() + dt.timedelta(days=1)
    successor = registry.on(mainline.id, later).successor
    call = dict(model=mainline.id, input="...", tools=[dict(MINI_TOOL, model="gpt-image-2")])
    plan = migration.plan(call, route=migration.RESPONSES, day=later, target="gpt-image-2")
    assert plan.call_after["model"] == successor and plan.change("model").source == mainline.lifecycle.source


def test_the_default_target_follows_successors_until_one_is_served(monkeypatch):
    gone = registry.get("gpt-image-1")
    assert not gone.served_on(DAY)
    stranded = dataclasses.replace(registry.get(MINI), id="old-image-model",
                                   lifecycle=dataclasses.replace(gone.lifecycle, successors=(gone.id,)))
    monkeypatch.setitem(registry.MODELS, stranded.id, stranded)
    assert migration.default_target(stranded.id, DAY) == registry.on(gone.id, DAY).successor
    assert migration.default_target(MINI, DAY) == registry.on(MINI, DAY).successor


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, kwargs, error, words", [
    ([("model", MINI)], {}, TypeError, "mapping"),
    (MINI_GENERATE, {"route": "images.create_variation"}, ValueError, "unknown route"),
    (dict(MINI_GENERATE, model="gpt-image-9"), {}, registry.UnknownModel, "gpt-image-9"),
    (MINI_GENERATE, {"target": "gpt-image-9"}, registry.UnknownModel, "gpt-image-9"),
    (MINI_GENERATE, {"target": "gpt-5.5"}, ValueError, "not an image model"),
    ({"prompt": "..."}, {}, ValueError, "names no model"),
    (dict(model="gpt-5.5", input="..."), {"route": migration.RESPONSES}, ValueError, "image_generation tool"),
])
def test_bad_input_gets_a_clear_error(call, kwargs, error, words):
    with pytest.raises(error) as raised:
        migration.plan(call, day=DAY, **kwargs)
    assert words in str(raised.value)


# --- the SDK facts are quoted, not paraphrased --------------------------------------------------

SDK_SOURCES = [*(source for _, source in migration.LEGACY_PARAMS.values()), migration.LEGACY_QUALITIES_SOURCE,
               migration.LEGACY_SIZES_SOURCE, migration.COMPRESSION_SOURCE, migration.URL_RESULT_SOURCE,
               migration.QUALITY_DEFAULT_SOURCE, migration.FIDELITY_DEFAULT_SOURCE]


@pytest.mark.parametrize("source", SDK_SOURCES, ids=lambda s: s.citation[28:70])
def test_every_sdk_quote_is_in_the_pinned_sdk_file_it_names(source):
    files = re.findall(r"(?:openai/types/)?([a-z_/]+\.py)", source.citation)
    text = " ".join(" ".join((SDK_TYPES / name).read_text().split()) for name in files).replace("`", "")
    quotes = [q for q in re.findall(r'"([^"]{12,})"', source.citation)]
    assert quotes, "cite the SDK's own words"
    for quote in quotes:
        assert " ".join(quote.split()).replace("`", "") in text, quote
