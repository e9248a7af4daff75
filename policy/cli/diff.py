"""`policy diff`: what changed from revision A to B, by meaning and by text (or every revision
changed since a git revision)."""

from __future__ import annotations

import json
import sys
from argparse import Namespace

from ..compare.diff import changed_revisions, diff_revisions, resolve
from ..core.errors import UsageError
from ..present.diff_markdown import diff_markdown
from ..present.diff_text import diff_text
from . import loading
from .output import PROG, out


def run(args: Namespace) -> int:
    names = args.revisions
    if len(names) not in (0, 2) or (not names and args.against is None):
        raise UsageError("give two revisions (ids, versions or dates): policy diff A B, "
                         "or --against REV [A B]")
    # Each table must be valid; the chain checks (semver bumps) are validate's job, so a diff can
    # show an edit whose version is not bumped yet.
    validated = loading.validated(args, chain=False)
    new = validated.revisions
    old = (loading.validated_at_rev(args, args.against, chain=False).revisions
           if args.against is not None else new)
    if names:
        diffs = [diff_revisions(resolve(old, names[0]), resolve(new, names[1]))]
    else:  # every revision that differs between REV and the working tree
        before, after = {r.id: r for r in old}, {r.id: r for r in new}
        diffs = changed_revisions(before, after)
        for gone in sorted(before.keys() - after.keys()):
            print(f"{PROG} diff: revision {gone} was removed or renamed since {args.against}",
                  file=sys.stderr)
        for added in sorted(after.keys() - before.keys()):
            print(f"{PROG} diff: revision {added} is new since {args.against}", file=sys.stderr)
    if args.json:
        out(json.dumps(diffs[0] if names else diffs, indent=2, ensure_ascii=False), escaped=False)
    elif args.format == "markdown":
        inputs = validated.definition.inputs
        out("\n".join(diff_markdown(d, inputs) for d in diffs) or "No revision changed.")
    else:
        out("\n\n".join(diff_text(d) for d in diffs) or "No revision changed.")
    return 0
