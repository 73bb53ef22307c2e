"""What the site adds to the kit's committed sources before Sphinx reads them (nothing is written back).

A lesson page gets, after its first cell (title, objectives, prerequisites, minutes), a box that says how
to run it: the README's two commands, read from README.md, and a link to download the notebook. Each
Vega-Lite output gets an SVG drawing of the same chart next to it, rendered here with vl-convert (no
browser, no network), so the chart shows as a picture with the chart's own text description as its
alt text. Each picture gets alt text: the prompt(s) its cell sends, the captions it shows, or else
the section it illustrates.

Everything here works on the notebook's JSON (nbformat 4) as a dict, in memory: the committed file is
never changed.
"""

from __future__ import annotations

import ast
import json
import re

import vl_convert

VEGA_LITE = re.compile(r"application/vnd\.vegalite\.v(\d+)\+json")
# A table in a chart's text/plain fallback: a header line followed by a rule of dashes.
RULE = re.compile(r"^-[- ]*$")
# Keyword arguments and message keys that carry what a request asks the model to draw.
PROMPT_KEYWORDS = {"prompt", "input"}
PROMPT_KEYS = {"content", "text"}
PICTURE_CALLS = {"gallery", "side_by_side"}


class SourceError(ValueError):
    """A committed source lacks something the site reads from it (the message says what and where)."""


def readme_commands(readme: str) -> tuple[str, str]:
    """The README's quick-start commands as ``(jupyterlab, test)`` strings.

    The JupyterLab command is the first fenced block that runs ``jupyter lab``; the test command is the
    block between the ``<!-- test-command -->`` markers. Raises ``SourceError`` if either is missing.
    """
    blocks = re.findall(r"^[ \t]*```\n(.*?)\n[ \t]*```", readme, re.M | re.S)
    lab = next((block for block in blocks if "jupyter lab" in block), None)
    test = re.search(r"<!-- test-command -->\s*```\s*(.*?)\s*```", readme, re.S)
    if lab is None or test is None:
        raise SourceError("README.md must hold a fenced `jupyter lab` command and a test command between "
                          "<!-- test-command --> markers: the lesson pages show both")
    return lab.strip(), test[1].strip()


def run_box(stem: str, commands: tuple[str, str]) -> str:
    """Markdown (MyST) for the box on a lesson page that says how to run the lesson."""
    lab, test = commands
    return (f"````{{admonition}} Run this lesson\n:class: tip\n\n"
            f"This page shows the lesson with its stored outputs. Download the notebook: "
            f"{{download}}`{stem}.ipynb <{stem}.ipynb>`. It imports the kit's `helpers`, so run it from a clone "
            f"of the repository. Open the kit in JupyterLab, then `notebooks/{stem}.ipynb`:\n\n"
            f"```\n{lab}\n```\n\n"
            f"Check every lesson, this one included, against its recording:\n\n```\n{test}\n```\n````")


def chart_svg(spec: dict, mime_type: str) -> str:
    """An SVG drawing (text) of the Vega-Lite ``spec`` stored under ``mime_type``.

    Rendered with the Vega-Lite version the spec's ``$schema`` names, data inline only: any URL the
    spec would load is refused, so a build never reaches the network. Raises ``SourceError`` if the
    version is not one vl-convert bundles.
    """
    major = VEGA_LITE.fullmatch(mime_type)[1]
    named = re.search(r"/v(\d+)\.(\d+)(?:\.\d+)?\.json$", spec.get("$schema", ""))
    version = f"{named[1]}.{named[2]}" if named and named[1] == major else None
    if version not in vl_convert.get_vegalite_versions():
        raise SourceError(f"a {mime_type} chart names Vega-Lite {spec.get('$schema')!r}, which the pinned "
                          f"vl-convert-python does not bundle ({', '.join(vl_convert.get_vegalite_versions())})")
    return vl_convert.vegalite_to_svg(spec, vl_version=version, allowed_base_urls=[])


