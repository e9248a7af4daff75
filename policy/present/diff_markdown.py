"""`policy diff --format markdown`: a diff for a pull-request comment."""

from __future__ import annotations

from typing import Any

from ..compare.diff import RevisionDiff
from .conditions import condition_words
from .markdown import GITHUB
from .templating import render as fill
from .text_changes import text_groups


def diff_markdown(diff: RevisionDiff, inputs: Any = ()) -> str:
    """A diff for a pull-request comment, from the template `diff.md.j2` (every piece of table
    text through the one Markdown escaper, for GitHub: no mention, reference,
    bare link, strikethrough or emoji from the tables is live); `inputs` phrase the conditions
    (`condition_words`)."""

    groups = text_groups(diff["text_changes"])
    text = fill("diff.md.j2", flavour=GITHUB, old=diff["from"], new=diff["to"],
                changes=diff["decision_changes"],
                cases=sum(c["cases"] for c in diff["decision_changes"]),
                complete_cases=diff["complete_cases"], case_fields=diff.get("case_fields", ()),
                text_changes=diff["text_changes"],
                phrase=lambda when: condition_words(when, inputs),
                content=[g for g in groups if not g["bookkeeping"]],
                bookkeeping=[g for g in groups if g["bookkeeping"]])
    return text.rstrip("\n") + "\n"
