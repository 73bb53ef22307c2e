"""The playground: options from the registry, combinations refused before sending, costs from usage."""

import io
from dataclasses import replace

import httpx2
import pytest
from PIL import Image

from helpers import budget, pricing, registry
from helpers import transports
from helpers.offline.transport import SimulatorTransport
from helpers.transports import recording as rec
from helpers import playground as pg
from helpers.offline.simulator import Simulator
from helpers.wrapping import LINE_WIDTH
from tests.conftest import sdk_client

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

MINI = "gpt-image-1-mini"  # these tests check mini's own facts, whatever model the lessons use


class Counting(httpx2.BaseTransport):
    """Records what reaches it, then lets the simulator answer."""

    def __init__(self, scenario=None):
        self.inner = SimulatorTransport(Simulator(), scenario=scenario)
        self.requests = []
        self.content_types = []

    def handle_request(self, request):
        self.content_types.append(request.headers.get("content-type", ""))
        self.requests.append(transports.read_request(request))
        return self.inner.handle_request(request)


@pytest.fixture
def sent():
    return Counting()


@pytest.fixture
def playground(sent):
    return pg.Playground(sdk_client(sent), mode="offline")


def settings(**changes):
    return replace(pg.Settings(model=MINI), **changes)


def first_with(predicate):
    return next(m.id for m in registry.image_models() if not m.snapshot_of and predicate(m))


# --- models and options ----------------------------------------------------------------------

def test_the_picker_labels_status_and_leaves_out_shut_down_models():
    offered = dict((model_id, label) for label, model_id in pg.offered_models())
    shutdown = registry.get(MINI).lifecycle.shutdown_date
    assert offered[MINI] == f"{MINI} (deprecated, shuts down {shutdown})"
    for record in registry.image_models():
        if not record.served_on(registry.as_of_day()):
            assert record.id not in offered
            assert (record.id, f"shut down {record.lifecycle.shutdown_date}") in pg.left_out_models()


def test_models_with_unknown_options_are_left_out_and_say_not_found():
    unknown = first_with(lambda m: m.served_on(registry.as_of_day()) and m.capabilities is not None and m.capabilities.qualities is None)
    assert unknown not in {model_id for _, model_id in pg.offered_models()}
    why = dict(pg.left_out_models())[unknown]
    assert "qualities" in why and registry.NOT_FOUND in why


def test_options_follow_the_registry_capabilities():
    caps = registry.get(MINI).capabilities
    options = pg.options_for(MINI)
    assert options.sizes == caps.sizes and options.qualities == caps.qualities
    assert options.n_values == tuple(range(caps.n_range[0], caps.n_range[1] + 1))
    assert "transparent" in options.backgrounds


# --- validation, before any request --------------------------------------------------------------

def test_the_default_settings_are_valid():
    assert pg.problems(settings()) == ()


@pytest.mark.parametrize("changes, words", [
    ({"background": "transparent", "output_format": "jpeg"}, "png or webp"),
    ({"output_format": "png", "compression": 80}, "jpeg and webp only"),
    ({"kind": "edit", "input_fidelity": "high"}, "low only"),
    ({"kind": "generate", "input_fidelity": "low"}, "edit parameter"),
    ({"mask": "ellipse"}, "belongs to an edit"),
    ({"prompt": "   "}, "Write a prompt"),
    ({"size": "1024x640"}, "does not offer size"),
    ({"quality": "xhigh"}, "does not offer quality"),
    ({"n": 11}, "does not offer n"),
    ({"kind": "edit", "sample": "missing.png"}, "No sample input"),
    ({"compression": 101}, "0 to 100"),
])
def test_invalid_combinations_are_explained(changes, words):
    found = pg.problems(settings(**changes))
    assert found and any(words in p for p in found), found


def test_input_fidelity_must_be_omitted_where_the_registry_says_so():
    omit = first_with(lambda m: m.served_on(registry.as_of_day()) and m.capabilities is not None and m.capabilities.input_fidelity == ())
    found = pg.problems(settings(model=omit, compression=None, kind="edit", input_fidelity="low"))
    assert found == (f"{omit} takes no input_fidelity parameter: set it to omit.",)
    assert pg.problems(settings(model=omit, kind="edit", input_fidelity="omit")) == ()


def test_retired_and_unknown_models_are_refused():
    retired = first_with(lambda m: not m.served_on(registry.as_of_day()))
    assert "shut down" in pg.problems(settings(model=retired))[0]
    assert "not in the kit's model registry" in pg.problems(settings(model="no-such-model"))[0]


