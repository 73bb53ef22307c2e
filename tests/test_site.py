"""The kit's website: built once from the repository, served on 127.0.0.1 and read in headless Chromium.

Every page loads with no console error and no request off this machine; a lesson page shows its stored
pictures (with alt text), its cost charts as drawings, the README's two commands, its download link,
objectives, minutes and key points, and every SIMULATED label and dollar amount as plain text; no
internal link is broken. The link checker and the build are also shown failing on a link broken on purpose.

Uses the system Chromium as tests/test_browser.py does (its path and arguments): without it the
browser tests are skipped, except under CI (the CI environment variable), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

from helpers.lessons import LESSONS
from test_browser import CHROMIUM, CHROMIUM_ARGS, require_system_chromium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "website"))
import build_site  # noqa: E402  (scripts/ is not a package)
import pages  # noqa: E402  (nor is website/)

DOLLARS = re.compile(r"\$\d[\d,]*\.\d+")
MATH = "mjx-container, .MathJax, .katex, .math, script[src*='mathjax' i], script[src*='katex' i]"
# Every link of the page as Chromium resolved it, once its scripts ran.
HREFS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
IMAGES_LOADED = "() => [...document.querySelectorAll('article img')].every(i => i.complete && i.naturalWidth > 0)"
GUIDES = ["index.html", "README.html", "instructors/README.html", "my_work/README.html"]


def notebook(stem: str) -> dict:
    return json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))


def outputs(stem: str) -> list[dict]:
    return [o for cell in notebook(stem)["cells"] for o in cell.get("outputs", [])]


def shown_text(stem: str) -> str:
    """What a reader of the lesson sees as text: markdown cells, printed text and text fallbacks."""
    parts = ["".join(c["source"]) for c in notebook(stem)["cells"] if c["cell_type"] == "markdown"]
    for output in outputs(stem):
        parts.append("".join(output.get("text", "")))
        data = output.get("data", {})
        if not any(mime.startswith("image/") for mime in data):
            parts.append("".join(data.get("text/plain", "")))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_site.build(tmp_path_factory.mktemp("site") / "html")


@pytest.fixture(scope="module")
def base_url(site):
    """The built site served by the standard library on 127.0.0.1, as any static host would serve it."""
    quiet = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *args: None})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    require_system_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, base_url):
    """A fresh page that records console errors, script errors and every request off 127.0.0.1 (refused)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    opened = context.new_page()
    opened.problems = []
    opened.on("console", lambda m: m.type == "error" and opened.problems.append(f"console: {m.text}"))
    opened.on("pageerror", lambda error: opened.problems.append(f"script error: {error}"))

    def only_this_machine(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            opened.problems.append(f"request off this machine: {route.request.url}")
            route.abort()

    opened.route("**/*", only_this_machine)
    try:
        yield opened
    finally:
        context.close()


def open_page(page, base_url: str, path: str) -> None:
    response = page.goto(f"{base_url}/{path}")
    assert response.ok, f"{path}: HTTP {response.status}"
    page.wait_for_load_state("networkidle")
    page.wait_for_function(IMAGES_LOADED)


def assert_links_resolve(page, base_url: str) -> None:
    """Every same-site link of the page answers 200 and, if it names an anchor, that page has the id."""
    ids: dict[str, set[str]] = {}
    for href in set(page.evaluate(HREFS)):
        url, fragment = urldefrag(href)
        if not url.startswith(base_url + "/"):
            continue
        if url not in ids:
            answer = page.request.get(url)
            assert answer.ok, f"{page.url} links to {href}: HTTP {answer.status}"
            ids[url] = build_site.page_ids(answer.text()) if url.endswith(".html") else set()
        assert not fragment or fragment in ids[url], f"{page.url} links to {href}: no such anchor"


def assert_plain_text_money(page, text: str) -> None:
    assert page.locator(MATH).count() == 0, "something is typeset as maths"
    shown = page.locator("article").inner_text()
    for amount in set(DOLLARS.findall(text)):
        assert amount in shown, f"{amount} is not shown as text"


# --- the build ---------------------------------------------------------------------------------

def test_the_site_has_every_page_and_no_broken_link(site):
    for stem in LESSONS:
        assert (site / "notebooks" / f"{stem}.html").is_file(), stem
    for guide in GUIDES:
        assert (site / guide).is_file(), guide
    assert (site / "searchindex.js").is_file()
    assert build_site.broken_links(site) == []


def test_the_link_checker_reports_a_link_broken_on_purpose(site, tmp_path):
    copy = shutil.copytree(site, tmp_path / "html")
    lesson = copy / "notebooks" / f"{LESSONS[0]}.html"
    html = lesson.read_text(encoding="utf-8")
    target = f'href="{LESSONS[1]}.html'
    assert target in html, "the first lesson links to the second"
    lesson.write_text(html.replace(target, 'href="no_such_lesson.html', 1)
                      .replace('href="../instructors/README.html', 'href="../instructors/README.html#no-such-part', 1),
                      encoding="utf-8")
    broken = build_site.broken_links(copy)
    assert f"notebooks/{LESSONS[0]}.html: no_such_lesson.html (no such file)" in broken
    assert any(b.endswith("#no-such-part (no such anchor)") for b in broken), broken


def copy_of_the_kit(folder: Path) -> Path:
    """The repository's files (no venv, no git, no builds) copied into ``folder``: sources to change freely."""
    return shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns(
        ".venv", ".git", "_site", "artifacts", "__pycache__", "*.egg-info"))


