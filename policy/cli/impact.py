"""`policy impact`: a claim file decided under the tables at a git revision and under the working
tree, claim by claim: how many change, from which determination to which."""

from __future__ import annotations

import json
from argparse import Namespace

from ..batch.impact import claims_impact
from ..compiler import compile_policy
from ..core.cases import as_of_day
from ..core.errors import DataError, UsageError
from ..core.escaping import shown
from ..present.impact_markdown import impact_markdown
from ..present.impact_text import impact_text
from . import loading
from .batch import column_options, option_hints
from .output import out


def run(args: Namespace) -> int:
    if args.claims is None:
        raise UsageError("impact needs the claim file: --claims FILE")
    if not (args.examples.isascii() and args.examples.isdigit()):
        raise UsageError(f"--examples takes a whole number, not {shown(args.examples)}")
    if args.as_of is not None:
        as_of_day(args.as_of)  # a bad date is a usage error, as in batch, before any input is read
    before = loading.compiled_at_rev(args, args.against)
    try:
        after = loading.compiled(args)
    except DataError:
        # Each table must be valid; the chain checks (semver bumps) are validate's job, so the
        # impact of an edit can be seen before its version is bumped (as with `policy diff`).
        edited = loading.validated(args, chain=False)
        after = compile_policy(edited.revisions, edited.definition, edited.crosswalk)
    try:
        impact = claims_impact(args.claims, before, after, as_of=args.as_of,
                               input_format=args.input_format,
                               columns=column_options(args, after),
                               examples=int(args.examples))
    except DataError as exc:  # a column the map does not read: name the two options
        raise DataError([option_hints(problem) for problem in exc.problems]) from None
    names = (args.against, "the working tree")
    if args.json:
        out(json.dumps({"claims_file": args.claims, "from": args.against, "to": "working tree",
                        **impact.to_json()}, indent=2, ensure_ascii=False), escaped=False)
    elif args.format == "markdown":
        out(impact_markdown(impact, *names, claims_file=args.claims).rstrip("\n"))
    else:
        out(impact_text(impact, *names))
    return 0
