"""Mutation testing of the decision core with cosmic-ray: how many wrong answers do the tests catch?

    nice .venv/bin/python benchmarks/mutation.py [--sample N] [--seed S] [--jobs J]
        [--module NAME]... [--report FILE] [--rerun REPORT] [--workdir DIR] [--list]

Install the tool first: `pip install -e '.[test,mutation]'`. What is mutated, with which
operators, and which tests judge each module's mutants: benchmarks/mutation.toml (the one list of
the modules). The equivalent mutants, each with the reason it cannot change any result:
benchmarks/mutation_equivalents.yaml. How to read the figures: docs/mutation.md.

The run never touches the working tree: the repository's files (tracked and untracked, not
ignored) are copied into a scratch folder per job, cosmic-ray mutates the copy, and the tests run
there with the copy first on the import path. For each module, `cosmic-ray init` lists every
mutant of the chosen operators; `--sample N` draws N of all of them (seeded: `--seed S`, else a
seed drawn and printed), else every one is run. Each mutant is judged by one pytest run of the
module's tests that stops at the first failure; Hypothesis runs without shrinking (a failure found
is enough) and without its example database (each run alike). A run that takes longer than the
timeout (three times the unmutated run, a minute at least) counts as killed and is shown apart.

Output: per module, the mutants killed, survived, timed out and equivalent; each survivor not
listed as equivalent (its function, operator, the line and the mutant); any mutant listed as
equivalent that the tests killed (the list is wrong); and, last, `killed K of N mutants
(E equivalent)`, where N counts the mutants tried that are not equivalent. `--report FILE` also
writes every result as JSON.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "mutation.toml"
EQUIVALENTS = Path(__file__).resolve().parent / "mutation_equivalents.yaml"
MIN_TIMEOUT = 60.0  # seconds; a mutant's run past 3x the unmutated one's is timed out


def _cosmic_ray() -> list[str]:
    try:
        import cosmic_ray  # noqa: F401
    except ImportError:
        sys.exit("benchmarks/mutation.py needs cosmic-ray: pip install -e '.[test,mutation]'")
    return [sys.executable, "-m", "cosmic_ray.cli"]


def load_config(path: Path = CONFIG) -> dict:
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    for name, module in config["modules"].items():
        if not (ROOT / module["path"]).is_file():
            sys.exit(f"{path.name}: module {name}: no file {module['path']}")
    return config


def load_equivalents(path: Path = EQUIVALENTS) -> list[dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for entry in entries:
        missing = {"module", "operator", "line", "mutant", "why"} - set(entry)
        if missing:
            sys.exit(f"{path.name}: an entry lacks {', '.join(sorted(missing))}: {entry}")
    return entries


def repository_files() -> list[str]:
    """The files a run copies: tracked and untracked ones git does not ignore (a fresh clone, or
    a working tree with its edits), or, outside git, everything but virtual environments."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], cwd=ROOT, capture_output=True,
                                check=True).stdout.decode().split("\0")
        return [name for name in listed if name and (ROOT / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "venv", "__pycache__", "site", ".hypothesis"}
        return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def copy_repository(target: Path, files: list[str]) -> None:
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)


def test_environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": str(copy),  # the copy's package, also in the processes tests start
        "PYTHONDONTWRITEBYTECODE": "1",  # a mutant written within the same second is re-read
        "FEP_TESTS_HYPOTHESIS": "mutation",  # conftest.py: no shrinking, no example database
        "FEP_TESTS_WITHOUT": "playwright atheris",  # as the ordinary run
    })
    return env


def test_command(config: dict, name: str, server: Path) -> list[str]:
    """The tests of a module's mutants, in two pytest runs: [run].always first (most mutants fail
    there, and collecting only those files is quicker), then the module's own tests and
    [run].last. Each run stops at its first failure, and runs in a child the job's test server
    forks (benchmarks/mutation_tests.py: pytest and pyarrow are imported once per job), after
    the tests that killed the job's last mutants, each alone."""
    module = config["modules"][name]
    first = list(config["run"]["always"])
    then = [f for f in dict.fromkeys([*module["tests"], *config["run"]["last"]]) if f not in first]
    client = [sys.executable, "-S", str(Path(__file__).resolve().parent / "mutation_tests.py"),
              "run", str(server)]
    return [*client, *first, "--", *then]


