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

from ..core.errors import Problem
from ..core.escaping import shown
from ..core.record import Record
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
        from ..core.errors import InvalidCodeError

        if self.problems:
            raise InvalidCodeError(list(self.problems))


def _key(reading: CodeReading) -> str:
    return normalise(reading.code, reading.field)


def _entries_covering(entries: tuple[Entry, ...], reading: CodeReading) -> list[Entry]:
    code = _key(reading)
    return [e for e in entries if e.system == reading.system
            and any(item.covers(code) for item in e.items)]


class ResolvedCode(Record):
    """One code's part of the rule (`resolve_code`): its reading, with what it names filled in
    (a diagnosis code) or made invalid (a procedure code the crosswalk dates elsewhere);
    `governed`: a procedure code of the governed service on its day; `counted`: a procedure code
    that counts for not_applicable (read validly, the policy has a crosswalk)."""

    __slots__ = ()
    reading: CodeReading
    governed: bool
    counted: bool


def resolve_code(reading: CodeReading, crosswalk: Crosswalk | None) -> ResolvedCode:
    """What one code, read on its day, is by the policy's crosswalk (None: it has none). A
    code's part depends on the code and its day alone, so callers may resolve each distinct
    one once; `combine` decides a case's codes from their parts."""
    if not reading.valid or crosswalk is None:
        return ResolvedCode(reading, False, False)
    covering = _entries_covering(crosswalk.entries, reading)
    applying = [e for e in covering if e.valid_from <= reading.day <= e.valid_to]
    if reading.field == "diagnosis":
        naming_entries = [e for e in applying if e.kind == "names"]
        names = {e.field: e.value for e in naming_entries[:1] if e.field is not None} or None
        return ResolvedCode(reading._replace(names=names), False, False)
    if covering and not applying:
        windows = ", ".join(f"{e.valid_from} to {e.valid_to}" for e in covering)
        why = (f"{reading.code} is not a code on {reading.day}: the policy's crosswalk "
               f"dates it {windows}")
        return ResolvedCode(reading._replace(valid=False, problem="CODE_NOT_VALID_ON_DATE",
                                             why=why), False, True)
    return ResolvedCode(reading, any(e.kind == "governed" for e in applying), True)


def problem_of(reading: CodeReading, place: str = "case") -> Problem:
    """The problem an invalid reading makes."""
    return Problem(place, 0, 0, reading.problem or "CODE_UNKNOWN", reading.why or "")


def resolve_codes(readings: tuple[CodeReading, ...], crosswalk: Crosswalk | None,
                  case_value: object = None, place: str = "case") -> CodeResolution:
    """Apply the rule to a case's code readings (all read on the case's day), the policy's
    crosswalk (None: it has none) and the value the case itself gives the crosswalk's field
    (None: not given). `place` names the case in problems."""
    return combine([resolve_code(reading, crosswalk) for reading in readings],
                   crosswalk.field if crosswalk is not None else None, crosswalk is not None,
                   case_value, place)


def combine(codes: list[ResolvedCode], field: str | None, has_crosswalk: bool,
            case_value: object = None, place: str = "case") -> CodeResolution:
    """The rule over a case's codes, each resolved (`resolve_code`), in the order given;
    `field`: the crosswalk's field (None without a crosswalk)."""
    problems = [problem_of(code.reading, place) for code in codes if not code.reading.valid]
    named: dict[object, list[str]] = {}
    for code in codes:
        if code.reading.names is not None:
            named.setdefault(next(iter(code.reading.names.values())), []).append(
                code.reading.code)
    governed = [code.reading.code for code in codes if code.governed]
    procedures = sum(code.counted for code in codes)
    values = list(named)
    naming = NAMED_ONE if len(values) == 1 else NAMED_SEVERAL if values else NAMED_NONE
    value = values[0] if naming == NAMED_ONE else case_value
    if case_value is not None and values and case_value not in values:
        said = "; ".join(f"{', '.join(codes)} name{'s' if len(codes) == 1 else ''} "
                         f"{field}={v}" for v, codes in named.items())
        problems.append(Problem(place, 0, 0, "CODE_CONTRADICTS_CASE",
                                f"the case gives {field}={shown(case_value)[1:-1]}, but its "
                                f"diagnosis codes say otherwise: {said}"))
    not_applicable = None if not has_crosswalk or procedures == 0 else not governed
    return CodeResolution(tuple(code.reading for code in codes), field, value,
                          tuple((v, tuple(codes)) for v, codes in named.items()), naming,
                          not_applicable, tuple(governed), tuple(problems))
