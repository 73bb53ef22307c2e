"""Nothing lost: the rebuild stores a lesson in one atomic write (never normalised in place), one rebuild runs
at a time, stale temporaries and locks are cleared by the next run, and a folder is not a lesson."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
from pathlib import Path

import httpx2
import nbformat
import pytest
from PIL import Image

from helpers import bulk, budget, tracks, writes
from helpers.maintainer import rebuild
from helpers.transports import recording
from tests.conftest import sdk_client

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "01_generate.ipynb"


def executed(source: Path) -> nbformat.NotebookNode:
    """The lesson as a kernel hands it back: with the volatile metadata the normalising step strips."""
    notebook = nbformat.read(source, as_version=4)
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    notebook.metadata.setdefault("language_info", {})["version"] = "3.11.7"
    for cell in notebook.cells:
        cell.metadata["execution"] = {"iopub.status.busy": "2026-12-03T06:00:00Z"}
    return notebook


@pytest.fixture
def lesson_in_tmp(tmp_path, monkeypatch):
    """``rebuild.rebuild`` pointed at a copy of a lesson in ``tmp_path`` (no kernel, no recording)."""
    source = tmp_path / "src" / LESSON.name
    source.parent.mkdir()
    shutil.copy(LESSON, source)
    track = tracks.Track(tracks.PRIMARY, tmp_path / "out")
    target = track.notebook_for(source)
    target.parent.mkdir()
    target.write_text("the author's previous lesson\n")
    monkeypatch.setattr(rebuild, "require_lesson", lambda path: Path(path))
    monkeypatch.setattr(rebuild.tracks, "get", lambda name: track)
    monkeypatch.setattr(rebuild, "RECORDINGS_DIR", tmp_path / "recordings")
    monkeypatch.setattr(rebuild, "record_and_promote", lambda lesson, record, folder=None: tmp_path / "none.json")
    monkeypatch.setattr(rebuild, "execute", lambda path, **kw: executed(source))
    return source, target


def test_the_rebuild_stores_the_lesson_in_one_atomic_write_already_normalised(lesson_in_tmp, monkeypatch):
    source, target = lesson_in_tmp
    written: list[tuple[Path, str]] = []
    real = rebuild.atomic_write_text

    def spy(path, text):
        real(path, text)
        written.append((Path(path), text))
    monkeypatch.setattr(rebuild, "atomic_write_text", spy)
    rebuild.rebuild(source, "simulator")
    stored = target.read_text()
    # Every byte of the stored lesson arrived by the last atomic replace: nothing rewrote it in place after.
    assert written and written[-1] == (target, stored)
    notebook = json.loads(stored)
    assert "widgets" not in notebook["metadata"] and "version" not in notebook["metadata"]["language_info"]
    assert all("execution" not in cell["metadata"] for cell in notebook["cells"])


def test_a_kill_while_storing_leaves_the_previous_lesson_whole(lesson_in_tmp, monkeypatch):
    source, target = lesson_in_tmp

    def killed(src, dst):
        raise KeyboardInterrupt  # the process stops between writing the temporary file and the rename
    monkeypatch.setattr(writes.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        rebuild.rebuild(source, "simulator")
    assert target.read_text() == "the author's previous lesson\n"
    assert writes.stale_temporaries(target.parent) == []


def test_normalising_gives_the_bytes_nbstripout_gives_and_the_committed_lessons_have():
    assert rebuild.normalised(executed(LESSON)) == LESSON.read_text(encoding="utf-8")


def test_printing_split_into_several_messages_is_stored_the_same_as_printing_in_one():
    """A kernel may send one cell's printing as one stream message or several, depending on timing."""
    def with_stdout(*texts: str) -> nbformat.NotebookNode:
        notebook = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("print(4, 'images')", id="c1", execution_count=1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in texts]
        cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text="warning\n"))
        cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="after\n"))
        notebook.cells.append(cell)
        return notebook
    one = rebuild.normalised(with_stdout("4 images, 3136 output tokens in total\n"))
    assert rebuild.normalised(with_stdout("4", " images, 3136 output tokens in total\n")) == one
    assert [o["name"] for o in json.loads(one)["cells"][0]["outputs"]] == ["stdout", "stderr", "stdout"]


