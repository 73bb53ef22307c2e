"""Build the kit's website from what is committed: the README, every lesson with its stored outputs, the guides.

    .venv/bin/python scripts/build_site.py [--out _site]

Sphinx with MyST-NB (configured in ``website/conf.py``) reads the repository as it is: no notebook is
executed, nothing is fetched, no key is needed. The folder it writes is the whole site: ``index.html``
is the README's page, every link in it is relative, so any static host (or ``python -m http.server``)
serves it as it is. A Sphinx warning (a broken link in a source, an output it cannot show) fails the
build, and so does a link in the written pages that points at no file or at no anchor of its page.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.lessons import LESSONS  # noqa: E402
from helpers.writes import replace_folder  # noqa: E402

WEBSITE = ROOT / "website"
DEFAULT_OUT = ROOT / "_site"
# Sphinx writes this into every HTML build folder: what marks a folder as one this script may replace.
BUILD_MARK = ".buildinfo"


class SiteError(RuntimeError):
    """The site could not be built, or the built site has broken links (the message lists them)."""


class _Links(HTMLParser):
    """The ids a page defines and the URLs it refers to (``href`` and ``src``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src") and value:
                self.urls.append(value)


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def page_ids(html: str) -> set[str]:
    """The ids (and named anchors) the HTML page ``html`` defines: what a link's ``#fragment`` may name."""
    return _parse(html).ids


def broken_links(site: Path) -> list[str]:
    """Every internal link of the built ``site`` folder that resolves to nothing, as ``"page: url (why)"``.

    Internal means relative or same-page (no scheme, no host). A link resolves when its file exists
    in ``site`` and, if it names an anchor in an HTML page, that page has an element with that id.
    External URLs are not checked: the site must work with no network, and none of its pages fetch them.
    """
    site = Path(site).resolve()
    pages = {page: _parse(page.read_text(encoding="utf-8")) for page in site.rglob("*.html")}
    broken = []
    for page, parsed in sorted(pages.items()):
        for url in parsed.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith("#") and not parts.fragment:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site).as_posix()}: {url}"
            if site not in target.parents or not target.is_file():
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{where} (no such anchor)")
    return broken


def build(out: Path = DEFAULT_OUT, root: Path = ROOT, lessons: tuple[str, ...] = LESSONS) -> Path:
    """Write the site for the sources in ``root`` (the repository) into ``out``; return ``out``.

    ``out`` is replaced if it is an earlier build (it holds Sphinx's ``.buildinfo``) and must otherwise
    be missing or empty. ``lessons`` are the notebook stems, in teaching order. Raises ``SiteError`` on
    any Sphinx warning or error (for example a lesson in ``lessons`` with no notebook) or broken link.
    """
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.console import strip_colors
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    out = Path(out).resolve()
    if out.exists() and any(out.iterdir()) and not (out / BUILD_MARK).exists():
        raise SiteError(f"{out} is not empty and holds no earlier build of the site: not replacing it")
    log = StringIO()
    # Built in a scratch folder, then moved: MyST-NB writes its files beside the HTML folder, and an
    # interrupted or failed build leaves the previous site as it was.
    with tempfile.TemporaryDirectory() as scratch:
        html = Path(scratch) / "html"
        # As sphinx-build does it: docutils' registries are restored afterwards, so a second build in the
        # same process (the tests') does not see the first one's nodes and roles as duplicates.
        try:
            with patch_docutils(WEBSITE), docutils_namespace():
                app = Sphinx(srcdir=root, confdir=WEBSITE, outdir=html, doctreedir=Path(scratch) / "doctrees",
                             buildername="html", confoverrides={"kit_lessons": list(lessons)}, status=None,
                             warning=log, freshenv=True, warningiserror=True)
                app.build()
        except (SphinxError, ValueError) as error:
            # Sphinx wraps an error raised in the site's own hooks; its cause says what is wrong.
            cause = error.__cause__ or getattr(error, "orig_exc", None) or error
            raise SiteError(f"the site did not build: {cause}\n{strip_colors(log.getvalue())}") from error
        # Every warning is logged (file and line) before the build counts as failed, so all are reported.
        if app.statuscode or log.getvalue():
            raise SiteError(f"the site did not build:\n{strip_colors(log.getvalue())}")
        # The home page: the README's page under the name every static host serves for a folder.
        shutil.copyfile(html / "README.html", html / "index.html")
        broken = broken_links(html)
        if broken:
            raise SiteError("broken links in the built site:\n  " + "\n  ".join(broken))
        replace_folder(html, out)  # the previous site stays whole until the new one is in place
    return out


def size_and_pages(site: Path) -> tuple[int, int]:
    """The built site's total size in bytes and its number of HTML pages."""
    files = [path for path in Path(site).rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files), sum(path.suffix == ".html" for path in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write (default _site/)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        site = build(args.out)
    except SiteError as error:
        print(error, file=sys.stderr)
        return 1
    size, pages = size_and_pages(site)
    print(f"site written to {site} in {time.perf_counter() - began:.1f} s: {pages} pages, "
          f"{size / 1024 / 1024:.1f} MiB; open {site / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
