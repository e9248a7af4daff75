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
from .check import read_codes
from .crosswalk import Crosswalk
from .resolve import NAMED_NONE, NAMED_ONE, CodeResolution, resolve_codes

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
    return [ReadOnlyDict({**r.as_json(), "names": ReadOnlyDict(r.names)
                          if r.names is not None else None,
                          "governed": (r.code in governed if r.field == "procedure"
                                       and has_crosswalk else None),
                          # what the crosswalk says is the project's reading, not the source's
                          "crosswalk": PROJECT_READING if has_crosswalk and r.valid else None})
            for r in resolution.readings]


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


def cell_codes(compiled: CompiledPolicy, codes: Mapping[str, object], day: str,
               decided_on: str | None, site: object) -> tuple[object, str | None, bool, str,
                                                             str | None, str | None]:
    """What one row of Arrow data's codes decide (`columnar.column_codes`), as
    `evaluate_with_codes` decides a case: (the value they name or None, the row's problems as
    "CODE: message; ..." or None, not_applicable, the `codes` list as JSON text, the sentence
    the explanation adds or None, the explanation of a not_applicable row or None). `day`: the
    date of service; `decided_on`: the day the row is decided on; `site`: the value the row
    gives the crosswalk's field (None: none)."""
    import json

    readings = read_codes(dict(codes), day)
    crosswalk = crosswalk_of(compiled)
    resolution = resolve_codes(readings, crosswalk, site if crosswalk is not None else None)
    if resolution.problems:
        return (None, "; ".join(f"{p.code}: {p.message}"  # in DataError's order
                                for p in sorted(resolution.problems)), False, "[]", None, None)
    items = code_items(resolution, crosswalk is not None)
    text = json.dumps([dict(item, names=dict(item["names"]) if item["names"] else None)
                       for item in items], ensure_ascii=False, separators=(",", ":"))
    value = resolution.value if resolution.naming == NAMED_ONE else None
    explanation = None
    if resolution.not_applicable and decided_on is not None:
        decided = compiled.evaluate({}, decided_on)
        if decided.revision is not None:
            procedures = [r.code for r in resolution.readings if r.field == "procedure"]
            explanation = compiled.not_applicable(decided, procedures).explanation
    return (value, None, explanation is not None, text, what_codes_named(resolution) or None,
            explanation)
