"""The coded claims workload of `benchmarks/batch.py --coded N` (issue 22): a claim file with its
own column names, three diagnosis columns and one procedure column.

Columns: claim_id, member_id, dos (date of service, 2012-2026: both code systems), dx1, dx2, dx3
(ICD-9-CM codes before 2015-10-01, ICD-10-CM on and after; sometimes empty, now and then one that
is not valid on the day), px (a CPT code, IORT or not, sometimes empty), margin, stage, recurrent.
`policy batch coded.csv --map case_id=claim_id --map service_date=dos --map
diagnosis=dx1,dx2,dx3 --map procedure=px --map margin_status=margin --map t_stage=stage --keep
member_id --out results.jsonl` (and the same with `--out results.csv`, whose rows carry their
codes but not the explanation) is timed against pyarrow's bare read of the same file, side by side,
repetitions interleaved; every JSON Lines result is checked against the per-case API.
"""

from __future__ import annotations

import csv
import json
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

ICD10 = ["C20", "C18.7", "C18.2", "C16.9", "C25.0", "C50.911", "C71.9", "C64.1", "C49.4",
         "C53.9", "C34.90", "Z85.048", "C19", "C78.7", "I10", "E11.9", "D48.110"]
ICD9 = ["154.1", "153.6", "153.3", "151.9", "157.0", "174.9", "191.9", "189.0", "171.5",
        "180.9", "162.9", "V10.06", "154.0", "197.7", "401.9", "250.00"]
INVALID = ["C18", "D48.1", "C20.9"]  # a header; a header from FY2024; not a code
PROCEDURES = ["77424", "77425", "77469", "99213", "19301", "77427", "0735T"]
MAP = ["--map", "case_id=claim_id", "--map", "service_date=dos",
       "--map", "diagnosis=dx1,dx2,dx3", "--map", "procedure=px",
       "--map", "margin_status=margin", "--map", "t_stage=stage", "--keep", "member_id"]
HEADER = ["claim_id", "member_id", "dos", "dx1", "dx2", "dx3", "px", "margin", "stage",
          "recurrent"]


def rows(n: int, seed: int):
    rng = random.Random(seed)
    first = date(2012, 1, 1)
    days = [(first + timedelta(days=d)).isoformat() for d in range(0, 15 * 365, 3)]
    for i in range(n):
        day = rng.choice(days)
        codes = ICD10 if day >= "2015-10-01" else ICD9
        dx = [rng.choice(codes) if rng.random() < share else "" for share in (0.95, 0.5, 0.2)]
        if rng.random() < 0.002:
            dx[0] = rng.choice(INVALID)
        yield [f"CL{i:08d}", f"M{rng.randrange(50_000):05d}", day, *dx,
               rng.choice(PROCEDURES) if rng.random() < 0.8 else "",
               rng.choice(["positive", "close", "negative", ""]),
               rng.choice(["T2", "T3", "T4", "T4b", ""]), rng.choice(["true", "false", ""])]


def write(path: Path, n: int, seed: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(n, seed))


