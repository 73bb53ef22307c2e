"""Sphinx configuration of the kit's website: MyST-NB reads the committed README, lessons and guides.

The source folder is the repository itself, so every relative link in the sources (``notebooks/01_generate.ipynb``,
``../instructors/README.md#breaks``) points at a real page. Which files are pages is decided here, from
``helpers.lessons.LESSONS`` (overridable as ``kit_lessons`` for a build of another tree) and from which
optional guides exist. ``scripts/build_site.py`` runs the build; see there.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402  (the folder is not a package)

project = "Image API Cookbook"
author = "the kit's contributors"
extensions = ["myst_nb"]
root_doc = "README"
html_theme = "furo"
html_title = project
# A page without an icon makes the browser ask for /favicon.ico, which a static host answers with a 404.
html_favicon = "favicon.svg"
html_show_sourcelink = False
html_copy_source = False
# Where it is no page of the site, a folder is never walked for sources (the venv alone is thousands of files).
exclude_patterns = [".venv", ".git", "_site", "artifacts", "build", "wheelhouse", "notebooks/outputs"]

# Stored outputs only: the site never starts a kernel.
nb_execution_mode = "off"
nb_merge_streams = True
# No dollarmath (nor any other extension): in this kit "$0.0120" is a price, never maths.
myst_enable_extensions: list[str] = []
# Anchors for links such as instructors/README.md#breaks, slugged as GitHub does.
myst_heading_anchors = 4
# Widget outputs have no saved state to draw; the page shows their text fallback (written for this),
# and loads no widget JavaScript from a CDN.
nb_ipywidgets_js: dict = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

# Pages beside the lessons, in this order; an optional one is a page only while its file exists.
GUIDES = ["instructors/README", "instructors/glossary", "my_work/README", "CONTRIBUTING"]
OPTIONAL = {"instructors/glossary", "CONTRIBUTING"}


def _pages(app, config) -> None:
    """Restrict the sources to the kit's pages; a listed lesson or a required guide that is missing stops the build."""
    src = Path(app.srcdir)
    missing = [stem for stem in config.kit_lessons if not (src / "notebooks" / f"{stem}.ipynb").exists()]
    if missing:
        raise pages.SourceError(f"helpers/lessons.py lists {', '.join(missing)}, but notebooks/ has no "
                                f"{', '.join(m + '.ipynb' for m in missing)}")
    absent = [f"{g}.md" for g in GUIDES if g not in OPTIONAL and not (src / f"{g}.md").exists()]
    if absent:
        raise pages.SourceError(f"the site's pages include {', '.join(absent)}, which the repository lacks")
    config.kit_guides = [g for g in GUIDES if g not in OPTIONAL or (src / f"{g}.md").exists()]
    config.include_patterns = ["README.md", *(f"notebooks/{s}.ipynb" for s in config.kit_lessons),
                               *(f"{g}.md" for g in config.kit_guides)]
    config.kit_commands = pages.readme_commands((src / "README.md").read_text(encoding="utf-8"))


def _source(app, docname: str, source: list[str]) -> None:
    """Add the home page's contents and each lesson's run box, chart drawings and alt texts."""
    config = app.config
    if docname == root_doc:
        source[0] += pages.contents([f"notebooks/{s}" for s in config.kit_lessons], config.kit_guides)
    elif docname.startswith("notebooks/"):
        source[0] = pages.lesson_notebook(source[0], docname.removeprefix("notebooks/"), config.kit_commands)


class RepositoryFolders(SphinxPostTransform):
    """A link to a folder of the repository (``notebooks/successor/``), which no page of the site stands for,
    keeps its text without the link. Runs before MyST resolves links (priority 9), which would report
    it as broken; a link to a folder that does not exist is still reported."""

    default_priority = 8

    def run(self, **kwargs) -> None:
        folder = Path(self.env.srcdir, self.env.docname).parent
        for node in list(self.document.findall(addnodes.pending_xref)):
            target = node.get("reftarget", "")
            if node["reftype"] == "myst" and target.endswith("/") and (folder / target).is_dir():
                node.replace_self(nodes.inline("", "", *node.children))


def setup(app):
    from helpers.lessons import LESSONS

    app.add_config_value("kit_lessons", list(LESSONS), "env", types=[list])
    app.add_config_value("kit_guides", [], "env", types=[list])
    app.add_config_value("kit_commands", ("", ""), "env", types=[tuple])
    app.connect("config-inited", _pages)
    app.connect("source-read", _source)
    app.add_post_transform(RepositoryFolders)