# --- one rebuild at a time ---------------------------------------------------------------------------

@pytest.fixture
def rebuild_lock(tmp_path, monkeypatch) -> Path:
    path = tmp_path / ".rebuild.lock"
    monkeypatch.setattr(rebuild, "REBUILD_LOCK", path, raising=False)
    return path


def test_a_second_rebuild_says_one_is_running_instead_of_a_traceback(rebuild_lock, monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(rebuild, "rebuild_all", lambda source: ran.append(source), raising=False)
    with writes.FolderLock(rebuild_lock, "a rebuild"):
        with pytest.raises(SystemExit) as stopped:
            rebuild.main(["--all"])
    err = capsys.readouterr().err
    assert stopped.value.code == 1 and "a rebuild is already running" in err and str(os.getpid()) in err
    assert "Traceback" not in err and ran == []


def test_a_rebuild_of_a_lesson_being_recorded_says_so_instead_of_a_traceback(rebuild_lock, capsys):
    before = LESSON.read_bytes()
    with recording.WriterLock(rebuild.RECORDINGS_DIR / f"{LESSON.stem}.json"):
        with pytest.raises(SystemExit) as stopped:
            rebuild.main([str(LESSON)])
    err = capsys.readouterr().err
    assert stopped.value.code == 1 and "another process is recording" in err and "Traceback" not in err
    assert LESSON.read_bytes() == before


def test_a_stale_lock_and_the_temporaries_of_a_killed_rebuild_are_cleared(rebuild_lock, tmp_path, monkeypatch,
                                                                          capsys):
    rebuild_lock.write_text("999999999")  # a rebuild that was killed: its process holds nothing any more
    folder = tmp_path / "lessons"
    folder.mkdir()
    stale = folder / ".01_generate.ipynb.k2j4h6g8.tmp"
    stale.write_text('{"cells": [')
    keep = folder / "notes.tmp"
    keep.write_text("not a temporary of the kit's writer")
    monkeypatch.setattr(rebuild.tracks, "TRACKS", {tracks.PRIMARY: tracks.Track(tracks.PRIMARY, folder)})
    ran = []
    monkeypatch.setattr(rebuild, "rebuild_all", lambda source: ran.append(source), raising=False)
    rebuild.main(["--all"])
    out = capsys.readouterr().out
    assert ran == ["simulator"] and "999999999" in out and not stale.exists() and keep.exists()
    assert rebuild_lock.read_text() == ""  # released on exit


def test_a_folder_is_not_given_the_learner_copy_advice(rebuild_lock, capsys):
    with pytest.raises(SystemExit) as stopped:
        rebuild.main([str(ROOT / "notebooks")])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "is a folder, not a notebook" in err
    assert rebuild.COPY_ADVICE not in err


# --- bulk runs ------------------------------------------------------------------------------------------

def images_body() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "JPEG")
    return {"created": 1767225600, "data": [{"b64_json": base64.b64encode(out.getvalue()).decode()}],
            "output_format": "jpeg", "quality": "low", "size": "1024x1024",
            "usage": {"input_tokens": 9, "input_tokens_details": {"image_tokens": 0, "text_tokens": 9},
                      "output_tokens": 272, "total_tokens": 281}}


def run_bulk(run_dir: Path, **kw) -> bulk.Report:
    client = sdk_client(httpx2.MockTransport(lambda request: httpx2.Response(200, json=images_body())))
    jobs = [bulk.Job(f"img-{i}", f"Draw a lighthouse, number {i}", output_format="jpeg") for i in range(2)]
    return bulk.run(jobs, client=client, model="gpt-image-1-mini", run_dir=run_dir, concurrency=1,
                    limits=bulk.Limits(100, 10_000_000), progress=False, say=lambda _m: None,
                    cap=budget.SpendingCap(10.0), **kw)