class TestServer:
    """A job's test server (benchmarks/mutation_tests.py), started in its copy."""

    def __init__(self, copy: Path, socket_path: Path, pristine: Path):
        self.path = socket_path
        script = Path(__file__).resolve().parent / "mutation_tests.py"
        self.process = subprocess.Popen([sys.executable, str(script), "serve", str(socket_path),
                                         str(pristine)],
                                        cwd=copy, env=test_environment(copy),
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True)
        assert self.process.stdout is not None  # stdout=PIPE
        if self.process.stdout.readline().strip() != "ready":
            sys.exit("the test server of benchmarks/mutation_tests.py did not start")

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


class Mutant:
    """One mutant: where (module, operator, occurrence) and, once run, what became of it."""

    def __init__(self, module: str, operator: str, occurrence: int, function: str | None,
                 start: tuple[int, int]):
        self.module, self.operator, self.occurrence = module, operator, occurrence
        self.function, self.start = function, start
        self.outcome: str | None = None  # killed, survived, timeout, error
        self.line = self.mutant = ""
        self.equivalent: dict | None = None

    @property
    def id(self) -> tuple[str, str, int]:
        return (self.module, self.operator, self.occurrence)

    def as_json(self) -> dict:
        return {"module": self.module, "operator": self.operator, "occurrence": self.occurrence,
                "function": self.function, "line_number": self.start[0], "line": self.line,
                "mutant": self.mutant, "outcome": self.outcome,
                "equivalent": self.equivalent["why"] if self.equivalent else None}


def _session_files(workdir: Path, name: str) -> tuple[Path, Path]:
    return workdir / f"{name}.toml", workdir / f"{name}.sqlite"


def init_sessions(config: dict, copy: Path, workdir: Path, names: list[str],
                  timeout: dict[str, float], server: Path | None = None) -> dict[str, list]:
    """`cosmic-ray init` of each module's session in `workdir`; the work items of the chosen
    operators, by module."""
    from cosmic_ray.work_db import WorkDB, use_db

    chosen = [re.compile(pattern) for pattern in config["run"]["operators"]]
    items: dict[str, list] = {}
    for name in names:
        toml_path, session = _session_files(workdir, name)
        write_session_config(config, name, toml_path, timeout.get(name, MIN_TIMEOUT),
                             server or workdir / "none")
        session.unlink(missing_ok=True)
        subprocess.run([*_cosmic_ray(), "init", str(toml_path), str(session)], cwd=copy,
                       check=True, stdout=subprocess.DEVNULL)
        with use_db(str(session), WorkDB.Mode.open) as db:
            items[name] = [item for item in db.work_items
                           if any(p.fullmatch(item.mutations[0].operator_name) for p in chosen)]
    return items


def write_session_config(config: dict, name: str, toml_path: Path, timeout: float,
                         server: Path) -> None:
    """A module's cosmic-ray configuration: its path, timeout and test command (rewritten when a
    stopped run resumes, so that it runs this script's test command)."""
    command = shlex.join(test_command(config, name, server))
    toml_path.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(config['modules'][name]['path'])}\n"
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        "[cosmic-ray.distributor]\nname = \"local\"\n", encoding="utf-8")


