"""Start-up cost of `policy evaluate` against a bare interpreter, measured side by side.

Runs `python -c pass` and `policy evaluate` (one case, warm) alternately, N times each, and prints
the medians of wall time and of CPU time (user + system, from `os.wait4`: less disturbed by other
work on a shared machine) and their ratios. The goal (GOALS["startup"]) is a wall ratio of at
most 2.5.

Beside them, for the reader, the part of the standard library that the conventions alone load
(`python -c` of CONVENTIONS): `re`, which pip's `[project.scripts]` launcher imports before the
package; `argparse`, which parses every command line, with a parse like `evaluate`'s (its
patterns compiled, gettext asked for its words); and `textwrap`, which wraps the text output.
What `policy evaluate` costs beyond that line is the package's own.

Where a user's `policy` runs: a regular install (`pip install`), not this checkout's editable one.
An editable install adds an import hook that every interpreter of its environment loads at start
(pathlib, re, fnmatch, urllib...: about 20 ms here), so there `python -c pass` itself is slow and
the ratio looks better than any user sees. So the package is installed (`pip install --no-deps`
of a copy of this checkout) into a throwaway virtual environment, and both commands run from it;
the environment running this script is measured too, for comparison, and named as editable or
not. `--here` measures only the environment running this script.

Warm means what a user's second call finds: the compiled tables in the cache (a fresh cache and
secret folder of the benchmark's own), the files in the OS cache, and the package's bytecode
written (pip writes it at install; the script says how many modules have it). The children run
without PYTHONDONTWRITEBYTECODE (some sandboxes set it; a user's shell does not, and with it every
run would compile the package from source, while the interpreter's own modules come precompiled).
The throwaway environment has only the package, not its dependencies: the warm-up run, which
validates the tables, borrows this environment's packages; the timed runs do not, so a timed run
that missed the cache and needed YAML would fail, not be timed.

    python benchmarks/startup.py --runs 30                 # prints the figures, exits 0
    python benchmarks/startup.py --runs 30 --check-goals   # exits 1 when the goal is missed
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

GOALS = {"startup": 2.5}  # policy evaluate wall time / python -c pass wall time, medians
CASE = ["--as-of", "2016-05-03", "cancer_site=rectal", "margin_status=positive", "t_stage=T3",
        "recurrent=false"]
ROOT = Path(__file__).resolve().parent.parent
CONVENTIONS = ("import re, argparse, textwrap; p = argparse.ArgumentParser(prog='policy'); "
               "e = p.add_subparsers(dest='command').add_parser('evaluate'); "
               "e.add_argument('--as-of'); e.add_argument('--json', action='store_true'); "
               "e.add_argument('words', nargs='*'); "
               "p.parse_args(['evaluate', '--as-of', '2016-05-03', 'cancer_site=rectal']); "
               "textwrap.wrap('the text output is wrapped', 10)")
# left out of the copy that is installed: at the top, build output and tool folders (not, say,
# policy/present/site/, a package); anywhere, bytecode and egg-info
TOP_IGNORED = {".git", ".venv", "build", "dist", "site", ".pytest_cache", ".hypothesis",
               ".mypy_cache", ".ruff_cache", "node_modules"}
EVERYWHERE_IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", ".site-build-*")


def copy_ignored(folder: str, names: list[str]) -> set[str]:
    ignored = set(EVERYWHERE_IGNORED(folder, names))
    if Path(folder).resolve() == ROOT:
        ignored |= TOP_IGNORED & set(names)
    elif Path(folder).resolve() == ROOT / "benchmarks":
        ignored |= {"out"} & set(names)
    return ignored


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of `command`."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


class Setup:
    """One environment's interpreter and `policy` script."""

    def __init__(self, name: str, python: str, policy: str):
        self.name, self.python, self.policy = name, python, policy

    def commands(self) -> tuple[list[str], list[str], list[str]]:
        return ([self.python, "-c", "pass"], [self.policy, "evaluate", *CASE],
                [self.python, "-c", CONVENTIONS])


def this_environment() -> Setup:
    script = Path(sys.executable).with_name("policy")
    policy = str(script) if script.exists() else shutil.which("policy") or "policy"
    site = sysconfig.get_paths()["purelib"]
    editable = glob.glob(os.path.join(site, "__editable__*fep_medical_policy*"))
    kind = "this environment, editable install" if editable else "this environment"
    return Setup(kind, sys.executable, policy)


def installed_environment(folder: Path, env: dict[str, str]) -> Setup:
    """A new virtual environment with a regular install of a copy of this checkout."""
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=copy_ignored)
    target = folder / "venv"
    venv.create(target, with_pip=False)
    python = str(target / "bin" / "python")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
                    "--no-deps", "--no-cache-dir", str(source)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return Setup("regular install (pip install)", python, str(target / "bin" / "policy"))


