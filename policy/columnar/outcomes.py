"""The outcome table of the columnar core: every (revision, outcome) pair of a compiled policy,
numbered once, with its result fields laid out as Arrow dictionaries.

An outcome id (`gid`) names one (revision, outcome) pair; one more id stands for every row before
the first revision. The result fields of each pair are taken from one call of the per-case
`CompiledPolicy.evaluate`, so the two evaluators cannot drift apart. Built once per policy and never
changed after: any number of threads may read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..core import partial_cases as codes
from ..core.compiled import CompiledPolicy
from ..core.decision import NO_POLICY, NOT_KNOWN, Decision
from ..core.errors import DataError
from . import kernels as pc
from . import row_errors
from .row_errors import ROW_ERRORS, Pairs

if TYPE_CHECKING:
    from ..core.partial_cases import Value

RESULT_SCHEMA = pa.schema([
    ("case_id", pa.string()),
    ("as_of", pa.dictionary(pa.int32(), pa.string())),
    ("determination", pa.dictionary(pa.int32(), pa.string())),
    ("revision", pa.dictionary(pa.int32(), pa.string())),
    ("version", pa.dictionary(pa.int32(), pa.string())),
    ("effective_from", pa.dictionary(pa.int32(), pa.string())),
    ("effective_from_basis", pa.dictionary(pa.int32(), pa.string())),
    ("rule", pa.dictionary(pa.int32(), pa.string())),
    ("needs", pa.list_(pa.string())),
    ("source", pa.dictionary(pa.int32(), pa.string())),
    ("provenance", pa.dictionary(pa.int32(), pa.string())),
    ("explanation", pa.dictionary(pa.int32(), pa.string())),
    ("disclaimer", pa.dictionary(pa.int32(), pa.string())),
    ("error", pa.string()),
])
# Columns that repeat one value per (revision, outcome): dictionary-encoded, never copied per row.
PER_OUTCOME = ("determination", "revision", "version", "effective_from", "effective_from_basis",
               "rule", "source", "provenance", "explanation", "disclaimer")


class OutcomeTable:
    """Outcome ids and their result fields. `key_to_gid[position * n_codes + code]` is the
    outcome id of partial-case `code` under the revision at `position`."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        self.columns = compiled.columns
        self.n_codes = codes.count(self.columns)
        self.weights = codes.weights(self.columns)  # of each column's digit in a partial-case code
        self.decisions: list[Decision] = []  # one per outcome id (gid)
        key_to_gid: list[int] = []
        # a case the revision in force does not know (a value a later one introduces) is a bad
        # row: per (revision, code) the position of its problems in `not_known_errors` (null
        # for a case the revision knows); None when every revision knows every value
        not_known_at: list[int | None] = []
        texts: dict[Pairs, int] = {}
        for compiled_revision in compiled.revisions:
            base = len(self.decisions)
            for position, outcome in enumerate(compiled_revision.outcomes):
                code = compiled_revision.outcome_at.index(position)  # a case with this outcome
                day = compiled_revision.effective_from
                # the stand-in of a case the revision does not know: never shown (its rows are
                # bad rows, their results null)
                self.decisions.append(compiled.evaluate({} if outcome.determination == NOT_KNOWN
                                                        else self.decode(code), day))
            key_to_gid.extend(base + position for position in compiled_revision.outcome_at)
            for code in range(self.n_codes if compiled_revision.unknown else 0):
                text = self._not_known(compiled_revision, code)
                not_known_at.append(None if text is None else texts.setdefault(text, len(texts)))
            if not compiled_revision.unknown:
                not_known_at.extend([None] * self.n_codes)
        self.key_to_gid = pa.array(key_to_gid, pa.int32())
        self.key_to_not_known = (pa.array(not_known_at, pa.int32()) if texts else None)
        self.not_known_errors = row_errors.of_pairs(list(texts))
        self.no_policy_gid = len(self.decisions)  # the one id of every row before the first
        # one id per revision for `not_applicable` (procedure codes given, none governed): its
        # explanation names the codes, so each row's own (`column_codes`) replaces this one
        self.not_applicable_base = self.no_policy_gid + 1
        not_applicable = [compiled.not_applicable(compiled.evaluate({}, r.effective_from), ())
                          for r in compiled.revisions]
        rows = self.decisions
        identities: list[Mapping[str, str]] = [  # (each decided in its revision: never {})
            d.revision or {} for d in rows]
        self.values: dict[str, list[Any]] = {  # per field, each outcome id's value (str or None)
            "determination": [d.determination for d in rows] + [NO_POLICY],
            "revision": [r["id"] for r in identities] + [None],
            "version": [r["version"] for r in identities] + [None],
            "effective_from": [r["effective_from"] for r in identities] + [None],
            "effective_from_basis": [r["effective_from_basis"] for r in identities] + [None],
            "rule": [d.rule for d in rows] + [None],
            "source": [d.source for d in rows] + [None],
            "provenance": [d.provenance for d in rows] + [None],
            "explanation": [d.explanation for d in rows] + [None],  # per day; see explanations
            # before the first revision too: the manual's disclaimer as the first revision gives it
            "disclaimer": [d.disclaimer for d in rows] + [compiled.revisions[0].disclaimer["text"]],
        }
        for d in not_applicable:
            identity: Mapping[str, str] = d.revision or {}  # (decided in a revision: never {})
            for name, value in (("determination", d.determination), ("rule", d.rule),
                                ("revision", identity["id"]),
                                ("version", identity["version"]),
                                ("effective_from", identity["effective_from"]),
                                ("effective_from_basis", identity["effective_from_basis"]),
                                ("source", None), ("provenance", None),
                                ("explanation", d.explanation), ("disclaimer", d.disclaimer)):
                self.values[name].append(value)
        self.not_applicable_revisions = [d.revision["effective_from"] if d.revision else ""
                                         for d in not_applicable]  # (never "": decided)
        # each per-outcome column as (distinct values, position of each outcome id's value)
        self.dictionaries: dict[str, tuple[pa.Array, pa.Array]] = {}
        for name, values in self.values.items():
            distinct: dict[str, int] = {}
            positions = [None if v is None else distinct.setdefault(v, len(distinct))
                         for v in values]
            self.dictionaries[name] = (pa.array(list(distinct), pa.string()),
                                       pa.array(positions, pa.int32()))
        self.needs = pa.array([list(d.needs) for d in rows] + [[]] * (1 + len(not_applicable)),
                              pa.list_(pa.string()))

    def _not_known(self, compiled_revision: Any, code: int) -> Pairs | None:
        """The problems of partial case `code` under a revision that does not know one of its
        values, as the per-case API gives it (None: the revision knows the case)."""
        outcome = compiled_revision.outcomes[compiled_revision.outcome_at[code]]
        if outcome.determination != NOT_KNOWN:
            return None
        try:
            self.compiled.check_known(compiled_revision, self.decode(code))
        except DataError as exc:
            return row_errors.pairs(exc.problems)
        return None  # (unreachable: a NOT_KNOWN outcome uses a value the revision lacks)

    def not_known(self, key: pa.Array, in_force: pa.Array) -> pa.Array | None:
        """Per row, the problems of a case its revision does not know (null for the others);
        `key`: position * n_codes + code, `in_force`: whether a revision is in force. None when
        every revision knows every value."""
        if self.key_to_not_known is None:
            return None
        found = pc.take(self.not_known_errors, pc.take(self.key_to_not_known, key))
        return pc.if_else(in_force, found, pa.scalar(None, ROW_ERRORS))

    def decode(self, code: int) -> dict[str, Value]:
        """The partial case (known fields only) that a code stands for."""
        return codes.decode(self.columns, code)

    def column(self, name: str, gid: pa.Array) -> pa.DictionaryArray:
        """Per row, per-outcome field `name` of outcome id `gid`, dictionary-encoded."""
        distinct, positions = self.dictionaries[name]
        return pa.DictionaryArray.from_arrays(pc.take(positions, gid), distinct)

    def outcome_day(self, gid: int) -> str:
        """A day on which outcome id `gid` can occur (its revision's first day)."""
        if gid == self.no_policy_gid:
            return "0001-01-01"
        if gid >= self.not_applicable_base:
            return self.not_applicable_revisions[gid - self.not_applicable_base]
        revision = self.decisions[gid].revision
        return "0001-01-01" if revision is None else revision["effective_from"]

    def outcome_values(self, gid: int) -> dict[str, Any]:
        """The per-outcome result fields of outcome id `gid` (what every row with it shares):
        text or None, and `needs` a list of field names."""
        values: dict[str, Any] = {name: self.values[name][gid] for name in PER_OUTCOME}
        values["needs"] = self.needs[gid].as_py()
        return values

    def determination_counts(self, gid: pa.Array) -> dict[str, int]:
        """How many rows got each determination (rows with an error are not counted)."""
        counts: dict[str, int] = {}
        for entry in pc.value_counts(gid).to_pylist():
            if entry["values"] is not None:
                name = self.values["determination"][entry["values"]]
                assert name is not None  # every outcome id has a determination
                counts[name] = counts.get(name, 0) + entry["counts"]
        return counts
