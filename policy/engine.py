"""Evaluation: a compiled policy answers a case by one lookup, and explains the answer.

A partial case gives each input column a value or leaves it unknown; it is numbered by one integer
(`codes`, the mixed-radix code), and its outcome is a list lookup. Compilation (`compiler`)
enumerates the completions of every partial case once: when they all get the same determination
that is the answer; otherwise the case is `indeterminate` and `needs` lists each omitted field on
which, for some completion, changing only that field changes the determination. Here: the
records (`Decision`, `CompiledPolicy`...), evaluation, the per-case API's templates and the
compiled form the cache keeps.
"""

from __future__ import annotations

from . import codes
from .dates import check_date
from .escaping import lone_surrogate
from .record import Record
from .timeline import revision_in_force

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (5 ms of start-up)
if TYPE_CHECKING:  # model imports dataclasses: not on the start-up path of `policy evaluate`
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, NoReturn


FORMAT = 3  # bump when the compiled JSON shape changes
INDETERMINATE = "indeterminate"
NO_POLICY = "no_policy_in_force"


# Immutable records are `record.Record`s (named tuples), not dataclasses: this module is on the
# start-up path of `policy evaluate`, where importing dataclasses (and inspect) costs more than the
# evaluation.

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
    what part}; `disclaimer`: {text, provenance, provenance_note}; `index`: partial-case code ->
    position in `outcomes`."""

    __slots__ = ()
    id: Any
    version: Any
    approved: Any
    effective_from: Any
    effective_from_basis: Any
    rules: Any
    evidence: Any
    disclaimer: Any
    outcomes: Any
    index: Any

    def identity(self) -> ReadOnlyDict:
        return identity(self)


IDENTITY_FIELDS = ("id", "version", "effective_from", "effective_from_basis")


def identity(revision: object) -> ReadOnlyDict:
    """The revision object of the JSON outputs, of a compiled or a model revision (both have
    these fields)."""
    return ReadOnlyDict({name: getattr(revision, name) for name in IDENTITY_FIELDS})


class Decision(Record):
    """Everything needed to reproduce and explain one evaluation years later (immutable)."""

    __slots__ = ()
    determination: Any
    as_of: Any
    policy: Any
    revision: Any
    rule: Any
    rules: Any
    needs: Any
    possible: Any
    explanation: Any
    source: Any
    provenance: Any
    provenance_note: Any
    evidence: Any
    evidence_scope: Any
    disclaimer: Any
    disclaimer_provenance: Any
    disclaimer_note: Any
    case_id: Any
    case: Any

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
                "case_id": self.case_id, "case": dict(self.case)}


class CompiledPolicy(Record):
    """Every revision of a policy compiled; `columns`: ((name, values), ...) in table order;
    `revisions` in effective order; `evidence_key`: the input whose value picks a revision's
    evidence paragraph (None: none does); `determinations`: the policy's, in its order."""

    __slots__ = ()
    policy_id: Any
    title: Any
    columns: Any
    revisions: Any
    evidence_key: Any
    determinations: Any

    # --- evaluation ---------------------------------------------------------------------------
    def code(self, case: Mapping[str, object]) -> int:
        """The partial-case code of a (valid) case; absent or None fields are unknown."""
        return codes.encode(self.columns, case)

    def evaluate(self, case: Mapping[str, object], as_of: str) -> Decision:
        """Decide a validated case (see `cases.check_case`) as of a validated date."""
        in_force = revision_in_force(self.revisions, as_of)
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
        outcome = in_force.outcomes[in_force.index[self.code(case)]]
        rule_id = outcome.rules[0] if len(outcome.rules) == 1 else None
        quotes = {in_force.rules[r]["quote"] for r in outcome.rules}
        decided = outcome.determination != INDETERMINATE
        rule = in_force.rules[outcome.rules[0]] if decided and len(quotes) == 1 else None
        evidence = (in_force.evidence.get(case.get(self.evidence_key))
                    if self.evidence_key else None) or {}
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
                "revisions": [{
                    "id": r.id, "version": r.version, "approved": r.approved,
                    "effective_from": r.effective_from,
                    "effective_from_basis": r.effective_from_basis,
                    "rules": {k: dict(v) for k, v in r.rules.items()},
                    "evidence": {k: dict(v) for k, v in r.evidence.items()},
                    "disclaimer": dict(r.disclaimer),
                    "outcomes": [[o.determination, list(o.rules), list(o.needs), list(o.possible)]
                                 for o in r.outcomes],
                    "index": _index_json(r.index)} for r in self.revisions]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompiledPolicy:
        """The inverse of `to_json`; ValueError for anything not exactly of its shape."""
        _check_compiled_shape(data)
        return cls(
            policy_id=data["policy"]["id"], title=data["policy"]["title"],
            columns=tuple((name, tuple(values)) for name, values in data["columns"]),
            evidence_key=data["evidence_key"], determinations=tuple(data["determinations"]),
            revisions=tuple(CompiledRevision(
                id=r["id"], version=r["version"], approved=r["approved"],
                effective_from=r["effective_from"], effective_from_basis=r["effective_from_basis"],
                rules=r["rules"], evidence=r["evidence"], disclaimer=r["disclaimer"],
                outcomes=tuple(Outcome(d, tuple(ru), tuple(ne), tuple(po))
                               for d, ru, ne, po in r["outcomes"]),
                index=_index_from_json(r["index"])) for r in data["revisions"]))