def site_packages(python: str) -> str:
    return subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True,
                          text=True).stdout.strip()


def bytecode(python: str) -> str:
    """How many of the installed package's modules have bytecode for this interpreter."""
    package = Path(site_packages(python)) / "policy"
    modules = sorted(package.rglob("*.py"))
    compiled = [m for m in modules if m.parent.joinpath(
        "__pycache__", f"{m.stem}.{sys.implementation.cache_tag}.pyc").exists()]
    return f"{len(compiled)} of {len(modules)} modules have bytecode"


def warm_up(setup: Setup, env: dict[str, str], *, borrow: bool) -> None:
    """The first runs: the compiled tables into the cache, the bytecode, the OS file cache. With
    `borrow`, the cold run sees this environment's packages after its own (a .pth file, removed
    before any timed run), as it needs YAML and jsonschema to validate the tables."""
    bare, evaluate, _ = setup.commands()
    link = Path(site_packages(setup.python)) / "zz-benchmark-borrowed.pth" if borrow else None
    if link is not None:
        borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        link.write_text("".join(f"{path}\n" for path in sorted(borrowed)))
    try:
        run(evaluate, env)
    finally:
        if link is not None:
            link.unlink()
    for _ in range(2):
        run(evaluate, env)
        run(bare, env)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--here", action="store_true",
                        help="measure only the environment running this script")
    parser.add_argument("--check-goals", action="store_true",
                        help=f"exit 1 when the wall ratio (of the regular install, unless --here) "
                             f"is above {GOALS['startup']:g}")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="startup-bench-") as temp:
        folder = Path(temp)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
        env["FEP_POLICY_CACHE_DIR"] = str(folder / "cache")
        env["XDG_CONFIG_HOME"] = str(folder / "config")
        setups = [this_environment()]
        if not args.here:
            try:
                installed = installed_environment(folder, env)
            except (subprocess.CalledProcessError, OSError) as exc:
                print(f"no regular install could be made ({exc}): this environment only")
                if args.check_goals:
                    return 1  # the goal is about a regular install: not checked, not met
            else:
                print(f"{installed.name} in a new virtual environment: after install, "
                      f"{bytecode(installed.python)}")
                setups.insert(0, installed)
        for setup in setups:
            warm_up(setup, env, borrow=setup is not setups[-1])
        if len(setups) > 1:
            print(f"{setups[0].name}: after the first runs, {bytecode(setups[0].python)}")

        times: dict[tuple[int, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs):  # interleaved, so machine noise hits every command alike
            for number, setup in enumerate(setups):
                bare, evaluate, conventions = setup.commands()
                times.setdefault((number, "bare"), []).append(run(bare, env))
                times.setdefault((number, "evaluate"), []).append(run(evaluate, env))
                times.setdefault((number, "conventions"), []).append(run(conventions, env))

    ratios = []
    kinds = ("bare", "evaluate", "conventions")
    for number, setup in enumerate(setups):
        wall = {kind: statistics.median(w for w, _ in times[number, kind]) * 1000
                for kind in kinds}
        cpu = {kind: statistics.median(c for _, c in times[number, kind]) * 1000
               for kind in kinds}
        spread = {kind: (min(w for w, _ in times[number, kind]) * 1000,
                         max(w for w, _ in times[number, kind]) * 1000)
                  for kind in kinds}
        ratio, cpu_ratio = wall["evaluate"] / wall["bare"], cpu["evaluate"] / cpu["bare"]
        ratios.append(ratio)
        print(f"{setup.name}:")
        labels = {"bare": "python -c pass        ", "evaluate": "policy evaluate (warm)",
                  "conventions": "re, argparse, textwrap"}
        for kind, label in labels.items():
            low, high = spread[kind]
            print(f"  {label} median wall {wall[kind]:7.1f} ms (runs {low:.1f} to {high:.1f}), "
                  f"CPU {cpu[kind]:6.1f} ms over {args.runs} runs")
        print(f"  the conventions' standard library alone: {wall['conventions'] / wall['bare']:.2f}"
              f" times python -c pass (wall); the package's own part "
              f"{wall['evaluate'] - wall['conventions']:.1f} ms")
        met = ratio <= GOALS["startup"]
        print(f"  start-up ratio {ratio:.2f} wall, {cpu_ratio:.2f} CPU "
              f"(goal <= {GOALS['startup']:g} wall: {'met' if met else 'MISSED'})")
    return 1 if args.check_goals and ratios[0] > GOALS["startup"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
