"""The two executed lesson tracks: which track a kernel is on, and which model each track teaches."""

import datetime as dt

import pytest

from helpers import edits, lessons, pricing, registry, tracks

SUCCESSOR = tracks.TRACKS[tracks.SUCCESSOR]
DAY = registry.as_of_day()


def test_a_kernel_in_the_successor_folder_is_on_the_successor_track():
    assert tracks.current(env={}, cwd=SUCCESSOR.notebooks_dir).name == tracks.SUCCESSOR
    assert tracks.current(env={}, cwd=tracks.NOTEBOOKS_DIR).name == tracks.PRIMARY
    assert tracks.current(env={"COOKBOOK_TRACK": "successor"}, cwd=tracks.NOTEBOOKS_DIR).name == tracks.SUCCESSOR


def test_a_bad_track_name_is_refused():
    with pytest.raises(tracks.UnknownTrack):
        tracks.current(env={"COOKBOOK_TRACK": "mainline"})


def test_each_track_teaches_its_model():
    assert registry.lesson_image_model(DAY, env={"COOKBOOK_TRACK": "primary"}) == registry.lane_model(registry.as_of_day())
    successor = registry.lesson_image_model(DAY, env={"COOKBOOK_TRACK": "successor"})
    named = registry.get(registry.lane_model(registry.as_of_day())).lifecycle.successors
    assert successor == (named[0] if named else registry.lane_model(registry.as_of_day()))
    assert registry.lesson_image_model(DAY, env={"COOKBOOK_TRACK": "successor",
                                                 "COOKBOOK_IMAGE_MODEL": "gpt-image-2"}) == "gpt-image-2"


def test_minis_successor_track_teaches_the_budget_lane_successor(lessons_on_mini):
    assert registry.lesson_image_model(DAY, env={"COOKBOOK_TRACK": "successor"}) == "gpt-image-2.6-flare"


def test_a_lesson_model_that_names_no_successor_is_its_own_successor_track():
    lane = registry.lane_model(DAY)
    assert registry.get(lane).lifecycle.successors == ()
    assert registry.track_image_model(tracks.SUCCESSOR, DAY) == lane
    assert registry.lesson_tracks(DAY) == [tracks.TRACKS[tracks.PRIMARY]]


def test_successor_copies_reach_the_kit_folders_one_level_up():
    text = 'open("../sample_inputs/room.png") `%load ../exercises/solutions/x.py` [next](01_generate.ipynb)'
    moved = SUCCESSOR.relocate(text)
    assert '"../../sample_inputs/room.png"' in moved and "../../exercises/solutions" in moved
    assert "(01_generate.ipynb)" in moved
    assert tracks.TRACKS[tracks.PRIMARY].relocate(text) == text


def test_batch_falls_back_to_the_cheapest_served_batch_model_that_retires_no_sooner():
    model, why = pricing.batch_model("gpt-image-2.6-flare", DAY)
    assert model == "gpt-image-2"
    assert "not supported" in why and "2027-02-10" in why and "[3P]" in why
    assert pricing.batch_model("gpt-image-1-mini", DAY)[0] == "gpt-image-1-mini"


def test_comparisons_leave_out_models_that_shut_down_sooner():
    assert "gpt-image-1-mini" not in pricing.comparison_models("gpt-image-2.6-flare", DAY)
    assert "gpt-image-1.5" in pricing.comparison_models("gpt-image-1-mini", dt.date(2026, 11, 29))


@pytest.mark.parametrize("model, value", [("gpt-image-1-mini", "high"), ("gpt-image-2", "low"),
                                          ("gpt-image-1.5", None), ("gpt-image-2.6-flare", None),
                                          ("chatgpt-image-latest", None)])
def test_the_refused_input_fidelity_comes_from_the_registry(model, value):
    demo = edits.refused_fidelity(model)
    assert demo.value == value
    if registry.get(model).capabilities is None or registry.get(model).capabilities.input_fidelity is None:
        assert registry.NOT_FOUND in demo.text


def test_one_price_source_is_not_called_a_disagreement():
    assert "one price source only" in pricing.sources_verdict("gpt-image-2", "medium", "1024x1024")
    assert "disagree" in pricing.sources_verdict("gpt-image-1-mini", "medium", "1024x1024")
    assert registry.NOT_FOUND in pricing.sources_verdict("gpt-image-2.6-flare", "medium", "1024x1024")


