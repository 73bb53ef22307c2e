"""Static checks on the committed notebooks: small, normalised, honest and in workshop shape.

nbval (run by the same suite) checks that their outputs still match a replay of the recordings.
"""

import copy
import json
import re

import nbformat
import pytest
from nbstripout._utils import strip_output

from helpers import lessons, registry, tracks
from helpers.maintainer import rebuild
from helpers.client import RECORDINGS_DIR
from helpers.wrapping import LINE_WIDTH

# The kit's lessons only: a learner's copy (my_work/, or a "Copy1" next to a lesson) is not checked.
NOTEBOOKS = lessons.lesson_paths()
SUCCESSOR = tracks.TRACKS[tracks.SUCCESSOR]
# Every executed notebook of the kit's day (one track, or two around a shutdown): the static checks hold for each.
EXECUTED = tracks.executed_lessons(registry.lesson_tracks(registry.as_of_day()))
MAX_NOTEBOOK_BYTES = 300_000
MAX_TEXT_OUTPUT_CHARS = 4000
MAX_RECORDING_BYTES = 400_000
VOLATILE = [
    (re.compile(r"0x[0-9a-f]{6,}"), "a memory address"),
    (re.compile(r"/(tmp|home|root|Users)/[^\s'\"]+"), "an absolute path"),
    (re.compile(r"sk-[A-Za-z0-9_-]{16,}"), "something shaped like an API key"),
]


def cells(notebook, kind):
    return [c for c in notebook.cells if c.cell_type == kind]


