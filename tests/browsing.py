"""A built site in headless Chromium: serve a folder on 127.0.0.1 and launch Debian's chromium
through Playwright. Used by tests/test_site_browser.py and by the Try page's fuzz target
(benchmarks/fuzz.py)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

# Chromium on a closed network: no first-run, sync, component or other background connections.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NO_CHROMIUM = "chromium is not installed (Debian: apt-get install -y chromium)"
NO_PLAYWRIGHT = "playwright is not installed (pip install -e '.[browser]')"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def sync_api():
    """Playwright's sync API; ImportError with how to install it."""
    try:
        from playwright import sync_api as api
    except ImportError:
        raise ImportError(NO_PLAYWRIGHT) from None
    return api


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium (Debian's) launched by Playwright; RuntimeError when there is none."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError(NO_CHROMIUM)
    with sync_api().sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()