@pytest.mark.usefixtures("lessons_on_mini")
def test_the_next_bulk_run_sweeps_the_temporaries_a_killed_run_left(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    left = [run_dir / ".img-0.jpeg.a1b2c3d4.tmp", run_dir / ".manifest.json.zz_9y8x7.tmp"]
    for path in left:
        path.write_bytes(b"half an image")
    report = run_bulk(run_dir)
    assert report.count(bulk.SAVED) == 2
    assert [p for p in left if p.exists()] == [] and writes.stale_temporaries(run_dir) == []


@pytest.mark.usefixtures("lessons_on_mini")
def test_a_second_bulk_run_into_the_same_folder_is_refused_before_sending(tmp_path):
    run_dir = tmp_path / "run"
    with writes.FolderLock(run_dir / bulk.RUN_LOCK_NAME, "a bulk run"):
        with pytest.raises(bulk.OutputFolderError, match="already running.*Nothing was sent"):
            run_bulk(run_dir)
    assert run_bulk(run_dir).count(bulk.SAVED) == 2  # the lock went with its holder


# --- the website --------------------------------------------------------------------------------------------

def test_a_site_build_killed_while_moving_into_place_keeps_the_previous_site(tmp_path, monkeypatch):
    import sys
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_site  # noqa: E402  (scripts/ is not a package)

    out = tmp_path / "site"
    out.mkdir()
    (out / build_site.BUILD_MARK).write_text("")
    (out / "index.html").write_text("the previous site")
    real_move = shutil.move

    def killed(source, target, *args, **kwargs):
        real_move(source, target, *args, **kwargs)
        raise KeyboardInterrupt  # stopped once the new pages are copied, before they are in place
    monkeypatch.setattr(shutil, "move", killed)
    with pytest.raises(KeyboardInterrupt):
        build_site.build(out)
    assert (out / "index.html").read_text() == "the previous site"
    monkeypatch.setattr(shutil, "move", real_move)
    site = build_site.build(out)
    assert "the previous site" not in (site / "index.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging or old copy left beside it


def test_replacing_a_folder_killed_between_its_renames_restores_the_previous_one(tmp_path, monkeypatch):
    target, new = tmp_path / "site", tmp_path / "new"
    for folder, text in ((target, "previous"), (new, "next")):
        folder.mkdir()
        (folder / "index.html").write_text(text)
    real_rename = os.rename

    def killed_after_moving_the_previous_aside(src, dst):
        real_rename(src, dst)
        if Path(src) == target:
            raise KeyboardInterrupt  # the previous folder was renamed aside; the new one is not in place
    monkeypatch.setattr(writes.os, "rename", killed_after_moving_the_previous_aside)
    with pytest.raises(KeyboardInterrupt):
        writes.replace_folder(new, target)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(".site.old-")]
    assert [(p / "index.html").read_text() for p in aside] == ["previous"]  # whole, beside the target
    monkeypatch.setattr(writes.os, "rename", real_rename)
    again = tmp_path / "again"
    again.mkdir()
    (again / "index.html").write_text("next")
    writes.replace_folder(again, target)
    assert (target / "index.html").read_text() == "next"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_widget_outputs_get_model_ids_that_repeat_from_run_to_run():
    import nbformat

    def lesson_with_a_widget(model_id):
        notebook = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("bar", id="cell-one")
        cell.outputs = [nbformat.v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": model_id, "version_major": 2,
                                                         "version_minor": 0}, "text/plain": "bar"})]
        notebook.cells = [cell]
        return notebook

    first = rebuild.normalised(lesson_with_a_widget("63250bcb1ef4482da764ad144f5c3a70"))
    second = rebuild.normalised(lesson_with_a_widget("b49ac2c6176347c686865b7628dd3f62"))
    assert first == second and "63250bcb" not in first
