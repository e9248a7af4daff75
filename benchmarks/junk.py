"""Bad rows against good ones, side by side: `policy batch` on a clean claim file and on files of
the same rows where one column holds a distinct junk value on every row.

Issue 20 (item 10): 2,000,000 distinct junk values took 183 s where a clean file of the same size
took 1.3 s; a bad row must not cost two orders of magnitude more than a good one. The files:

- clean: `benchmarks/workload.py`'s cases (fixed seed), as CSV;
- junk site: the same, `cancer_site` a distinct random word of 6 to 12 letters and digits;
- junk date: the same, `service_date` a distinct random word (not a date);
- near site: `cancer_site` a distinct misspelling that `difflib` finds close to an allowed value
  ("rectall17", "colonn5", ...): the "did you mean" hint needs the per-value path;
- unicode site: `cancer_site` a distinct word with a non-ASCII letter (the per-value path).

Each run is `policy batch IN.csv --out OUT.csv 2> FILE` in a fresh process, repetitions
interleaved so the machine's load hits every file alike; the report is the median wall time and
CPU time (user and system, the process and its threads) of each and their ratios to the clean
file's. The CPU ratio is the steadier one on a loaded machine. Every junk run must exit 3 with
every row bad, the clean one 0.

    python benchmarks/junk.py --rows 2000000 --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE)]

import workload  # noqa: E402

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def junk_word(rng: random.Random, i: int) -> str:
    """A distinct word (the row number makes it distinct) of letters and digits."""
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(4, 9))) + f"{i:x}"


def write(path: Path, data: dict[str, list]) -> None:
    names = list(data)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        for row in zip(*(data[name] for name in names), strict=True):
            writer.writerow(["" if v is None else "true" if v is True else "false" if v is False
                             else v for v in row])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    parser.add_argument("--only", nargs="*", help="the files to run (default: all)")
    args = parser.parse_args()

    from policy import load_policy

    n = args.rows
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    columns = load_policy(ROOT / "tables").compiled.columns
    sites = [str(v) for v in dict(columns)["cancer_site"]]
    started = time.perf_counter()
    clean = workload.generate(n, columns, seed=args.seed)
    rng = random.Random(args.seed)
    files = {"clean": clean,
             "junk site": {**clean, "cancer_site": [junk_word(rng, i) for i in range(n)]},
             "junk date": {**clean, "service_date": [junk_word(rng, i) for i in range(n)]},
             "near site": {**clean, "cancer_site": [
                 rng.choice(sites) + rng.choice("aelnrt") + str(i) for i in range(n)]},
             "unicode site": {**clean, "cancer_site": [
                 junk_word(rng, i) + rng.choice("éüñøß") for i in range(n)]}}
    if args.only:
        files = {k: v for k, v in files.items() if k == "clean" or k in args.only}
    paths = {}
    for name, data in files.items():
        paths[name] = out / f"junk-{name.replace(' ', '-')}-{n}.csv"
        write(paths[name], data)
    print(f"{n:,} rows per file, written in {time.perf_counter() - started:.0f} s: " + ", ".join(
        f"{name} {paths[name].stat().st_size / 1e6:.0f} MB" for name in files))

    script = Path(sys.executable).with_name("policy")
    policy = [str(script)] if script.exists() else [sys.executable, "-m", "policy"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    times: dict[str, list[float]] = {name: [] for name in files}
    cpu: dict[str, list[float]] = {name: [] for name in files}
    failed = []
    result, log = out / "junk-result.csv", out / "junk-stderr.txt"
    for _ in range(args.repeat):
        for name, path in paths.items():
            result.unlink(missing_ok=True)
            with open(log, "wb") as err:  # a file, as a user's 2> would be: a pipe read by
                begun = time.perf_counter()  # this process would time this process too
                child = subprocess.Popen([*policy, "batch", str(path), "--out", str(result)],
                                         stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
                _, status, usage = os.wait4(child.pid, 0)
                times[name].append(time.perf_counter() - begun)
            cpu[name].append(usage.ru_utime + usage.ru_stime)
            code = os.waitstatus_to_exitcode(status)
            with open(log, "rb") as err:
                err.seek(max(0, log.stat().st_size - 4096))
                summary = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
            want = (0, f"{n:,} rows, 0 bad") if name == "clean" else (3, f"{n:,} rows, {n:,} bad")
            if code != want[0] or not (summary and summary[0].startswith(want[1])):
                failed.append(f"{name}: exit {code}, {summary}")
    result.unlink(missing_ok=True)
    log.unlink(missing_ok=True)
    base, base_cpu = statistics.median(times["clean"]), statistics.median(cpu["clean"])
    print(f"{'file':<14} {'median s':>9} {'ratio':>6}  {'CPU-s':>6} {'ratio':>6}  runs (wall s)")
    for name, values in times.items():
        median, used = statistics.median(values), statistics.median(cpu[name])
        print(f"{name:<14} {median:>9.2f} {median / base:>6.2f}  {used:>6.2f} "
              f"{used / base_cpu:>6.2f}  " + ", ".join(f"{v:.2f}" for v in values))
    for failure in failed:
        print("FAILED:", failure)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
