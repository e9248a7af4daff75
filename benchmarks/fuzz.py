#!/usr/bin/env python3
"""Fuzzing campaign: every untrusted-input surface, coverage-guided where atheris installs.

    python benchmarks/fuzz.py --minutes 10            # the long run: 10 minutes per target
    python benchmarks/fuzz.py --seconds 12            # the short run of .ci/run (about a minute)
    python benchmarks/fuzz.py --seconds 30 --targets yaml csv --engine hypothesis

Targets (tests/fuzz_targets.py): the YAML loader, the case parser (words, JSON, YAML), the CSV and
JSON Lines batch readers, and `policy validate` on a mutated table and on a mutated policy.yml (its
`words` patterns generated too). The property: only documented
outcomes (a result, or a PolicyError with a documented exit code and problem codes, printed as
escaped single lines); never another exception, never an input running longer than --timeout
seconds, never more than --rss-mb of memory. Each target runs in its own process: with atheris,
libFuzzer mutates the corpus guided by coverage of `policy` and `yaml`; without it, Hypothesis
generates byte strings, mutated seeds and JSON structures of case fields. A crash is copied to
tests/fuzz_corpus/<target>/ (a regression test replays it) and the run exits 1.

The `try` target is the Try a case page's reading of its link (docs/assets/try.js), which is
JavaScript: the site is built (the shipped policy, and the example policy renamed to JavaScript
built-in names) and opened in headless Chromium, and Hypothesis generates links
(tests/try_reference.py) that the page must read as the Python reference does: no JavaScript
error, every unknown name refused, otherwise the engine's decision and the case's words in the
command. Always Hypothesis (coverage of Python says nothing about the script); it needs chromium
and playwright (the browser extra). A failing link is kept in tests/fuzz_corpus/try/ and replayed
by tests/test_site_browser.py.

Prints one line per target: engine, executions, seconds, crashes.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(ROOT))

TARGET_NAMES = ("yaml", "case", "csv", "jsonl", "validate", "policy_yml", "try")
BROWSER_TARGETS = ("try",)  # run in Chromium, by Hypothesis whatever the engine


def _has_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


# --- one target, in its own process ---------------------------------------------------------------

def _work_atheris(target: str, seconds: float, timeout: int, rss_mb: int, crashes: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["policy", "yaml"]):
        import yaml  # noqa: F401

        import policy.batch  # noqa: F401  (the lazily imported modules, instrumented now)
        import policy.cache  # noqa: F401
        import policy.columnar  # noqa: F401
        import policy.core.cases  # noqa: F401
        import policy.load.schema  # noqa: F401
        import policy.load.yaml_loader  # noqa: F401
        import policy.validate  # noqa: F401
    import fuzz_targets

    function = fuzz_targets.TARGETS[target]
    corpus = Path(tempfile.mkdtemp(prefix=f"policy-fuzz-{target}-"))
    for seed in fuzz_targets.seeds(target):
        (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    atheris.Setup([sys.argv[0], str(corpus), f"-max_total_time={max(int(seconds), 1)}",
                   f"-timeout={timeout}", f"-rss_limit_mb={rss_mb}", "-max_len=65536",
                   f"-artifact_prefix={crashes}/", "-print_final_stats=1"], function)
    atheris.Fuzz()


def _work_hypothesis(target: str, seconds: float, timeout: int, crashes: Path) -> None:
    import json
    import random
    import resource

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import fuzz_targets

    function = fuzz_targets.TARGETS[target]
    seeds = fuzz_targets.seeds(target) or [b""]
    fields = ["case_id", "service_date", "cancer_site", "margin_status", "t_stage", "recurrent",
              "cancr_site", "\x1b", "\ud800", ""]
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
        | st.sampled_from(["rectal", "T4", "true", "2016-05-03", "2023-02-30", "positive"]),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                  max_size=4), max_leaves=12)
    cases = st.dictionaries(st.sampled_from(fields) | st.text(max_size=8), json_values, max_size=7)

    def mutate(seed: bytes, rng: random.Random) -> bytes:
        data = bytearray(seed)
        for _ in range(rng.randint(1, 8)):
            where = rng.randint(0, len(data))
            choice = rng.random()
            if choice < 0.3 and data:
                data[min(where, len(data) - 1)] = rng.randrange(256)
            elif choice < 0.6:
                data[where:where] = rng.choice([b"\n", b'"', b",", b":", b"- ", b"{", b"[", b"\\",
                                                b"\x00", b"\xff", b"\xe2\x80\xae", b"&a", b"*a",
                                                b"!!", b"9" * 50, b"\t", b"\r\n", b"  "])
            else:
                del data[where:where + rng.randint(1, 16)]
        return bytes(data)

    structured = {
        "case": st.builds(
            lambda c: b"\x01" + json.dumps(c).encode("utf-8", "surrogatepass"), cases),
        "jsonl": st.lists(cases, max_size=8).map(
            lambda rows: b"\n".join(json.dumps(r).encode("utf-8", "surrogatepass") for r in rows)),
        # policy.yml with each determination's words replaced by a generated pattern: nested
        # repetition, alternation, classes, lookbehind (what a backtracking engine chokes on)
        "policy_yml": st.lists(st.lists(st.sampled_from(
            ["(", ")", "(?:", "(?<!", "*", "+", "?", "|", "[\\w ]", "\\w", "\\s", "\\b", "a",
             " ", ".", "{2,}", "^", "$", "investigational", "not ", "medically necessary"]),
            max_size=12).map("".join), min_size=3, max_size=3).map(_with_words),
        "csv": st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=7), min_size=1,
                        max_size=8).map(lambda rows: "\n".join(",".join(r) for r in rows).encode(
                            "utf-8", "surrogatepass")),
    }
    inputs = st.one_of(
        st.binary(max_size=4096),
        st.builds(mutate, st.sampled_from(seeds), st.randoms(use_true_random=False)),
        *([structured[target]] if target in structured else []))
    executions = 0

    @settings(max_examples=50, deadline=timeout * 1000, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(inputs)
    def run(data: bytes) -> None:
        nonlocal executions
        executions += 1
        try:
            function(data)
        except BaseException:
            name = f"crash-{hashlib.sha1(data).hexdigest()}"
            (crashes / name).write_bytes(data)
            raise

    started = time.monotonic()
    while time.monotonic() - started < seconds:
        run()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"stat::number_of_executed_units: {executions}", file=sys.stderr)
    print(f"stat::peak_rss_mb: {rss}", file=sys.stderr)


def _with_words(patterns: list[str]) -> bytes:
    """The shipped policy.yml with the `words` of its determinations replaced, in order."""
    import json

    import fuzz_targets

    lines = (fuzz_targets.POLICY_DIR / "policy.yml").read_text().splitlines(keepends=True)
    replacements = iter(patterns)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("words: ") and line.startswith("    words: '"):
            pattern = next(replacements, None)
            if pattern is not None:
                lines[i] = f"    words: {json.dumps(pattern)}\n"
    return "".join(lines).encode()


def _failing(page, policy, errors: list, queries: list[str]) -> list[str]:
    """The queries the open Try page reads otherwise than tests/try_reference.py, or throws on
    (an error raised by page.evaluate, or a page error): all at once, then one by one to say
    which."""
    import try_reference

    seen = len(errors)
    try:
        found = try_reference.differences(page, policy, queries)
        if len(errors) == seen:
            return [difference[0] for difference in found]
    except Exception:  # noqa: BLE001 (a JavaScript error reaches Python as playwright's Error)
        pass
    bad = []
    for query in queries:
        seen = len(errors)
        try:
            wrong = bool(try_reference.differences(page, policy, [query]))
        except Exception:  # noqa: BLE001
            wrong = True
        if wrong or len(errors) > seen:
            bad.append(query)
    return bad


def _work_try(seconds: float, crashes: Path) -> None:
    """The Try page against tests/try_reference.py in headless Chromium, for `seconds`."""
    import resource

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    import try_reference
    from browsing import chromium, serve
    from policy import load_policy
    from sitebuild import builtin_names_tables, mkdocs_build

    work = Path(tempfile.mkdtemp(prefix="policy-fuzz-try-"))
    sites = [(work / "shipped", None), (work / "builtin-names", builtin_names_tables(work))]
    for folder, tables in sites:
        built = mkdocs_build(folder, tables=tables)
        if built.returncode != 0:
            raise RuntimeError(f"the site does not build:\n{built.stderr[-3000:]}")
    executions = 0

    def check(page, policy, errors: list, queries: list[str]) -> None:
        nonlocal executions
        executions += len(queries)
        bad = _failing(page, policy, errors, queries)
        for query in bad:  # each one a regression input on its own
            data = query.encode("utf-8", "surrogatepass")
            (crashes / f"crash-{hashlib.sha1(data).hexdigest()}").write_bytes(data)
        if bad:
            raise AssertionError(f"the Try page reads {bad[:3]!r} otherwise than the reference; "
                                 f"page errors: {[str(e) for e in errors[-3:]]}")

    def property_of(page, policy, errors: list):
        # no shrinking: the failing links are found one by one above, and kept whole
        @settings(max_examples=25, deadline=None, database=None,
                  phases=(Phase.explicit, Phase.generate),
                  suppress_health_check=list(HealthCheck))
        @given(queries=st.lists(try_reference.queries(policy.compiled.columns), min_size=1,
                                max_size=50))
        def reads_as_the_reference(queries: list[str]) -> None:
            check(page, policy, errors, queries)

        return reads_as_the_reference

    with contextlib.ExitStack() as stack:
        browser = stack.enter_context(chromium())
        properties = []
        for folder, tables in sites:
            base = stack.enter_context(serve(folder))
            page = browser.new_page()
            errors: list = []
            page.on("pageerror", lambda error, errors=errors: errors.append(error))
            page.goto(base + "try/", wait_until="networkidle")
            policy = load_policy(tables)
            check(page, policy, errors, try_reference.seeds())
            properties.append(property_of(page, policy, errors))
        started = time.monotonic()  # the sites built and open: `seconds` of generated links
        while time.monotonic() - started < seconds:
            for reads_as_the_reference in properties:
                reads_as_the_reference()
    shutil.rmtree(work, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"stat::number_of_executed_units: {executions}", file=sys.stderr)
    print(f"stat::peak_rss_mb: {rss}", file=sys.stderr)


# --- the campaign ---------------------------------------------------------------------------------

def _campaign(targets, seconds: float, engine: str, timeout: int, rss_mb: int) -> int:
    failed = 0
    print(f"{'target':<9} {'engine':<10} {'executions':>11} {'seconds':>8} {'peak MB':>8}  crashes")
    for target in targets:
        work = Path(tempfile.mkdtemp(prefix=f"policy-fuzz-{target}-"))  # all the worker writes
        crashes = work / "crashes"
        crashes.mkdir()
        started = time.monotonic()
        env = {**os.environ, "FEP_POLICY_CACHE_DIR": str(work / "cache"), "TMPDIR": str(work)}
        try:
            worker = subprocess.run(
                [sys.executable, __file__, "--worker", target, "--seconds", str(seconds),
                 "--engine", engine, "--timeout", str(timeout), "--rss-mb", str(rss_mb),
                 "--crash-dir", str(crashes)],
                capture_output=True, text=True, env=env, timeout=seconds + 120)
            output, code = worker.stderr + worker.stdout, worker.returncode
        except subprocess.TimeoutExpired as exc:  # the worker itself hung: a failure
            stderr = exc.stderr or ""
            if isinstance(stderr, bytes):  # what it caught is bytes, whatever text= says
                stderr = stderr.decode(errors="replace")
            output, code = f"{stderr}\nworker timed out", -1
        elapsed = time.monotonic() - started
        runs = re.findall(r"stat::number_of_executed_units:\s+(\d+)", output)
        peak = re.findall(r"stat::peak_rss_mb:\s+(\d+)", output)
        found = sorted(p for p in crashes.iterdir() if p.is_file())
        kept = TESTS / "fuzz_corpus" / target
        for crash in found:
            kept.mkdir(parents=True, exist_ok=True)
            shutil.copy(crash, kept / crash.name)
        shutil.rmtree(work, ignore_errors=True)
        bad = code != 0 or bool(found)
        failed += bad
        shown = "hypothesis" if target in BROWSER_TARGETS else engine
        result = len(found) if found or not bad else "worker failed"
        print(f"{target:<9} {shown:<10} {int(runs[-1]) if runs else 0:>11,} {elapsed:>8.0f} "
              f"{peak[-1] if peak else '?':>8}  {result}", flush=True)
        if bad:
            tail = "\n".join(output.strip().splitlines()[-40:])
            print(f"--- {target}: exit {code}; kept {[c.name for c in found]} in {kept}\n"
                  f"{tail}\n---", flush=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, help="minutes per target")
    length.add_argument("--seconds", type=float, help="seconds per target")
    parser.add_argument("--targets", nargs="+", choices=TARGET_NAMES, default=list(TARGET_NAMES))
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    parser.add_argument("--rss-mb", type=int, default=2048, help="memory limit (atheris)")
    parser.add_argument("--worker", choices=TARGET_NAMES, help=argparse.SUPPRESS)
    parser.add_argument("--crash-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    seconds = args.seconds if args.seconds is not None else (args.minutes or 10) * 60
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if _has_atheris() else "hypothesis"
    if args.worker:
        crashes = Path(args.crash_dir)
        if args.worker in BROWSER_TARGETS:
            _work_try(seconds, crashes)
        elif engine == "atheris":
            _work_atheris(args.worker, seconds, args.timeout, args.rss_mb, crashes)
        else:
            _work_hypothesis(args.worker, seconds, args.timeout, crashes)
        return 0
    return _campaign(args.targets, seconds, engine, args.timeout, args.rss_mb)


if __name__ == "__main__":
    sys.exit(main())
