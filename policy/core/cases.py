"""Checking a case: `FIELD=VALUE` words or a mapping (a YAML or JSON case file is read by
`policy.load.case_files`), and the day to decide it on.

The closed vocabulary comes from the compiled tables, which validation has checked against
`schemas/case.schema.json`, so the fast path needs neither jsonschema nor the schema file.
Every problem names the field, and for a file the line and column.
"""

from __future__ import annotations

from .dates import check_date
from .errors import AsOfError, DataError, Problem
from .escaping import lone_surrogate, shown
from .value_text import value_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:  # (collections.abc is not loaded on a warm `policy evaluate`)
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from .partial_cases import Columns

    Where = Callable[..., tuple[int, int]]  # (path, key=...) -> (line, col) of a case file

WORDS = "<command line>"
AS_OF = "as_of"  # what a problem of the as-of date names as its place (an AsOfError's)
NO_DATE_MESSAGE = "no date: the case has no service_date and no as-of date is given"
# an empty string in a JSON case, an Arrow column or a command-line word (`FIELD=`) is a
# value, refused with this hint; only an empty CSV cell is read as unknown, before this check
EMPTY_VALUE_HINT = ("; an empty string is not unknown: leave the field out (null in a table) for "
                    "an unknown value")
TEXT_FIELDS = ("case_id",)
DATE_FIELDS = ("service_date",)
# diagnosis and procedure codes: one code or several (a string of codes separated by commas, or a
# list of strings); read on the date of service by `policy.codesets` (docs/codes.md)
CODE_FIELDS = ("diagnosis", "procedure")


