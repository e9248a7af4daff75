"""The JSON Lines workload of `benchmarks/batch.py --jsonl N` (issue 22): a claim feed as JSON
Lines, decided end to end, against the CSV floor, side by side.

The N cases of `workload.py` (the seed of the main benchmark) are written as JSON Lines and as
CSV. Timed in one run, repetitions interleaved, each a process:

- `policy batch IN.jsonl --out OUT.jsonl` (the feed in, its results out: about 1.9 KB a row);
- `policy batch IN.jsonl`, its results streamed to standard output (here /dev/null): the same
  work without a file's page cache to fill;
- `policy batch IN.jsonl --out OUT.csv` (the same reading, a small output);
- the CSV floor: pyarrow's bare read of the same cases as CSV (the floor of every batch goal);
- the write floor: a process copying OUT.jsonl to a new file (`shutil.copyfile`), what writing
  the bytes of the JSON Lines results costs on this machine at that moment, whoever makes them;
- with `--baseline DIR` (an export of another commit, `git archive C | tar -x -C DIR`): its
  package's JSON Lines runs, to a file and to standard output, interleaved with the others, and
  whether its results are byte for byte the same.

Reported: the median of the paired ratios of each to the CSV floor (each pair run back to back),
the goal being JSON Lines in and out at most 4 times the floor. Every line of both outputs is
checked against the per-case API (`batch.py`'s checks: every field they share); a disagreement
exits 1.
"""

from __future__ import annotations

import filecmp
import statistics
import sys
import time
from pathlib import Path

GOAL = 4.0  # policy batch IN.jsonl --out OUT.jsonl / the CSV floor, at most


def run(args, launcher, policy_command: list[str], out: Path) -> int:
    import workload

    import batch
    from policy import load_policy

    n = args.jsonl
    out.mkdir(parents=True, exist_ok=True)
    iort = load_policy(args.root / "tables")
    started = time.perf_counter()
    data = workload.generate(n, iort.compiled.columns, seed=args.seed)
    jsonl_in, csv_in = out / f"feed-{n}.jsonl", out / f"feed-{n}.csv"
    workload.write_jsonl(data, jsonl_in)
    workload.write_csv(data, csv_in)
    print(f"JSON Lines workload: {n:,} cases (seed {args.seed}), JSON Lines "
          f"{jsonl_in.stat().st_size / 1e6:.1f} MB, the same as CSV "
          f"{csv_in.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s;"
          f" {args.repeat} repetitions, interleaved")
    jsonl_out, csv_out = out / f"feed-{n}.results.jsonl", out / f"feed-{n}.results.csv"
    copy = out / f"feed-{n}.copy.jsonl"
    commands = {
        "floor": [args.python, "-c", "import pyarrow.csv as c, sys; c.read_csv(sys.argv[1])",
                  str(csv_in)],
        "jsonl_jsonl": [*policy_command, "batch", str(jsonl_in), "--out", str(jsonl_out)],
        "jsonl_stdout": [*policy_command, "batch", str(jsonl_in)],  # to /dev/null
        "write": [args.python, "-c", "import shutil, sys; shutil.copyfile(*sys.argv[1:])",
                  str(jsonl_out), str(copy)],
        "jsonl_csv": [*policy_command, "batch", str(jsonl_in), "--out", str(csv_out)],
    }
    if args.baseline:  # the same runs of another checkout's package (its folder first on the path)
        before = ["env", f"PYTHONPATH={args.baseline.resolve()}", *policy_command, "batch",
                  str(jsonl_in)]
        commands["before_jsonl_jsonl"] = [*before, "--out", str(out / f"feed-{n}.before.jsonl")]
        commands["before_jsonl_stdout"] = before
    for name, command in commands.items():
        print(f"  {name}: " + " ".join(command))
        launcher.run(command, out / f"feed-{name}.log")  # warm-up: caches, the OS file cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            copy.unlink(missing_ok=True)
            wall, _, code = launcher.run(command, out / f"feed-{name}.log")
            if code not in (0, 3):
                print(f"FAILED: {name} exited {code}; see {out / f'feed-{name}.log'}")
                return 1
            times[name].append(wall)
            cpu[name].append(launcher.last_cpu)
    copy.unlink(missing_ok=True)
    floor = times["floor"]

    def paired(name: str) -> float:
        return statistics.median(a / b for a, b in zip(times[name], floor, strict=True))

    median = {name: statistics.median(values) for name, values in times.items()}
    print("CPU seconds (user and system; less moved by other load than wall time), medians: "
          + ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in cpu.items()))
    ratio = paired("jsonl_jsonl")
    print(f"CSV floor (pyarrow read of the same cases as CSV) {median['floor']:.2f} s")
    print(f"policy batch IN.jsonl --out OUT.jsonl {median['jsonl_jsonl']:.2f} s: "
          f"{ratio:.2f} times the CSV floor (goal <= {GOAL:g}: "
          f"{'met' if ratio <= GOAL else 'MISSED'}; the median of the paired ratios: "
          + ", ".join(f"{a / b:.2f}" for a, b in zip(times["jsonl_jsonl"], floor, strict=True))
          + ")")
    print(f"  beside it, the write floor (copying its {jsonl_out.stat().st_size / 1e9:.2f} GB of "
          f"results to a new file) {median['write']:.2f} s, {paired('write'):.2f} times the "
          f"CSV floor")
    print(f"policy batch IN.jsonl > /dev/null {median['jsonl_stdout']:.2f} s: "
          f"{paired('jsonl_stdout'):.2f} times the CSV floor")
    print(f"policy batch IN.jsonl --out OUT.csv {median['jsonl_csv']:.2f} s: "
          f"{paired('jsonl_csv'):.2f} times the CSV floor")
    if args.baseline:
        print(f"the baseline ({args.baseline}), side by side: IN.jsonl --out OUT.jsonl "
              f"{median['before_jsonl_jsonl']:.2f} s, {paired('before_jsonl_jsonl'):.2f} times "
              f"the CSV floor; > /dev/null {median['before_jsonl_stdout']:.2f} s, "
              f"{paired('before_jsonl_stdout'):.2f} times")
        same = filecmp.cmp(jsonl_out, out / f"feed-{n}.before.jsonl", shallow=False)
        print(f"  its JSON Lines results {'are' if same else 'are NOT'} byte for byte these")
        (out / f"feed-{n}.before.jsonl").unlink()
    expected = batch.expected_columns(iort, workload.cases(data))
    wrong = {"JSON Lines": batch.jsonl_disagreements(jsonl_out, expected),
             "CSV": batch.csv_disagreements(csv_out, expected, first_line=1)}
    print("agreement with the per-case API, every row: " + ", ".join(
        f"{name} {count:,} disagreements" for name, count in wrong.items()))
    sys.stdout.flush()
    return 1 if any(wrong.values()) or (args.check_goals and ratio > GOAL) else 0
