"""The history of a policy: what each revision changed, for CHANGELOG.md and the site.

Pure functions over validated model revisions (in effective order). A revision "flips" when at
least one complete case gets a different determination than under the revision before it; the
decision changes come from `diff`, so they always agree with `policy diff`. The words are
`policy.present.changelog`'s.
"""

from __future__ import annotations

from typing import Any

from ..compiler import complete_outcomes
from ..core.record import Record
from ..load.model import Revision
from .diff import DecisionChange, RevisionDiff, complete_case_count, consecutive_diffs


class RevisionChange(Record):
    """One revision, the one before it (None for the first) and the diff between them (or None)."""

    __slots__ = ()
    revision: Revision
    previous: Revision | None
    diff: RevisionDiff | None

    @property
    def flips(self) -> bool:
        return bool(self.diff and self.diff["decision_changes"])

    @property
    def cases_changed(self) -> int:
        return sum(c["cases"] for c in self.diff["decision_changes"]) if self.diff else 0


class ChangeGroup(Record):
    """Every decision change from one determination to another: the total number of complete
    cases, the boxes (each {"when", "cases"}) and the words of the new revision's statements
    deciding them, as (text, provenance) pairs."""

    __slots__ = ()
    was: str
    becomes: str
    cases: int
    boxes: list[dict[str, Any]]  # {when, cases, from_rule, to_rule}: a DecisionChange's
    quotes: list[tuple[str | None, str | None]]  # (text, provenance); text never None


def revision_changes(revisions: Any) -> list[RevisionChange]:
    diffs = consecutive_diffs(revisions)
    return [RevisionChange(rev, revisions[i - 1] if i else None, diffs[i - 1] if i else None)
            for i, rev in enumerate(revisions)]


def change_groups(change: RevisionChange) -> list[ChangeGroup]:
    """The decision changes of a revision grouped by (from, to), largest first."""
    if change.diff is None or not change.flips:
        return []
    new = change.revision
    columns = tuple((c.name, tuple(c.values)) for c in new.columns)
    outcomes = complete_outcomes(new, columns)
    quotes_by_rule = {r.id: (r.quote, r.provenance) for r in new.rules}
    groups: dict[tuple[str, str], list[DecisionChange]] = {}
    for box in change.diff["decision_changes"]:
        groups.setdefault((box["from"], box["to"]), []).append(box)
    result = []
    for (was, becomes), boxes in groups.items():
        covered = [values for values in outcomes if any(_in_box(values, columns, b["when"])
                                                        for b in boxes)]
        quotes = sorted({quotes_by_rule[outcomes[v][0]] for v in covered
                         if quotes_by_rule[outcomes[v][0]][0] is not None})
        shown = [{"when": b["when"], "cases": b["cases"], "from_rule": b["from_rule"],
                  "to_rule": b["to_rule"]} for b in boxes]
        result.append(ChangeGroup(was, becomes, sum(b["cases"] for b in boxes), shown, quotes))
    return sorted(result, key=lambda g: -g.cases)


def _in_box(values: tuple, columns: Any, when: dict) -> bool:
    return all(value in when[name]
               for (name, _), value in zip(columns, values, strict=True) if name in when)


def case_count(revision: Any) -> int:
    return complete_case_count([(c.name, c.values) for c in revision.columns])
