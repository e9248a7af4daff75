"""Evaluation: a compiled policy answers a case by one lookup, and explains the answer.

A partial case gives each input column a value or leaves it unknown; it is numbered by one integer
(`partial_cases`, the mixed-radix code), and its outcome is a list lookup. Compilation
(`policy.compiler`) enumerates the completions of every partial case once: when they all get the
same determination that is the answer; otherwise the case is `indeterminate` and `needs` lists
each omitted field on which, for some completion, changing only that field changes the
determination. Here: the compiled records, their evaluation, and the compiled form the cache keeps
(`to_json`, `from_json` and its shape check).
"""

from __future__ import annotations

from . import partial_cases
from .decision import INDETERMINATE, NO_POLICY, NOT_APPLICABLE, Decision, ReadOnlyDict, identity
from .errors import DataError, Problem
from .escaping import shown
from .record import Record
from .timeline import revision_in_force
from .value_text import value_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (core/__init__)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any, TypedDict

    from .partial_cases import Value

    Column = tuple[str, tuple[Value, ...]]  # an input's name and its values, in table order

    class CompiledRule(TypedDict):
        """A rule as a compiled revision keeps it: its outcome and the statement it cites."""
        then: str
        statement: str | None
        quote: str | None
        provenance: str | None
        provenance_note: str | None
        note: str | None

    class EvidenceParagraph(TypedDict):
        """The revision's evidence paragraph for one value of the evidence key; `covers`: None
        when it covers the value wholly, else what part."""
        text: str
        covers: str | None

    class Disclaimer(TypedDict):
        text: str
        provenance: str
        provenance_note: str


FORMAT = 5  # bump when the compiled JSON shape changes


class Outcome(Record):
    """What a partial case gets: the determination, the rules that decide some completion (one when
    decided by one rule), the omitted fields it needs, and the determinations it could get."""

    __slots__ = ()
    determination: str
    rules: tuple[str, ...]
    needs: tuple[str, ...]
    possible: tuple[str, ...]


class CompiledRevision(Record):
    """A revision ready for lookups. `rules`: id -> then, statement (the cited id, or None) and
    that statement's quote, provenance and provenance_note, note; `evidence`: a value of the
    policy's evidence key -> {text, covers: None when the paragraph covers that value wholly, else
    what part}; `disclaimer`: {text, provenance, provenance_note}; `outcome_at`: partial-case
    code -> position in `outcomes` ("index" in the cached JSON)."""

    __slots__ = ()
    id: str
    version: str
    approved: str
    effective_from: str
    effective_from_basis: str
    rules: Mapping[str, CompiledRule]
    evidence: Mapping[str, EvidenceParagraph]
    disclaimer: Disclaimer
    outcomes: tuple[Outcome, ...]
    outcome_at: bytes | tuple[int, ...]
    # ((input, (value, ...)), ...): the policy's values this revision does not know (a later
    # revision introduces them: `since` in policy.yml); a case using one is invalid under it
    unknown: tuple[tuple[str, tuple[Value, ...]], ...] = ()

    def identity(self) -> ReadOnlyDict:
        return identity(self)

    def knows(self, name: str, value: object) -> bool:
        """Whether this revision knows `value` of input `name` (a value of the policy's)."""
        for unknown_name, values in self.unknown:
            if unknown_name == name:
                return not any(type(v) is type(value) and v == value for v in values)
        return True


