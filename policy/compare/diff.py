"""What changed from one revision to another, by meaning and by text.

By meaning: every complete case (the input space is small) is decided under both revisions; the
cases whose determination differs are grouped by (from, to) and merged into boxes (for each field a
set of values; a field whose set is its whole domain is left out), so a change of one statement
reads as a few lines rather than hundreds of cases. By text: every other value that differs, as a
path.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from ..compiler import complete_outcomes
from ..core.dates import check_date
from ..core.decision import NOT_KNOWN
from ..core.errors import DataError, Problem
from ..core.timeline import revision_in_force
from ..core.value_text import value_text

# The contract's diff object (`policy diff --json`), typed (the keys "from" and "to" are keywords:
# those classes are made by call).
DecisionChange = TypedDict("DecisionChange", {
    "from": str, "to": str,
    "from_rule": str | None, "to_rule": str | None,  # None: the case is invalid on that side
    "when": dict[str, list[Any]],  # field -> its values in the box (a field left out: all)
    "cases": int})
class TextChange(TypedDict):
    path: str
    old: object  # None when absent
    new: object
    bookkeeping: bool
    old_provenance: NotRequired[str]
    new_provenance: NotRequired[str]


RevisionDiff = TypedDict("RevisionDiff", {
    "from": dict[str, object], "to": dict[str, object], "case_fields": list[str],
    "complete_cases": int, "decision_changes": list[DecisionChange],
    "text_changes": list[TextChange]})


def _merge_along(boxes: list[tuple], field: int) -> list[tuple]:
    """Union boxes that agree on their key and every field but `field`."""
    groups: dict[tuple, set] = {}
    for key, sets in boxes:
        groups.setdefault((key, sets[:field] + sets[field + 1:]), set()).update(sets[field])
    return [(key, rest[:field] + (frozenset(values),) + rest[field:])
            for (key, rest), values in groups.items()]


def _merged(cells: list[tuple], width: int) -> list[tuple]:
    """The smallest partition found by merging along the fields in every order; only cells with
    the same key (the pair of rules and of determinations) are ever merged."""
    best = None
    for order in itertools.permutations(range(width)):
        boxes = [(key, tuple(frozenset([v]) for v in values)) for key, values in cells]
        while True:
            before = len(boxes)
            for field in order:
                boxes = _merge_along(boxes, field)
            if len(boxes) == before:
                break
        if best is None or len(boxes) < len(best):
            best = boxes
    return best or []


def decision_changes(old: Any, new: Any,
                     columns: Sequence[tuple[str, tuple]]) -> list[DecisionChange]:
    """Boxes of complete cases whose determination differs from `old` to `new` (model revisions).

    The boxes follow the rules: each lies inside the intersection of one rule of `old`
    (`from_rule`) and one rule of `new` (`to_rule`), and only cells of the same pair of rules are
    merged, so a change reads as "what rule X decided, rule Y now decides differently"."""
    before, after = outcomes_over(old, columns), outcomes_over(new, columns)
    cells = [((before[v], after[v]), v) for v in before if before[v][1] != after[v][1]]
    boxes = _merged(cells, len(columns))
    result: list[DecisionChange] = []
    for ((from_rule, was), (to_rule, becomes)), sets in boxes:
        when, count = {}, 1
        for (name, domain), values in zip(columns, sets, strict=True):
            count *= len(values)
            if len(values) < len(domain):
                when[name] = [v for v in domain if v in values]  # domain order, stable output
        result.append({"from": was, "to": becomes, "from_rule": from_rule, "to_rule": to_rule,
                       "when": when, "cases": count})
    order = {name: i for i, (name, _) in enumerate(columns)}
    result.sort(key=lambda c: (c["from"], c["to"], -c["cases"],
                               [(order[k], str(v)) for k, v in c["when"].items()],
                               c["from_rule"], c["to_rule"]))
    return result


def union_columns(old: Any, new: Any) -> tuple[tuple[str, tuple], ...]:
    """The inputs of `old` (model revisions) with, for each, its values and then those only `new`
    knows: the complete cases of a diff are those of either revision."""
    later = {c.name: c.values for c in new.columns}
    return tuple((c.name, tuple(c.values) + tuple(v for v in later.get(c.name, ())
                                                  if not _listed(v, c.values)))
                 for c in old.columns)


def _listed(value: Any, values: Sequence[Any]) -> bool:
    return any(type(v) is type(value) and v == value for v in values)


def outcomes_over(revision: Any, columns: Sequence[tuple[str, tuple]]
                  ) -> dict[tuple[Any, ...], tuple[str | None, str]]:
    """(values...) -> (rule id, determination) of every complete case over `columns`; a case
    using a value the revision does not list is (None, "invalid"): not a case of the revision
    (a later one introduces the value), as `policy evaluate` refuses it."""
    declared = {c.name: c.values for c in revision.columns}
    own = tuple((name, tuple(v for v in values if _listed(v, declared.get(name, ()))))
                for name, values in columns)
    decided: dict[tuple[Any, ...], tuple[str | None, str]] = dict(
        complete_outcomes(revision, own))
    return {values: decided.get(values, (None, NOT_KNOWN))
            for values in itertools.product(*(values for _, values in columns))}


def complete_case_count(columns: Sequence[tuple[str, tuple]]) -> int:
    """How many complete cases (combinations of one value per field) there are."""
    count = 1
    for _, values in columns:
        count *= len(values)
    return count


def _key_of(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for key in ("id", "number"):
            if key in item:
                return f"{key}={item[key]}"
    return None


def _walk(old: Any, new: Any, path: str, out: list[dict[str, Any]]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            _walk(old.get(key), new.get(key), f"{path}.{key}" if path else key, out)
        return
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        old_keys, new_keys = [_key_of(i) for i in old], [_key_of(i) for i in new]
        if all(old_keys) and all(new_keys) and len(set(old_keys)) == len(old_keys) \
                and len(set(new_keys)) == len(new_keys):
            old_by = dict(zip(old_keys, old, strict=True))
            new_by = dict(zip(new_keys, new, strict=True))
            for key in [*old_keys, *(k for k in new_keys if k not in old_by)]:
                _walk(old_by.get(key), new_by.get(key), f"{path}[{key}]", out)
            return
        if all(not isinstance(i, (Mapping, list, tuple)) for i in (*old, *new)):
            if list(old) != list(new):
                out.append({"path": path, "old": list(old), "new": list(new)})
            return
        for i in range(max(len(old), len(new))):
            _walk(old[i] if i < len(old) else None, new[i] if i < len(new) else None,
                  f"{path}[{i}]", out)
        return
    if old != new:
        out.append({"path": path, "old": _plain(old), "new": _plain(new)})


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def value_words(value: Any) -> str:
    """A table value as plain words, for a word-level diff ('' when absent)."""
    if value is None:
        return ""
    if value is True or value is False:
        return value_text(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {value_words(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(value_words(item) for item in value)
    return str(value)


def changed_words(old: Any, new: Any) -> list[tuple[str, str]]:
    """A word-level diff of two values: [(op, words)] with op "=" (kept), "-" (removed) or "+"
    (added), a removal always before the addition that replaces it."""
    a, b = value_words(old).split(), value_words(new).split()
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            ops.append(("+", " ".join(b[j1:j2])))
    return ops


# Bookkeeping: what every revision changes and a reader skims. The revision block (id, version,
# approval and effective dates, the Policy History row), and any other text whose changed words
# are only dates, ids and version numbers ("see statements for why 2018-09 carries it").
_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_DATE_WORD = re.compile(r"[(\"'“]*(?:[0-9][0-9.\-–/]*|" + "|".join(_MONTHS) + r")[)\"'”.,;:]*")


def is_bookkeeping(path: str, old: Any, new: Any) -> bool:
    if path.startswith("revision."):
        return True
    if not isinstance(old, str) or not isinstance(new, str):
        return False
    changed = [w for op, text in changed_words(old, new) if op != "=" for w in text.split()]
    return all(_DATE_WORD.fullmatch(word) for word in changed)


def text_changes(old: Any, new: Any) -> list[TextChange]:
    """Every value of the two tables that differs, as {path, old, new, bookkeeping} (None:
    absent); `bookkeeping` marks ids, versions, dates and history rows (see `is_bookkeeping`). A
    change of quoted words (a statement's text, the disclaimer) also gives `old_provenance` and
    `new_provenance`, so that the words are never shown without it."""
    found: list[dict[str, Any]] = []
    _walk(old.data, new.data, "", found)
    out: list[TextChange] = []
    for walked in found:
        path = walked["path"]
        change: TextChange = {"path": path, "old": walked["old"], "new": walked["new"],
                              "bookkeeping": is_bookkeeping(path, walked["old"], walked["new"])}
        if path.endswith(".text"):
            old_provenance = _provenance_of(old.data, path)
            if old_provenance is not None:
                change["old_provenance"] = old_provenance
            new_provenance = _provenance_of(new.data, path)
            if new_provenance is not None:
                change["new_provenance"] = new_provenance
        out.append(change)
    return out


def _provenance_of(data: Mapping, path: str) -> str | None:
    """The provenance of the quoted words at `path` (`statements[id=X].text`, `disclaimer.text`)."""
    if path == "disclaimer.text":
        return (data.get("disclaimer") or {}).get("provenance")
    for statement in data.get("statements", ()):
        if path == f"statements[id={statement['id']}].text":
            return statement["provenance"]
    return None


def diff_revisions(old: Any, new: Any) -> RevisionDiff:
    """The contract's diff object for two model revisions of one policy."""
    columns = union_columns(old, new)
    return {"from": old.history_entry(), "to": new.history_entry(),
            "case_fields": [name for name, _ in columns],
            "complete_cases": complete_case_count(columns),
            "decision_changes": decision_changes(old, new, columns),
            "text_changes": text_changes(old, new)}


def resolve(revisions: Sequence, name: str) -> Any:
    """A revision by id (2015-12), version (2.3.0) or date (2016-05-03: the one in force).

    Raises DataError (UNKNOWN_REVISION) when `name` names none of them."""
    for rev in revisions:
        if name in (rev.id, rev.version):
            return rev
    try:
        check_date(name)
    except ValueError:
        known = ", ".join(r.id for r in revisions)
        raise DataError(Problem(name, 0, 0, "UNKNOWN_REVISION",
                                f"'{name}' is not a revision id, version or date "
                                f"(revisions: {known})")) from None
    found = revision_in_force(revisions, name)
    if found is None:
        raise DataError(Problem(name, 0, 0, "UNKNOWN_REVISION",
                                f"no revision is in force on {name}; the first is effective "
                                f"from {revisions[0].effective_from}"))
    return found


def changed_revisions(before: Mapping, after: Mapping) -> list[RevisionDiff]:
    """Diffs of every revision id present in both {id: revision} maps whose table differs."""
    return [diff_revisions(before[i], after[i]) for i in sorted(before.keys() & after.keys())
            if before[i].data != after[i].data]


def consecutive_diffs(revisions: Sequence) -> list[RevisionDiff]:
    """The diff of each revision from the one before it (model revisions in effective order)."""
    return [diff_revisions(old, new) for old, new in zip(revisions, revisions[1:], strict=False)]
