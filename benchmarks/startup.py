"""Start-up cost of `policy evaluate` against a bare interpreter, measured side by side.

Runs `python -c pass` and `policy evaluate` (one case, warm) alternately, N times each, and prints
the medians of wall time and of CPU time (user + system, from `os.wait4`: less disturbed by other
work on a shared machine) and their ratios. The goal (GOALS["startup"]) is a wall ratio of at most 2.

Warm means what a user's second call finds: the compiled tables in the cache, the files in the OS
cache, and the package's bytecode written. The children run without PYTHONDONTWRITEBYTECODE (some
sandboxes set it, and then every run would compile the package from source, while the
interpreter's own modules come precompiled), so the warm-up run writes the bytecode as Python
normally does.

    python benchmarks/startup.py --runs 30                 # prints the figures, exits 0
    python benchmarks/startup.py --runs 30 --check-goals   # exits 1 when the goal is missed
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOALS = {"startup": 2.0}  # policy evaluate wall time / python -c pass wall time, medians
CASE = ["--as-of", "2016-05-03", "cancer_site=rectal", "margin_status=positive", "t_stage=T3",
        "recurrent=false"]


def run(command: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of `command`."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--check-goals", action="store_true",
                        help=f"exit 1 when the wall ratio is above {GOALS['startup']:g}")
    args = parser.parse_args()

    script = Path(sys.executable).with_name("policy")
    policy = [str(script)] if script.exists() else [shutil.which("policy") or "policy"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    bare = [sys.executable, "-c", "pass"]
    evaluate = [*policy, "evaluate", *CASE]
    for _ in range(2):  # warm: the compiled-table cache, the bytecode, the OS file cache
        run(evaluate, env)
        run(bare, env)
    times: dict[str, list[tuple[float, float]]] = {"bare": [], "evaluate": []}
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        times["bare"].append(run(bare, env))
        times["evaluate"].append(run(evaluate, env))
    wall = {k: statistics.median(w for w, _ in v) * 1000 for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) * 1000 for k, v in times.items()}
    ratio, cpu_ratio = wall["evaluate"] / wall["bare"], cpu["evaluate"] / cpu["bare"]
    met = ratio <= GOALS["startup"]
    print(f"python -c pass         median wall {wall['bare']:7.1f} ms, CPU {cpu['bare']:6.1f} ms "
          f"over {args.runs} runs")
    print(f"policy evaluate (warm) median wall {wall['evaluate']:7.1f} ms, CPU "
          f"{cpu['evaluate']:6.1f} ms over {args.runs} runs")
    print(f"start-up ratio {ratio:.2f} wall, {cpu_ratio:.2f} CPU "
          f"(goal <= {GOALS['startup']:g} wall: {'met' if met else 'MISSED'})")
    return 1 if args.check_goals and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