class CompiledPolicy(Record):
    """Every revision of a policy compiled; `columns`: ((name, values), ...) in table order;
    `revisions` in effective order; `evidence_key`: the input whose value picks a revision's
    evidence paragraph (None: none does); `determinations`: the policy's, in its order;
    `crosswalk`: its crosswalk of codes (codes.yml) in the plain form that
    `codesets.crosswalk.Crosswalk.to_json` gives (core does not read codes), None without one."""

    __slots__ = ()
    policy_id: str
    title: str
    columns: tuple[Column, ...]
    revisions: tuple[CompiledRevision, ...]
    evidence_key: str | None
    determinations: tuple[str, ...]
    crosswalk: dict[str, Any] | None = None  # plain data: Crosswalk.to_json's

    # --- evaluation ---------------------------------------------------------------------------
    def code(self, case: Mapping[str, Any]) -> int:
        """The partial-case code of a (valid) case; absent or None fields are unknown."""
        return partial_cases.encode(self.columns, case)

    def evaluate(self, case: Mapping[str, Any], as_of: str, *,
                 locate: Callable[[str], tuple[str, int, int]] | None = None) -> Decision:
        """Decide a validated case (see `cases.check_case`) as of a validated date.

        Raises DataError (UNKNOWN_VALUE) when the case uses a value of the policy that the
        revision in force does not know (a later revision introduces it), as for a value the
        policy does not have; `locate(field)` places the problem (default: "case")."""
        in_force = revision_in_force(self.revisions, as_of)
        if in_force is not None and in_force.unknown:
            self.check_known(in_force, case, locate)
        case_id = case.get("case_id")
        known = ReadOnlyDict(
            {name: case[name] for name, _ in self.columns if case.get(name) is not None})
        if in_force is None:
            first = self.revisions[0]
            return Decision(
                determination=NO_POLICY, as_of=as_of, policy=self.policy_id, revision=None,
                rule=None, rules=(), needs=(), possible=(), source=None, provenance=None,
                provenance_note=None, evidence=None, evidence_scope=None,
                disclaimer=first.disclaimer["text"],  # the manual's, as the first revision gives it
                disclaimer_provenance=first.disclaimer["provenance"],
                disclaimer_note=(f"No revision is in force: the manual's disclaimer as the first "
                                 f"revision, {first.id}, carries it. "
                                 f"{first.disclaimer['provenance_note']}"),
                case_id=case_id, case=known,
                explanation=(f"No revision of {self.policy_id} is in force on {as_of}: the first, "
                             f"{first.id} (version {first.version}), is effective from "
                             f"{first.effective_from} ({first.effective_from_basis})."))
        outcome = in_force.outcomes[in_force.outcome_at[self.code(case)]]
        rule_id = outcome.rules[0] if len(outcome.rules) == 1 else None
        quotes = {in_force.rules[r]["quote"] for r in outcome.rules}
        decided = outcome.determination != INDETERMINATE
        rule = in_force.rules[outcome.rules[0]] if decided and len(quotes) == 1 else None
        keyed_by = case.get(self.evidence_key) if self.evidence_key else None
        evidence: EvidenceParagraph | dict[str, None] = (
            in_force.evidence.get(keyed_by) if keyed_by is not None else None) or {}
        return Decision(
            determination=outcome.determination, as_of=as_of, policy=self.policy_id,
            revision=in_force.identity(), rule=rule_id if decided else None,
            rules=outcome.rules, needs=outcome.needs, possible=outcome.possible,
            explanation=self._explain(in_force, outcome, rule_id),
            source=rule["quote"] if rule else None,
            provenance=rule["provenance"] if rule else None,
            provenance_note=rule["provenance_note"] if rule else None,
            evidence=evidence.get("text"), evidence_scope=evidence.get("covers"),
            disclaimer=in_force.disclaimer["text"],
            disclaimer_provenance=in_force.disclaimer["provenance"],
            disclaimer_note=in_force.disclaimer["provenance_note"],
            case_id=case_id, case=known)

    def check_known(self, in_force: CompiledRevision, case: Mapping[str, Any],
                    locate: Callable[[str], tuple[str, int, int]] | None = None) -> None:
        """DataError (UNKNOWN_VALUE) for each value of `case` that `in_force` does not know."""
        problems = []
        for name, _ in in_force.unknown:
            value = case.get(name)
            if value is not None and not in_force.knows(name, value):
                where = locate(name) if locate is not None else ("case", 0, 0)
                problems.append(Problem(*where, "UNKNOWN_VALUE",
                                        self.not_known_message(in_force, name, value)))
        if problems:
            raise DataError(problems)

    def not_known_message(self, in_force: CompiledRevision, name: str, value: object) -> str:
        """The one message for a value the revision in force does not know (the per-case API's
        and the columnar core's)."""
        later = self.revisions[self.revisions.index(in_force) + 1:]
        since = next((r.id for r in later if r.knows(name, value)), "?")
        return (f"{name} cannot be {shown(value_text(value))} under revision {in_force.id}, the "
                f"one in force: the value is new in revision {since}, and earlier revisions do "
                "not decide it")

    def not_applicable(self, decided: Decision, procedures: Sequence[str]) -> Decision:
        """`decided` (a decision in force) made `not_applicable`: the case's procedure codes
        (`procedures`, as read) name no service the policy governs, so no rule applies."""
        in_force = revision_in_force(self.revisions, decided.as_of)
        assert in_force is not None
        head = (f"Revision {in_force.id} (version {in_force.version}, effective "
                f"{in_force.effective_from}, {in_force.effective_from_basis})")
        return decided._replace(
            determination=NOT_APPLICABLE, rule=None, rules=(), needs=(), possible=(),
            source=None, provenance=None, provenance_note=None, evidence=None,
            evidence_scope=None,
            explanation=(f"{head} does not apply: the procedure code"
                         f"{'s' if len(procedures) > 1 else ''} {', '.join(procedures)} "
                         f"name{'' if len(procedures) > 1 else 's'} no service this policy "
                         "governs (by its crosswalk of codes, the project's reading)."
                         if procedures else f"{head} does not apply: the procedure codes name "
                         "no service this policy governs."))

    @staticmethod
    def _explain(in_force: CompiledRevision, outcome: Outcome, rule_id: str | None) -> str:
        head = (f"Revision {in_force.id} (version {in_force.version}, effective "
                f"{in_force.effective_from}, {in_force.effective_from_basis})")
        if outcome.determination == INDETERMINATE:
            return (f"{head}: the outcome depends on omitted facts ({', '.join(outcome.needs)}); "
                    f"it could be {' or '.join(outcome.possible)}.")
        if rule_id is not None:
            note = in_force.rules[rule_id].get("note")
            return (f"{head} decides {outcome.determination} by rule {rule_id}"
                    + (f": {note}" if note else "."))
        return (f"{head} decides {outcome.determination} whatever the omitted facts are, by rule "
                f"{' or '.join(outcome.rules)} depending on them.")

    # --- serialisation for the cache ------------------------------------------------------------
    def to_json(self) -> dict:
        return {"format": FORMAT, "policy": {"id": self.policy_id, "title": self.title},
                "columns": [[name, list(values)] for name, values in self.columns],
                "evidence_key": self.evidence_key, "determinations": list(self.determinations),
                "crosswalk": self.crosswalk,
                "revisions": [{
                    "id": r.id, "version": r.version, "approved": r.approved,
                    "effective_from": r.effective_from,
                    "effective_from_basis": r.effective_from_basis,
                    "rules": {k: dict(v) for k, v in r.rules.items()},
                    "evidence": {k: dict(v) for k, v in r.evidence.items()},
                    "disclaimer": dict(r.disclaimer),
                    "outcomes": [[o.determination, list(o.rules), list(o.needs), list(o.possible)]
                                 for o in r.outcomes],
                    "index": _index_json(r.outcome_at),
                    "unknown": [[name, list(values)] for name, values in r.unknown]}
                    for r in self.revisions]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompiledPolicy:
        """The inverse of `to_json`; ValueError for anything not exactly of its shape."""
        _check_compiled_shape(data)
        return cls(
            policy_id=data["policy"]["id"], title=data["policy"]["title"],
            columns=tuple((name, tuple(values)) for name, values in data["columns"]),
            evidence_key=data["evidence_key"], determinations=tuple(data["determinations"]),
            crosswalk=data["crosswalk"],
            revisions=tuple(CompiledRevision(
                id=r["id"], version=r["version"], approved=r["approved"],
                effective_from=r["effective_from"], effective_from_basis=r["effective_from_basis"],
                rules=r["rules"], evidence=r["evidence"], disclaimer=r["disclaimer"],
                outcomes=tuple(Outcome(d, tuple(ru), tuple(ne), tuple(po))
                               for d, ru, ne, po in r["outcomes"]),
                outcome_at=_index_from_json(r["index"]),
                unknown=tuple((name, tuple(values)) for name, values in r["unknown"]))
                for r in data["revisions"]))


# A revision's index (partial-case code -> outcome position) is held as bytes when every position
# fits in one (a few dozen outcomes: always, for the shipped policy), and cached as hex: a warm
# `policy evaluate` parses one short string per revision instead of 1,920 numbers.
def packed_index(index: Sequence[int]) -> bytes | tuple[int, ...]:
    return bytes(index) if max(index, default=0) < 256 else tuple(index)


def _index_json(index: bytes | tuple[int, ...]) -> str | list[int]:
    return index.hex() if isinstance(index, bytes) else list(index)


def _index_from_json(data: str | list[int]) -> bytes | tuple[int, ...]:
    return bytes.fromhex(data) if isinstance(data, str) else tuple(data)


def _check_compiled_shape(data: Any) -> None:
    """Raise ValueError unless `data` has exactly the shape `CompiledPolicy.to_json` gives, with
    every index entry pointing at an outcome and one entry per partial case.

    Checked on every warm `policy evaluate`: the element checks are set comprehensions over the
    types (one frame each) rather than a call per element, about a tenth of the time."""

    def expect(condition: bool, what: str) -> None:
        if not condition:
            raise ValueError(f"compiled policy: {what}")

    def strings(value: object) -> bool:
        return type(value) is list and {type(v) for v in value} <= {str}

    def text_maps(values: Iterable[Any]) -> bool:  # each: str -> str or None
        maps = list(values)
        return ({type(m) for m in maps} <= {dict} and {type(k) for m in maps for k in m} <= {str}
                and {type(v) for m in maps for v in m.values()} <= {str, type(None)})

    expect(type(data) is dict and data.get("format") == FORMAT, "format differs")
    expect(set(data) == {"format", "policy", "columns", "revisions", "evidence_key",
                         "determinations", "crosswalk"}, "keys")
    _check_crosswalk_shape(data["crosswalk"], expect)
    expect(data["evidence_key"] is None or type(data["evidence_key"]) is str, "evidence_key")
    expect(strings(data["determinations"]), "determinations")
    policy, columns, revisions = data["policy"], data["columns"], data["revisions"]
    expect(type(policy) is dict and set(policy) == {"id", "title"}
           and strings(list(policy.values())), "policy")
    expect(type(columns) is list and len(columns) > 0, "columns")
    codes = 1
    for column in columns:
        expect(type(column) is list and len(column) == 2 and type(column[0]) is str
               and type(column[1]) is list and len(column[1]) > 0
               and {type(v) for v in column[1]} <= {str, bool}, "a column")
        codes *= len(column[1]) + 1
    expect(type(revisions) is list and len(revisions) > 0, "revisions")
    fields = {"id", "version", "approved", "effective_from", "effective_from_basis", "rules",
              "evidence", "disclaimer", "outcomes", "index", "unknown"}
    for entry in revisions:
        expect(type(entry) is dict and set(entry) == fields, "a revision's keys")
        expect({type(entry[k]) for k in ("id", "version", "approved", "effective_from",
                                          "effective_from_basis")} == {str},
               "a revision's identity")
        rules, outcomes, index = entry["rules"], entry["outcomes"], entry["index"]
        values_of = {column[0]: column[1] for column in columns}
        expect(type(entry["unknown"]) is list
               and all(type(u) is list and len(u) == 2 and u[0] in values_of
                       and type(u[1]) is list and all(v in values_of[u[0]] for v in u[1])
                       for u in entry["unknown"]), "unknown")
        expect(type(rules) is dict and {type(k) for k in rules} <= {str}
               and text_maps(rules.values()), "rules")
        evidence, disclaimer = entry["evidence"], entry["disclaimer"]
        expect(type(evidence) is dict and {type(k) for k in evidence} <= {str}
               and text_maps(evidence.values())
               and all(v.keys() == {"text", "covers"} and type(v["text"]) is str
                       for v in evidence.values()), "evidence")
        expect(text_maps([disclaimer])
               and disclaimer.keys() == {"text", "provenance", "provenance_note"}
               and {type(v) for v in disclaimer.values()} == {str}, "disclaimer")
        expect(type(outcomes) is list
               and {type(o) for o in outcomes} <= {list} and {len(o) for o in outcomes} <= {4}
               and {type(o[0]) for o in outcomes} <= {str}
               and {type(part) for o in outcomes for part in o[1:]} <= {list}
               and {type(x) for o in outcomes for part in o[1:] for x in part} <= {str}
               and {r for o in outcomes for r in o[1]} <= rules.keys(), "outcomes")
        if type(index) is str:  # hex, one byte per entry (see _index_json): checked in C
            try:
                index = bytes.fromhex(index)
            except ValueError:
                expect(False, "index")
            expect(len(index) == codes and max(index, default=0) < len(outcomes), "index")
        else:
            expect(type(index) is list and len(index) == codes
                   and {type(i) for i in index} <= {int}
                   and all(0 <= i < len(outcomes) for i in index), "index")


def _check_crosswalk_shape(crosswalk: Any, expect: Any) -> None:
    """The crosswalk's plain form (`codesets.crosswalk.Crosswalk.to_json`): None, or {"file",
    "field", "entries": [[kind, field, value, system, [[low, high, is_range, text], ...],
    valid_from, valid_to, note, provenance], ...]}."""
    if crosswalk is None:
        return
    expect(type(crosswalk) is dict and set(crosswalk) == {"file", "field", "entries"}
           and type(crosswalk["file"]) is str and type(crosswalk["field"]) in (str, type(None))
           and type(crosswalk["entries"]) is list, "crosswalk")
    for entry in crosswalk["entries"]:
        expect(type(entry) is list and len(entry) == 9
               and {type(entry[i]) for i in (0, 3, 5, 6, 7, 8)} <= {str}
               and type(entry[1]) in (str, type(None))
               and type(entry[2]) in (str, bool, type(None)) and type(entry[4]) is list
               and all(type(item) is list and len(item) == 4
                       and [type(part) for part in item] == [str, str, bool, str]
                       for item in entry[4]), "a crosswalk entry")