def suggest(word: str, choices: Iterable[object]) -> str:
    """A hint for a value or name that is not allowed: the same word in another letter case first
    (`AB1x` -> `Ab1x`, not `Ab1`), then the same word without surrounding spaces, then the closest
    spelling."""
    import difflib  # only on the error path

    word = str(word)[:100]  # a huge word is compared no further than its start
    names = [str(c) for c in choices]
    stripped = word.strip()
    for candidate in (word, stripped):
        exact = [c for c in names if c.casefold() == candidate.casefold()]
        if exact:
            hint = f"; did you mean '{exact[0]}'?"
            if candidate != word:
                hint += " Names and values are exact: a space after the comma is part of the cell"
            return hint
    folded = {c.casefold(): c for c in names}
    close = difflib.get_close_matches(stripped.casefold(), list(folded), n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{folded[close[0]]}'?"
    prefix = stripped.casefold()[:3]
    close = [c for c in names if prefix and c.casefold().startswith(prefix)][:1]
    return f"; did you mean '{close[0]}'?" if close else ""


def delimiter_hint(name: str, fields: Sequence[str]) -> str:
    """For a CSV header cell that is several field names joined by another delimiter."""
    for delimiter in (";", "\t", "|"):
        parts = [part.strip() for part in name.split(delimiter)]
        if len(parts) > 1 and any(part in fields for part in parts):
            shown = "a tab" if delimiter == "\t" else f"'{delimiter}'"
            return (f"; the delimiter looks wrong: the header separates names with {shown}, "
                    "and a CSV separates cells with commas")
    return ""


def case_fields(columns: Columns) -> list[str]:
    """Every field a case may have, in the order messages list them."""
    return [*TEXT_FIELDS, *DATE_FIELDS, *(name for name, _ in columns), *CODE_FIELDS]


def unknown_field(name: str, fields: Sequence[str], hint: str = "") -> str:
    """The UNKNOWN_FIELD message for a case key or column name `name`; `hint` replaces the
    spelling suggestion (a CSV header's delimiter hint)."""
    return (f"unknown field {shown(name)}; fields: {', '.join(fields)}"
            + (hint or suggest(name, fields)))


def as_of_day(as_of: object) -> str:
    """The one check of an as-of date: a `YYYY-MM-DD` string or a `datetime.date` (not a
    datetime), as that string; else AsOfError (DATE_INVALID) naming `as_of`."""
    if not isinstance(as_of, str):
        from datetime import date, datetime  # (a caller with a date object has loaded it)

        if isinstance(as_of, date) and not isinstance(as_of, datetime):
            return as_of.isoformat()
    try:
        check_date(as_of)
    except ValueError as exc:
        raise AsOfError(Problem(AS_OF, 0, 0, "DATE_INVALID", str(exc))) from None
    return as_of  # type: ignore[return-value]  # check_date accepts only str


def day_of(case: Mapping[str, object], as_of: object) -> str:
    """The day to decide a checked case on: `as_of` (see `as_of_day`), else the case's
    service_date; AsOfError (NO_DATE) when there is neither."""
    if as_of is not None:
        return as_of_day(as_of)
    day = case.get("service_date")
    if day is None:
        raise AsOfError(Problem(AS_OF, 0, 0, "NO_DATE", NO_DATE_MESSAGE))
    return day  # type: ignore[return-value]  # check_case has checked it


def check_case(case: Mapping[str, object], columns: Columns, *,
               where: Where | None = None, file: str = "case") -> dict[str, object]:
    """Return a clean case dict or raise DataError listing every bad field.

    `columns` is the compiled policy's ((name, values), ...); `where(path, key=...)` gives
    (line, col) for a file, and `file` names the input in messages.
    """
    if type(case) is not dict:  # (a dict is a Mapping: no collections.abc needed to say so)
        from collections.abc import Mapping

        if not isinstance(case, Mapping):
            raise TypeError(f"a case is a mapping of fields, e.g. {{'field': 'value'}}; "
                            f"not {type(case).__name__}")
    vocabulary = dict(columns)
    fields = case_fields(columns)
    problems: list[Problem] = []
    clean: dict[str, object] = {}

    def problem(name: str, code: str, message: str, key: bool = False) -> None:
        if where is None:  # command-line words: the word itself names the place
            value = case[name]
            label = (f"{shown(name)[1:-1]}={shown(value_text(value))[1:-1]}" if file == WORDS
                     else file)
            problems.append(Problem(label, 0, 0, code, message))
        else:
            line, col = where((name,), key=key)
            problems.append(Problem(file, line, col, code, message))

    for name, value in case.items():
        if name not in fields:
            problem(name, "UNKNOWN_FIELD", unknown_field(name, fields), key=True)
        elif value is None:
            continue  # an explicit null is the same as omitting the field: unknown
        elif name in TEXT_FIELDS:
            if not isinstance(value, str):
                problem(name, "WRONG_TYPE", f"{name} must be a string, not {shown(value)}")
            elif lone_surrogate(value) is not None:
                problem(name, "ENCODING", f"{name} holds a lone surrogate, which is not a "
                                          f"character: {shown(value)}")
            else:
                clean[name] = value
        elif name in CODE_FIELDS:
            codes = code_texts(value)
            if codes is None:
                problem(name, "WRONG_TYPE", f"{name} must be a string of codes separated by "
                                            f"commas or a list of strings, not {shown(value)} "
                                            "(quote a code that looks like a number: '154.1')")
            elif any(lone_surrogate(code) is not None for code in codes):
                problem(name, "ENCODING", f"{name} holds a lone surrogate, which is not a "
                                          f"character: {shown(value)}")
            elif codes:
                clean[name] = codes
        elif name in DATE_FIELDS:
            try:
                check_date(value)
                clean[name] = value
            except ValueError as exc:
                problem(name, "DATE_INVALID", f"{name}: {exc}")
        else:
            allowed = vocabulary[name]
            if isinstance(allowed[0], bool) and value in ("true", "false"):
                problem(name, "WRONG_TYPE", f"{name} is the string {shown(value)} where a "
                                            f"boolean is required: write {value} without quotes")
            elif isinstance(value, bool) != isinstance(allowed[0], bool) or value not in allowed:
                problem(name, "UNKNOWN_VALUE",
                        f"{name} cannot be {shown(value)}; allowed: "
                        f"{', '.join(map(value_text, allowed))}"
                        + (EMPTY_VALUE_HINT if value == "" else
                           suggest(value_text(value), map(value_text, allowed))))
            else:
                clean[name] = value
    if problems:
        raise DataError(problems)
    return clean


def code_texts(value: object) -> tuple[str, ...] | None:
    """The codes of a `diagnosis` or `procedure` value, as given: a string split at its commas
    (spaces around a code dropped; an empty item kept, for the code check to report), a list or
    tuple of strings as it is; None for anything else (a number, a mapping, a list holding one).
    An empty list gives no codes."""
    if type(value) is str:
        return tuple(part.strip() for part in value.split(","))
    if isinstance(value, (list, tuple)) and all(type(code) is str for code in value):
        return tuple(value)
    return None


def parse_words(words: Sequence[str], columns: Columns) -> dict[str, object]:
    """`field=value flag=true` -> a raw case mapping (typed for booleans). A word without `=`
    is a ValueError (the command line checks its words first, see `is_field_word`)."""
    booleans = {name for name, values in columns if isinstance(values[0], bool)}
    case: dict[str, object] = {}
    given: dict[str, str] = {}
    problems = []
    for word in words:
        if not is_field_word(word):
            raise ValueError(f"{shown(word)} is not FIELD=VALUE")
        name, _, value = word.partition("=")
        if name in given:  # never silently let the last word win: the first may be the right one
            problems.append(Problem(word, 0, 0, "DUPLICATE_KEY",
                                    f"field '{name}' is given twice ({given[name]} and {word})"))
            continue
        given[name] = word
        case[name] = {"true": True, "false": False}.get(value, value) if name in booleans else value
    if problems:
        raise DataError(problems)
    return case


def is_field_word(word: str) -> bool:
    """A `FIELD=VALUE` word: a name, `=`, and a value (which may be empty)."""
    name, sep, _ = word.partition("=")
    return bool(sep and name)
