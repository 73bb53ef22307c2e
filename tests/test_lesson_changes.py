"""A lesson saved after a run fails nbval; the suite then names it and says how to restore it."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import lesson_changes

ROOT = Path(__file__).resolve().parent.parent


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "notebooks").mkdir()
    for name in ("00_a.ipynb", "01_b.ipynb"):
        (tmp_path / "notebooks" / name).write_text(json.dumps({"cells": []}))
    git("init", "-q", cwd=tmp_path)
    git("add", ".", cwd=tmp_path)
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "lessons", cwd=tmp_path)
    return tmp_path


def test_a_saved_lesson_is_named_with_the_command_that_restores_it(checkout):
    assert lesson_changes.changed_lessons(checkout) == []
    (checkout / "notebooks" / "01_b.ipynb").write_text(json.dumps({"cells": [{"outputs": ["run"]}]}))
    assert lesson_changes.changed_lessons(checkout) == ["notebooks/01_b.ipynb"]
    note = lesson_changes.failure_note(["notebooks/01_b.ipynb::Cell 3", "tests/test_x.py::test_y"], checkout)
    assert "git checkout -- notebooks/01_b.ipynb" in note and "00_a" not in note


def test_no_note_when_the_failing_lesson_is_as_committed(checkout):
    assert lesson_changes.failure_note(["notebooks/00_a.ipynb::Cell 1"], checkout) == ""


def test_no_note_outside_a_git_checkout(tmp_path):
    assert lesson_changes.changed_lessons(tmp_path) == []


def test_the_suite_names_a_lesson_saved_after_a_run(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "kit"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, capture_output=True)
    # Only what is committed is in the clone; the lesson is changed as JupyterLab's autosave would change it.
    lesson = clone / "notebooks" / "00_access_triage.ipynb"
    notebook = json.loads(lesson.read_text())
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code" and c["outputs"])
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["a learner's run\n"]}]
    lesson.write_text(json.dumps(notebook, indent=1))
    done = subprocess.run([sys.executable, "-m", "pytest", "-n0", "-x", "notebooks/00_access_triage.ipynb"],
                          cwd=clone, capture_output=True, text=True)
    assert done.returncode != 0
    assert "lessons changed since they were committed" in done.stdout
    assert "git checkout -- notebooks/00_access_triage.ipynb" in done.stdout