def text_of(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return output.evalue
    return output.get("data", {}).get("text/plain", "")


def ignores_output(cell) -> bool:
    return "# NBVAL_IGNORE_OUTPUT" in cell.source or "nbval-ignore-output" in cell.metadata.get("tags", [])


@pytest.fixture(params=EXECUTED, ids=[str(p.relative_to(p.parents[1])) for p in EXECUTED])
def notebook_path(request):
    return request.param


def test_there_are_lessons():
    assert NOTEBOOKS, "no lessons listed in helpers/lessons.py"
    assert NOTEBOOKS[0].name.startswith("00_")
    missing = [p.name for p in NOTEBOOKS if not p.exists()]
    assert not missing, f"helpers/lessons.py lists notebooks that do not exist: {missing}"


def test_numbering_is_unique_and_in_order():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert all(n.isdigit() for n in numbers) and numbers == sorted(set(numbers))


def test_notebook_is_small_and_normalised(notebook_path):
    assert notebook_path.stat().st_size < MAX_NOTEBOOK_BYTES
    notebook = nbformat.read(notebook_path, as_version=4)
    stripped = strip_output(copy.deepcopy(notebook), keep_output=True, keep_count=True, keep_id=True,
                            extra_keys=rebuild.NBSTRIPOUT_ARGS[-1].split())
    assert stripped == notebook, f"run: python -m nbstripout {' '.join(rebuild.NBSTRIPOUT_ARGS)} {notebook_path}"


def test_outputs_are_thumbnails_and_stable_text(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in cells(notebook, "code"):
        if cell.outputs:
            assert cell.execution_count is not None, "stored outputs must come from a full replay run"
        for output in cell.outputs:
            data = output.get("data", {})
            assert "image/png" not in data and "image/webp" not in data, "show images with helpers.display"
            assert "data:image" not in data.get("text/html", "")
            if "image/jpeg" in data:
                assert len(data["image/jpeg"]) < 80_000, "thumbnail too large"
            text = text_of(output)
            assert len(text) < MAX_TEXT_OUTPUT_CHARS, "a response object's repr? print its fields instead"
            if not ignores_output(cell):
                for pattern, what in VOLATILE:
                    assert not pattern.search(text), f"{what} in a compared output: {pattern.search(text)[0]}"


def printed_lines(notebook):
    """(cell index, line) for every line of the text a notebook shows: streams and plain-text results.

    A stream stored in pieces is read whole, as the learner sees it. A traceback is left out: an
    exception's message is one string to the learner's own code.
    """
    for index, cell in enumerate(notebook.cells):
        streams: dict[str, str] = {}
        texts = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                streams[output.name] = streams.get(output.name, "") + output.text
            else:
                texts.append(output.get("data", {}).get("text/plain", ""))
        for text in [*streams.values(), *texts]:
            for line in text.splitlines():
                yield index, line


def test_printed_lines_fit_the_kits_line_width(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    long = [f"cell {index}, {len(line)} chars: {line}" for index, line in printed_lines(notebook)
            if len(line) > LINE_WIDTH]
    assert not long, (f"{notebook_path.relative_to(notebook_path.parents[1])}: {len(long)} printed line(s) over "
                      f"{LINE_WIDTH} characters (wrap with helpers.display.say or helpers.wrapping.wrap):\n"
                      + "\n".join(long))


def test_ignored_outputs_say_why(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in cells(notebook, "code"):
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "# NBVAL_IGNORE_OUTPUT":
                assert i + 1 < len(lines) and lines[i + 1].strip().startswith("#"), (
                    "follow # NBVAL_IGNORE_OUTPUT with a comment saying why the output varies")


def test_workshop_shape(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    intro, outro = cells(notebook, "markdown")[0].source, cells(notebook, "markdown")[-1].source
    for heading in ("Objectives", "Prerequisites", "Minutes"):
        assert heading in intro, f"the first cell should give {heading}"
    assert "Key points" in outro


def test_client_uses_the_notebooks_own_recording(notebook_path):
    source = "\n".join(c.source for c in cells(nbformat.read(notebook_path, as_version=4), "code"))
    lessons = set(re.findall(r"make_client\(\s*[\"']([^\"']+)[\"']", source))
    assert lessons <= {notebook_path.stem}, "make_client must name the notebook's own recording"
    if lessons:
        recordings = RECORDINGS_DIR if notebook_path.parent.name != tracks.SUCCESSOR else SUCCESSOR.recordings_dir
        assert (recordings / f"{notebook_path.stem}.json").exists()


# The migration lesson runs old code as it was written: there, the names of models the registry lists
# with a shutdown date are history, not facts to keep current.
HISTORY_LESSON = "07_migration"


def test_no_model_name_or_price_is_hard_coded(notebook_path):
    source = "\n".join(c.source for c in cells(nbformat.read(notebook_path, as_version=4), "code"))
    history = ({m.id for m in registry.MODELS.values() if m.lifecycle.shutdown_date}
               if notebook_path.stem == HISTORY_LESSON else set())
    named = re.findall(r"[\"']((?:gpt-image|dall-e|chatgpt-image|gpt-5)[^\"']*)[\"']", source)
    assert not [name for name in named if name not in history], "take model names from helpers.registry"
    assert not re.search(r"\$\s?\d", source), "take prices from helpers.registry"


def test_the_successor_track_is_executed_exactly_while_the_kit_day_has_one():
    on = registry.successor_track_on(registry.as_of_day())
    present = sorted(p.name for p in SUCCESSOR.notebooks_dir.glob("*.ipynb"))
    assert present == ([p.name for p in SUCCESSOR.lessons()] if on else []), \
        "rebuild every track of the kit's day: python -m helpers.maintainer.rebuild --all"


def test_successor_copies_run_the_source_cells():
    if not registry.successor_track_on(registry.as_of_day()):
        pytest.skip("the kit's day has no successor track")
    for source in NOTEBOOKS:
        copy_ = nbformat.read(SUCCESSOR.notebook_for(source), as_version=4)
        original = nbformat.read(source, as_version=4)
        assert [c.source for c in copy_.cells] == [SUCCESSOR.relocate(c.source) for c in original.cells], \
            f"rebuild it: python -m helpers.maintainer.rebuild {source.relative_to(source.parents[1])} --track successor"


def test_recordings_are_small_labelled_and_used():
    used = {p.stem for p in NOTEBOOKS}
    for path in [*RECORDINGS_DIR.glob("*.json"), *SUCCESSOR.recordings_dir.glob("*.json")]:
        assert not path.name.endswith(".new.json"), f"{path.name} is an unfinished recording"
        assert path.stem in used, f"{path.name} belongs to no notebook"
        assert path.stat().st_size < MAX_RECORDING_BYTES
        document = json.loads(path.read_text())
        assert document["sources"] and all(i["source"] in ("simulator", "openai-api")
                                           for i in document["interactions"])
