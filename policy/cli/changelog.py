"""`policy changelog`: CHANGELOG.md from the tables, written or (`--check`) only compared."""

from __future__ import annotations

import os
import sys
from argparse import Namespace

from ..core.errors import DataError, UsageError
from ..core.escaping import escape
from ..core.policy_files import display_path, installed_data_folder, policy_ids
from ..core.reading import read_bounded
from ..present.changelog import FILE_NAME, changelog_markdown
from ..writer import write_atomic
from . import loading
from .output import PROG, out


def run(args: Namespace) -> int:
    files = loading.policy_files_of(args)
    if args.out is not None:
        target = args.out
    else:  # beside the tables/ folder: the root of the policy repository
        tables_dir = os.path.dirname(os.path.abspath(files.folder))
        if tables_dir.startswith(installed_data_folder()):
            raise UsageError("the tables are the ones installed with the package: run this in a "
                             "policy repository, or give --out FILE")
        # one CHANGELOG.md per repository; where it holds several policies, one file each
        several = len(policy_ids(tables_dir)) > 1
        name = f"CHANGELOG-{files.policy_id}.md" if several else FILE_NAME
        target = os.path.join(os.path.dirname(tables_dir), name)
    validated = loading.validated(args)
    revisions = validated.revisions
    text = changelog_markdown(revisions, validated.definition)
    name = display_path(target)
    expected = text.encode("utf-8")
    # bounded, regular files only (a FIFO would wait for a writer); one byte more than the
    # generated text is enough to tell that it differs
    current: bytes | None = None
    if os.path.lexists(target):
        try:
            current = read_bounded(target, len(expected) + 1, what="changelog", display=name)
        except DataError:  # FILE_TOO_LARGE: longer than the generated text, so out of date
            current = b""
    if current == expected:
        out(f"{name} is up to date ({len(revisions)} revisions)")
        return 0
    if args.check:
        state = "missing" if current is None else "out of date with the tables"
        print(f"{PROG} changelog: {escape(name)} is {state}; run `policy changelog` to "
              "regenerate it", file=sys.stderr)
        return 1
    write_atomic(target, text)
    out(f"wrote {name} ({len(revisions)} revisions)")
    return 0
