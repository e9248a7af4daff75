"""Deciding a checked case that has diagnosis or procedure codes: the codes are read on the date
of service (`check`), resolved by the policy's crosswalk (`resolve`), and the case is decided
with what they name.

The date of service is the case's `service_date`, else the day the case is decided on (its
as-of date). A code that cannot be read on that day makes the case invalid (InvalidCodeError,
one problem per code: the code, the day and why). Codes naming one value of the crosswalk's
field set it; procedure codes given, none of them the governed service, make the decision
`not_applicable` (unless no revision is in force that day). The decision lists every code as
read (`Decision.codes`) and its explanation says what the diagnosis codes named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..core.cases import CODE_FIELDS, day_of
from ..core.compiled import CompiledPolicy
from ..core.decision import NO_POLICY, Decision, ReadOnlyDict
from ..core.errors import InvalidCodeError, Problem
from ..core.record import Record
from .check import CodeReading, read_code, read_codes
from .crosswalk import Crosswalk
from .resolve import (
    NAMED_NONE,
    NAMED_ONE,
    CodeResolution,
    ResolvedCode,
    combine,
    problem_of,
    resolve_code,
    resolve_codes,
)

PROJECT_READING = "project_reading"  # the provenance of every crosswalk entry (codes.yml)
# where a field of the case was given: (file, line, col) for problems (line 0: no position)
Locate = Callable[[str], tuple[str, int, int]]

# The crosswalk object of the last few compiled policies, by the identity of their plain form:
# replaced whole, never edited in place, so threads share it safely (a race builds one twice).
_CROSSWALKS: dict[int, tuple[object, Crosswalk]] = {}
_CROSSWALKS_LIMIT = 8


def crosswalk_of(compiled: CompiledPolicy) -> Crosswalk | None:
    """The policy's crosswalk of codes (built from its compiled plain form once), or None."""
    global _CROSSWALKS
    plain = compiled.crosswalk
    if plain is None:
        return None
    found = _CROSSWALKS.get(id(plain))
    if found is not None and found[0] is plain:
        return found[1]
    crosswalk = Crosswalk.from_json(plain)
    kept = list(_CROSSWALKS.items())[-(_CROSSWALKS_LIMIT - 1):]
    _CROSSWALKS = {**dict(kept), id(plain): (plain, crosswalk)}
    return crosswalk


def has_codes(case: Mapping[str, object]) -> bool:
    """Whether a checked case gives diagnosis or procedure codes."""
    return any(case.get(field) is not None for field in CODE_FIELDS)


def _nowhere(field: str) -> tuple[str, int, int]:
    return ("case", 0, 0)


def evaluate_with_codes(compiled: CompiledPolicy, case: Mapping[str, object], as_of: object,
                        *, locate: Locate | None = None) -> Decision:
    """Decide a case that `cases.check_case` has checked and that has codes (see the module);
    `locate(field)` places a code's problem (default: "case", no position)."""
    locate = locate or _nowhere
    day = day_of(case, as_of)
    service_day = case.get("service_date") or day
    assert isinstance(service_day, str)
    readings = read_codes({field: case.get(field) for field in CODE_FIELDS}, service_day)
    crosswalk = crosswalk_of(compiled)
    field = crosswalk.field if crosswalk is not None else None
    resolution = resolve_codes(readings, crosswalk, case.get(field) if field else None)
    if resolution.problems:
        raise InvalidCodeError(_located(resolution, locate))
    decided_case = {name: value for name, value in case.items() if name not in CODE_FIELDS}
    if field is not None and resolution.naming == NAMED_ONE:
        decided_case[field] = resolution.value
    decision = compiled.evaluate(decided_case, day, locate=locate)
    if resolution.not_applicable and decision.determination != NO_POLICY:
        decision = compiled.not_applicable(
            decision, [r.code for r in resolution.readings if r.field == "procedure"])
    codes = tuple(code_items(resolution, crosswalk is not None))
    said = what_codes_named(resolution)
    explanation = f"{decision.explanation} {said}" if said else decision.explanation
    return decision._replace(codes=codes, explanation=explanation)


def _located(resolution: CodeResolution, locate: Locate) -> list[Problem]:
    """The resolution's problems, each placed where its field was given."""
    problems = []
    by_message = {r.why: r.field for r in resolution.readings if not r.valid}
    for problem in resolution.problems:
        field = by_message.get(problem.message, resolution.field or "diagnosis")
        problems.append(Problem(*locate(field), problem.code, problem.message))
    return problems


def code_items(resolution: CodeResolution, has_crosswalk: bool) -> list[ReadOnlyDict]:
    """The `codes` items of a decision: each code as read, what it named, whether governed."""
    governed = set(resolution.governed)
    return [code_item(r, r.code in governed, has_crosswalk) for r in resolution.readings]


