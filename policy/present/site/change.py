"""One page per pair of consecutive revisions: the decision changes and the text changes."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ...compare.changelog import RevisionChange, case_count
from ...core.errors import SiteError
from ..conditions import condition_words
from ..markdown import md_text
from ..text_changes import text_groups
from .paths import change_page, render_page
from .revision import condition


def change_page_text(change: RevisionChange, definition: Any) -> str:
    rev, prev, diff = change.revision, change.previous, change.diff
    if prev is None or diff is None:
        raise SiteError(f"{rev.id} is the first revision: it has no change page")
    labels = {i.name: i.label for i in definition.inputs}
    columns = [c.name for c in rev.columns]
    groups = text_groups(diff["text_changes"])
    return render_page(
        "change.md.j2", change_page(prev.id, rev.id), change=change, rev=rev, prev=prev,
        column_labels=[labels.get(c, c) for c in columns],
        condition_cells=lambda when: [Markup(condition(when.get(c))) for c in columns],
        transition=lambda box: Markup(f"{md_text(box['from_rule'] or 'none')} → "
                                      f"{md_text(box['to_rule'] or 'none')}"),
        case_count=case_count(rev),
        phrase=lambda when: condition_words(when, definition.inputs),
        text_changes=diff["text_changes"],
        # parts of the text the earlier revision has no record of (not removed: never given)
        sections_added=[key for key in rev.data if key not in prev.data],
        content=[g for g in groups if not g["bookkeeping"]],
        bookkeeping=[g for g in groups if g["bookkeeping"]])
