"""Batch evaluation speed, side by side: the Arrow core, `policy batch`, the floor, and the others.

Generates N cases (fixed seed; fields sometimes omitted; dates of service 2010-2030) as CSV, JSON
Lines and an in-memory Arrow table, then measures in one run, repetitions interleaved so machine
noise hits every evaluator alike, and reports medians:

- the Arrow core: `policy.columnar.evaluate_arrow` on the in-memory table (all N rows);
- `policy batch IN.csv --out OUT.csv`, `policy batch IN.parquet --out OUT.parquet` and
  `policy batch IN.jsonl --out OUT.jsonl` end to end, each a subprocess, with the peak memory
  (max RSS) of that process alone (`os.wait4`);
- the floor: pyarrow's bare read of the same CSV in a fresh process;
- the per-case Python API (`load_policy().evaluate`, one call per case; a sub-sample);
- a naive row walk (`tests/reference_evaluator.py`: the YAML rules walked per case; a sub-sample);
- GoRules ZEN (`zen-engine`) on a JDM model generated from our tables (`benchmarks/zen_model.py`),
  one engine call per case (a sub-sample).

Every evaluator is checked against ours on every case it evaluated: the Arrow core and the three
`policy batch` outputs on all N rows against the per-case API (every field they share), ZEN and the
row walk on their samples (determination, revision, rule, needs). Any disagreement exits 1.
`--check-goals` also exits 1 when a goal (GOALS) is missed; `benchmarks/startup.py --check-goals`
does the same for start-up.

    python benchmarks/batch.py                               # quick: 20,000 rows, 3 repetitions
    python benchmarks/batch.py --rows 1000000 --repeat 5     # the issue's measurement
    python benchmarks/batch.py --scale 100000000             # one policy batch run of 100M CSV rows
    python benchmarks/batch.py --coded 1000000 --repeat 3    # coded claims, mapped (issue 22)
    python benchmarks/batch.py --jsonl 1000000 --repeat 5    # a JSON Lines feed (issue 22)

`--scale N` writes an N-row CSV (blocks of the generated workload, each with its own case ids;
about 56 bytes a row), runs `policy batch IN.csv --out OUT.csv` once and reports its time, rows per
second and peak memory; it checks that every row was decided (the summary and the output's line
count) and deletes both files afterwards.

Generated files go to benchmarks/out/ (git-ignored) unless --out-dir says otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests")]

import workload  # noqa: E402
import zen_model  # noqa: E402

# policy batch CSV / bare pyarrow read (wall) at most; the per-case API and the Arrow core at least
# these multiples of GoRules ZEN per case; peak memory of policy batch under (MB)
GOALS = {"floor": 2.0, "api_zen": 10.0, "zen": 100.0, "rss_mb": 500.0}
COMPARED = ("determination", "revision", "rule", "needs")


# --- the machine ------------------------------------------------------------------------------

def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [f"machine: {os.cpu_count()} logical cores ({usable} usable), {model}{memory}, "
            f"{platform.system()} {platform.release()}",
            f"software: Python {platform.python_version()}, pyarrow {version('pyarrow')}, "
            f"zen-engine {version('zen-engine')}, "
            f"fep-medical-policy {version('fep-medical-policy')}"]


# --- running things ----------------------------------------------------------------------------

# A child's max RSS as Linux reports it (wait4, getrusage, /usr/bin/time) starts from its parent's
# RSS at fork: exec keeps the high-water mark of the address space it replaces. The benchmark holds
# the whole workload in memory, so its children are started by this small launcher, started
# before the workload exists (about 10 MB): a reported peak is then the child's own.
LAUNCHER = r"""
import json, os, subprocess, sys, time
for request in sys.stdin:
    command, log, cwd = json.loads(request)
    with open(log, "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps([wall, usage.ru_maxrss, child.returncode, cpu]), flush=True)
"""


class Launcher:
    """Runs commands from a small process; reports wall seconds, peak RSS (MB), exit code (and
    keeps the CPU seconds, user and system, of the last command in `last_cpu`)."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.last_cpu = 0.0

    def run(self, command: list[str], log: Path) -> tuple[float, float, int]:
        self.process.stdin.write(json.dumps([command, str(log), str(ROOT)]) + "\n")
        self.process.stdin.flush()
        wall, max_rss_kib, code, self.last_cpu = json.loads(self.process.stdout.readline())
        return wall, max_rss_kib / 1024, code  # ru_maxrss is in KiB on Linux

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def policy_command() -> list[str]:
    script = Path(sys.executable).with_name("policy")
    return [str(script)] if script.exists() else [sys.executable, "-m", "policy"]


# --- agreement ----------------------------------------------------------------------------------

def expected_columns(iort, cases: list[dict]) -> dict[str, list]:
    """The per-case API's answer for every case, column by column (None: the case is invalid)."""
    from policy import PolicyError

    out: dict[str, list] = {k: [] for k in (
        "valid", "case_id", "as_of", "determination", "revision", "version", "effective_from",
        "effective_from_basis", "rule", "needs", "source", "explanation")}
    for case in cases:
        try:
            d = iort.evaluate(case)
        except PolicyError:
            out["valid"].append(False)
            for key in out:
                if key != "valid":
                    out[key].append(None)
            continue
        revision = d.revision or {}
        out["valid"].append(True)
        out["case_id"].append(d.case_id)
        out["as_of"].append(d.as_of)
        out["determination"].append(d.determination)
        out["revision"].append(revision.get("id"))
        out["version"].append(revision.get("version"))
        out["effective_from"].append(revision.get("effective_from"))
        out["effective_from_basis"].append(revision.get("effective_from_basis"))
        out["rule"].append(d.rule)
        out["needs"].append(list(d.needs))
        out["source"].append(d.source)
        out["explanation"].append(d.explanation)
    return out


def arrow_disagreements(result, expected: dict[str, list]) -> int:
    """Rows of an evaluate_arrow result that differ from the per-case API in any shared field."""
    n = len(expected["valid"])
    if result.num_rows != n:
        return n
    wrong = set()
    errors = result.column("error").to_pylist()
    for i, (valid, error) in enumerate(zip(expected["valid"], errors, strict=True)):
        if valid == (error is not None):
            wrong.add(i)
    for name, values in expected.items():
        if name == "valid":
            continue
        got = result.column(name).to_pylist()
        if name == "needs":
            got = [[] if v is None else v for v in got]
        for i, (a, b) in enumerate(zip(got, values, strict=True)):
            if expected["valid"][i] and a != b:
                wrong.add(i)
    return len(wrong)


def jsonl_disagreements(path: Path, expected: dict[str, list]) -> int:
    """Lines of `policy batch` JSON Lines output that differ from the per-case API."""
    wrong = 0
    n = len(expected["valid"])
    seen = 0
    with open(path, encoding="utf-8") as lines:
        for i, text in enumerate(lines):
            seen += 1
            if i >= n:
                wrong += 1
                continue
            row = json.loads(text)
            if row.get("line") != i + 1:  # JSON Lines input: case i is on line i + 1
                wrong += 1
                continue
            if not expected["valid"][i]:
                wrong += "error" not in row
                continue
            revision = row.get("revision") or {}
            got = {"case_id": row.get("case_id"), "as_of": row.get("as_of"),
                   "determination": row.get("determination"), "revision": revision.get("id"),
                   "version": revision.get("version"),
                   "effective_from": revision.get("effective_from"),
                   "effective_from_basis": revision.get("effective_from_basis"),
                   "rule": row.get("rule"), "needs": row.get("needs"),
                   "source": row.get("source"), "explanation": row.get("explanation")}
            wrong += any(got[k] != expected[k][i] for k in got)
    return wrong + max(0, n - seen)


def csv_disagreements(path: Path, expected: dict[str, list], first_line: int = 2) -> int:
    """Rows of `policy batch` CSV output that differ from the per-case API (shared columns);
    case i is on input line i + `first_line` (CSV input: after its header)."""
    n = len(expected["valid"])
    wrong = 0
    seen = 0
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for i, row in enumerate(reader):
            seen += 1
            if i >= n:
                wrong += 1
                continue
            if not expected["valid"][i]:
                wrong += not row.get("error")
                continue
            got = {}
            for key in ("case_id", "as_of", "determination", "revision", "version",
                        "effective_from", "effective_from_basis", "rule", "source",
                        "explanation"):
                if key in row:
                    got[key] = row[key] or None
            if "needs" in row:  # the CSV cell lists the field names separated by spaces
                got["needs"] = row["needs"].split()
            if row.get("line") != str(i + first_line):
                wrong += 1
                continue
            if not {"determination", "revision", "rule", "needs"} <= set(got):
                return n  # the CSV does not carry the fields the comparison needs
            wrong += any(got[k] != expected[k][i] for k in got)
    return wrong + max(0, n - seen)


def parquet_disagreements(path: Path, expected: dict[str, list]) -> int:
    """Rows of `policy batch` Parquet output that differ from the per-case API (every column it
    shares), or whose `line` is not the row number."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    n = len(expected["valid"])
    lines = table.column("line")
    wrong = 0 if table.num_rows != n else pc.sum(pc.not_equal(
        lines, pa.array(range(1, n + 1), pa.int64()))).as_py() or 0
    return wrong + arrow_disagreements(table.drop_columns(["line"]), expected)


def sample_disagreements(results: list[dict], expected: dict[str, list]) -> int:
    wrong = 0
    for i, got in enumerate(results):
        want = {k: expected[k][i] for k in COMPARED}
        wrong += got != want
    return wrong


# --- the benchmark ------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="cases generated (default 20,000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every measurement")
    parser.add_argument("--api-sample", type=int, default=100_000,
                        help="cases timed through the per-case API per repetition")
    parser.add_argument("--zen-sample", type=int, default=20_000,
                        help="cases timed through GoRules ZEN per repetition")
    parser.add_argument("--walk-sample", type=int, default=10_000,
                        help="cases timed through the naive row walk per repetition")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    parser.add_argument("--check-goals", action="store_true",
                        help="exit 1 when a goal is missed (disagreements always exit 1)")
    parser.add_argument("--scale", type=int, metavar="N",
                        help="instead: one policy batch run of an N-row CSV (time, peak memory)")
    parser.add_argument("--coded", type=int, metavar="N",
                        help="instead: N coded claims with their own column names (benchmarks/"
                             "coded.py) against pyarrow's bare read, and the per-case API")
    parser.add_argument("--jsonl", type=int, metavar="N",
                        help="instead: N cases as JSON Lines in, JSON Lines and CSV out "
                             "(benchmarks/jsonl_feed.py), against the CSV floor")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="with --jsonl: also time the package exported to DIR (another "
                             "commit), side by side")
    args = parser.parse_args()
    args.root, args.python = ROOT, sys.executable

    import pyarrow as pa  # noqa: F401  (fail early when the core dependency is missing)
    if not (args.coded or args.jsonl):
        import zen  # noqa: F401  (the bench extra: pip install -e '.[bench]')

    # Every process runs as installed, its modules' bytecode cached: where the environment sets
    # PYTHONDONTWRITEBYTECODE, an editable install would compile the whole package from source
    # in every `policy` process (about 0.07 CPU-s) while pyarrow's bytecode came with its wheel.
    # The bytecode goes under --out-dir, not into the source tree; the warm-up run writes it.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(args.out_dir.resolve() / "pycache")
    launcher = Launcher()  # before the workload is in memory (see LAUNCHER)
    try:
        if args.coded:
            import coded

            for line in machine():
                print(line)
            return coded.run(args, launcher, policy_command(), args.out_dir)
        if args.jsonl:
            import jsonl_feed

            for line in machine():
                print(line)
            return jsonl_feed.run(args, launcher, policy_command(), args.out_dir)
        return scale(args, launcher) if args.scale else benchmark(args, launcher)
    finally:
        launcher.close()


def benchmark(args, launcher: Launcher) -> int:
    from policy import load_policy
    from policy.columnar import evaluate_arrow
    from reference_evaluator import ReferenceEvaluator

    for line in machine():
        print(line)
    print(f"bytecode: cached under {os.environ['PYTHONPYCACHEPREFIX']} for every process")
    n = args.rows
    iort = load_policy(ROOT / "tables")
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    data = workload.generate(n, iort.compiled.columns, seed=args.seed)
    table = workload.arrow_table(data)
    csv_in, jsonl_in = out / f"cases-{n}.csv", out / f"cases-{n}.jsonl"
    parquet_in = out / f"cases-{n}.parquet"
    workload.write_csv(data, csv_in)
    workload.write_jsonl(data, jsonl_in)
    import pyarrow.parquet as pq

    pq.write_table(table, parquet_in)
    cases = workload.cases(data)
    print(f"workload: {n:,} cases (seed {args.seed}), CSV {csv_in.stat().st_size / 1e6:.1f} MB, "
          f"JSON Lines {jsonl_in.stat().st_size / 1e6:.1f} MB, "
          f"Parquet {parquet_in.stat().st_size / 1e6:.1f} MB, generated in "
          f"{time.perf_counter() - started:.1f} s; {args.repeat} repetitions, interleaved")

    api_cases = cases[:min(n, args.api_sample)]
    zen_cases = cases[:min(n, args.zen_sample)]
    walk_cases = cases[:min(n, args.walk_sample)]
    zen_evaluate = zen_model.zen_evaluator(iort.compiled)
    zen_contexts = [zen_model.zen_context(c, c["service_date"]) for c in zen_cases]
    walker = ReferenceEvaluator(ROOT / "tables" / iort.id)

    policy = policy_command()
    floor_cmd = [sys.executable, "-c",
                 "import pyarrow.csv as c, sys; c.read_csv(sys.argv[1])", str(csv_in)]
    csv_out, jsonl_out = out / f"results-{n}.csv", out / f"results-{n}.jsonl"
    parquet_out = out / f"results-{n}.parquet"
    batch_csv_cmd = [*policy, "batch", str(csv_in), "--out", str(csv_out)]
    batch_jsonl_cmd = [*policy, "batch", str(jsonl_in), "--out", str(jsonl_out)]
    batch_parquet_cmd = [*policy, "batch", str(parquet_in), "--out", str(parquet_out)]

    print(f"processes (cwd {ROOT}):")
    for command in (batch_csv_cmd, batch_parquet_cmd, batch_jsonl_cmd, floor_cmd):
        print("  " + shlex.join(os.path.relpath(a, ROOT) if a.startswith("/") else a
                                for a in command))
    print(f"samples: per-case API {len(api_cases):,}, GoRules ZEN {len(zen_cases):,}, "
          f"row walk {len(walk_cases):,} cases (the first ones of the workload)")

    # Warm-up (not measured): the compiled-table cache, imports, the OS file cache.
    small = out / "warm-up.csv"
    workload.write_csv(workload.generate(100, iort.compiled.columns, seed=1), small)
    for command in ([*policy, "batch", str(small), "--out", str(out / "warm-up.out.csv")],
                    [sys.executable, "-c", "import pyarrow.csv as c, sys; c.read_csv(sys.argv[1])",
                     str(small)]):
        launcher.run(command, out / "warm-up.log")
    evaluate_arrow(table.slice(0, 1000), iort)

    times: dict[str, list[float]] = {k: [] for k in (
        "arrow", "batch_csv", "batch_parquet", "batch_jsonl", "floor", "api", "walk", "zen")}
    rss: dict[str, list[float]] = {"batch_csv": [], "batch_parquet": [], "batch_jsonl": [],
                                   "floor": []}
    results: dict[str, Any] = {}  # each evaluator's own result type
    failures = []

    def child(key: str, command: list[str]) -> None:
        # Every process starts alike: no output file from the last repetition to replace, and no
        # dirty pages of the previous process (the JSON Lines run writes about 1 GB) still being
        # flushed to disk while this one is timed.
        if "--out" in command:
            Path(command[command.index("--out") + 1]).unlink(missing_ok=True)
        os.sync()
        wall, peak, code = launcher.run(command, out / f"{key}.log")
        if code != 0:
            failures.append(f"{' '.join(command)} exited {code} (see {out / (key + '.log')})")
        times[key].append(wall)
        rss[key].append(peak)

    def arrow() -> None:
        results["arrow"] = evaluate_arrow(table, iort)

    def api() -> None:
        evaluate = iort.evaluate
        for case in api_cases:
            evaluate(case)

    def walk() -> None:
        evaluate = walker.evaluate
        results["walk"] = [evaluate(case, case["service_date"]) for case in walk_cases]

    def zen_run() -> None:
        results["zen"] = [zen_evaluate(context) for context in zen_contexts]

    def in_process(key: str, function) -> None:
        os.sync()  # as for the processes: no earlier output still being written back meanwhile
        times[key].append(timed(function))

    for _ in range(args.repeat):
        in_process("arrow", arrow)
        child("batch_csv", batch_csv_cmd)
        child("floor", floor_cmd)
        child("batch_parquet", batch_parquet_cmd)
        child("batch_jsonl", batch_jsonl_cmd)
        in_process("api", api)
        in_process("zen", zen_run)
        in_process("walk", walk)
    if failures:
        for failure in failures:
            print("FAILED:", failure)
        return 1

    # Agreement, on every case each evaluator evaluated.
    started = time.perf_counter()
    expected = expected_columns(iort, cases)
    disagree = {
        "arrow": arrow_disagreements(results["arrow"], expected),
        "batch_csv": csv_disagreements(csv_out, expected),
        "batch_parquet": parquet_disagreements(parquet_out, expected),
        "batch_jsonl": jsonl_disagreements(jsonl_out, expected),
        "zen": sample_disagreements([zen_model.zen_result(r) for r in results["zen"]], expected),
        "walk": sample_disagreements(
            [{k: r[k] for k in COMPARED} for r in results["walk"]], expected),
    }
    checked = time.perf_counter() - started

    rows = {"arrow": n, "batch_csv": n, "batch_parquet": n, "batch_jsonl": n, "floor": n,
            "api": len(api_cases),
            "zen": len(zen_cases), "walk": len(walk_cases)}
    median = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: rows[k] / median[k] for k in median}
    labels = {
        "arrow": "Arrow core: evaluate_arrow, in-memory table",
        "batch_csv": "policy batch IN.csv --out OUT.csv (process)",
        "batch_parquet": "policy batch IN.parquet --out OUT.parquet (process)",
        "batch_jsonl": "policy batch IN.jsonl --out OUT.jsonl (process)",
        "floor": "floor: pyarrow.csv.read_csv(IN.csv) (process)",
        "api": "per-case API: load_policy().evaluate",
        "walk": "naive row walk: tests/reference_evaluator",
        "zen": "GoRules ZEN, generated JDM, 1 call/case",
    }
    checks = {"arrow": "every field", "batch_csv": "every CSV column",
              "batch_parquet": "every field", "batch_jsonl": "every field",
              "zen": "det/rev/rule/needs", "walk": "det/rev/rule/needs"}
    print()
    print(f"{'evaluator':<50} {'rows':>9} {'median s':>9} {'rows/s':>12} {'peak RSS':>9}  "
          f"disagreements")
    for key, label in labels.items():
        peak = f"{max(rss[key]):6.0f} MB" if key in rss else ""
        agreement = (f"{disagree[key]} of {rows[key]:,} ({checks[key]})" if key in disagree
                     else "(reference)" if key == "api" else "")
        print(f"{label:<50} {rows[key]:>9,} {median[key]:>9.3f} {rate[key]:>12,.0f} {peak:>9}  "
              f"{agreement}")
    print(f"(agreement checked in {checked:.1f} s against the per-case API on every evaluated "
          "case)")

    # The goal's figure is the median of the paired ratios: each repetition runs the batch and
    # the floor back to back, so a pair shares the machine's load of the moment; the ratio of
    # the two medians can pair a batch run from a busy moment with a floor run from a quiet one.
    paired = [batch / floor for batch, floor in zip(times["batch_csv"], times["floor"],
                                                    strict=True)]
    floor_ratio = statistics.median(paired)
    zen_ratio = rate["arrow"] / rate["zen"]
    api_zen_ratio = rate["api"] / rate["zen"]
    peak_csv, peak_jsonl = max(rss["batch_csv"]), max(rss["batch_jsonl"])
    peak_parquet = max(rss["batch_parquet"])
    met = {"floor": floor_ratio <= GOALS["floor"], "zen": zen_ratio >= GOALS["zen"],
           "api_zen": api_zen_ratio >= GOALS["api_zen"],
           "rss": max(peak_csv, peak_jsonl, peak_parquet) < GOALS["rss_mb"]}
    print()
    print(f"ratios at {n:,} rows (medians of {args.repeat}):")
    print(f"  policy batch CSV end to end / pyarrow CSV read floor (wall): {floor_ratio:6.2f}  "
          f"(goal <= {GOALS['floor']:g}: {'met' if met['floor'] else 'MISSED'}; the median of "
          "the paired ratios)")
    print(f"    the ratio of the two medians instead: "
          f"{median['batch_csv'] / median['floor']:.2f}")
    pairs = sorted(zip(times["batch_csv"], times["floor"], strict=True),
                   key=lambda pair: pair[0] / pair[1])
    print("    each repetition, batch / floor: " + ", ".join(
        f"{a:.2f}/{b:.2f} s = {a / b:.2f}" for a, b in pairs))
    print(f"  per-case API cases/s / GoRules ZEN cases/s (same cases):    {api_zen_ratio:6.2f}  "
          f"(goal >= {GOALS['api_zen']:g}: {'met' if met['api_zen'] else 'MISSED'})")
    print(f"  Arrow core rows/s / GoRules ZEN rows/s:                     {zen_ratio:6.0f}  "
          f"(goal >= {GOALS['zen']:g}: {'met' if met['zen'] else 'MISSED'})")
    print(f"  peak RSS of policy batch: CSV {peak_csv:.0f} MB, Parquet {peak_parquet:.0f} MB, "
          f"JSON Lines {peak_jsonl:.0f} MB (goal < {GOALS['rss_mb']:g} MB: "
          f"{'met' if met['rss'] else 'MISSED'})")
    print(f"  also: Arrow core / per-case API {rate['arrow'] / rate['api']:.0f}x, "
          f"Arrow core / naive row walk {rate['arrow'] / rate['walk']:.0f}x, "
          f"policy batch Parquet / CSV floor {median['batch_parquet'] / median['floor']:.2f}, "
          f"JSON Lines / CSV floor {median['batch_jsonl'] / median['floor']:.2f}")
    total = sum(disagree.values())
    print(f"disagreements: {total}")
    if total:
        return 1
    if args.check_goals and not all(met.values()):
        return 1
    return 0


# --- scale: one run of many rows ---------------------------------------------------------------

def write_scaled_csv(path: Path, rows: int, columns, seed: int, block: int = 1_000_000) -> None:
    """An N-row CSV at bounded memory: the generated workload's first `block` rows over and
    over, each repetition with case ids of its own (`B<k>-<id>`), written by pyarrow."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    base = workload.arrow_table(workload.generate(min(rows, block), columns, seed=seed))
    options = pacsv.WriteOptions(quoting_style="needed")
    with pacsv.CSVWriter(path, base.schema, write_options=options) as writer:
        for k, start in enumerate(range(0, rows, block)):
            part = base.slice(0, min(block, rows - start))
            ids = pc.binary_join_element_wise(f"B{k}-", part.column("case_id"), "")
            writer.write_table(part.set_column(0, "case_id", ids))


def scale(args, launcher: Launcher) -> int:
    from policy import load_policy

    for line in machine():
        print(line)
    n = args.scale
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    csv_in, csv_out = out / f"scale-{n}.csv", out / f"scale-{n}.results.csv"
    iort = load_policy(ROOT / "tables")
    started = time.perf_counter()
    try:
        write_scaled_csv(csv_in, n, iort.compiled.columns, args.seed)
        print(f"workload: {n:,} rows, CSV {csv_in.stat().st_size / 1e9:.2f} GB, written in "
              f"{time.perf_counter() - started:.0f} s")
        command = [*policy_command(), "batch", str(csv_in), "--out", str(csv_out)]
        os.sync()
        log = out / "scale.log"
        wall, peak, code = launcher.run(command, log)
        summary = log.read_text(encoding="utf-8").strip().splitlines()[-1:]
        with open(csv_out, "rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
    finally:
        for path in (csv_in, csv_out):
            path.unlink(missing_ok=True)
    print(f"policy batch IN.csv --out OUT.csv: {wall:.1f} s, {n / wall:,.0f} rows/s, "
          f"peak RSS {peak:.0f} MB, exit {code}; {lines - 1:,} result rows")
    print("  " + (summary[0] if summary else "(no summary)"))
    decided = (code == 0 and lines - 1 == n and summary
               and summary[0].startswith(f"{n:,} rows, 0 bad"))
    if not decided:
        print("FAILED: not every row was decided")
        return 1
    return 1 if args.check_goals and peak >= GOALS["rss_mb"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
