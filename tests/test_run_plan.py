"""Planning a notebook's live cost from its recording."""

import json
from pathlib import Path

import pytest

from helpers import budget, pricing, registry, run_plan
from helpers.wrapping import LINE_WIDTH

MINI = "gpt-image-1-mini"
# Input the spending cap counts for the prompt "p" (1 byte bounds 1 token, plus the request's overhead, at
# mini's $2/M) and for one input image (budget.INPUT_IMAGE_TOKENS_BOUND at mini's $2.50/M).
PROMPT = (1 + budget.REQUEST_OVERHEAD_TOKENS) * 2.00 / 1e6
IMAGE_IN = budget.INPUT_IMAGE_TOKENS_BOUND * 2.50 / 1e6
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def generate(quality="medium", size="1024x1024", **extra):
    return {"request": {"method": "POST", "path": "/v1/images/generations",
                        "json": {"model": MINI, "prompt": "p", "quality": quality, "size": size, **extra}},
            "response": {}, "source": "simulator"}


def edit(quality="low"):
    return {"request": {"method": "POST", "path": "/v1/images/edits",
                        "form": {"model": MINI, "prompt": "p", "quality": quality, "size": "1024x1024"},
                        "files": {"image": [{"image": "1024x1024"}]}}, "response": {}, "source": "simulator"}


def responses(mainline="gpt-5"):
    """A Responses request whose mainline model the registry cannot price."""
    return {"request": {"method": "POST", "path": "/v1/responses",
                        "json": {"model": mainline, "input": "p",
                                 "tools": [{"type": "image_generation", "model": MINI, "quality": "low",
                                            "size": "1024x1024"}]}}, "response": {}, "source": "simulator"}


def failing(kind="insufficient_quota"):
    interaction = generate()
    interaction["request"]["scenario"] = kind
    return interaction


def test_plan_prices_each_request_like_the_spending_cap():
    interactions = [generate(), edit(), generate("low", stream=True, partial_images=2)]
    plan = run_plan.plan_interactions("x.ipynb", "x.json", interactions)
    expected = [budget.expected_cost(i["request"]).usd for i in interactions]
    assert [r.usd for r in plan.requests] == expected
    assert plan.total_usd == pytest.approx(0.011 + 0.005 + IMAGE_IN + 0.005 + 2 * 100 * 8.00 / 1e6
                                            + 3 * PROMPT)
    assert not plan.unpriced


def test_unpriced_requests_make_the_total_unknown_and_are_listed():
    plan = run_plan.plan_interactions("x.ipynb", "x.json", [generate(), responses()])
    assert plan.total_usd is None
    assert plan.priced_usd == pytest.approx(0.011 + PROMPT)
    assert [r.path for r in plan.unpriced] == ["/v1/responses"]
    assert "COOKBOOK_ALLOW_UNPRICED=1" in plan.summary()


def test_simulated_failures_are_never_sent_live_and_cost_nothing():
    plan = run_plan.plan_interactions("x.ipynb", "x.json", [generate(), failing()])
    assert len(plan.live) == 1 and plan.total_usd == pytest.approx(0.011 + PROMPT)
    assert "1 simulated failure(s) are never sent" in plan.summary()
    assert "simulated, not sent live" in str(plan.table())


def test_a_request_whose_recorded_answer_is_a_refusal_costs_nothing_and_is_not_unpriced():
    refused = responses()
    refused["response"] = {"status": 400}
    shut_down = generate("high")
    shut_down["response"] = {"status": 400}
    plan = run_plan.plan_interactions("x.ipynb", "x.json", [generate(), refused, shut_down])
    assert len(plan.live) == 3 and len(plan.refused) == 2 and not plan.unpriced
    assert plan.total_usd == pytest.approx(0.011 + PROMPT)
    assert "2 of them are refused" in plan.summary()
    assert "refused (HTTP 400), not billed" in str(plan.table())


def test_summary_warns_when_the_priced_part_exceeds_the_cap():
    plan = run_plan.plan_interactions("x.ipynb", "x.json", [generate("high")] * 3)
    assert "does NOT fit" in plan.summary(limit_usd=0.05)
    assert "the priced part fits" in plan.summary(limit_usd=1.0)


def write_notebook(folder: Path, stem: str, interactions=None) -> Path:
    notebook = folder / f"{stem}.ipynb"
    notebook.write_text("{}")
    if interactions is not None:
        (folder / "recordings").mkdir(exist_ok=True)
        (folder / "recordings" / f"{stem}.json").write_text(json.dumps({"format": 1, "interactions": interactions}))
    return notebook


def test_plan_notebook_reads_the_recording_next_to_the_notebook(tmp_path):
    plan = run_plan.plan_notebook(write_notebook(tmp_path, "07_demo", [generate(), edit()]))
    assert plan.recording_found and plan.recording == "07_demo.json"
    assert plan.total_usd == pytest.approx(0.016 + IMAGE_IN + 2 * PROMPT)
    assert str(tmp_path) not in plan.summary() + str(plan.table())


def test_a_notebook_without_a_recording_gets_a_plan_that_says_so(tmp_path):
    plan = run_plan.plan_notebook(write_notebook(tmp_path, "07_demo"))
    assert not plan.recording_found and plan.requests == ()
    assert "python -m helpers.maintainer.rebuild notebooks/07_demo.ipynb" in plan.summary()


def test_bad_paths_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="expected a notebook"):
        run_plan.plan_notebook(tmp_path / "07_demo.json")
    with pytest.raises(FileNotFoundError, match="no notebook named"):
        run_plan.plan_notebook(tmp_path / "missing.ipynb")


def test_the_cost_lessons_own_plan():
    plan = run_plan.plan_notebook(NOTEBOOKS / "04_costs.ipynb")
    recorded = json.loads((NOTEBOOKS / "recordings" / "04_costs.json").read_text())["interactions"]
    assert len(plan.requests) == len(recorded)
    paths = {r.path for r in plan.live}
    assert {"/v1/images/generations", "/v1/images/edits", "/v1/responses"} <= paths
    # the registry prices the mainline model ([3P] rates), so every request the lesson sends is priced
    assert not plan.unpriced
    assert plan.priced_usd > 0


def test_the_plan_prints_at_the_kits_line_width():
    plan = run_plan.plan_interactions("x.ipynb", "x.json", [generate(), edit(), responses(), failing()])
    printed = f"{plan.table()}\n{plan.summary()}\n{plan.summary(limit_usd=0.001)}"
    assert all(len(line) <= LINE_WIDTH for line in printed.splitlines()), printed
    unwrapped = " ".join(printed.split())
    assert "cannot be priced" in unwrapped and "does NOT fit; raise COOKBOOK_BUDGET_USD" in unwrapped


def test_a_conservative_bound_is_marked_once_and_explained_in_one_note():
    plan = run_plan.plan_interactions("x.ipynb", "x.json", [edit()])
    assert "not documented" in plan.requests[0].description, "an edit's input image count is a bound"
    table = str(plan.table())
    assert table.count("*") == 2, table  # the row's mark and its note's
    notes = [line for line in table.splitlines() if line.startswith("* ")]
    assert len(notes) == 1 and notes[0].startswith("* priced with a conservative bound"), table
