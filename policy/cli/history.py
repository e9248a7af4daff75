"""`policy history`: the revisions in order."""

from __future__ import annotations

import json
from argparse import Namespace

from ..present.text import history_text
from . import loading
from .output import out


def run(args: Namespace) -> int:
    entries = [revision.history_entry() for revision in loading.validated(args).revisions]
    if args.json:
        out(json.dumps(entries, indent=2, ensure_ascii=False), escaped=False)
    else:
        out(history_text(entries))
    return 0
