"""`policy diff` as terminal text: the decision changes, then the text changes with bookkeeping
folded."""

from __future__ import annotations

from ..compare.diff import RevisionDiff
from ..core.escaping import escape
from .conditions import condition_text
from .provenance import provenance_note
from .text_changes import text_groups, word_ops, words_text


def cases_note(diff: RevisionDiff) -> str:
    """What the case counts count."""
    fields = ", ".join(diff.get("case_fields", ())) or "the case fields"
    return (f"a case is one combination of facts, one value for each of {fields}; "
            f"there are {diff['complete_cases']} complete cases")

def diff_summary(diff: RevisionDiff) -> str:
    old, new = diff["from"], diff["to"]
    changes = diff["decision_changes"]
    cases = sum(c["cases"] for c in changes)
    return (f"{old['id']} ({old['version']}) -> {new['id']} ({new['version']}): "
            f"{len(changes)} decision change(s) covering {cases} of the "
            f"{diff['complete_cases']} complete cases (combinations of facts); "
            f"{len(diff['text_changes'])} text change(s)")


# --- text changes: grouped, bookkeeping folded, changed words marked ------------------------------

def diff_text(diff: RevisionDiff) -> str:
    lines = [diff_summary(diff)]
    if diff["decision_changes"]:
        lines.append(f"decision changes ({cases_note(diff)}):")
        for c in diff["decision_changes"]:
            lines.append(f"  {c['from']} -> {c['to']}  ({c['cases']} cases; rule "
                         f"{c['from_rule'] or 'none'} -> {c['to_rule'] or 'none'})  when "
                         f"{condition_text(c['when'])}")
    groups = text_groups(diff["text_changes"])
    content = [g for g in groups if not g["bookkeeping"]]
    bookkeeping = [g for g in groups if g["bookkeeping"]]
    if content:
        lines.append("text changes:")
        lines += [f"  {escape(g['path'])}: {provenance_note(g)}{words_text(word_ops(g, 6))}"
                  for g in content]
    if bookkeeping:
        lines.append(f"bookkeeping ({len(bookkeeping)} change(s) of ids, versions, dates and the "
                     "history row):")
        lines += [f"  {escape(g['path'])}: {provenance_note(g)}{words_text(word_ops(g, 3))}"
                  for g in bookkeeping]
    return "\n".join(lines)
