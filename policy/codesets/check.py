"""Reading one diagnosis or procedure code on a date of service: its form, its system, and
whether it is valid that day.

A code is written with or without its dot, in any letter case: `C18.7` = `c187`, `154.1` =
`1541`. Diagnosis codes are ICD-9-CM for services before 2015-10-01 and ICD-10-CM on and after
(`system_of`); a code is valid on a day when it is billable in the release in force that day
(`icd10cm`, `icd9cm`). Procedure codes are CPT (five digits, or four and F, T or U) or HCPCS
Level II (a letter A-V and four digits); no package carries the CPT code set (it is the AMA's), so
only their form is checked here; a policy's crosswalk dates the codes it governs.

    >>> normalise(" c18.7 ", "diagnosis"), normalise("154.1", "diagnosis")
    ('C187', '1541')
    >>> shown_code("C187", "ICD-10-CM"), shown_code("E8490", "ICD-9-CM")
    ('C18.7', 'E849.0')
    >>> system_of("diagnosis", "2015-09-30"), system_of("diagnosis", "2015-10-01")
    ('ICD-9-CM', 'ICD-10-CM')
"""

from __future__ import annotations

from ..core.cases import EMPTY_VALUE_HINT
from ..core.errors import Problem
from ..core.escaping import shown
from ..core.memo import BoundedMemo
from ..core.record import Record
from .status import Status

ICD10_FROM = "2015-10-01"
ICD9, ICD10, CPT, HCPCS = "ICD-9-CM", "ICD-10-CM", "CPT", "HCPCS"
FIELDS = ("diagnosis", "procedure")
MAX_CODE = 12  # longer text is no code of any system here (ICD-10-CM has at most 8 with the dot)
FORMS = {
    "diagnosis": "ICD-10-CM codes are a letter, a digit, a letter or digit and up to four more "
                 "(C18.7); ICD-9-CM codes are three to five digits (154.1), V and two to four "
                 "digits (V10.06), or E and three or four digits (E849.0)",
    "procedure": "CPT codes are five digits (99213) or four digits and F, T or U (0735T); "
                 "HCPCS codes a letter A-V and four digits (G0101); modifiers are left out",
}
PROCEDURE_BASIS = "form only: no CPT or HCPCS code set is shipped (CPT is the AMA's)"


class CodeReading(Record):
    """One code of a case read on its day.

    `code`: the code as its system writes it (`C18.7`), or as given when it is not a code;
    `given`: as the case gave it; `field`: diagnosis or procedure; `system`: ICD-9-CM,
    ICD-10-CM, CPT or HCPCS (None when the form fits none); `valid`: reportable on the day;
    `problem`: the error code when not (CODE_MALFORMED, CODE_UNKNOWN, CODE_WRONG_SYSTEM,
    CODE_NOT_VALID_ON_DATE) and `why`, one line naming the code, the day and the reason;
    `release` and `exact`: the release read and whether it is the one in force that day;
    `basis`: how the day was checked, in words; `names`: what the code names in a policy's
    crosswalk ({field: value}), filled in by `resolve.resolve_codes`."""

    __slots__ = ()
    code: str
    given: str
    field: str
    system: str | None
    day: str
    valid: bool
    problem: str | None
    why: str | None
    release: str | None
    exact: bool
    basis: str
    names: dict[str, object] | None = None

    def as_json(self) -> dict[str, object]:
        """The `codes` item of `evaluate --json`: code, field, system, valid, names (and why,
        the release read and how the day was checked)."""
        return {"code": self.code, "field": self.field, "system": self.system,
                "valid": self.valid, "names": self.names, "why": self.why,
                "release": self.release, "exact": self.exact, "basis": self.basis}


def normalise(text: str, field: str) -> str:
    """Upper case, surrounding spaces and the dot removed (the dot's place is `dot_place`'s)."""
    return text.strip().upper().replace(".", "", 1)


def dot_place(text: str) -> int | None:
    """Where the dot of a code stands (characters before it), None without one."""
    stripped = text.strip()
    return stripped.index(".") if "." in stripped else None


def shown_code(code: str, system: str | None) -> str:
    """A normalised code written as its system writes it: the dot after the category (three
    characters; four for ICD-9-CM E codes)."""
    if system not in (ICD9, ICD10):
        return code
    at = 4 if system == ICD9 and code.startswith("E") else 3
    return code if len(code) <= at else f"{code[:at]}.{code[at:]}"


def system_of(field: str, day: str) -> str:
    """The diagnosis code system of a day (ICD-10-CM from 2015-10-01); procedure codes: CPT."""
    if field == "procedure":
        return CPT
    return ICD10 if day >= ICD10_FROM else ICD9


def _fits(code: str, system: str, dot: int | None) -> bool:
    """Whether a normalised code has the form of `system` (with its dot, if given, in place)."""
    if system == ICD10:
        return (3 <= len(code) <= 7 and code[0].isalpha() and code[1].isdigit()
                and code.isalnum() and code.isascii() and dot in (None, 3) and
                (dot is None or len(code) > 3))
    if system == ICD9:
        if code[:1] == "E":
            return (4 <= len(code) <= 5 and code[1:].isdigit() and code.isascii()
                    and dot in (None, 4) and (dot is None or len(code) > 4))
        digits = code[1:] if code[:1] == "V" else code
        shortest = 2 if code[:1] == "V" else 3
        return (shortest <= len(digits) <= shortest + 2 and digits.isdigit() and code.isascii()
                and dot in (None, 3) and (dot is None or len(code) > 3))
    if dot is not None or len(code) != 5 or not code.isascii() or not code.isalnum():
        return False
    if system == CPT:
        return code.isdigit() or (code[:4].isdigit() and code[4] in "FTU")
    return code[0] in "ABCDEFGHIJKLMNOPQRSTUV" and code[1:].isdigit()  # HCPCS Level II