def test_the_glossary_and_contributing_guide_are_pages_once_they_exist(tmp_path):
    kit = copy_of_the_kit(tmp_path / "kit")
    (kit / "instructors" / "glossary.md").write_text("# Glossary\n\n**Recording**: see [the guide](README.md).\n")
    (kit / "CONTRIBUTING.md").write_text("# Contributing\n\nRun the [tests](README.md#quick-start).\n")
    site = build_site.build(tmp_path / "site", root=kit)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="instructors/glossary.html"' in home and 'href="CONTRIBUTING.html"' in home
    assert "Recording" in (site / "instructors" / "glossary.html").read_text(encoding="utf-8")


def test_a_lesson_with_a_broken_link_fails_the_build_and_names_it(tmp_path):
    kit = copy_of_the_kit(tmp_path / "kit")
    lesson = kit / "notebooks" / f"{LESSONS[0]}.ipynb"
    text = lesson.read_text(encoding="utf-8")
    link = re.search(r"\]\((\w+\.ipynb)\)", text)
    assert link, "the first lesson links to another lesson"
    lesson.write_text(text.replace(link[0], "](no_such_lesson.ipynb)", 1), encoding="utf-8")
    with pytest.raises(build_site.SiteError, match=rf"{LESSONS[0]}\.ipynb.*no_such_lesson\.ipynb"):
        build_site.build(tmp_path / "site", root=kit)


def test_a_listed_lesson_without_its_notebook_stops_the_build(tmp_path):
    with pytest.raises(build_site.SiteError, match=r"lists 99_missing, but notebooks/ has no 99_missing\.ipynb"):
        build_site.build(tmp_path / "site", lessons=(*LESSONS, "99_missing"))


