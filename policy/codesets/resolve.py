"""What a case's codes decide, by a policy's crosswalk: the one rule, as a pure function.

- Diagnosis codes that name one value of the crosswalk's field set it; a value the case gives
  that differs is a contradiction (CODE_CONTRADICTS_CASE: the case is invalid).
- Codes naming different values, or none, leave the field as the case gives it: unknown when it
  gives none (never a value such as "none": unknown is what the engine's `needs` ask for). When
  they name several, a value the case gives must be one of them.
- Procedure codes given, none of them the governed service on the day: `not_applicable`.
- Invalid codes (`check.read_code`) make the case invalid, each with its own problem.

The result says, for every code, what it named (`CodeReading.names`), for explanations.
"""

from __future__ import annotations

from ..errors import Problem
from ..escaping import shown
from ..record import Record
from .check import CodeReading, normalise
from .crosswalk import Crosswalk, Entry

NAMED_ONE, NAMED_SEVERAL, NAMED_NONE = "one", "several", "none"


class CodeResolution(Record):
    """`readings`: every code, with `names` filled in; `field`: the input diagnosis codes name
    (None without a crosswalk); `value`: the value the case is decided with (the codes' one
    value, else the case's own, else None: unknown); `named`: ((value, (code, ...)), ...) in the
    order first named; `naming`: one, several or none (how many values the codes named);
    `not_applicable`: procedure codes were given and none is the governed service (None when no
    procedure code was given, or the policy has no crosswalk); `governed`: the codes that are;
    `problems`: why the case is invalid ([] when it is not)."""

    __slots__ = ()
    readings: tuple[CodeReading, ...]
    field: str | None
    value: object
    named: tuple[tuple[object, tuple[str, ...]], ...]
    naming: str
    not_applicable: bool | None
    governed: tuple[str, ...]
    problems: tuple[Problem, ...]

    def raise_if_invalid(self) -> None:
        from ..errors import InvalidCodeError

        if self.problems:
            raise InvalidCodeError(list(self.problems))


def _key(reading: CodeReading) -> str:
    return normalise(reading.code, reading.field)


def _entries_covering(entries: tuple[Entry, ...], reading: CodeReading) -> list[Entry]:
    code = _key(reading)
    return [e for e in entries if e.system == reading.system
            and any(item.covers(code) for item in e.items)]


def resolve_codes(readings: tuple[CodeReading, ...], crosswalk: Crosswalk | None,
                  case_value: object = None, place: str = "case") -> CodeResolution:
    """Apply the rule to a case's code readings (all read on the case's day), the policy's
    crosswalk (None: it has none) and the value the case itself gives the crosswalk's field
    (None: not given). `place` names the case in problems."""
    problems = [Problem(place, 0, 0, r.problem or "CODE_UNKNOWN", r.why or "")
                for r in readings if not r.valid]
    resolved: list[CodeReading] = []
    named: dict[object, list[str]] = {}
    governed: list[str] = []
    procedures = 0
    field = crosswalk.field if crosswalk is not None else None
    for reading in readings:
        if not reading.valid or crosswalk is None:
            resolved.append(reading)
            continue
        covering = _entries_covering(crosswalk.entries, reading)
        applying = [e for e in covering if e.valid_from <= reading.day <= e.valid_to]
        if reading.field == "diagnosis":
            naming_entries = [e for e in applying if e.kind == "names"]
            names = {e.field: e.value for e in naming_entries[:1] if e.field is not None} or None
            if names is not None:
                named.setdefault(naming_entries[0].value, []).append(reading.code)
            resolved.append(reading._replace(names=names))
            continue
        procedures += 1
        if covering and not applying:
            windows = ", ".join(f"{e.valid_from} to {e.valid_to}" for e in covering)
            why = (f"{reading.code} is not a code on {reading.day}: the policy's crosswalk "
                   f"dates it {windows}")
            reading = reading._replace(valid=False, problem="CODE_NOT_VALID_ON_DATE", why=why)
            problems.append(Problem(place, 0, 0, "CODE_NOT_VALID_ON_DATE", why))
        elif any(e.kind == "governed" for e in applying):
            governed.append(reading.code)
        resolved.append(reading)
    values = list(named)
    naming = NAMED_ONE if len(values) == 1 else NAMED_SEVERAL if values else NAMED_NONE
    value = values[0] if naming == NAMED_ONE else case_value
    if case_value is not None and values and case_value not in values:
        said = "; ".join(f"{', '.join(codes)} name{'s' if len(codes) == 1 else ''} "
                         f"{field}={v}" for v, codes in named.items())
        problems.append(Problem(place, 0, 0, "CODE_CONTRADICTS_CASE",
                                f"the case gives {field}={shown(case_value)[1:-1]}, but its "
                                f"diagnosis codes say otherwise: {said}"))
    not_applicable = None if crosswalk is None or procedures == 0 else not governed
    return CodeResolution(tuple(resolved), field, value,
                          tuple((v, tuple(codes)) for v, codes in named.items()), naming,
                          not_applicable, tuple(governed), tuple(problems))
