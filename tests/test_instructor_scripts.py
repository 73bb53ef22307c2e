"""The instructor guide's agenda and cost table are the scripts' output, and the scripts read what they claim."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from helpers import budget, exercises, pricing, registry

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
GUIDE = ROOT / "instructors" / "README.md"

sys.path.insert(0, str(SCRIPTS))
import agenda  # noqa: E402  (scripts/ is not a package; its modules import each other by name)
import kit_costs  # noqa: E402

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")


def run_script(name: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "COOKBOOK_IMAGE_MODEL"}
    done = subprocess.run([sys.executable, str(SCRIPTS / name)], capture_output=True, text=True, check=True,
                          cwd=ROOT, env=environment)
    return done.stdout.rstrip("\n")


# --- the guide embeds the scripts' output ------------------------------------------------------

def test_the_guides_agenda_is_the_scripts_output():
    assert agenda.embedded(GUIDE.read_text(), "agenda") == run_script("agenda.py"), (
        "refresh it: python scripts/agenda.py --write")


def test_the_guide_gives_the_readmes_quick_start_commands_verbatim():
    readme = (ROOT / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv .venv && ")]
    assert len(commands) == 2
    guide = GUIDE.read_text()
    assert all(command in guide for command in commands), "copy the README's quick-start commands exactly"


def test_the_guides_cost_table_is_the_scripts_output():
    assert agenda.embedded(GUIDE.read_text(), "kit-costs") == run_script("kit_costs.py"), (
        "refresh it: python scripts/kit_costs.py --write")


def test_the_guide_quotes_the_readmes_commands():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^[ \t]*```\n(.*?)\n[ \t]*```", GUIDE.read_text(), re.M | re.S)
    setup = [b.strip() for b in blocks if b.strip().startswith("python3 -m venv")]
    assert len(setup) == 2
    for command in setup:
        assert command in readme, f"the README no longer has: {command}"


def test_write_replaces_only_the_marked_block(tmp_path):
    page = tmp_path / "guide.md"
    page.write_text("intro\n<!-- agenda -->\nold\n<!-- /agenda -->\noutro\n")
    agenda.write_embedded(page, "agenda", "new\ntable")
    assert page.read_text() == "intro\n<!-- agenda -->\nnew\ntable\n<!-- /agenda -->\noutro\n"
    with pytest.raises(ValueError, match="kit-costs"):
        agenda.embedded(page.read_text(), "kit-costs")


# --- agenda --------------------------------------------------------------------------------

@pytest.mark.parametrize("line, expected", [
    ("**Minutes**: 10 teaching / 5 exercises", agenda.Minutes(10, 5, 15)),
    ("**Minutes:** 25 min teaching, 10 min exercises", agenda.Minutes(25, 10, 35)),
    ("Minutes: 20 minutes of teaching", agenda.Minutes(20, None, 20)),
    ("- **Minutes**: 15 practice", agenda.Minutes(None, 15, 15)),
    ("**Minutes**: 30", agenda.Minutes(None, None, 30)),
    ("**Minutes**: to be decided", agenda.Minutes()),
])
def test_minutes_lines_in_the_forms_lessons_use(line, expected):
    intro = f"# 07 · A lesson\n\n**Objectives**: learn for 90 minutes.\n\n{line}\n"
    assert agenda.parse_minutes(intro) == expected


def test_a_lesson_without_minutes_says_not_found_and_stops_the_clock(tmp_path):
    for stem, intro in (("07_first", "# 07 · First\n\n**Minutes**: 10 teaching / 5 exercises"),
                        ("08_second", "# 08 · Second\n\nno timing here"),
                        ("09_third", "# 09 · Third\n\n**Minutes**: 20")):
        nbformat.write(new_notebook(cells=[new_markdown_cell(intro)]), tmp_path / f"{stem}.ipynb")
    lessons = agenda.read_lessons(tmp_path)
    assert [x.title for x in lessons] == ["07 · First", "08 · Second", "09 · Third"]
    rows = agenda.agenda_markdown(lessons).splitlines()
    assert rows[2].startswith("| 0:00 | 07 · First (`07_first`) | 10 | 5 | 15 |")
    assert rows[3].startswith(f"| 0:15 | 08 · Second (`08_second`) | {registry.NOT_FOUND} |")
    assert rows[4].startswith(f"| {registry.NOT_FOUND} | 09 · Third")
    assert "| 35 (1 not found) |" in rows[5]


def test_exercise_checks_are_counted_per_lesson():
    counts = agenda.exercise_counts()
    registered = exercises.load_all()
    assert sum(counts.values()) == len(registered)
    for exercise_id in registered:
        assert counts[exercise_id.split(".")[0]] >= 1


def test_the_model_notice_recommends_the_registrys_lane_model_for_the_day():
    day = registry.as_of_day()  # a day gpt-image-1-mini was the lane's model, with its shutdown announced
    model = registry.lane_model(day)
    life = registry.get(model).lifecycle
    notice = agenda.model_notice(day)
    assert notice.startswith(f"Model for a workshop on {day}: `{model}`")
    assert registry.on(model, day).status in notice and registry.AS_OF in notice and str(life.source.citation) in notice
    assert life.shutdown_date is not None
    after = registry.lane_model(dt.date.fromisoformat(str(life.shutdown_date)))
    assert f"From {life.shutdown_date} the registry's lane model is `{after}`" in notice
    assert f"--date {life.shutdown_date}" in notice
    assert "must switch" not in notice and "option" not in notice


@pytest.mark.parametrize("day", ["2026-11-25", "2026-12-01", "2026-12-10", "2027-06-01"])
def test_one_model_per_date_the_lane_model(day):
    day = dt.date.fromisoformat(day)
    named = re.findall(r"Model for a workshop on [\d-]+: `([^`]+)`", agenda.model_notice(day))
    assert named == [registry.lane_model(day)]
    assert agenda.workshop_model(day) == registry.lane_model(day)


def test_one_command_previews_a_workshop_day_model_agenda_and_live_costs():
    environment = {k: v for k, v in os.environ.items() if k != "COOKBOOK_IMAGE_MODEL"}
    done = subprocess.run([sys.executable, str(SCRIPTS / "agenda.py"), "--date", "2026-12-10"], capture_output=True,
                          text=True, check=True, cwd=ROOT, env=environment)
    out = done.stdout
    model = subprocess.run([sys.executable, "-c", "import datetime, helpers.registry as r; "
                            "print(r.lane_model(datetime.date(2026, 12, 10)))"], capture_output=True, text=True,
                           check=True, cwd=ROOT, env=environment).stdout.strip()
    assert out.startswith("# Workshop on 2026-12-10\n")
    assert f"Model for a workshop on 2026-12-10: `{model}`" in out
    assert "| Start | Lesson |" in out and "**End**" in out
    assert "## What a live run costs on 2026-12-10" in out and "**Whole kit, one attendee**" in out
    for stem in ("00_access_triage", "07_migration"):
        assert f"| `{stem}` |" in out


def test_a_preview_date_must_be_a_date():
    done = subprocess.run([sys.executable, str(SCRIPTS / "agenda.py"), "--date", "next week"], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr


# --- kit costs -----------------------------------------------------------------------------

def generation(model, quality="low", size="1024x1024", n=1):
    return {"method": "POST", "path": "/v1/images/generations",
            "json": {"model": model, "prompt": "p", "quality": quality, "size": size, "n": n}}


def recording_of(*requests):
    return {"format": 1, "interactions": [{"source": "simulator", "request": r, "response": {}} for r in requests]}


def test_requests_are_priced_as_the_spending_cap_prices_them():
    mini = "gpt-image-1-mini"
    requests = [generation(mini), generation(mini, "high", "1024x1536", n=2),
                {"method": "GET", "path": f"/v1/models/{mini}"}]
    cost = kit_costs.notebook_cost("07_x", recording_of(*requests))
    assert len(cost.live) == 3 and cost.unpriced == ()
    assert cost.total_usd == pytest.approx(sum(budget.expected_cost(r).usd for r in requests))
    # "p" twice: one byte bounds one token, plus the request's overhead
    prompt = 2 * (1 + budget.REQUEST_OVERHEAD_TOKENS) * registry.get(mini).token_prices.text_in / 1e6
    assert cost.total_usd == pytest.approx(pricing.estimate(mini, "low", "1024x1024").upper
                                       + pricing.estimate(mini, "high", "1024x1536", images=2).upper + prompt)


def test_unpriced_requests_are_listed_as_not_found_and_scenarios_are_not_sent():
    unpriced = next(m.id for m in registry.image_models()
                    if m.served_on(registry.as_of_day()) and m.per_image_prices is None and m.output_tokens is None)
    failing = dict(generation(registry.lane_model(registry.as_of_day())), scenario="insufficient_quota")
    cost = kit_costs.notebook_cost("07_x", recording_of(generation(unpriced), failing))
    assert len(cost.live) == 1 and len(cost.requests) == 2 and cost.total_usd is None
    table = kit_costs.costs_markdown([cost])
    assert f"\\$0.0000 + 1 {registry.NOT_FOUND}" in table
    assert f"`07_x`, 1 x image generation: 1 x {unpriced}" in table


def test_notebooks_without_a_recording_cost_nothing_and_big_ones_are_flagged(tmp_path):
    for stem in ("07_quiet", "08_busy"):
        nbformat.write(new_notebook(cells=[new_markdown_cell("# x")]), tmp_path / f"{stem}.ipynb")
    mini = "gpt-image-1-mini"
    busy = recording_of(*[generation(mini, "high", "1024x1536", n=10)] * 3)
    (tmp_path / "08_busy.json").write_text(json.dumps(busy))
    costs = kit_costs.read_costs(tmp_path, tmp_path)
    assert [(c.notebook, len(c.live), c.total_usd) for c in costs][0] == ("07_quiet", 0, 0.0)
    assert costs[1].total_usd > budget.DEFAULT_BUDGET_USD
    assert "default spending cap of \\$1.0000 per kernel: `08_busy`." in kit_costs.costs_markdown(costs)