def keep_only(session: Path, wanted: set[tuple[str, int]]) -> int:
    """Mark every work item of a session not in `wanted` ((operator, occurrence)) as skipped,
    as cosmic-ray's own filters do; return how many are left to run."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    skipped = WorkResult(output="not chosen", worker_outcome=WorkerOutcome.SKIPPED)
    left = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        drop = []
        for item in db.pending_work_items:
            spec = item.mutations[0]
            if (spec.operator_name, spec.occurrence) in wanted:
                left += 1
            else:
                drop.append(item.job_id)
        if drop:
            db.set_multiple_results(drop, skipped)
    return left


def _changed_lines(diff: str) -> tuple[str, str]:
    """The original and the mutated text of a cosmic-ray diff (stripped lines, joined)."""
    removed = [line[1:].strip() for line in diff.splitlines()
               if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff.splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    return "\n".join(removed), "\n".join(added)


def collect(session: Path, name: str, mutants: dict) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            spec = item.mutations[0]
            mutant = mutants.get((name, spec.operator_name, spec.occurrence))
            if mutant is None or result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            mutant.line, mutant.mutant = _changed_lines(result.diff or "")
            if result.worker_outcome != WorkerOutcome.NORMAL:
                mutant.outcome = "error"
            elif result.test_outcome == TestOutcome.SURVIVED:
                mutant.outcome = "survived"
            elif result.output == "timeout":
                mutant.outcome = "timeout"
            else:
                mutant.outcome = "killed"


def baseline(config: dict, copy: Path, name: str, server: Path) -> float:
    """The unmutated run of a module's tests: it must pass; its time sets the timeout. A failure
    is tried once more before the run stops: on a machine loaded by other work a test with a
    time limit can fail once (seen on 2026-12-07: `cases`' tests failed through the server, then
    passed alone)."""
    for _ in range(2):
        started = time.perf_counter()
        done = subprocess.run(test_command(config, name, server), cwd=copy,
                              env=test_environment(copy), capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode == 0:
            break
    if done.returncode != 0:
        again = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                                "no:cacheprovider", *config["run"]["always"],
                                *config["modules"][name]["tests"], *config["run"]["last"]],
                               cwd=copy, env=test_environment(copy), capture_output=True,
                               text=True)
        tail = "\n".join((again.stdout + again.stderr).splitlines()[-15:])
        sys.exit(f"the tests of {name} fail without any mutation:\n{tail}")
    return elapsed


class Baselines:
    """Each module's unmutated run, once for all jobs: the first job to need it runs it, the
    others wait for its time (the copies are alike)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._ready: dict[str, threading.Event] = {}

    def get(self, config: dict, copy: Path, name: str, server: Path) -> float:
        with self._lock:
            ready = self._ready.get(name)
            mine = ready is None
            if ready is None:
                ready = self._ready[name] = threading.Event()
        if mine:
            try:
                self.seconds[name] = baseline(config, copy, name, server)
            finally:
                ready.set()
        ready.wait()
        if name not in self.seconds:
            raise SystemExit(f"the tests of {name} fail without any mutation")
        return self.seconds[name]


