"""The outcome table of the columnar core: every (revision, outcome) pair of a compiled policy,
numbered once, with its result fields laid out as Arrow dictionaries.

An outcome id (`gid`) names one (revision, outcome) pair; one more id stands for every row before
the first revision. The result fields of each pair are taken from one call of the per-case
`CompiledPolicy.evaluate`, so the two evaluators cannot drift apart. Built once per policy and never
changed after: any number of threads may read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..core import partial_cases as codes
from ..core.compiled import CompiledPolicy
from ..core.decision import NO_POLICY, Decision
from . import kernels as pc

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
        for compiled_revision in compiled.revisions:
            base = len(self.decisions)
            for position in range(len(compiled_revision.outcomes)):
                code = compiled_revision.outcome_at.index(position)  # a case with this outcome
                self.decisions.append(
                    compiled.evaluate(self.decode(code), compiled_revision.effective_from))
            key_to_gid.extend(base + position for position in compiled_revision.outcome_at)
        self.key_to_gid = pa.array(key_to_gid, pa.int32())
        self.no_policy_gid = len(self.decisions)  # the one id of every row before the first
        rows = self.decisions
        identities: list[Mapping[str, str]] = [  # (each decided in its revision: never {})
            d.revision or {} for d in rows]
        self.values: dict[str, Sequence[str | None]] = {  # per field, each outcome id's value
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
        # each per-outcome column as (distinct values, position of each outcome id's value)
        self.dictionaries: dict[str, tuple[pa.Array, pa.Array]] = {}
        for name, values in self.values.items():
            distinct: dict[str, int] = {}
            positions = [None if v is None else distinct.setdefault(v, len(distinct))
                         for v in values]
            self.dictionaries[name] = (pa.array(list(distinct), pa.string()),
                                       pa.array(positions, pa.int32()))
        self.needs = pa.array([list(d.needs) for d in rows] + [[]], pa.list_(pa.string()))

    def decode(self, code: int) -> dict[str, Value]:
        """The partial case (known fields only) that a code stands for."""
        return codes.decode(self.columns, code)

    def column(self, name: str, gid: pa.Array) -> pa.DictionaryArray:
        """Per row, per-outcome field `name` of outcome id `gid`, dictionary-encoded."""
        distinct, positions = self.dictionaries[name]
        return pa.DictionaryArray.from_arrays(pc.take(positions, gid), distinct)

    def outcome_day(self, gid: int) -> str:
        """A day on which outcome id `gid` can occur (its revision's first day)."""
        revision = self.decisions[gid].revision if gid != self.no_policy_gid else None
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