# A revision's index (partial-case code -> outcome position) is held as bytes when every position
# fits in one (a few dozen outcomes: always, for the shipped policy), and cached as hex: a warm
# `policy evaluate` parses one short string per revision instead of 1,920 numbers.
def packed_index(index: Sequence[int]) -> bytes | tuple[int, ...]:
    return bytes(index) if max(index, default=0) < 256 else tuple(index)


def _index_json(index: bytes | tuple[int, ...]) -> str | list[int]:
    return index.hex() if isinstance(index, bytes) else list(index)


def _index_from_json(data: str | list[int]) -> bytes | tuple[int, ...]:
    return bytes.fromhex(data) if isinstance(data, str) else tuple(data)


MEMO_LIMIT = 100_000  # distinct days remembered; an input of endless distinct dates starts afresh


class DecisionTemplates:
    """The per-case API's fast path: each (revision, partial case) decided once, its Decision
    kept, and each call fills in only `as_of` and `case_id` (and before the first revision `case`).

    `decide` accepts only what `cases.check_case` accepts and decides it as
    `CompiledPolicy.evaluate` does (the templates are that function's answers); anything else
    (an unknown field or value, an unknown field even when its value is None, a case_id that
    UTF-8 cannot carry (a lone surrogate), a bad or missing date, a value of another type, even a
    str subclass, or a case that is not a plain dict) gets None, and the caller takes the full path,
    which gives the error. So every field is still checked on every call.

    Thread safety: the memos only ever map a key to a value computed from immutable inputs
    (dict get and set are atomic), and the shared parts of a Decision are tuples and
    `ReadOnlyDict`s; two threads may build the same template, and either result is right.
    """

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        weights = codes.weights(compiled.columns)
        self.n_codes = codes.count(compiled.columns)
        # every column unknown; a known value adds its offset from unknown to the code
        self.all_unknown = codes.encode(compiled.columns, {})
        self.offsets = {name: (type(values[0]), {v: w * (i - len(values))
                                                 for i, v in enumerate(values)})
                        for (name, values), w in zip(compiled.columns, weights, strict=True)}
        # where the fields that differ between calls with the same template go
        self.as_of_at, self.case_id_at, self.case_at = map(Decision._fields.index,
                                                           ("as_of", "case_id", "case"))
        self._templates: dict[int, list] = {}  # position * n_codes + code -> Decision as a list
        self._days: dict[str, int] = {}  # checked day -> revision position, -1 before the first
        self._before_first: dict[str, list] = {}  # day -> template of no_policy_in_force
        self._known: dict[int, ReadOnlyDict] = {}  # code -> the known fields

    def decide(self, case: Mapping[str, object], as_of: object) -> Decision | None:
        """The Decision for a valid case and date (as_of: a str, a date or None), else None."""
        if type(case) is not dict:  # other mappings (and non-mappings) take the full path
            return None
        code, case_id, service_date = self.all_unknown, None, None
        offsets = self.offsets
        try:
            for name, value in case.items():  # the name first: a misspelt one is an error
                found = offsets.get(name)        # even with a None value
                if found is not None:
                    if value is None:
                        continue
                    offset = found[1].get(value)
                    if offset is None or type(value) is not found[0]:
                        return None
                    code += offset
                elif name == "service_date":
                    service_date = value
                elif name == "case_id":
                    if type(value) is str and (value.isascii() or lone_surrogate(value) is None):
                        case_id = value
                    elif value is not None:
                        return None
                else:
                    return None
        except TypeError:  # an unhashable value
            return None
        days = self._days
        if service_date is not None:  # checked even when as_of overrides it
            position = days.get(service_date) if type(service_date) is str else None
            if position is None and self._position(service_date) is None:
                return None
        if as_of is None:
            as_of = service_date
        elif type(as_of) is not str:
            from datetime import date  # (loaded already by a caller with a date object)

            as_of = as_of.isoformat() if type(as_of) is date else None
        position = days.get(as_of) if type(as_of) is str else None
        if position is None:
            position = self._position(as_of)
            if position is None:
                return None
        if position < 0:
            day = str(as_of)  # (a str already: _position answers only for one)
            template = self._before_first.get(day) or self._before_first_template(day)
            values = template.copy()
            values[self.case_at] = self._known_fields(code)
        else:
            key = position * self.n_codes + code
            values = (self._templates.get(key) or self._template(position, code)).copy()
        values[self.as_of_at] = as_of
        values[self.case_id_at] = case_id
        return tuple.__new__(Decision, values)

    def _position(self, day: object) -> int | None:
        """The in_force position of a day (-1 before the first); None for anything but a valid
        YYYY-MM-DD string."""
        position = self._days.get(day) if type(day) is str else None
        if position is None and type(day) is str:
            try:
                check_date(day)
            except ValueError:
                return None
            in_force = revision_in_force(self.compiled.revisions, day)
            position = -1 if in_force is None else self.compiled.revisions.index(in_force)
            if len(self._days) >= MEMO_LIMIT:
                self._days.clear()
            self._days[day] = position
        return position

    def _known_fields(self, code: int) -> ReadOnlyDict:
        found = self._known.get(code)
        if found is None:
            found = self._known[code] = ReadOnlyDict(codes.decode(self.compiled.columns, code))
        return found

    def _template(self, position: int, code: int) -> list:
        compiled_revision = self.compiled.revisions[position]
        template = list(self.compiled.evaluate(self._known_fields(code),
                                               compiled_revision.effective_from))
        template[self.case_at] = self._known_fields(code)
        self._templates[position * self.n_codes + code] = template
        return template

    def _before_first_template(self, day: str) -> list:
        template = list(self.compiled.evaluate({}, day))
        if len(self._before_first) >= MEMO_LIMIT:
            self._before_first.clear()
        self._before_first[day] = template
        return template


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
                         "determinations"}, "keys")
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
              "evidence", "disclaimer", "outcomes", "index"}
    for entry in revisions:
        expect(type(entry) is dict and set(entry) == fields, "a revision's keys")
        expect({type(entry[k]) for k in ("id", "version", "approved", "effective_from",
                                          "effective_from_basis")} == {str},
               "a revision's identity")
        rules, outcomes, index = entry["rules"], entry["outcomes"], entry["index"]
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