def run_job(config: dict, files: list[str], scratch: Path, job: int, names: list[str],
            wanted: dict[str, set], log, baselines: Baselines) -> dict[str, float]:
    """One job: its own copy of the repository and test server; for each module with mutants
    drawn for it, the module's baseline (shared), then `cosmic-ray exec` of its session.
    Returns the exec seconds by module."""
    copy, workdir = scratch / f"job{job}" / "repo", scratch / f"job{job}"
    pristine = scratch / "listing" / "repo"  # never mutated
    if not copy.exists():  # (a resumed run keeps the copy it started with)
        copy.mkdir(parents=True)
        copy_repository(copy, files)
    else:  # a run stopped mid-mutant leaves that mutant in the copy: every module as it was
        for module in config["modules"].values():  # (of this run or not: each is imported)
            shutil.copy2(pristine / module["path"], copy / module["path"])
    (workdir / "tests.sock").unlink(missing_ok=True)
    server = TestServer(copy, workdir / "tests.sock", pristine)
    spent = {}
    try:
        for name in names:
            if not wanted.get(name):
                continue
            toml_path, session = _session_files(workdir, name)
            if session.exists() and toml_path.exists():  # resumed: only what is pending
                from cosmic_ray.work_db import WorkDB, use_db

                with use_db(str(session), WorkDB.Mode.open) as db:
                    left = db.num_work_items - db.num_results
                kept = tomllib.loads(toml_path.read_text(encoding="utf-8"))["cosmic-ray"]
                write_session_config(config, name, toml_path, kept["timeout"], server.path)
                log(f"job {job}: {name}: resumed, {left} mutants left")
            else:
                seconds = baselines.get(config, copy, name, server.path)
                timeout = max(MIN_TIMEOUT, 3 * seconds)
                init_sessions(config, copy, workdir, [name], {name: timeout}, server.path)
                left = keep_only(session, wanted[name])
                log(f"job {job}: {name}: {left} mutants, unmutated tests {seconds:.1f} s, "
                    f"timeout {timeout:.0f} s")
            started = time.perf_counter()
            subprocess.run([*_cosmic_ray(), "exec", str(toml_path), str(session)], cwd=copy,
                           env=test_environment(copy), check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            spent[name] = time.perf_counter() - started
            log(f"job {job}: {name}: done in {spent[name]:.0f} s "
                f"({spent[name] / max(left, 1):.1f} s a mutant)")
    finally:
        server.close()
    return spent


def module_digests(config: dict, names: list[str]) -> dict[str, str]:
    return {name: hashlib.sha256((ROOT / config["modules"][name]["path"]).read_bytes()).hexdigest()
            for name in names}


def taken_over(report_path: Path, mutants: dict, names: list[str]) -> tuple[list, int | None]:
    """The mutants of an earlier report: those it killed keep that outcome; the rest run again.
    Mutants are known by (module, operator, occurrence), which holds while a module's source is
    the same: a changed module is refused."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    config = load_config()
    changed = [name for name, digest in report["sources"].items()
               if name in names and module_digests(config, [name])[name] != digest]
    if changed or set(names) != set(report["modules"]):
        sys.exit(f"--rerun: the modules differ from {report_path}'s "
                 f"({', '.join(changed) or 'another list of modules'}): run them all again")
    chosen = []
    for entry in report["mutants"]:
        mutant = mutants[(entry["module"], entry["operator"], entry["occurrence"])]
        chosen.append(mutant.id)
        if entry["outcome"] in ("killed", "timeout"):
            mutant.outcome, mutant.line, mutant.mutant = (entry["outcome"], entry["line"],
                                                          entry["mutant"])
    return sorted(chosen), report["seed"]


def describe(config: dict, copy: Path, mutants: dict, equivalents: list[dict]) -> None:
    """The line as written and as mutated (what the equivalents list is keyed by) of each mutant
    on a line the list names, from cosmic-ray's own mutation of the module's source."""
    import difflib

    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    sources = {name: (copy / module["path"]).read_text(encoding="utf-8")
               for name, module in config["modules"].items()}
    listed = {(entry["module"], entry["line"].strip().split("\n")[0]) for entry in equivalents}
    for mutant in mutants.values():
        source = sources[mutant.module]
        line = source.splitlines()[mutant.start[0] - 1].strip()
        if (mutant.module, line) not in listed:
            continue
        mutated = mutate_code(source, get_operator(mutant.operator)(), mutant.occurrence) or ""
        diff = difflib.unified_diff(source.splitlines(), mutated.splitlines(), lineterm="", n=0)
        mutant.line, mutant.mutant = _changed_lines("\n".join(diff))


def match_equivalents(mutants: list[Mutant], equivalents: list[dict]) -> list[dict]:
    """Mark the mutants the list calls equivalent; return the entries that matched none."""
    unused = []
    for entry in equivalents:
        found = [m for m in mutants if m.module == entry["module"]
                 and m.operator == entry["operator"] and m.line == entry["line"].strip()
                 and m.mutant == entry["mutant"].strip()
                 and entry.get("function", m.function) == m.function]
        for mutant in found:
            mutant.equivalent = entry
        if not found:
            unused.append(entry)
    return unused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, help="run N mutants drawn at random, not all")
    parser.add_argument("--seed", type=int, help="the seed of the draw (default: a new one)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="mutants run side by side, each job in its own copy (default 1)")
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument("--report", type=Path, help="write every result to this JSON file")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--status", action="store_true",
                        help="with --workdir: the figures so far, without running anything")
    parser.add_argument("--check-equivalents", action="store_true",
                        help="run only the mutants listed as equivalent (each must survive; a "
                             "plain run counts them without running them)")
    parser.add_argument("--workdir", type=Path,
                        help="keep the copies and sessions here (not in a temporary folder); "
                             "the same command with the same folder resumes a stopped run")
    parser.add_argument("--rerun", type=Path, metavar="REPORT",
                        help="the mutants of an earlier --report again, running only those it "
                             "did not kill (the modules must be unchanged; tests may be added)")
    args = parser.parse_args(argv)
    _cosmic_ray()
    config = load_config()
    names = args.module or list(config["modules"])
    unknown = set(names) - set(config["modules"])
    if unknown:
        parser.error(f"unknown module(s): {', '.join(sorted(unknown))} "
                     f"(mutation.toml: {', '.join(config['modules'])})")
    equivalents = load_equivalents()

    def log(text: str) -> None:
        print(f"[{datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)

    files = repository_files()
    with contextlib.ExitStack() as stack:
        if args.workdir:  # kept, so that a run stopped halfway can be resumed
            scratch = args.workdir.resolve()
            scratch.mkdir(parents=True, exist_ok=True)
        else:
            scratch = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="policy-mutation-")))
        listing = scratch / "listing"
        if not (listing / "repo").exists():
            (listing / "repo").mkdir(parents=True)
            copy_repository(listing / "repo", files)
        items = init_sessions(config, listing / "repo", listing, names, {})
        mutants = {}
        for name in names:
            for item in items[name]:
                spec = item.mutations[0]
                mutant = Mutant(name, spec.operator_name, spec.occurrence, spec.definition_name,
                                tuple(spec.start_pos))
                mutants[mutant.id] = mutant
        describe(config, listing / "repo", mutants, equivalents)
        everything = sorted(mutants)
        seed = None
        if args.rerun:
            chosen, seed = taken_over(args.rerun, mutants, names)
        elif args.sample is not None and args.sample < len(everything):
            seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
            kept = scratch / "seed"
            if args.workdir and kept.exists():  # a resumed run draws the same sample
                seed = int(kept.read_text())
            kept.write_text(str(seed))
            chosen = sorted(random.Random(seed).sample(everything, args.sample))
        else:
            chosen = everything
        unused = match_equivalents([mutants[key] for key in chosen], equivalents)
        if args.check_equivalents:  # only the listed ones, which must survive
            chosen = [key for key in chosen if mutants[key].equivalent]
        to_run = [key for key in chosen if mutants[key].outcome is None
                  and (args.check_equivalents or not mutants[key].equivalent)]
        log(f"{len(to_run)} of {len(everything)} mutants to run"
            + (f" (a sample, seed {seed})" if seed is not None else "")
            + (f", the other {len(chosen) - len(to_run)} killed in {args.rerun} or listed as "
               "equivalent" if args.rerun else "")
            + f"; {len(names)} module(s), {args.jobs} job(s)")
        if args.list:
            for key in chosen:
                m = mutants[key]
                print(f"{m.module}:{m.start[0]} {m.function} {m.operator} #{m.occurrence}")
            return 0
        # each job gets every jobs-th mutant of each module, so the jobs end together
        shares: list[dict[str, set]] = [{} for _ in range(args.jobs)]
        for name in names:
            of_module = [key for key in to_run if key[0] == name]
            for i, (_, operator, occurrence) in enumerate(of_module):
                shares[i % args.jobs].setdefault(name, set()).add((operator, occurrence))
        started = time.perf_counter()
        timings: object = []  # written to the report as JSON
        if not args.status:
            baselines = Baselines()
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                futures = [pool.submit(run_job, config, files, scratch, job, names, shares[job],
                                       log, baselines) for job in range(args.jobs)]
                timings = [future.result() for future in futures]
            timings = {"baselines": baselines.seconds, "jobs": timings}
        # every job's folder, whatever --jobs says now (--status of a run of two jobs, say)
        for folder in sorted(scratch.glob("job*")):
            for name in names:
                session = _session_files(folder, name)[1]
                if session.exists():
                    collect(session, name, mutants)
        elapsed = time.perf_counter() - started

    tried = [mutants[key] for key in chosen]
    wrongly_equivalent = [m for m in tried if m.equivalent and m.outcome not in ("survived", None)]
    for m in wrongly_equivalent:
        m.equivalent = None  # counted as what it was
    print(f"cosmic-ray mutation run of {len(names)} module(s), "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {elapsed / 60:.0f} min"
          + (f"; sample of {len(chosen)}, seed {seed}" if seed is not None else "; every mutant"))
    print(f"{'module':<10} {'mutants':>7} {'killed':>7} {'survived':>8} {'timed out':>9} "
          f"{'equivalent':>10} {'killed %':>8}")
    totals = {"killed": 0, "survived": 0, "timeout": 0, "error": 0, "equivalent": 0, "all": 0}
    for name in names:
        ofs = [m for m in tried if m.module == name]
        if not ofs:
            continue
        equivalent = sum(1 for m in ofs if m.equivalent)
        counts = {o: sum(1 for m in ofs if m.outcome == o and not m.equivalent)
                  for o in ("killed", "survived", "timeout", "error")}
        # not run (yet: see --status)
        counts["error"] += sum(1 for m in ofs if m.outcome is None and not m.equivalent)
        for key, value in counts.items():
            totals[key] += value
        totals["equivalent"] += equivalent
        totals["all"] += len(ofs)
        judged = len(ofs) - equivalent - counts["error"]
        share = 100 * (counts["killed"] + counts["timeout"]) / judged if judged else 100.0
        print(f"{name:<10} {len(ofs):>7} {counts['killed']:>7} {counts['survived']:>8} "
              f"{counts['timeout']:>9} {equivalent:>10} {share:>7.1f}%")
    survivors = [m for m in tried if m.outcome == "survived" and not m.equivalent]
    if survivors:
        print(f"\n{len(survivors)} survivor(s) not listed as equivalent:")
        for m in survivors:
            print(f"  {m.module}:{m.start[0]} in {m.function} ({m.operator}):\n"
                  f"      {m.line}\n   -> {m.mutant}")
    if wrongly_equivalent:
        print(f"\n{len(wrongly_equivalent)} mutant(s) listed as equivalent were {''}killed "
              "(take them off benchmarks/mutation_equivalents.yaml):")
        for m in wrongly_equivalent:
            print(f"  {m.module}:{m.start[0]} {m.line} -> {m.mutant} ({m.outcome})")
    errors = [m for m in tried if m.outcome in ("error", None) and not m.equivalent]
    if errors:
        print(f"\n{len(errors)} mutant(s) not run or could not be run (not counted):")
        for m in errors:
            print(f"  {m.module}:{m.start[0]} {m.operator} #{m.occurrence}")
    if seed is None and not args.module and not args.check_equivalents and unused:
        print(f"\n{len(unused)} entr(ies) of mutation_equivalents.yaml match no mutant:")
        for entry in unused:
            print(f"  {entry['module']}: {entry['line']} -> {entry['mutant']}")
    if args.report:
        args.report.write_text(json.dumps({
            "date": f"{datetime.now(UTC):%Y-%m-%d}", "seed": seed,
            "sources": module_digests(config, names), "rerun_of": str(args.rerun or "") or None,
            "sample": args.sample, "modules": names, "seconds": round(elapsed),
            "timings": timings, "mutants": [m.as_json() for m in tried]}, indent=1) + "\n",
            encoding="utf-8")
    killed = totals["killed"] + totals["timeout"]
    counted = totals["all"] - totals["equivalent"] - totals["error"]
    print(f"\nN counts the mutants tried that are not equivalent ({totals['all']} tried); "
          f"{100 * killed / counted if counted else 100:.1f}% killed")
    print(f"killed {killed} of {counted} mutants ({totals['equivalent']} equivalent)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
