"""What a junior developer needs is taught where it is first needed: the project allow-list 403 in lesson 00,
the full token rates and the pricing formula in lesson 01 before its exercise, a plain Pillow mask and a plain
images.edit(mask=...) call in lesson 02 before the kit's helpers, and a glossary linked from lesson 00."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
GLOSSARY = ROOT / "instructors" / "glossary.md"


def cells(stem):
    return json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def printed(cell):
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def first_index(stem, predicate):
    return next(i for i, cell in enumerate(cells(stem)) if predicate(cell))


def exercise_start(stem):
    return first_index(stem, lambda c: c["cell_type"] == "code" and "check(" in source(c))


def test_lesson_00_replays_and_diagnoses_the_project_allow_list_403_and_says_the_fix():
    lesson = cells("00_access_triage")
    replay = next(c for c in lesson if c["cell_type"] == "code" and '"project_model_access"' in source(c))
    out = printed(replay)
    assert "PermissionDeniedError (HTTP 403)" in out and "does not have access to model" in out
    assert "[project_model_access]" in out and "code: model_not_found" in out
    after = lesson[lesson.index(replay) + 1]
    assert after["cell_type"] == "markdown" and "allowed models" in source(after)


def test_lesson_00_prints_triage_kinds_before_its_exercise_asks_for_one():
    lesson = cells("00_access_triage")
    shown = first_index("00_access_triage", lambda c: "triage.KINDS:" in printed(c))
    assert shown < first_index("00_access_triage", lambda c: '"00.which_diagnosis"' in source(c))
    assert all(kind in printed(lesson[shown]) for kind in ("insufficient_quota", "rate_limit", "org_not_verified"))


def test_lesson_00_links_the_glossary_and_the_glossary_explains_the_kits_words():
    assert any("../instructors/glossary.md" in source(c) for c in cells("00_access_triage") if c["cell_type"] == "markdown")
    text = GLOSSARY.read_text(encoding="utf-8")
    for term in ("Track", "Recording", "Replay mode", "Simulated", "As-of date", "Kit day", "Stand-in",
                 "Lane", "Placeholder", "Source tags"):
        assert re.search(rf"^\*\*{re.escape(term)}", text, re.M), f"the glossary lacks {term!r}"


def test_lesson_01_shows_every_token_rate_and_prices_a_usage_by_hand_before_its_exercise():
    lesson = cells("01_generate")
    rates = first_index("01_generate", lambda c: "token rates for" in printed(c) and "by hand" in printed(c))
    assert rates < exercise_start("01_generate")
    out = printed(lesson[rates])
    for label in ("text in", "text in, cached", "image in", "image in, cached", "image out", "source:"):
        assert label in out
    by_hand, from_kit = re.search(r"= ([\d.]+) USD by hand \| ([\d.]+) USD from cost_of_usage", out).groups()
    assert by_hand == from_kit
    formula = lesson[rates - 1]
    assert formula["cell_type"] == "markdown" and "/ 1,000,000" in source(formula)


def test_lesson_01_shows_the_upper_estimate_before_the_budget_exercise():
    shown = first_index("01_generate", lambda c: "upper (plan with this):" in printed(c))
    assert shown < first_index("01_generate", lambda c: '"01.afford"' in source(c))


def test_lesson_02_makes_a_mask_with_plain_pillow_and_sends_it_with_plain_images_edit_first():
    plain = first_index("02_edits", lambda c: c["cell_type"] == "code" and 'Image.new("RGBA"' in source(c)
                        and "client.images.edit(" in source(c) and "mask=" in source(c))
    helper = first_index("02_edits", lambda c: c["cell_type"] == "code" and "rectangle_mask(" in source(c))
    assert plain < helper
    assert "same alpha as the Pillow mask: True" in printed(cells("02_edits")[helper])


def test_lesson_02_draws_a_grid_before_the_mask_exercise():
    grid = first_index("02_edits", lambda c: "with_grid(" in source(c))
    assert grid < first_index("02_edits", lambda c: '"02.sofa_mask"' in source(c))
