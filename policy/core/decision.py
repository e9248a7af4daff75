"""A decision: everything needed to reproduce and explain one evaluation years later.

Immutable: a `Decision` is a record (`record.Record`, a named tuple), and its mappings
(`revision`, `case`) are `ReadOnlyDict`s, which the per-case memo shares between decisions.
"""

from __future__ import annotations

from .record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (core/__init__)
if TYPE_CHECKING:
    from typing import NoReturn

INDETERMINATE = "indeterminate"
NO_POLICY = "no_policy_in_force"
NOT_APPLICABLE = "not_applicable"  # procedure codes given, none the service the policy governs
# a case using a value the revision does not know (a later one introduces it): an invalid case,
# never a decision; the diff's pseudo-outcome of such a case, and the compiled placeholder
NOT_KNOWN = "invalid"


class ReadOnlyDict(dict):
    """A dict that refuses changes: the mappings inside a Decision (`revision`, `case`), which
    the per-case API shares between decisions. Reads, equality, `dict(...)` and JSON are a
    dict's; pickling and copying rebuild it."""

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a decision's mappings are read-only")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        return type(self), (dict(self),)

    def __copy__(self) -> ReadOnlyDict:
        return self

    def __deepcopy__(self, memo: object) -> ReadOnlyDict:
        return self


IDENTITY_FIELDS = ("id", "version", "effective_from", "effective_from_basis")


def identity(revision: object) -> ReadOnlyDict:
    """The revision object of the JSON outputs, of a compiled or a model revision (both have
    these fields)."""
    return ReadOnlyDict({name: getattr(revision, name) for name in IDENTITY_FIELDS})


class Decision(Record):
    """Everything needed to reproduce and explain one evaluation years later (immutable)."""

    __slots__ = ()
    determination: str
    as_of: str
    policy: str
    revision: ReadOnlyDict | None
    rule: str | None
    rules: tuple[str, ...]
    needs: tuple[str, ...]
    possible: tuple[str, ...]
    explanation: str
    source: str | None
    provenance: str | None
    provenance_note: str | None
    evidence: str | None
    evidence_scope: str | None
    disclaimer: str
    disclaimer_provenance: str
    disclaimer_note: str | None
    case_id: str | None
    case: ReadOnlyDict
    # each code of the case's diagnosis and procedure fields as read on the date of service: a
    # ReadOnlyDict {code, field, system, valid, names, ...} (codesets.check.CodeReading.as_json)
    codes: tuple[ReadOnlyDict, ...] = ()

    def to_json(self) -> dict:
        return {"determination": self.determination, "as_of": self.as_of, "policy": self.policy,
                "revision": dict(self.revision) if self.revision else None, "rule": self.rule,
                "rules": list(self.rules), "needs": list(self.needs),
                "possible": list(self.possible), "explanation": self.explanation,
                "source": self.source, "provenance": self.provenance,
                "provenance_note": self.provenance_note, "evidence": self.evidence,
                "evidence_scope": self.evidence_scope, "disclaimer": self.disclaimer,
                "disclaimer_provenance": self.disclaimer_provenance,
                "disclaimer_note": self.disclaimer_note,
                "case_id": self.case_id, "case": dict(self.case),
                "codes": [dict(code) for code in self.codes]}
