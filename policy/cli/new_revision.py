"""`policy new-revision --source FILE`: the next revision from a new source document's newest
Policy History row (policy.compare.new_revision), written beside the published ones, which are
left as they are; then what the analyst must review, and what `policy validate` says of it."""

from __future__ import annotations

import os
from argparse import Namespace

from ..compare.new_revision import draft_revision, write_draft
from ..core.errors import DataError, UsageError
from ..core.policy_files import display_path, installed_data_folder
from ..present.problems import problems_text
from . import loading
from .output import PROG, out


def run(args: Namespace) -> int:
    if args.source is None:
        raise UsageError("new-revision: give the new source document with --source FILE (see "
                         "policy new-revision --help)")
    files = loading.policy_files_of(args)
    if os.path.abspath(files.folder).startswith(installed_data_folder()):
        raise UsageError("the tables are the ones installed with the package: run this in a "
                         "policy repository, or give --tables DIR")
    draft = draft_revision(loading.validated(args), args.source)
    write_draft(draft)
    copied = (f"copied the document to {display_path(draft.source_copy)}; "
              if draft.copy_needed else "")
    out(f"{copied}wrote {display_path(draft.target)}: revision {draft.revision_id}, version "
        f"{draft.version} ({draft.bump.kind} after {draft.previous.version}), effective "
        f"{draft.effective_from} ({draft.effective_from_basis}); no published revision changed")
    out("Review before committing:")
    for item in draft.review:
        out(f"  - {item}")
    try:
        loading.validated(args)
    except DataError as exc:
        out(f"{PROG} validate reports {len(exc.problems)} problem(s) to resolve in the new "
            "revision:")
        out(problems_text(sorted(exc.problems)))
        return 0
    out(f"{PROG} validate: the new revision is valid; then run `policy diff "
        f"{draft.previous.id} {draft.revision_id}` and `policy changelog`")
    return 0
