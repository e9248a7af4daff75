"""The built site in a real browser: every page opens in headless Chromium with no console error, no
page error, no dialog, no failed request and no request to a host other than the local server; the
timeline marks both decision changes; the matrix renders as coloured cells.

Marked `browser` (not run by default): `.ci/run` installs Debian's chromium and runs
`pytest -m browser`. Screenshots of the timeline and the matrix are saved in build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitebuild import PLANTED, ROOT, mkdocs_build, pages, plant_canaries

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
FLIPS = ("2012-12", "2018-03")  # the contract: the two revisions that change determinations
# Chromium on a closed network: no first-run, sync, component or other background connections.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:  # a failure, not a skip: the browser test is what proves the site works
        pytest.fail("chromium is not installed (Debian: apt-get install -y chromium)")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("browser") / "site"
    result = mkdocs_build(site_dir)
    assert result.returncode == 0, result.stderr
    return site_dir


def _serve(site_dir: Path):
    """Serve a folder on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(site):
    yield from _serve(site)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = _playwright()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def _playwright():
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("playwright is not installed (pip install -e '.[browser]')")
    return sync_api


class Watch:
    """Everything a page does that a reader's browser would complain about."""

    def __init__(self, context):
        self.problems: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOOPBACK:
            self.problems.append(f"request to a non-loopback address: {route.request.url}")
            route.abort()
        else:
            route.continue_()

    def attach(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"failed request: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.problems.append(f"dialog ({dialog.type}): {dialog.message}")
        dialog.dismiss()


def _page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    watch = Watch(context)
    opened = context.new_page()
    watch.attach(opened)
    opened.watch = watch
    return context, opened


@pytest.fixture
def page(browser):
    context, opened = _page(browser)
    yield opened
    context.close()


def test_every_page_opens_cleanly(site, server, page):
    paths = pages(site)
    assert len(paths) >= 27, paths  # home, timeline, matrix, 12 revisions, 11 changes, how-to
    for path in paths:
        page.goto(server + path, wait_until="networkidle")
        assert page.locator("h1").count() >= 1, path
    assert page.watch.problems == []


def test_timeline_marks_both_decision_changes(server, page):
    page.goto(server + "timeline/", wait_until="networkidle")
    flagged = page.locator("table tr:has(.flip)")
    assert flagged.count() == len(FLIPS)
    for i, revision in enumerate(FLIPS):
        row = flagged.nth(i)
        assert row.locator("a").first.inner_text() == revision
        assert row.locator(".flip").is_visible()
        colour = row.evaluate("r => getComputedStyle(r).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour  # the row stands out
        warning = page.locator(f'h2[id="{revision}"]').evaluate(
            """h => { for (let e = h.nextElementSibling; e && e.tagName !== 'H2';
                           e = e.nextElementSibling)
                        if (e.matches('.admonition.danger')) return e.innerText;
                      return null; }""")
        assert warning and "Decision change" in warning, revision  # in the revision's section
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "timeline.png"  # the title, the introduction and the table
    box = page.locator("table").first.bounding_box()
    page.screenshot(path=str(shot), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1600, "height": box["y"] + box["height"] + 24})
    print(f"screenshot: {shot}")
    assert page.watch.problems == []


def test_matrix_renders_colour_coded(server, page):
    page.goto(server + "matrix/", wait_until="networkidle")
    table = page.locator(".matrix table")
    assert table.count() == 1
    header = table.locator("thead th")
    assert header.count() == 1 + 12
    rows = table.locator("tbody tr")
    assert rows.count() >= 15  # every cancer site and the rectal criterion's variants
    colours = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator(".det")
        assert cells.count() == 12
        for j in range(cells.count()):
            cell = cells.nth(j)
            css = [c for c in cell.get_attribute("class").split() if c.startswith("det-")][0]
            colours.setdefault(css, set()).add(cell.evaluate(
                "e => getComputedStyle(e).backgroundColor"))
    assert {"det-medically_necessary", "det-investigational", "det-not_medically_necessary",
            "det-not_addressed"} <= colours.keys()
    for css, seen in colours.items():
        assert len(seen) == 1 and "rgba(0, 0, 0, 0)" not in seen, (css, seen)  # one colour each
    assert len({c for seen in colours.values() for c in seen}) == len(colours)  # all different
    gastric = rows.filter(has_text="gastric").first.locator(".det")
    assert gastric.first.inner_text() == "INV" and gastric.nth(1).inner_text() == "NMN"
    assert page.get_by_text("Legend").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "matrix.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert page.watch.problems == []


def test_planted_markup_stays_text_in_the_browser(browser, tmp_path):
    """<script>, onerror= and javascript: planted in a table's text: no dialog, no page error, no
    request for the planted image; the text is visible as typed, also in search results."""
    shutil.copytree(ROOT / "tables", tmp_path / "tables")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    plant_canaries(tmp_path / "tables")
    result = mkdocs_build(tmp_path / "site", tables=tmp_path / "tables")
    assert result.returncode == 0, result.stderr
    serving = _serve(tmp_path / "site")
    base = next(serving)
    context, page = _page(browser)
    try:
        for path in ("revisions/2023-09/", "timeline/", "changes/2022-09-to-2023-09/"):
            page.goto(base + path, wait_until="networkidle")
            assert PLANTED in page.locator("article").inner_text(), path  # shown as typed
            assert page.locator("img[src='x']").count() == 0
            assert page.locator("a[href^='javascript']").count() == 0
        page.locator("input.md-search__input").first.click()
        page.keyboard.type("alert")
        page.locator(".md-search-result__item").first.wait_for()
        page.wait_for_timeout(500)
        assert page.locator(".md-search-result img[src='x']").count() == 0
        assert page.watch.problems == []
    finally:
        context.close()
        next(serving, None)


@pytest.mark.parametrize("width", [1280, 800])
def test_revision_and_change_tables_fit_the_window(site, server, browser, width):
    """No table of a revision or change page is cut off or scrolls sideways: every determination
    badge shows whole ("medically necessa" was cut at 1280 px)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for path in pages(site):
            if not path.startswith(("revisions/", "changes/")):
                continue
            page.goto(server + path, wait_until="networkidle")
            overflowing = page.evaluate("""() => [
                ...document.querySelectorAll('article .md-typeset__scrollwrap, article table')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).length""")
            cut = page.evaluate("""() => [...document.querySelectorAll('article table .det')]
                .filter(e => { const wrap = e.closest('.md-typeset__scrollwrap') || e.closest('table');
                               return e.getBoundingClientRect().right > wrap.getBoundingClientRect().right + 1
                                      || e.scrollWidth > e.clientWidth + 1; })
                .map(e => e.innerText)""")
            assert overflowing == 0 and cut == [], (width, path, overflowing, cut)
    finally:
        context.close()
