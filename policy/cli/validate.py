"""`policy validate`: every problem of a policy's tables, as text, JSON or GitHub annotations;
with `--against REV`, also what changed since a git revision."""

from __future__ import annotations

import sys
from argparse import Namespace

from ..compare.diff import RevisionDiff, changed_revisions
from ..core.errors import DataError, Problem
from ..present.diff_text import diff_text
from ..present.problems import problems_github, problems_json, problems_text
from ..validate import ValidatedPolicy
from ..validate.chain import published_problems
from . import loading
from .output import PROG, out
from .usage import as_usage_error


def _diffs_against(args: Namespace, git_rev: str,
                   current: ValidatedPolicy) -> tuple[list[RevisionDiff], list[Problem]]:
    """(diffs of every revision changed since git_rev, problems of published revisions)."""
    before = {r.id: r for r in loading.validated_at_rev(args, git_rev, chain=False).revisions}
    after = {r.id: r for r in current.revisions}
    diffs = changed_revisions(before, after)
    return diffs, published_problems(before, after, diffs, git_rev)


def _table_problems(exc: DataError) -> list[Problem]:
    """The problems validate reports; a wrong option (an unknown policy, a refused git revision)
    is raised as the usage error it is on the command line."""
    usage = as_usage_error(exc)
    if usage is not None:
        raise usage from None
    return exc.problems


def _expectation_problems(args: Namespace, validated: ValidatedPolicy | None) -> list[Problem]:
    """The problems of the policy's expected outcomes (tables/<policy>/expected/*.yaml): of
    their files alone when the tables are broken, else also of what they name."""
    from ..compare.expectations import checked_expectations
    from ..compiler import compile_policy
    from ..load.expectation_files import read_expectations

    if validated is None:
        return read_expectations(loading.policy_files_of(args))[1]
    compiled = compile_policy(validated.revisions, validated.definition, validated.crosswalk)
    return checked_expectations(validated.files, compiled)[1]


def run(args: Namespace) -> int:
    problems, validated = [], None
    try:
        validated = loading.validated(args)
    except DataError as exc:
        problems += _table_problems(exc)
    problems += _expectation_problems(args, validated)
    if args.against is not None:
        try:  # the tables on their own may be sound even when the chain is not
            current = validated or loading.validated(args, chain=False)
            diffs, published = _diffs_against(args, args.against, current)
            problems += published
            if args.format == "text":
                for diff in diffs:
                    out(diff_text(diff))
        except DataError as exc:
            problems += [p for p in _table_problems(exc) if p not in problems]
    if problems:
        render = {"text": problems_text, "json": problems_json, "github": problems_github}
        problems = sorted(problems)
        out(render[args.format](problems), escaped=args.format != "json")
        files = len({p.file for p in problems})
        print(f"{PROG} validate: {len(problems)} problem(s) in {files} file(s)", file=sys.stderr)
        return 1
    assert validated is not None  # no problems: the tables loaded
    if args.format == "json":
        out("[]", escaped=False)
    elif args.format == "text":
        revisions = validated.revisions
        out(f"{validated.files.policy_id}: {len(revisions)} revisions valid "
             f"({revisions[0].id} .. {revisions[-1].id})")
    return 0
