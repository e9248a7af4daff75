"""`policy log verify FILE...`: 0 the decision log's chain holds, 1 it is broken (one line per
problem), 4 a file cannot be read."""

from __future__ import annotations

import sys
from argparse import Namespace

from ..core.errors import UsageError
from ..core.escaping import escape
from ..serve.log_verify import verify
from .output import PROG, out


def run(args: Namespace) -> int:
    if args.action != "verify" or not args.files:
        raise UsageError("give the log's files: policy log verify FILE... (rotated files first)")
    found = verify(args.files)
    for note in found.notes:
        print(f"{PROG} log: note: {escape(note)}", file=sys.stderr)
    out(f"{len(args.files)} file(s), {found.lines} decision(s): the chain holds"
        + (f" (seq {found.seq})" if found.seq is not None else ""))
    return 0
