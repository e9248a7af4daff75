"""`policy history`: the revisions in order, or (`--as-of`) the one in force on a date."""

from __future__ import annotations

import json
from argparse import Namespace

from ..core.cases import as_of_day
from ..core.timeline import revision_in_force
from ..present.text import history_text
from . import loading
from .output import out


def run(args: Namespace) -> int:
    validated = loading.validated(args)
    revisions = validated.revisions
    if args.as_of is None:
        entries = [revision.history_entry() for revision in revisions]
        if args.json:
            out(json.dumps(entries, indent=2, ensure_ascii=False), escaped=False)
        else:
            out(history_text(entries))
        return 0
    day = as_of_day(args.as_of)  # the one date check (DATE_INVALID: a usage error of --as-of)
    in_force = revision_in_force(revisions, day)
    entry = None if in_force is None else in_force.history_entry()
    if args.json:
        out(json.dumps(entry, indent=2, ensure_ascii=False), escaped=False)
    elif entry is None:
        first = revisions[0]
        out(f"No revision of {validated.files.policy_id} is in force on {day}: the first, "
            f"{first.id}, is effective from {first.effective_from}.")
    else:
        out(history_text([entry]))
    return 0