def test_request_params_leave_out_what_is_omitted_and_refuse_invalid_settings():
    assert pg.request_params(settings()) == {"model": MINI, "prompt": pg.DEFAULT_PROMPT, "size": "1024x1024",
                                             "quality": "medium", "output_format": "jpeg", "n": 1,
                                             "output_compression": 80}
    edit = pg.request_params(settings(kind="edit", input_fidelity="low", background="opaque", compression=None))
    assert edit["input_fidelity"] == "low" and edit["background"] == "opaque" and "output_compression" not in edit
    with pytest.raises(ValueError, match="Not sent: .*png or webp"):
        pg.request_params(settings(background="transparent"))


# --- masks and cost text ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["rectangle", "ellipse"])
def test_masks_are_transparent_only_in_the_edit_area(shape):
    mask = Image.open(io.BytesIO(pg.make_mask((1024, 1536), shape)))
    assert mask.format == "PNG" and mask.mode == "RGBA" and mask.size == (1024, 1536)
    alpha = mask.getchannel("A")
    assert alpha.getpixel((512, 768)) == 0 and alpha.getpixel((5, 5)) == 255
    corner_of_box = alpha.getpixel((260, 390))
    assert corner_of_box == (0 if shape == "rectangle" else 255)


def test_no_mask_and_unknown_shapes():
    assert pg.make_mask((64, 64), "none") is None
    with pytest.raises(ValueError, match="mask shape"):
        pg.make_mask((64, 64), "star")


def test_the_preview_shows_both_official_estimates_with_date():
    est = pricing.estimate(MINI, "low", "1024x1024", images=2)
    text = pg.preview_text(settings(quality="low", n=2))
    assert pricing.usd(est.from_per_image_table) in text and pricing.usd(est.from_token_table) in text
    assert registry.AS_OF in text and "disagree" in text


def test_the_preview_says_not_found_where_the_registry_has_no_table():
    model = first_with(lambda m: m.served_on(registry.as_of_day()) and m.per_image_prices is None and m.output_tokens is None
                       and m.capabilities is not None and m.capabilities.qualities is not None)
    text = pg.preview_text(settings(model=model, quality="low"))
    assert text.count(registry.NOT_FOUND) >= 2


@pytest.mark.parametrize("changes", [dict(quality="ultra"), dict(size="999x999"), dict(n=50)])
def test_the_preview_of_settings_that_cannot_be_sent_says_why_instead_of_a_price(changes):
    text = pg.preview_text(settings(**{"quality": "low", **changes}))
    assert text.startswith("No estimate: ")
    assert str(next(iter(changes.values()))) in text
    assert registry.NOT_FOUND not in text and "$" not in text


# --- the widget over a client ----------------------------------------------------------------

def test_invalid_settings_send_nothing_and_disable_the_button(playground, sent):
    playground.set(model=MINI, background="transparent")
    assert playground._button.disabled
    assert playground.generate() is None
    assert sent.requests == []
    assert playground.status.startswith("Not sent:") and "png or webp" in playground.status
    playground.set(output_format="png", compression=None)
    assert not playground._button.disabled


def test_generate_prices_each_run_from_usage_and_keeps_a_total(playground, sent):
    playground.set(model=MINI, quality="low", n=2)
    first = playground.generate()
    playground.set(quality="medium", n=1)
    second = playground.generate()
    assert len(sent.requests) == 2 and sent.requests[0]["json"]["n"] == 2
    assert len(first.images) == 2 and first.output_tokens == pricing.output_tokens(MINI, "low", "1024x1024", images=2)
    assert first.per_image == pytest.approx(first.cost.total / 2)
    assert playground.total_usd == pytest.approx(first.cost.total + second.cost.total)
    table = playground.cost_table()
    assert pricing.usd(first.cost.total) in table and pricing.usd(playground.total_usd) in table
    assert playground._gallery.value[:2] == b"\xff\xd8"  # a JPEG contact sheet
    assert "<td>2</td>" in playground._history.value


def test_the_history_table_fits_the_kits_line_width_for_any_model():
    longest = max((m.id for m in registry.image_models()), key=len)
    worst = pg.Run(10, pg.Settings(model=longest, quality="medium", size="1536x1024", n=10, kind="generate"),
                   ("x",) * 10, 12_345, pricing.Cost(longest, None, None, None, None, None),
                   pricing.Estimate(longest, "medium", "1536x1024", 10, None, None, None))
    text = pg.history_table([worst])
    assert all(len(line) <= LINE_WIDTH for line in text.splitlines()), text
    # Requests and costs are two tables whose rows share the run's number.
    rows = [line for line in text.splitlines() if line.startswith("10 ")]
    assert len(rows) == 2 and longest in rows[0] and "12345" in rows[1] and registry.NOT_FOUND in rows[1]