def chart_description(text_plain: str) -> str:
    """The sentence(s) a chart's text fallback opens with, before the table of its numbers (one line)."""
    lines = text_plain.splitlines()
    header = next((i for i in range(len(lines) - 1) if RULE.match(lines[i + 1].strip())), len(lines))
    return " ".join(line.strip() for line in lines[:header] if line.strip())


def _strings(node: ast.AST, constants: dict[str, str]) -> list[str]:
    """The text of ``node`` if it is a string literal or a name bound to one in the notebook."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    return []


def picture_alt(code: list[str], index: int, heading: str) -> str:
    """Alt text for the pictures that code cell ``index`` of ``code`` (the notebook's code cells' sources) shows.

    The prompts the cell sends (string literals, or names bound to one in this or an earlier cell),
    then the captions it passes to ``gallery`` or ``side_by_side``; if the cell has neither, a
    description naming ``heading``, the section it illustrates.
    """
    constants: dict[str, str] = {}
    for source in code[:index + 1]:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a cell with IPython magics: it binds no prompt this can read
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                constants.update({target.id: node.value.value for target in node.targets
                                  if isinstance(target, ast.Name)})
    prompts, captions = [], []
    try:
        tree = ast.parse(code[index])
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in PROMPT_KEYWORDS:
                    prompts += _strings(keyword.value, constants)
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in PICTURE_CALLS and len(node.args) > 1 and isinstance(node.args[1], ast.List):
                captions += [text for item in node.args[1].elts for text in _strings(item, constants)]
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value in PROMPT_KEYS:
                    prompts += _strings(value, constants)
    parts = [f"Prompt: {prompt}" for prompt in dict.fromkeys(prompts)]
    if captions:
        parts.append("Pictures: " + ", ".join(captions))
    return "; ".join(parts) if parts else f"Picture shown in the section “{heading}” (see the code above it)"


def _heading(markdown: str, current: str) -> str:
    found = re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, re.M)
    return found[-1] if found else current


def lesson_notebook(text: str, stem: str, commands: tuple[str, str]) -> str:
    """The lesson notebook ``text`` (JSON) as the site shows it: run box, chart drawings, alt texts.

    Raises ``SourceError`` if the notebook has no markdown cell first (its title and objectives).
    """
    notebook = json.loads(text)
    cells = notebook["cells"]
    if not cells or cells[0]["cell_type"] != "markdown":
        raise SourceError(f"notebooks/{stem}.ipynb must open with a markdown cell (title, objectives, minutes)")
    code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    heading, code_index = "", -1
    for cell in cells:
        if cell["cell_type"] == "markdown":
            heading = _heading("".join(cell["source"]), heading)
            continue
        if cell["cell_type"] != "code":
            continue
        code_index += 1
        outputs, alt = [], None
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            charts = [mime for mime in data if VEGA_LITE.fullmatch(mime)]
            if charts:
                # The spec becomes its drawing, and the rest of the output (its text fallback: the chart's
                # numbers as a table) still shows below it.
                outputs.append({"output_type": "display_data", "metadata": {},
                                "data": {"image/svg+xml": chart_svg(data[charts[0]], charts[0])}})
                output = {**output, "data": {m: v for m, v in data.items() if m != charts[0]}}
                alt = chart_description("".join(data.get("text/plain", ""))) or "Chart"
            elif any(mime.startswith("image/") for mime in data):
                alt = alt or picture_alt(code, code_index, heading)
            outputs.append(output)
        if alt:
            cell["outputs"] = outputs
            cell.setdefault("metadata", {}).setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
    box = {"cell_type": "markdown", "metadata": {}, "source": run_box(stem, commands)}
    if "id" in cells[0]:  # nbformat 4.5 and later give every cell an id
        box["id"] = "run-this-lesson"
    cells.insert(1, box)
    return json.dumps(notebook)


def contents(lessons: list[str], further: list[str]) -> str:
    """The home page's hidden tables of contents (MyST): the lessons in teaching order, then the other pages.

    ``lessons`` and ``further`` are document names (paths without suffix, from the source root).
    """
    def toctree(caption: str, documents: list[str]) -> str:
        return f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n" + "\n".join(documents) + "\n```\n"

    return toctree("Lessons", lessons) + toctree("Instructors and contributors", further)
