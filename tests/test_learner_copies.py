"""A learner's copy of a lesson never changes the kit's checks, and the rebuild command refuses it plainly."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import lessons, registry, tracks
from helpers.maintainer import rebuild
from helpers.client import RECORDINGS_DIR

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import agenda  # noqa: E402  (scripts/ is not a package)
import kit_costs  # noqa: E402

# What the suite's notebook collection reads: its configuration, the helpers the root conftest imports,
# and the lessons with their recordings.
REPO_PARTS = ("conftest.py", "pyproject.toml", ".nbval-sanitize.cfg", "helpers", "notebooks")
# Where learners leave copies: the learner folder, and next to the lesson (JupyterLab's Duplicate).
COPIES = ("my_work/01_generate.ipynb", "my_work/01_generate-Copy1.ipynb", "notebooks/01_generate-Copy1.ipynb",
          "notebooks/Untitled.ipynb", "notebooks/my_work/02_edits.ipynb")


def _repo_copy(where: Path) -> Path:
    ignore = shutil.ignore_patterns("outputs", ".ipynb_checkpoints", "*.new.json")
    for part in REPO_PARTS:
        source, target = ROOT / part, where / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy(source, target)
    return where


def test_a_learners_copies_do_not_change_what_the_suite_collects(tmp_path):
    repo = _repo_copy(tmp_path)
    for copy in COPIES:
        (repo / copy).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "notebooks" / "01_generate.ipynb", repo / copy)
    # The suite's notebook folder, and the learner folder named outright. The suite's own configuration
    # applies; only Hypothesis's plugin, which no notebook uses, is left out (it takes a second to load).
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:hypothesispytest",
                           "notebooks", "my_work"],
                          cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    nodes = [line for line in done.stdout.splitlines() if "::" in line]
    # nbval makes a notebook's items from that file alone, so the same files mean the same items.
    assert {node.split("::")[0] for node in nodes} == {
        str(path.relative_to(ROOT)) for path in tracks.executed_lessons(registry.lesson_tracks(registry.as_of_day()))}
    for stem in lessons.LESSONS:
        assert f"notebooks/{stem}.ipynb::Cell 0" in nodes


def test_the_suites_static_notebook_checks_cover_exactly_the_lessons():
    import test_notebooks

    assert test_notebooks.NOTEBOOKS == lessons.lesson_paths()


def test_the_agenda_and_the_cost_table_read_only_the_kits_lessons():
    assert [lesson.stem for lesson in agenda.read_lessons()] == list(lessons.LESSONS)
    assert [plan.notebook for plan in kit_costs.read_costs()] == list(lessons.LESSONS)


def test_every_notebook_the_repository_tracks_is_a_listed_lesson():
    try:
        tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    assert sorted(tracked) == sorted(str(path.relative_to(ROOT)) for path in tracks.executed_lessons(registry.lesson_tracks(registry.as_of_day()))), (
        "list a new lesson in helpers/lessons.py and rebuild it (python -m helpers.maintainer.rebuild --all)")


def test_my_work_is_ignored_by_git_except_its_readme():
    try:
        ignored = subprocess.run(["git", "check-ignore", "--no-index", "my_work/01_generate.ipynb",
                                  "my_work/README.md"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    except OSError:
        pytest.skip("git is not installed")
    assert ignored == ["my_work/01_generate.ipynb"]
    assert (lessons.LEARNER_DIR / "README.md").exists()


@pytest.mark.parametrize("where", ["learner folder", "elsewhere"])
def test_rebuilding_a_copy_says_why_not_and_writes_nothing(tmp_path, monkeypatch, capsys, where):
    folder = tmp_path / "my_work"
    folder.mkdir()
    if where == "learner folder":
        monkeypatch.setattr(lessons, "LEARNER_DIR", folder)
    copy = folder / "01_generate.ipynb"
    shutil.copy(ROOT / "notebooks" / "01_generate.ipynb", copy)
    before = {p: p.stat().st_mtime_ns for p in [*RECORDINGS_DIR.iterdir(), *folder.iterdir()]}
    with pytest.raises(SystemExit) as refused:
        rebuild.main([str(copy)])
    assert refused.value.code == 2
    message = capsys.readouterr().err
    assert "not one of the kit's lessons" in message and "records into the recording" in message
    assert ("the learner folder" in message) == (where == "learner folder")
    assert {p: p.stat().st_mtime_ns for p in [*RECORDINGS_DIR.iterdir(), *folder.iterdir()]} == before


def test_rebuilding_a_tracks_copy_names_its_source_and_track(capsys):
    copy = tracks.get(tracks.SUCCESSOR).notebook_for(ROOT / "notebooks" / "01_generate.ipynb")
    with pytest.raises(SystemExit) as refused:
        rebuild.main([str(copy)])
    assert refused.value.code == 2
    message = capsys.readouterr().err
    assert "python -m helpers.maintainer.rebuild notebooks/01_generate.ipynb --track successor" in message
    assert rebuild.COPY_ADVICE not in message


def test_rebuilding_a_notebook_that_does_not_exist_says_only_that(tmp_path):
    missing = tmp_path / "nothere.ipynb"
    assert rebuild.why_not_a_lesson(missing) == f"{missing} does not exist."
    assert rebuild.why_not_a_lesson(ROOT / "notebooks" / "01_generate.ipynb") is None


def test_a_failed_rebuild_leaves_no_unfinished_recording(monkeypatch, tmp_path):
    monkeypatch.setattr(rebuild, "RECORDINGS_DIR", tmp_path)
    lesson = lessons.lesson_paths()[1]

    def fails_half_way(path, **env):
        (tmp_path / f"{path.stem}.new.json").write_text("{}")
        raise RuntimeError("a cell raised")

    monkeypatch.setattr(rebuild, "execute", fails_half_way)
    with pytest.raises(RuntimeError):
        rebuild.rebuild(lesson, "simulator")
    # Only the writer lock's file stays (released; git ignores it): no unfinished recording, no temporary.
    assert [p.name for p in tmp_path.iterdir()] in ([], [f"{lesson.stem}.lock"])
