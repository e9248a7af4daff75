"""Start-up cost of `policy evaluate` against a bare interpreter, measured side by side.

Runs `python -c pass` and `policy evaluate` (one case, warm cache) alternately, N times each, and
prints the medians and their ratio. The goal is a ratio of at most 3. Exit 1 when the ratio exceeds
--max-ratio (so CI can hold the line), 0 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASE = ["--as-of", "2016-05-03", "cancer_site=rectal", "margin_status=positive", "t_stage=T3",
        "recurrent=false"]


def _time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--max-ratio", type=float, default=3.0)
    args = parser.parse_args()

    script = Path(sys.executable).with_name("policy")
    policy = [str(script)] if script.exists() else [shutil.which("policy") or "policy"]
    bare = [sys.executable, "-c", "pass"]
    evaluate = [*policy, "evaluate", *CASE]
    _time(evaluate)  # warm the compiled-table cache and the OS file cache
    _time(bare)
    bare_times, evaluate_times = [], []
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        bare_times.append(_time(bare))
        evaluate_times.append(_time(evaluate))
    bare_ms = statistics.median(bare_times) * 1000
    evaluate_ms = statistics.median(evaluate_times) * 1000
    ratio = evaluate_ms / bare_ms
    print(f"python -c pass         median {bare_ms:7.1f} ms over {args.runs} runs")
    print(f"policy evaluate (warm) median {evaluate_ms:7.1f} ms over {args.runs} runs")
    print(f"start-up ratio {ratio:.2f} (goal <= {args.max_ratio})")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
