"""Test-suite setup shared by the unit tests and nbval: strict replay, no key, no network.

When a lesson fails and differs from its committed version (run and saved in JupyterLab, say), the
summary names it and gives the command that restores it (helpers/lesson_changes.py).

nbval collects notebooks, and only the kit's lessons (helpers/lessons.py) on the tracks of the kit's day: a learner's copy, in
my_work/ or next to a lesson, is theirs to change and never part of the suite's result. A notebook
named on the command line is still collected (pytest does not ask this hook about those).
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SCRATCH = pytest.StashKey[str]()
FAILED: set[str] = set()  # ids of failed tests, for the note on lessons changed since they were committed


def pytest_configure(config):
    # nbval starts each notebook's kernel with this process's environment, so this is what makes
    # every notebook replay its recording strictly under the suite.
    os.environ["COOKBOOK_MODE"] = "replay"
    os.environ.pop("OPENAI_API_KEY", None)
    # A day past gpt-image-1-mini's shutdown: stored outputs come from replay runs on other days, so the suite
    # passing proves they do not depend on the calendar. Tests that need another day set their own.
    os.environ["COOKBOOK_TODAY"] = "2026-12-02"
    # Lessons save images; under the suite they go to a scratch folder, not the learner's outputs.
    # The folder keeps the name "outputs" because lessons print it. The process that makes it (the
    # xdist controller; its workers and kernels inherit the variable) removes it at the end.
    if "COOKBOOK_OUTPUTS_DIR" not in os.environ:
        scratch = tempfile.mkdtemp(prefix="cookbook-")
        config.stash[SCRATCH] = scratch
        os.environ["COOKBOOK_OUTPUTS_DIR"] = os.path.join(scratch, "outputs")


def pytest_unconfigure(config):
    scratch = config.stash.get(SCRATCH, None)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
        del os.environ["COOKBOOK_OUTPUTS_DIR"]


def pytest_ignore_collect(collection_path: Path, config):
    # Imported here, not at the top: under xdist only the workers collect, and importing helpers (the
    # SDK with it) would add most of a second to the controller's start before any worker starts.
    from helpers import lessons, registry, tracks

    executed = {path.resolve() for path in tracks.executed_lessons(registry.lesson_tracks(registry.as_of_day()))}
    if collection_path.suffix == ".ipynb" and collection_path.resolve() not in executed:
        return True
    if collection_path == lessons.LEARNER_DIR:
        return True
    return None


def pytest_runtest_logreport(report):
    # Under xdist the controller receives every worker's reports, so the note below sees them all.
    if report.failed:
        FAILED.add(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not any(nodeid.split("::", 1)[0].endswith(".ipynb") for nodeid in FAILED):
        return
    from helpers import lesson_changes

    note = lesson_changes.failure_note(FAILED, Path(str(config.rootpath)))
    if note:
        terminalreporter.section("lessons changed since they were committed")
        terminalreporter.write_line(note)
