"""Lighthouse's accessibility score of the built site's main pages: home, the matrix, a revision, a
change and the Try a case page; each must score 100.

    python tools/lighthouse.py LIGHTHOUSE [--site site]    # exit 1 when a page scores less

LIGHTHOUSE is the `lighthouse` command (npm's package `lighthouse`, version 12:
`npm install --prefix build/lighthouse lighthouse@12`, then
`build/lighthouse/node_modules/.bin/lighthouse`); it drives Debian's chromium (CHROME_PATH). The
site is served on 127.0.0.1 for the run; nothing leaves the machine. .ci/run runs this after
`mkdocs build --strict`. axe-core's own checks of every kind of page are browser tests
(tests/test_site_browser.py); Lighthouse runs a subset of axe's rules with its own weights.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browsing import serve  # noqa: E402  (tests/ is not a package)

PAGES = ["", "matrix/", "revisions/2012-12/", "changes/2011-12-to-2012-12/", "try/"]


def score(lighthouse: str, url: str, chromium: str) -> tuple[float, list[str]]:
    """The page's accessibility score (0 to 1) and the titles of the audits it failed."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [lighthouse, url, "--only-categories=accessibility", "--output=json",
             f"--output-path={report}", "--quiet",
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
            env={**os.environ, "CHROME_PATH": chromium}, check=True, timeout=180)
        result = json.loads(report.read_text(encoding="utf-8"))
    category = result["categories"]["accessibility"]
    audits = [result["audits"][ref["id"]] for ref in category["auditRefs"]]
    # (an audit that does not apply to the page has no score)
    failed = [audit["title"] for audit in audits
              if audit.get("score") is not None and audit["score"] < 1]
    return category["score"], failed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lighthouse", help="the lighthouse command")
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (Debian: apt-get install -y chromium)", file=sys.stderr)
        return 2
    low = 0
    with serve(args.site) as base:
        for page in PAGES:
            value, failed = score(args.lighthouse, base + page, chromium)
            print(f"{page or 'home'}: accessibility {round(value * 100)}"
                  + (f" (failed: {'; '.join(failed)})" if failed else ""))
            low += value < 1
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