def test_size_verdict_says_larger_is_dearer_for_mini():
    assert "every larger size costs more" in pricing.size_verdict("gpt-image-1-mini", "low")
    assert "not always dearer" in pricing.size_verdict("gpt-image-2", "low")


def test_rebuild_takes_lessons_or_all_and_only_source_lessons(capsys):
    from helpers.maintainer import rebuild

    for argv in ([], ["--all", "notebooks/01_generate.ipynb"],
                 [str(SUCCESSOR.notebooks_dir / "01_generate.ipynb"), "--track", "successor"]):
        with pytest.raises(SystemExit):
            rebuild.main(argv)
    assert "is the successor track's copy of a lesson" in capsys.readouterr().err


def test_rebuild_all_rebuilds_both_tracks_then_the_generated_docs(monkeypatch):
    from helpers.maintainer import rebuild

    steps = []
    monkeypatch.setattr(rebuild, "rebuild", lambda path, source, track: steps.append((track, path.name)))
    monkeypatch.setattr(rebuild, "refresh_generated_docs", lambda: steps.append("docs"))
    monkeypatch.setattr(rebuild, "retire_inactive_tracks", lambda active: steps.append("retire"))
    rebuild.main(["--all"])
    day = registry.kit_day("record", {"COOKBOOK_RECORD_FROM": "simulator"})
    lessons_rebuilt = [(t.name, p.name) for t in registry.lesson_tracks(day) for p in tracks.source_lessons()]
    assert steps[-2:] == ["retire", "docs"]
    steps = [step for step in steps if step != "retire"]
    assert steps == [*lessons_rebuilt, "docs"]


def test_the_generated_docs_are_written_from_the_scripts_and_the_registry(monkeypatch, tmp_path):
    from helpers.maintainer import rebuild

    guide, readme = tmp_path / "guide.md", tmp_path / "README.md"
    guide.write_text("<!-- agenda -->\nold\n<!-- /agenda -->\n<!-- kit-costs -->\nold\n<!-- /kit-costs -->\n")
    readme.write_text("intro\n<!-- model-table -->\nold\n<!-- /model-table -->\nend\n")
    monkeypatch.setattr(rebuild, "README", readme)
    rebuild.sys.path.insert(0, str(rebuild.SCRIPTS))
    try:
        import agenda
    finally:
        rebuild.sys.path.remove(str(rebuild.SCRIPTS))
    monkeypatch.setattr(agenda, "GUIDE", guide)
    monkeypatch.setattr(agenda, "ROOT", tmp_path)
    rebuild.refresh_generated_docs()
    assert "old" not in guide.read_text() and "old" not in readme.read_text()
    assert agenda.embedded(readme.read_text(), "model-table") == registry.markdown_model_table()
    assert (f"Model for a workshop on {registry.as_of_day()}: `{registry.lesson_image_model()}`"
            in agenda.embedded(guide.read_text(), "agenda"))


def test_usage_from_the_simulator_is_labelled_simulated(monkeypatch):
    from helpers import client

    monkeypatch.delenv("COOKBOOK_TRACK", raising=False)
    assert client.usage_origin("01_generate", mode="replay") == "simulated"
    assert client.usage_origin("01_generate", mode="live") == "reported"
    monkeypatch.setenv("COOKBOOK_RECORD_FROM", "simulator")
    assert client.usage_origin("01_generate", mode="record") == "simulated"


def test_the_sweep_table_has_a_row_per_model_and_a_column_per_lesson():
    import importlib.util

    spec = importlib.util.spec_from_file_location("model_sweep", lessons.ROOT / "scripts" / "model_sweep.py")
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    text = sweep.table({("m1", "00_a"): "ok", ("m1", "01_b"): "KeyError: x", ("m2", "00_a"): "ok",
                        ("m2", "01_b"): "ok"}, ["m1", "m2"], ["00_a", "01_b"])
    assert text.splitlines()[0] == "| model | 00_a | 01_b |"
    assert "| `m1` | ok | KeyError: x |" in text and "| `m2` | ok | ok |" in text
