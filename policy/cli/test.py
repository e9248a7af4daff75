"""`policy test`: the policy's expected outcomes (tables/<policy-id>/expected/*.yaml) against what
its tables decide; with `--against REV` (alias `--rev`), what the tables at git revision REV
decide."""

from __future__ import annotations

import os
import sys
from argparse import Namespace

from ..api import Policy
from ..compare.expectations import checked_expectations, run_expectations
from ..compiler import compile_policy
from ..core.escaping import escape
from ..core.policy_files import display_path
from ..load.expectation_files import FOLDER
from ..present.problems import problems_text
from . import loading
from .output import PROG, out


def run(args: Namespace) -> int:
    files = loading.policy_files_of(args)
    # Each table must be valid; the chain (semver bumps) is validate's job, so that an edit can
    # be tested before its version is bumped (as `policy diff` shows it).
    if args.against is None:
        validated = loading.validated(args, chain=False)
        tables = "the tables"
    else:
        validated = loading.validated_at_rev(args, args.against, chain=False)
        tables = f"the tables at {args.against}"
    compiled = compile_policy(validated.revisions, validated.definition, validated.crosswalk)
    expectations, problems = checked_expectations(files, compiled)
    if problems:
        problems = sorted(set(problems))
        out(problems_text(problems))
        print(escape(f"{PROG} test: {len(problems)} problem(s) in the expected outcomes of "
                     f"{files.policy_id}"), file=sys.stderr)
        return 1
    where = display_path(os.path.join(files.folder, FOLDER))
    if not expectations:
        print(escape(f"{PROG} test: {files.policy_id} has no expected outcomes ({where}/*.yaml)"),
              file=sys.stderr)
        return 0
    failures = run_expectations(expectations, Policy(compiled).evaluate)
    count = len(expectations)
    named = len({e.file for e in expectations})
    if failures:
        out("\n".join(map(str, failures)), escaped=False)  # (each line escaped as it is made)
        print(escape(f"{PROG} test: {len(failures)} of {count} expected outcome(s) of "
                     f"{files.policy_id} do not hold under {tables}"), file=sys.stderr)
        return 1
    out(f"{files.policy_id}: {count} expected outcomes hold under {tables} "
        f"({named} file(s) in {where})")  # (out escapes the line: a name may hold anything)
    return 0