def code_item(reading: CodeReading, governed: bool, has_crosswalk: bool) -> ReadOnlyDict:
    """One `codes` item: the code as read, what it named, whether it is the governed service
    (procedure codes of a policy with a crosswalk; None otherwise)."""
    return ReadOnlyDict({**reading.as_json(), "names": ReadOnlyDict(reading.names)
                         if reading.names is not None else None,
                         "governed": (governed if reading.field == "procedure"
                                      and has_crosswalk else None),
                         # what the crosswalk says is the project's reading, not the source's
                         "crosswalk": PROJECT_READING if has_crosswalk and reading.valid
                         else None})


def item_json(item: ReadOnlyDict) -> str:
    """A `codes` item as the JSON text of the columnar `codes` column (a row's list is its
    items' texts joined by commas in brackets)."""
    import json

    return json.dumps(dict(item, names=dict(item["names"]) if item["names"] else None),
                      ensure_ascii=False, separators=(",", ":"))


def what_codes_named(resolution: CodeResolution) -> str:
    """One sentence: what the diagnosis codes named (nothing when there are none)."""
    diagnoses = [r for r in resolution.readings if r.field == "diagnosis"]
    if not diagnoses or resolution.field is None:
        return ""
    field = resolution.field
    silent = [r.code for r in diagnoses if r.names is None]
    quiet = (f"; {', '.join(silent)} name{'s' if len(silent) == 1 else ''} nothing"
             if silent else "")
    if resolution.naming == NAMED_NONE:
        return (f"No diagnosis code names a {field} ({', '.join(silent)}), so it is left "
                "unknown.")
    said = "; ".join(f"{', '.join(codes)} name{'s' if len(codes) == 1 else ''} {field}={value}"
                     for value, codes in resolution.named)
    if resolution.naming == NAMED_ONE:
        return (f"The diagnosis codes give {field} (by the policy's crosswalk of codes, the "
                f"project's reading): {said}{quiet}.")
    return (f"The diagnosis codes name different values of {field} ({said}{quiet}), so they "
            "do not set it.")


class CellCode(Record):
    """One code of a row of Arrow data read on a day and resolved (`cell_code`): `valid`; its
    `problem` as (code, message) (None when valid); its `codes` item as JSON text; `code` as
    read; `said`: what identifies it in the explanation's sentence (a valid diagnosis code: the
    code and what it names; else None); `governed` and `counted` (`resolve.ResolvedCode`);
    `resolved`, for `cell_diagnoses`."""

    __slots__ = ()
    valid: bool
    problem: tuple[str, str] | None
    item: str
    code: str
    said: str | None
    governed: bool
    counted: bool
    resolved: ResolvedCode


def cell_code(compiled: CompiledPolicy, text: str, field: str, day: str) -> CellCode:
    """One code of a row's `field` (as given, spaces around it allowed) read on `day` (checked)
    and resolved by the policy's crosswalk, as `evaluate_with_codes` reads each code of a case
    (`columnar.column_codes` resolves each distinct code of a batch once)."""
    import json

    crosswalk = crosswalk_of(compiled)
    resolved = resolve_code(read_code(text.strip(), field, day), crosswalk)
    reading = resolved.reading
    said = (json.dumps([reading.code, reading.names], ensure_ascii=False, sort_keys=True)
            if reading.valid and field == "diagnosis" else None)
    problem = None if reading.valid else problem_of(reading)
    return CellCode(reading.valid, None if problem is None else (problem.code, problem.message),
                    item_json(code_item(reading, resolved.governed, crosswalk is not None)),
                    reading.code, said, resolved.governed, resolved.counted, resolved)


def cell_diagnoses(compiled: CompiledPolicy, codes: list[CellCode],
                   site: object) -> tuple[str | None, str | None, tuple[str, str] | None]:
    """What a row's valid diagnosis codes (`cell_code`, in order) decide with the value the row
    gives the crosswalk's field (`site`; None: none), by `resolve.combine` as for a case: (the
    one value they name or None, the sentence the explanation adds or None, the
    CODE_CONTRADICTS_CASE problem as (code, message) or None)."""
    crosswalk = crosswalk_of(compiled)
    resolution = combine([code.resolved for code in codes],
                         crosswalk.field if crosswalk is not None else None,
                         crosswalk is not None, site if crosswalk is not None else None)
    value = resolution.value if resolution.naming == NAMED_ONE else None
    first = resolution.problems[0] if resolution.problems else None
    contradiction = None if first is None else (first.code, first.message)
    return (value if isinstance(value, str) else None, what_codes_named(resolution) or None,
            contradiction)


def cell_not_applicable(compiled: CompiledPolicy, decided_on: str,
                        procedures: list[str]) -> str | None:
    """The explanation of a row whose procedure codes (as read) name no governed service,
    decided on `decided_on` (checked); None when no revision is in force that day (the row
    is decided as any other)."""
    decided = compiled.evaluate({}, decided_on)
    if decided.revision is None:
        return None
    return compiled.not_applicable(decided, procedures).explanation
