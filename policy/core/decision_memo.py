"""The per-case API's memo of decisions (`Policy.evaluate`'s fast path).

Each (revision, partial case) is decided once by `CompiledPolicy.evaluate` and its Decision kept;
a call fills in only `as_of` and `case_id` (and, before the first revision, `case`).
"""

from __future__ import annotations

from . import partial_cases
from .compiled import CompiledPolicy
from .dates import check_date
from .decision import Decision, ReadOnlyDict
from .escaping import lone_surrogate
from .timeline import revision_in_force

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (core/__init__)
if TYPE_CHECKING:
    from collections.abc import Mapping


MEMO_LIMIT = 100_000  # distinct days remembered; an input of endless distinct dates starts afresh


class DecisionMemo:
    """The per-case API's fast path: each (revision, partial case) decided once, its Decision
    kept, and each call fills in only `as_of` and `case_id` (and before the first revision `case`).

    `decide` accepts only what `cases.check_case` accepts and decides it as
    `CompiledPolicy.evaluate` does (the templates are that function's answers); anything else
    (an unknown field or value, a value the revision in force does not know (a later revision
    introduces it), an unknown field even when its value is None, a case_id that
    UTF-8 cannot carry (a lone surrogate), a bad or missing date, a value of another type, even a
    str subclass, or a case that is not a plain dict) gets None, and the caller takes the full path,
    which gives the error. So every field is still checked on every call.

    Thread safety: the memos only ever map a key to a value computed from immutable inputs
    (dict get and set are atomic), and the shared parts of a Decision are tuples and
    `ReadOnlyDict`s; two threads may build the same template, and either result is right.
    """

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        weights = partial_cases.weights(compiled.columns)
        self.n_codes = partial_cases.count(compiled.columns)
        # every column unknown; a known value adds its offset from unknown to the code
        self.all_unknown = partial_cases.encode(compiled.columns, {})
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
            decided = self._templates.get(key) or self._template(position, code)
            if decided is None:  # a value the revision does not know: the full path says so
                return None
            values = decided.copy()
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
            known = partial_cases.decode(self.compiled.columns, code)
            found = self._known[code] = ReadOnlyDict(known)
        return found

    def _template(self, position: int, code: int) -> list | None:
        compiled_revision = self.compiled.revisions[position]
        known = self._known_fields(code)
        if compiled_revision.unknown and not all(compiled_revision.knows(name, value)
                                                 for name, value in known.items()):
            return None  # (never kept: the case is invalid under this revision)
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
