"""`policy impact` against one `policy batch` of the same claim file, side by side.

Builds a policy repository in a temporary folder (the shipped tables, committed), writes N
generated claims as CSV (benchmarks/workload.py, fixed seed), plants an edit in the working tree
(rectal T3 with positive or close margins becomes medically necessary in the newest revision,
bumped to a MAJOR version), and measures, repetitions interleaved so that machine noise hits both
alike, medians of:

- `policy batch CLAIMS.csv --out OUT.csv` under the working tree's tables;
- `policy impact --claims CLAIMS.csv` (HEAD's tables against the working tree's).

The goal (issue 23): impact within 3 times one batch run of the same file.

    python benchmarks/impact.py                        # 1,000,000 rows, 3 repetitions
    python benchmarks/impact.py --rows 10000000        # the issue's measurement
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE)]

import workload  # noqa: E402

GOAL = 3.0  # impact / batch, wall time, at most
POLICY = "fep-8.01.08"


def git(repo: Path, *args: str) -> None:
    """Run git in `repo` as a throwaway author."""
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=bench@example.org", "-c",
                    "user.name=bench", *args], check=True, capture_output=True)


def move_t3_into_the_t4_branch(table: Path) -> None:
    """A planted edit of one revision's table: rectal T3 with positive or close margins becomes
    medically necessary (tests/batch/test_impact.py plants it too)."""
    text = table.read_text(encoding="utf-8")
    for old, new in [("        t_stage: [T4, T4a, T4b]\n", "        t_stage: [T3, T4, T4a, T4b]\n"),
                     ("        t_stage: [TX, T0, Tis, T1, T2, T3]\n        recurrent: [false]",
                      "        t_stage: [TX, T0, Tis, T1, T2]\n        recurrent: [false]"),
                     ("        t_stage: [TX, T0, Tis, T1, T2, T3]\n        recurrent: [true]",
                      "        t_stage: [TX, T0, Tis, T1, T2]\n        recurrent: [true]")]:
        if old not in text:
            raise ValueError(f"{table}: the planted edit no longer applies ({old.strip()!r})")
        text = text.replace(old, new, 1)
    table.write_text(text, encoding="utf-8")


def bump_to_major(table: Path, version: str) -> None:
    """The table's version set to `version`, its note saying why (the planted edit)."""
    text = table.read_text(encoding="utf-8")
    start = text.index("  version: ")
    end = text.index("\n", text.index("  version_note: ", start))
    table.write_text(text[:start] + f"  version: {version}\n  version_note: \"MAJOR: rectal T3 "
                     "with positive or close margins becomes medically necessary.\"" + text[end:],
                     encoding="utf-8")


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
    return seconds, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check-goals", action="store_true", help="exit 1 when the goal is missed")
    options = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from policy.cache import compiled_policy
    from policy.core.policy_files import policy_files

    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        shutil.copytree(ROOT / "tables", repo / "tables")
        shutil.copytree(ROOT / "schemas", repo / "schemas")
        compiled = compiled_policy(policy_files(str(repo / "tables"), POLICY))
        claims = repo / "claims.csv"
        workload.write_csv(workload.generate(options.rows, compiled.columns), claims)
        git(repo, "init", "-q")
        git(repo, "add", "tables", "schemas")
        git(repo, "commit", "-qm", "published")
        move_t3_into_the_t4_branch(repo / "tables" / POLICY / "2023-09.yaml")
        bump_to_major(repo / "tables" / POLICY / "2023-09.yaml", "4.0.0")

        env = {**os.environ, "FEP_POLICY_CACHE_DIR": str(repo / "cache")}
        policy = [sys.executable, "-m", "policy"]
        batch = [*policy, "batch", str(claims), "--out", str(repo / "out.csv")]
        impact = [*policy, "impact", "--claims", str(claims), "--json"]
        _timed(batch, repo, env)  # warm the cache of the compiled tables
        times: dict[str, list[float]] = {"batch": [], "impact": []}
        report = {}
        for _ in range(options.repeat):
            times["batch"].append(_timed(batch, repo, env)[0])
            seconds, out = _timed(impact, repo, env)
            times["impact"].append(seconds)
            report = json.loads(out)
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["impact"] / medians["batch"]
    print(f"{options.rows:,} claims, {options.repeat} repetitions, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"  policy batch  --out OUT.csv  median {medians['batch']:.2f} s")
    print(f"  policy impact --claims       median {medians['impact']:.2f} s "
          f"({report['changed']:,} of {report['claims']:,} claims changed)")
    met = ratio <= GOAL
    print(f"  impact / batch {ratio:.2f} (goal <= {GOAL}: {'met' if met else 'MISSED'})")
    return 1 if options.check_goals and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
