"""The history of a policy in plain words: what each revision changed, for CHANGELOG.md and the
site.

Pure functions over validated model revisions (in effective order). A revision "flips" when at least
one complete case gets a different determination than under the revision before it; the decision
changes come from `policy.diff`, so the words here always agree with `policy diff`.
"""

from __future__ import annotations

from collections import namedtuple

from .diff import consecutive_diffs
from .engine import complete_outcomes
from .render import attributed, condition_text, md_text

FILE_NAME = "CHANGELOG.md"


class RevisionChange(namedtuple("RevisionChange", "revision previous diff")):
    """One revision, the one before it (None for the first) and the diff between them (or None)."""

    __slots__ = ()

    @property
    def flips(self) -> bool:
        return bool(self.diff and self.diff["decision_changes"])

    @property
    def cases_changed(self) -> int:
        return sum(c["cases"] for c in self.diff["decision_changes"]) if self.diff else 0


class ChangeGroup(namedtuple("ChangeGroup", "was becomes cases boxes quotes")):
    """Every decision change from one determination to another: the total number of complete
    cases, the boxes (each {"when", "cases"}) and the words of the new revision's statements
    deciding them, as (text, provenance) pairs."""

    __slots__ = ()


def revision_changes(revisions) -> list[RevisionChange]:
    diffs = consecutive_diffs(revisions)
    return [RevisionChange(rev, revisions[i - 1] if i else None, diffs[i - 1] if i else None)
            for i, rev in enumerate(revisions)]


def words(determination: str) -> str:
    """a_determination -> a determination"""
    return determination.replace("_", " ")


def change_groups(change: RevisionChange) -> list[ChangeGroup]:
    """The decision changes of a revision grouped by (from, to), largest first."""
    if not change.flips:
        return []
    new = change.revision
    columns = tuple((c.name, tuple(c.values)) for c in new.columns)
    outcomes = complete_outcomes(new, columns)
    quotes_by_rule = {r.id: (r.quote, r.provenance) for r in new.rules}
    groups: dict[tuple, list[dict]] = {}
    for box in change.diff["decision_changes"]:
        groups.setdefault((box["from"], box["to"]), []).append(box)
    result = []
    for (was, becomes), boxes in groups.items():
        covered = [values for values in outcomes if any(_in_box(values, columns, b["when"])
                                                        for b in boxes)]
        quotes = sorted({quotes_by_rule[outcomes[v][0]] for v in covered
                         if quotes_by_rule[outcomes[v][0]][0] is not None})
        boxes = [{"when": b["when"], "cases": b["cases"], "from_rule": b["from_rule"],
                  "to_rule": b["to_rule"]} for b in boxes]
        result.append(ChangeGroup(was, becomes, sum(b["cases"] for b in boxes), boxes, quotes))
    return sorted(result, key=lambda g: -g.cases)


def _in_box(values: tuple, columns, when: dict) -> bool:
    return all(value in when[name] for (name, _), value in zip(columns, values) if name in when)


def decision_summary(change: RevisionChange) -> str:
    """One line: what the revision changed in the decisions, in words (Markdown-safe)."""
    if change.previous is None:
        return "first revision: every decision is new"
    groups = change_groups(change)
    if not groups:
        return f"none: every case is decided as under {change.previous.id}"
    return "; ".join(f"{md_text(words(g.was))} → {md_text(words(g.becomes))} for {g.cases} cases"
                     for g in groups)


def _review(rev) -> str:
    return rev.literature_review_through or "not stated"


def _entry(change: RevisionChange) -> list[str]:
    rev, prev = change.revision, change.previous
    flip = " ⚑ decision change" if change.flips else ""
    history = rev.history
    description = f": “{md_text(history['description'])}”" if history["description"] else ""
    lines = [f"## {md_text(rev.version)} ({md_text(rev.id)}){flip}", "",
             f"- Effective: {md_text(rev.effective_from)} ({md_text(rev.effective_from_basis)})",
             f"- Approved: {md_text(rev.approved)}",
             f"- Policy History ({md_text(history['date'])}): {md_text(history['action'])}"
             f"{description}",
             f"- Literature review through: {md_text(_review(rev))}"]
    if prev is None:
        lines.append("- Decision changes: first revision; every decision is new")
    elif not change.flips:
        lines.append("- Decision changes: none (every case is decided as under "
                     f"{md_text(prev.id)}, {md_text(prev.version)})")
    else:
        lines.append(f"- Decision changes from {md_text(prev.id)} ({md_text(prev.version)}): "
                     f"**{change.cases_changed} cases decided differently**")
        for group in change_groups(change):
            lines.append(f"  - **{md_text(words(group.was))} → {md_text(words(group.becomes))}** "
                         f"for {group.cases} cases:")
            for box in group.boxes:
                where = md_text(condition_text(box["when"]))
                lines.append(f"    - {box['cases']} cases where {where} (rule "
                             f"{md_text(box['from_rule'])} → {md_text(box['to_rule'])})")
            for text, provenance in group.quotes:
                label, shown = attributed(md_text(text), provenance)
                lines.append(f"    - now decided by ({label}): {shown}")
    return lines + [""]


def _case_count(revision) -> int:
    from .diff import complete_case_count

    return complete_case_count([(c.name, c.values) for c in revision.columns])


def changelog_markdown(revisions) -> str:
    """CHANGELOG.md for one policy: every revision, newest first."""
    changes = revision_changes(revisions)
    first = revisions[0]
    flips = [c for c in changes if c.flips]
    lines = [f"# Changelog: {md_text(first.policy_id)} {md_text(first.policy_title)}", "",
             "*Generated from the tables by `policy changelog`; do not edit by hand (change a "
             "table, then run `policy changelog`).*", "",
             "Every revision, newest first: version, effective date, approval month, the Policy "
             "History row, the decision changes from the revision before (every complete case "
             "decided under both, as `policy diff` does) and the literature-review date. A case "
             "is one combination of facts (one value for each case field: "
             f"{_case_count(revisions[0])} complete cases); each group of cases lies inside one "
             "rule of each revision, named before → after."]
    if flips:
        listed = ", ".join(f"{md_text(c.revision.id)} ({md_text(c.previous.id)} → "
                           f"{md_text(c.revision.id)}: {decision_summary(c)})" for c in flips)
        lines += ["", f"**⚑ Decision changes** ({len(flips)}): {listed}."]
    lines.append("")
    for change in reversed(changes):
        lines += _entry(change)
    return "\n".join(lines).rstrip("\n") + "\n"
