"""Screenshots of the built site for docs/screenshots/: the home page, the matrix at three widths
(375, 800 and 1280 px: a phone, a small laptop window, a desktop), one revision, one change and the
Try a case page, each as a reader first sees it (the top of the page, one screen high).

    python tools/screenshots.py [--site site] [--out docs/screenshots]

Builds nothing: run `mkdocs build --strict` first (the published build, in site/). Serves the site
on 127.0.0.1 and drives Debian's chromium through Playwright (the browser extra), as the browser
tests do (tests/browsing.py). The pictures are for people: look at each after regenerating it;
docs/site.md shows them. Which revision and change: the first change that changed decisions
(2011-12 -> 2012-12 here), read from the site's navigation, not named in this script.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browsing import chromium, serve  # noqa: E402  (tests/ is not a package)

HEIGHT = 900
# (file name, page path in the site, viewport width)
FIXED = [("home", "", 1280), ("matrix-375", "matrix/", 375), ("matrix-800", "matrix/", 800),
         ("matrix-1280", "matrix/", 1280), ("try", "try/", 1280)]


def flagged_pages(site: Path) -> tuple[str, str]:
    """The revision and the change page of the first change flagged as changing decisions (⚑)
    in the home page's navigation."""
    home = (site / "index.html").read_text(encoding="utf-8")
    change = re.search(r'href="(?:\./)?(changes/([^/"]+)-to-([^/"]+)/)"[^>]*>(?:\s|<[^>]+>)*'
                       r'[^<]*⚑', home)
    if change is None:
        raise SystemExit(f"{site}: no flagged change in the navigation; build the site first")
    return f"revisions/{change.group(3)}/", change.group(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"{args.site}: no built site; run `mkdocs build --strict` first", file=sys.stderr)
        return 2
    revision, change = flagged_pages(args.site)
    shots = FIXED + [("revision", revision, 1280), ("change", change, 1280)]
    args.out.mkdir(parents=True, exist_ok=True)
    with serve(args.site) as base, chromium() as browser:
        for name, page_path, width in shots:
            page = browser.new_page(viewport={"width": width, "height": HEIGHT})
            page.goto(base + page_path)
            page.wait_for_load_state("networkidle")
            if page_path == "try/":  # decided in the browser: wait for the determination
                page.wait_for_selector("#determination[data-value]")
            target = args.out / f"{name}.png"
            page.screenshot(path=str(target))
            page.close()
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
                  f"{base}{page_path} at {width} px")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
