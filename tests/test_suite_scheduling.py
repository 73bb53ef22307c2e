"""How the suite spreads over its workers: a notebook's cells share one kernel, the browser tests one server."""

import importlib.util
import re
from pathlib import Path

import test_browser

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("suite_conftest", ROOT / "conftest.py")
suite_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite_conftest)


class Item:
    """The part of a pytest item the scheduling hook reads and writes."""

    def __init__(self, path: str, *marks):
        self.path, self.marks = ROOT / path, [m.mark for m in marks]

    def add_marker(self, marker):
        self.marks.append(marker.mark)

    def iter_markers(self, name):
        return (mark for mark in self.marks if mark.name == name)

    def group(self):
        return next((mark.args[0] for mark in self.iter_markers("xdist_group")), None)


class Config:
    rootpath = ROOT


def test_the_suite_schedules_by_group():
    addopts = re.search(r'^addopts = "(.*)"$', (ROOT / "pyproject.toml").read_text(), re.M)[1]
    assert "--dist loadgroup" in addopts  # the scheduler that honours xdist_group marks


def test_a_notebooks_cells_share_a_group_and_the_browser_tests_start_first():
    browser_mark = test_browser.pytestmark
    items = [Item("tests/test_bulk.py"), Item("notebooks/00_access_triage.ipynb"),
             Item("notebooks/successor/00_access_triage.ipynb"), Item("notebooks/00_access_triage.ipynb"),
             Item("tests/test_browser.py", browser_mark), Item("tests/test_browser.py", browser_mark)]
    suite_conftest.pytest_collection_modifyitems(Config(), items)
    assert [item.group() for item in items] == [
        "browser", "browser", "notebooks/00_access_triage.ipynb", "notebooks/successor/00_access_triage.ipynb",
        "notebooks/00_access_triage.ipynb", None]
    assert browser_mark.mark.name == "xdist_group"

