"""Every Markdown file and lesson Markdown cell renders as written in JupyterLab's preview and on GitHub:
no dollar amount is read as maths, and lesson lines stay short enough to read in a diff."""

import json
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

ROOT = Path(__file__).resolve().parent.parent
MAX_LESSON_LINE = 120
# The most permissive dollar-math reading, as JupyterLab's: "$5 and $8" is a formula unless escaped.
PARSER = MarkdownIt("commonmark").use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)


def markdown_files():
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout.strip():
        return sorted(ROOT / p for p in listed.stdout.split())
    return sorted(p for p in ROOT.rglob("*.md") if not {".venv", ".git", "node_modules"} & set(p.parts))


def lesson_cells():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "markdown":
                yield f"{path.name} cell {number}", "".join(cell["source"])


def math_spans(text: str) -> list[str]:
    """The contents of every span the dollar-math reading takes for maths, inline or block."""
    found = []

    def walk(tokens):
        for token in tokens:
            if token.type.startswith("math"):
                found.append(token.content)
            if token.children:
                walk(token.children)

    walk(PARSER.parse(text))
    return found


SOURCES = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in markdown_files()] + list(lesson_cells())


def test_the_check_sees_an_unescaped_dollar_amount():
    assert math_spans("Text in, image in and out cost $5 / $8 / $30 per 1M tokens.")
    assert math_spans("A cap of $1.00 and a run of $0.25.")
    assert not math_spans(r"A cap of \$1.00 and a run of \$0.25, and `$HOME` in code.")


@pytest.mark.parametrize("where, text", SOURCES, ids=[where for where, _ in SOURCES])
def test_no_dollar_amount_is_read_as_maths(where, text):
    spans = math_spans(text)
    assert not spans, f"{where}: read as maths (escape each dollar sign as \\$): {spans[:3]}"


@pytest.mark.parametrize("where, text", list(lesson_cells()), ids=[where for where, _ in lesson_cells()])
def test_lesson_markdown_lines_are_short(where, text):
    fence = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fence = not fence
        if not fence and not line.lstrip().startswith("|"):
            assert len(line) <= MAX_LESSON_LINE, f"{where}: a line of {len(line)} characters"