def disagreements(csv_path: Path, results: Path, iort) -> tuple[int, int]:
    """(rows checked, rows whose result differs from the per-case API's): determination,
    revision, rule, needs, codes, explanation, the error's problem codes, and the kept member_id.
    Each distinct claim (but its ids) is decided once through the API."""
    from policy.core.errors import DataError

    memo: dict[tuple, tuple] = {}
    bad = checked = 0
    with csv_path.open(encoding="utf-8") as source, results.open(encoding="utf-8") as out:
        reader = csv.reader(source)
        next(reader)
        for row, line in zip(reader, out, strict=True):
            result = json.loads(line)
            key = tuple(row[2:])
            expected = memo.get(key)
            if expected is None:
                _, _, day, dx1, dx2, dx3, px, margin, stage, recurrent = row
                case = {"service_date": day,
                        "diagnosis": ",".join(c for c in (dx1, dx2, dx3) if c) or None,
                        "procedure": px or None, "margin_status": margin or None,
                        "t_stage": stage or None,
                        "recurrent": {"true": True, "false": False}.get(recurrent)}
                try:
                    d = iort.evaluate(case).to_json()
                    expected = (d["determination"], d["revision"], d["rule"], d["needs"],
                                d["codes"], d["explanation"])
                except DataError as exc:
                    expected = ("error", sorted({p.code for p in exc.problems}))
                memo[key] = expected
            got: tuple[object, ...]
            if "error" in result:
                got = ("error", sorted({part.split(":")[0].strip()
                                        for part in result["error"].split("; ")
                                        if part.split(":")[0].strip().isupper()}))
            else:
                got = (result["determination"], result["revision"], result["rule"],
                       result["needs"], result["codes"], result["explanation"])
            checked += 1
            if got != expected or result.get("member_id") != row[1] or \
                    result.get("case_id") != row[0]:
                bad += 1
                if bad <= 3:
                    print(f"  disagreement on {row[0]}: {got!r} != {expected!r}")
    return checked, bad


def run(args, launcher, policy_command, out: Path) -> int:
    from policy import load_policy

    n = args.coded
    out.mkdir(parents=True, exist_ok=True)
    claims, results = out / f"coded-{n}.csv", out / f"coded-{n}.results.jsonl"
    started = time.perf_counter()
    write(claims, n, args.seed)
    print(f"coded workload: {n:,} claims (seed {args.seed}), CSV "
          f"{claims.stat().st_size / 1e6:.1f} MB, written in "
          f"{time.perf_counter() - started:.1f} s; {args.repeat} repetitions, interleaved")
    batch = [*policy_command, "batch", str(claims), *MAP, "--out", str(results)]
    # the same run writing CSV results: those leave out the explanation and the codes, so this
    # is the reading and deciding of the codes without JSON Lines' long rows (about 2 KB each)
    csv_results = out / f"coded-{n}.results.csv"
    batch_csv = [*policy_command, "batch", str(claims), *MAP, "--out", str(csv_results)]
    floor = [args.python, "-c", "import pyarrow.csv as c, sys; c.read_csv(sys.argv[1])",
             str(claims)]
    print("  " + " ".join(batch))
    launcher.run(batch, out / "coded.log")  # warm-up: caches, imports, the OS file cache
    launcher.run(floor, out / "coded-floor.log")
    runs = {"jsonl": batch, "csv": batch_csv, "floor": floor}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        results.unlink(missing_ok=True)
        csv_results.unlink(missing_ok=True)
        for name, command in runs.items():
            wall, _, code = launcher.run(command, out / f"coded-{name}.log")
            if code not in (0, 3):
                print(f"FAILED: {' '.join(command[:3])} exited {code}; see "
                      f"{out / f'coded-{name}.log'}")
                return 1
            times[name].append(wall)
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor_s = medians["floor"]
    for name, label in (("jsonl", "JSON Lines results (with codes and explanations)"),
                        ("csv", "CSV results")):
        pairs = ", ".join(f"{t / f:.2f}" for t, f in zip(times[name], times["floor"],
                                                            strict=True))
        print(f"policy batch (coded, mapped, kept) -> {label}: {medians[name]:.2f} s; "
              f"pyarrow's bare read of the same CSV {floor_s:.2f} s; ratio "
              f"{medians[name] / floor_s:.2f} (pairs {pairs}; goal: at most 2.5)")
    print("  " + (out / "coded-jsonl.log").read_text(encoding="utf-8").strip().splitlines()[-1])
    checked, bad = disagreements(claims, results, load_policy(args.root / "tables"))
    print(f"agreement with the per-case API: {checked:,} rows, {bad:,} disagreements")
    # the goal is checked on CSV results, as the batch goal is (benchmarks/batch.py); JSON Lines
    # results are printed beside it: their writer's cost is JSON Lines', not the codes'
    missed = args.check_goals and medians["csv"] / floor_s > 2.5
    return 1 if bad or missed else 0