def test_an_edit_sends_the_sample_and_its_mask_as_files(playground, sent):
    playground.set(model=MINI, kind="edit", sample="room.png", mask="rectangle", input_fidelity="low", quality="low")
    assert playground._edit_preview.value
    run = playground.generate()
    assert run is not None and run.settings.kind == "edit"
    request = sent.requests[0]
    assert sent.content_types[0].startswith("multipart/form-data")
    assert request["path"].endswith("/images/edits") and request["form"]["input_fidelity"] == "low"
    assert set(request["files"]) == {"image", "mask"}
    assert request["files"]["mask"][0]["image"] == request["files"]["image"][0]["image"]
    assert run.cost.image_in > 0  # the input image is billed as image input tokens


def test_changing_the_model_changes_the_options(playground):
    model = first_with(lambda m: m.served_on(registry.as_of_day()) and m.capabilities is not None
                       and m.capabilities.qualities is not None and "xhigh" in m.capabilities.qualities)
    playground.set(model=MINI, size="auto")
    playground.set(model=model, quality="xhigh")
    caps = registry.get(model).capabilities
    assert tuple(playground._controls["quality"].options) == caps.qualities
    assert playground.settings.size in caps.sizes


def test_set_rejects_unknown_names_and_values_not_offered(playground):
    with pytest.raises(ValueError, match="unknown setting"):
        playground.set(colour="red")
    with pytest.raises(ValueError, match="not offered"):
        playground.set(size="4096x4096")


def test_the_spending_cap_is_a_friendly_message_and_nothing_is_sent():
    sent = Counting()
    cap = budget.SpendingCap(limit_usd=0.001)
    playground = pg.Playground(sdk_client(transports.SpendingCapTransport(sent, cap)), mode="offline")
    assert playground.generate() is None
    assert sent.requests == []
    assert playground.status.startswith("Spending cap: Not sent:") and "COOKBOOK_BUDGET_USD" in playground.status


def test_api_errors_are_shown_with_the_apis_own_message():
    playground = pg.Playground(sdk_client(Counting(scenario="insufficient_quota")), mode="offline")
    assert playground.generate() is None
    assert "429 (RateLimitError)" in playground.status and "exceeded your current quota" in playground.status
    assert "Error code" not in playground.status


def test_the_plain_text_form_explains_itself(playground):
    bundle = playground._repr_mimebundle_()
    assert bundle["text/plain"] == pg.PLAIN_TEXT
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_live_mode_shows_the_spending_cap(monkeypatch):
    monkeypatch.setattr(budget, "KERNEL_CAP", budget.SpendingCap(limit_usd=0.50, spent_usd=0.125))
    assert "$0.5000" in pg.mode_text("live") and "$0.3750 left" in pg.mode_text("live")


def test_sample_names_are_the_bundled_pngs():
    assert "room.png" in pg.sample_names()
    assert all(name.endswith(".png") for name in pg.sample_names())



def test_the_button_generates_and_shows_unexpected_errors_in_the_panel(playground, sent):
    playground._button.click()
    assert len(playground.history) == 1 and len(sent.requests) == 1

    class Unrecorded(httpx2.BaseTransport):
        def handle_request(self, request):
            raise rec.RecordingMismatch("No recording in 06_playground.json matches POST /v1/images/generations.")

    strict = pg.Playground(sdk_client(Unrecorded()), mode="replay")
    strict._button.click()
    assert strict.status.startswith("RecordingMismatch: No recording")
    assert not strict._button.disabled and strict.history == []


def test_a_simulated_not_recorded_answer_is_labelled_in_the_status_line(tmp_path, capsys):
    from helpers.transports import recording as rec

    replay = transports.ReplayTransport(rec.Recording.load(tmp_path / "empty.json"),
                                       fallback=SimulatorTransport(Simulator()), warn=lambda m: None)
    playground = pg.Playground(sdk_client(replay), mode="offline")
    playground.set(model=MINI, quality="low")
    assert playground.generate() is not None
    assert "SIMULATED, NOT RECORDED" in playground.status and "simulated usage" in playground.status
