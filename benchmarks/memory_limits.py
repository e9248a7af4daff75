"""`policy batch` under memory limits: how every run ends, and how much a block grows the process.

Issue 20 (item 8): under `ulimit -v` of 300 to 700 MB a run with the jemalloc pool died by SIGSEGV
or SIGABRT, exited 127 or 70. Here, for each limit (RLIMIT_AS, and RLIMIT_DATA) and each input
and output format, one `policy batch` run in a fresh process with the limit set (`setrlimit` in
the child): its exit code (negative: killed by that signal) and, for exit 4, that it said
OUT_OF_MEMORY on one line. Then, without a limit but in the same lean configuration (a limit
far above what a run needs), how far the address space grew after any of the run's memory
checks (`limits.Budget.check`, once per block) before the next: the margin
`limits.MARGIN` must cover it.

    python benchmarks/memory_limits.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE)]

import workload  # noqa: E402

# A child that runs `policy batch` as the console script does, sampling its own address space
# every millisecond; it reports the largest growth seen after a check, before the next one.
SAMPLED = r"""
import json, os, sys, threading, time
import policy.core.memory_limits as limits
page = os.sysconf("SC_PAGE_SIZE")
def size():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * page
seen = {"at_check": None, "growth": 0, "peak": 0, "checks": 0}
check = limits.Budget.check
def counted(self):
    seen["at_check"] = size()
    seen["checks"] += 1
    return check(self)
limits.Budget.check = counted
def sample():
    while True:
        now = size()
        seen["peak"] = max(seen["peak"], now)
        if seen["at_check"] is not None:
            seen["growth"] = max(seen["growth"], now - seen["at_check"])
        time.sleep(0.001)
threading.Thread(target=sample, daemon=True).start()
from policy.cli import _main
sys.argv[0] = "policy"
code = _main(None)
print(json.dumps({"exit": code, **seen}), file=sys.stderr)
"""


def limited(kind: int, megabytes: int):
    def apply() -> None:
        resource.setrlimit(kind, (megabytes << 20, megabytes << 20))
    return apply


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--limits", type=int, nargs="*",
                        default=[300, 400, 500, 600, 700, 800, 1000, 1500])
    parser.add_argument("--out-dir", type=Path, default=HERE / "out")
    args = parser.parse_args()

    import pyarrow.parquet as pq

    from policy import load_policy

    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    columns = load_policy(ROOT / "tables").compiled.columns
    data = workload.generate(args.rows, columns, seed=20261126)
    inputs = {"csv": out / f"limits-{args.rows}.csv", "jsonl": out / f"limits-{args.rows}.jsonl",
              "parquet": out / f"limits-{args.rows}.parquet"}
    workload.write_csv(data, inputs["csv"])
    workload.write_jsonl(data, inputs["jsonl"])
    pq.write_table(workload.arrow_table(data), inputs["parquet"])
    script = Path(sys.executable).with_name("policy")
    policy = [str(script)] if script.exists() else [sys.executable, "-m", "policy"]
    print(f"{args.rows:,} rows; exit codes per limit (MB), input -> output "
          "(4*: OUT_OF_MEMORY on one line; negative: killed by that signal)")
    wrong = 0
    for name, kind in (("RLIMIT_AS", resource.RLIMIT_AS), ("RLIMIT_DATA", resource.RLIMIT_DATA)):
        print(f"{name:<12}" + "".join(f"{limit:>7}" for limit in args.limits))
        for source in inputs:
            for target in ("csv", "jsonl", "parquet"):
                cells = []
                for limit in args.limits:
                    result = out / f"limits-result.{target}"
                    result.unlink(missing_ok=True)
                    run = subprocess.run([*policy, "batch", str(inputs[source]), "--out",
                                          str(result)], capture_output=True,
                                         preexec_fn=limited(kind, limit))
                    err = run.stderr.decode("utf-8", "replace").splitlines()
                    clean = run.returncode == 0 or (
                        run.returncode == 4 and len(err) == 1 and ": OUT_OF_MEMORY: " in err[0]
                        and not result.exists())
                    wrong += not clean
                    cells.append(f"{run.returncode}{'*' if run.returncode == 4 and clean else ''}"
                                 f"{'' if clean else '!'}")
                print(f"  {source:>7} -> {target:<7}" + "".join(f"{c:>7}" for c in cells)[2:])
    print("address space after a check, before the next (lean configuration, no effective "
          "limit: RLIMIT_AS 8 GB):")
    for source in inputs:
        for target in ("csv", "jsonl", "parquet"):
            result = out / f"limits-result.{target}"
            run = subprocess.run([sys.executable, "-c", SAMPLED, "batch", str(inputs[source]),
                                  "--out", str(result)], capture_output=True,
                                 preexec_fn=limited(resource.RLIMIT_AS, 8192))
            seen = json.loads(run.stderr.decode().splitlines()[-1])
            print(f"  {source:>7} -> {target:<7} exit {seen['exit']}, {seen['checks']} checks, "
                  f"peak {seen['peak'] >> 20} MB, largest growth after a check "
                  f"{seen['growth'] >> 20} MB")
    result.unlink(missing_ok=True)
    print(f"runs that did not end cleanly: {wrong}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