def test_an_earlier_build_is_replaced_but_another_folder_is_not(site, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(build_site.SiteError, match="not replacing it"):
        build_site.build(other)
    assert (other / "mine.txt").read_text() == "keep me"


def test_alt_text_is_the_prompt_a_cell_sends_or_else_its_section():
    code = ['PROMPT = "Draw a red kite"', 'result = client.images.generate(prompt=PROMPT)\nshow(result)',
            'show(b64)', 'side_by_side([a, b], ["before", "after"])']
    assert pages.picture_alt(code, 1, "First") == "Prompt: Draw a red kite"
    assert pages.picture_alt(code, 3, "Edits") == "Pictures: before, after"
    assert "“Saving”" in pages.picture_alt(code, 2, "Saving")


def test_a_chart_is_described_by_the_text_before_its_table():
    text = "Bar chart: prices. USD per image,\noutput only.\nmodel  low\n-----  ---\nmini   $0.0050\n"
    assert pages.chart_description(text) == "Bar chart: prices. USD per image, output only."


# --- in the browser ----------------------------------------------------------------------------

def test_the_home_page_lists_the_lessons_in_teaching_order(page, base_url):
    open_page(page, base_url, "index.html")
    assert page.locator("h1").first.inner_text().strip() == "Image API Cookbook"
    sidebar = page.locator(".sidebar-tree a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    listed = [href.removeprefix("notebooks/").removesuffix(".html") for href in sidebar
              if href.startswith("notebooks/")]
    assert listed == list(LESSONS)
    assert not page.problems, page.problems


@pytest.mark.parametrize("stem", LESSONS)
def test_a_lesson_page_shows_what_the_notebook_holds(page, base_url, site, stem):
    open_page(page, base_url, f"notebooks/{stem}.html")
    article = page.locator("article")
    pictures = sum(any(m.startswith("image/") for m in o.get("data", {})) for o in outputs(stem))
    charts = sum(any(pages.VEGA_LITE.fullmatch(m) for m in o.get("data", {})) for o in outputs(stem))
    images = article.locator("img")
    assert images.count() >= pictures + charts
    assert all(alt.strip() for alt in images.evaluate_all("imgs => imgs.map(i => i.alt)")), "an image has no alt text"
    drawn = article.locator("img[src$='.svg']")
    assert drawn.count() == charts
    for chart in drawn.all():
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert chart.is_visible() and box["width"] > 200 and box["height"] > 100, "a chart is not drawn"

    text = article.inner_text()
    first, last = notebook(stem)["cells"][0], notebook(stem)["cells"][-1]
    minutes = re.search(r"\*\*Minutes\*\*:?\s*(.+)", "".join(first["source"]))
    assert minutes and minutes[1].strip() in text, "the minutes are not shown"
    assert "Objectives" in text and "Key points" in "".join(last["source"]) and "Key points" in text
    assert text.count("SIMULATED") >= shown_text(stem).count("SIMULATED"), "a SIMULATED label is missing"
    assert_plain_text_money(page, shown_text(stem))

    box = article.locator(".admonition", has_text="Run this lesson")
    for command in pages.readme_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        assert command in box.inner_text()
    download = box.locator("a[download]")
    assert download.get_attribute("href").endswith(f"/{stem}.ipynb")
    answer = page.request.get(download.evaluate("a => a.href"))
    assert answer.body() == (ROOT / "notebooks" / f"{stem}.ipynb").read_bytes(), "the download is not the lesson"

    assert_links_resolve(page, base_url)
    assert not page.problems, page.problems


@pytest.mark.parametrize("path", GUIDES)
def test_a_guide_page_loads_with_its_links_and_prices_as_text(page, base_url, path):
    open_page(page, base_url, path)
    source = {"instructors/README.html": "instructors/README.md", "my_work/README.html": "my_work/README.md"}
    assert_plain_text_money(page, (ROOT / source.get(path, "README.md")).read_text(encoding="utf-8"))
    assert_links_resolve(page, base_url)
    assert not page.problems, page.problems


def test_search_works_with_no_network(page, base_url):
    title = "".join(notebook(LESSONS[-1])["cells"][0]["source"]).splitlines()[0]
    word = max(re.findall(r"[A-Za-z]+", title), key=len)
    open_page(page, base_url, f"search.html?q={word}")
    results = page.locator("#search-results a")
    results.first.wait_for()
    found = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(href.startswith(f"notebooks/{LESSONS[-1]}.html") for href in found), found
    assert not page.problems, page.problems
