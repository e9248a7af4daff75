"""Strict calendar dates: the ASCII form YYYY-MM-DD and nothing else.

`date.fromisoformat` alone is too lenient on Python 3.11 (it takes `20230101` and `2023-W01-1`), so
the shape is checked, then the calendar. Both without `datetime` (and `re`): importing it loads two
shared libraries, about a tenth of a warm `policy evaluate`'s start-up, and every caller only
needs to know whether a date is real (tests/core/test_startup_path.py checks the answer is
`date.fromisoformat`'s).
"""

from __future__ import annotations

EXAMPLE = "2023-10-01"
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _has_date_shape(text: str) -> bool:
    """[0-9]{4}-[0-9]{2}-[0-9]{2}, ASCII digits only."""
    return (len(text) == 10 and text.isascii() and text[4] == "-" and text[7] == "-"
            and (text[:4] + text[5:7] + text[8:]).isdigit())


def _is_calendar_day(year: int, month: int, day: int) -> bool:
    """A day of the Gregorian calendar from year 1 (as `datetime.date` takes)."""
    if year < 1 or not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _MONTH_DAYS[month - 1] + (month == 2 and leap)


def check_date(text: object) -> None:
    """Raise ValueError with a one-line reason unless `text` is a real date written YYYY-MM-DD."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD, e.g. {EXAMPLE}")
    if not _has_date_shape(text):
        raise ValueError(f"'{text}' is not a date in the form YYYY-MM-DD (e.g. {EXAMPLE}); "
                         "times, zones, week dates and compact forms are not accepted")
    if not _is_calendar_day(int(text[:4]), int(text[5:7]), int(text[8:])):
        raise ValueError(f"'{text}' is not a real calendar date")


def first_of_next_month(month: str) -> str:
    """`2015-12` -> `2016-01-01`: the convention the one stated effective date follows."""
    year, mon = int(month[:4]), int(month[5:7])
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return f"{year:04d}-{mon:02d}-01"
