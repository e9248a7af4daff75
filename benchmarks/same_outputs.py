#!/usr/bin/env python3
"""Every user-visible output of the package, written to a folder, so that two checkouts (before
and after a refactor) can be compared byte for byte.

    python benchmarks/same_outputs.py write OUT_DIR          # with this checkout's `policy`
    python benchmarks/same_outputs.py compare DIR_A DIR_B    # exit 1 listing what differs

What it writes, for the shipped policy and the example policy (tests/fixtures/example-policy):
`policy evaluate --json` and its text output for every golden case (tests/golden/*.yaml; the
example policy's own cases), `policy diff` of every adjacent pair of revisions (JSON, text and
Markdown), `policy history` (JSON and text), `CHANGELOG.md` (`policy changelog --out`), every
file of the built site (`mkdocs build` into a temporary folder; sitemap.xml and sitemap.xml.gz
carry the build date and are left out), and `policy batch` of the benchmark's generated file
(benchmarks/workload.py, 20,000 rows) to JSON Lines, CSV and Parquet. Each command's exit code
and standard error are kept beside its output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "fixtures" / "example-policy" / "tables"
SITE_LEFT_OUT = {"sitemap.xml", "sitemap.xml.gz"}


def _policy(out: Path, name: str, *args: str, cwd: Path = ROOT) -> None:
    """Run `policy ARGS`, keeping standard output as NAME and the exit code and standard error
    as NAME.status."""
    result = subprocess.run([sys.executable, "-m", "policy", *args], capture_output=True,
                            cwd=cwd, timeout=600)
    (out / name).write_bytes(result.stdout)
    (out / f"{name}.status").write_bytes(f"exit {result.returncode}\n".encode() + result.stderr)


def _words(case: dict) -> list[str]:
    return [f"{k}={json.dumps(v) if isinstance(v, bool) else v}" for k, v in case.items()]


def _golden_cases() -> list[dict]:
    cases = []
    for path in sorted((ROOT / "tests" / "golden").glob("*.yaml")):
        cases += yaml.safe_load(path.read_text())
    return cases


def _revisions(tables: Path) -> list[str]:
    return sorted(p.stem for policy in tables.iterdir() if policy.is_dir()
                  for p in policy.glob("*.yaml"))


def write(out: Path) -> None:
    out.mkdir(parents=True)
    env_cache = tempfile.mkdtemp(prefix="same-outputs-cache-")
    os.environ["FEP_POLICY_CACHE_DIR"] = env_cache
    for number, golden in enumerate(_golden_cases()):
        words = _words(golden["case"])
        _policy(out, f"evaluate-{number:03d}.json", "evaluate", "--as-of", golden["as_of"],
                *words, "--json")
        _policy(out, f"evaluate-{number:03d}.txt", "evaluate", "--as-of", golden["as_of"], *words)
    for label, tables in (("shipped", ROOT / "tables"), ("example", EXAMPLE)):
        ids = _revisions(tables)
        common = ["--tables", str(tables)]
        for old, new in pairwise(ids):
            for form, extra in (("json", ["--json"]), ("txt", []),
                                ("md", ["--format", "markdown"])):
                _policy(out, f"{label}-diff-{old}-{new}.{form}", "diff", *common, old, new,
                        *extra)
        _policy(out, f"{label}-history.json", "history", *common, "--json")
        _policy(out, f"{label}-history.txt", "history", *common)
        changelog = out / f"{label}-CHANGELOG.md"
        _policy(out, f"{label}-changelog.txt", "changelog", *common, "--out", str(changelog))
    site = Path(tempfile.mkdtemp(prefix="same-outputs-site-"))
    try:
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                        "--site-dir", str(site)], cwd=ROOT, check=True, timeout=600,
                       env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        for path in sorted(site.rglob("*")):
            if path.is_file() and path.name not in SITE_LEFT_OUT:
                target = out / "site" / path.relative_to(site)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    finally:
        shutil.rmtree(site, ignore_errors=True)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import workload

    from policy import load_policy

    claims = out / "claims.csv"
    columns = load_policy().compiled.columns
    workload.write_csv(workload.generate(20_000, columns), claims)
    for suffix in ("jsonl", "csv", "parquet"):
        _policy(out, f"batch-to-{suffix}.txt", "batch", str(claims), "--out",
                str(out / f"batch.{suffix}"))
    shutil.rmtree(env_cache, ignore_errors=True)


def _without_primary_nav(html: bytes) -> bytes:
    """A built page without the site's navigation (`md-nav--primary`): it lists every page of
    docs/, so a page added there changes it on every page."""
    start = html.find(b'<nav class="md-nav md-nav--primary"')
    if start < 0:
        return html
    depth, at = 0, start
    while True:
        opening, closing = html.find(b"<nav", at + 1), html.find(b"</nav>", at + 1)
        if closing < 0:
            return html
        if 0 <= opening < closing:
            depth, at = depth + 1, opening
        elif depth:
            depth, at = depth - 1, closing
        else:
            return html[:start] + html[closing + len(b"</nav>"):]


# What differs between runs by design: the time a batch took and the folder written to.
_RUN_SPECIFIC = [(re.compile(rb"\d[\d.,]* s \([\d,]+ rows/s\)"), b"T s (R rows/s)"),
                 (re.compile(rb"(-> |wrote )\S*/"), rb"\1OUT/")]


def _normalised(name: str, data: bytes) -> bytes:
    if name.endswith(".html"):
        data = _without_primary_nav(data)
    if name.endswith(".status") or name.endswith("-changelog.txt"):
        for pattern, replacement in _RUN_SPECIFIC:
            data = pattern.sub(replacement, data)
    return data


def compare(first: Path, second: Path, hand_written: list[str]) -> int:
    """Byte for byte, but for the run-specific parts (`_normalised`); pages built from docs/
    pages named in `hand_written` (edited by the change itself) are listed, not compared."""
    names = sorted({str(p.relative_to(first)) for p in first.rglob("*") if p.is_file()}
                   | {str(p.relative_to(second)) for p in second.rglob("*") if p.is_file()})
    skipped = [name for name in names if any(name.startswith(f"site/{page}/")
                                             for page in hand_written)
               or name == "site/search/search_index.json"]
    differ = [name for name in names if name not in skipped
              and not ((first / name).is_file() and (second / name).is_file()
                       and _normalised(name, (first / name).read_bytes())
                       == _normalised(name, (second / name).read_bytes()))]
    for name in differ:
        print(f"differs: {name}")
    for name in skipped:
        print(f"not compared (built from docs/ pages the change edits, or the search index): "
              f"{name}")
    compared = len(names) - len(skipped)
    print(f"{compared - len(differ)} of {compared} files identical (byte for byte but for batch "
          f"timings, output folders and the site's navigation); {len(skipped)} not compared")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write").add_argument("out", type=Path)
    both = commands.add_parser("compare")
    both.add_argument("first", type=Path)
    both.add_argument("second", type=Path)
    both.add_argument("--hand-written", nargs="*", default=[], metavar="PAGE",
                      help="docs/ pages the change edits (their built pages are not compared)")
    args = parser.parse_args()
    if args.command == "write":
        write(args.out)
        return 0
    return compare(args.first, args.second, args.hand_written)


if __name__ == "__main__":
    raise SystemExit(main())
