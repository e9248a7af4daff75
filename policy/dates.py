"""Strict calendar dates: the ASCII form YYYY-MM-DD and nothing else.

`date.fromisoformat` alone is too lenient on Python 3.11 (it takes `20230101` and `2023-W01-1`), so
the shape is checked first, then the calendar.
"""

from __future__ import annotations

from datetime import date

EXAMPLE = "2023-10-01"


def _has_date_shape(text: str) -> bool:
    """[0-9]{4}-[0-9]{2}-[0-9]{2}, ASCII digits only (checked without `re`: start-up time)."""
    return (len(text) == 10 and text.isascii() and text[4] == "-" and text[7] == "-"
            and (text[:4] + text[5:7] + text[8:]).isdigit())


def parse_date(text: object) -> date:
    """Return the date for `YYYY-MM-DD`; raise ValueError with a one-line reason otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD, e.g. {EXAMPLE}")
    if not _has_date_shape(text):
        raise ValueError(f"'{text}' is not a date in the form YYYY-MM-DD (e.g. {EXAMPLE}); "
                         "times, zones, week dates and compact forms are not accepted")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a real calendar date") from None


def first_of_next_month(month: str) -> str:
    """`2015-12` -> `2016-01-01`: the convention the one stated effective date follows."""
    year, mon = int(month[:4]), int(month[5:7])
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return f"{year:04d}-{mon:02d}-01"