def _status(code: str, system: str, day: str) -> Status:
    from . import icd9cm, icd10cm

    return (icd10cm if system == ICD10 else icd9cm).status(code, day)


def _spans_text(spans: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{first} to {last}" if first != "0001-01-01" else f"until {last}"
                     for first, last in spans)


_MEMO: BoundedMemo[CodeReading] = BoundedMemo(100_000, max_key_chars=MAX_CODE + 16)


def read_code(text: object, field: str, day: str) -> CodeReading:
    """Read one code of `field` (diagnosis or procedure) on `day` (YYYY-MM-DD, checked).

    Claim files repeat a few thousand codes and days: each (text, field, day) is read once and
    remembered (`memo.BoundedMemo`: bounded, shared by threads; a reading is immutable)."""
    if not isinstance(text, str):
        return _read_code(text, field, day)
    return _MEMO.get((text, field, day), text, lambda: _read_code(text, field, day))


def _read_code(text: object, field: str, day: str) -> CodeReading:
    if field not in FIELDS:
        raise ValueError(f"codes are read for {' or '.join(FIELDS)}, not {field!r}")
    given = text if isinstance(text, str) else str(text)
    if not isinstance(text, str) or not text.strip() or len(given) > MAX_CODE:
        return _malformed(given, field, day)
    code, dot = normalise(given, field), dot_place(given)
    if field == "procedure":
        for system in (CPT, HCPCS):
            if _fits(code, system, dot):
                return CodeReading(code, given, field, system, day, True, None, None, None,
                                   False, PROCEDURE_BASIS)
        return _malformed(given, field, day)
    expected = system_of(field, day)
    other = ICD9 if expected == ICD10 else ICD10
    if _fits(code, expected, dot):
        found = _status(code, expected, day)
        if found.billable:
            return CodeReading(shown_code(code, expected), given, field, expected, day, True,
                               None, None, found.release, found.exact, found.basis)
        if found.exists or found.known:
            return _not_valid(code, given, field, expected, found)
    if _fits(code, other, dot) and _in_other(code, other):
        shown_as = shown_code(code, other)
        why = (f"{shown_as} is an {other} code, but diagnosis codes on {day} are {expected} "
               f"({ICD10} from {ICD10_FROM} on, {ICD9} before)")
        return CodeReading(shown_as, given, field, other, day, False, "CODE_WRONG_SYSTEM", why,
                           None, False, "")
    if not _fits(code, expected, dot) and not _fits(code, other, dot):
        return _malformed(given, field, day)
    checked = _status(code, expected, day) if _fits(code, expected, dot) else None
    basis = checked.basis if checked is not None else ""
    why = (f"{shown(given)} is not a code of {expected}, the diagnosis code system on {day}"
           + (f" (checked against {basis})" if basis else "") + f", nor of {other}")
    return CodeReading(given.strip(), given, field, expected, day, False, "CODE_UNKNOWN", why,
                       checked.release if checked else None, bool(checked and checked.exact),
                       basis)


def _in_other(code: str, system: str) -> bool:
    from . import icd9cm, icd10cm

    if system == ICD9:
        return icd9cm.exists(code)
    return icd10cm.status(code, icd10cm.LAST_DAY).known


def _not_valid(code: str, given: str, field: str, system: str, found: Status) -> CodeReading:
    shown_as = shown_code(code, system)
    where = f"in {system} ({found.basis})"
    if found.exists and found.below is not None:
        why = (f"{shown_as} is not billable on {found.day}: a header {where}; report a code "
               f"below it, such as {shown_code(found.below, system)}")
    else:
        why = f"{shown_as} is not a code on {found.day} {where}"
    if found.billable_spans:
        spans = _spans_text(found.billable_spans)
        why += f"; in the releases shipped, {shown_as} is billable {spans}"
    return CodeReading(shown_as, given, field, system, found.day, False,
                       "CODE_NOT_VALID_ON_DATE", why, found.release, found.exact, found.basis)


def _malformed(given: str, field: str, day: str) -> CodeReading:
    why = f"{shown(given)} is not a {field} code (on {day}): {FORMS[field]}"
    if not given.strip():
        why += EMPTY_VALUE_HINT
    return CodeReading(given.strip()[:MAX_CODE], given, field, None, day, False,
                       "CODE_MALFORMED", why, None, False, "")


def split_codes(value: object) -> list[object]:
    """A field's codes: a list as given, or a string of codes separated by commas (`C20,Z85.048`;
    spaces around a comma are allowed). Empty items are kept, to be reported."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    return [value]


def read_codes(case_codes: dict[str, object], day: str) -> tuple[CodeReading, ...]:
    """Every code of a case's `diagnosis` and `procedure` fields (absent or None: no codes),
    read on `day`, in the order given."""
    readings = []
    for field in FIELDS:
        value = case_codes.get(field)
        if value is None:
            continue
        readings += [read_code(code, field, day) for code in split_codes(value)]
    return tuple(readings)


def invalid_problems(readings: tuple[CodeReading, ...], place: str = "case") -> list[Problem]:
    """A Problem for each invalid reading (file = `place`, no position)."""
    return [Problem(place, 0, 0, reading.problem or "CODE_UNKNOWN", reading.why or "")
            for reading in readings if not reading.valid]


def raise_if_invalid(readings: tuple[CodeReading, ...], place: str = "case") -> None:
    """InvalidCodeError listing every invalid reading, or nothing."""
    from ..core.errors import InvalidCodeError

    problems = invalid_problems(readings, place)
    if problems:
        raise InvalidCodeError(problems)
