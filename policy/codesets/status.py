"""The standing of one diagnosis code on one day, in the code system of that day."""

from __future__ import annotations

from ..record import Record


class Status(Record):
    """A code's standing on a day: `billable` (reportable on a claim), `exists` (a code or header
    of the release read), `known` (in some release), `release` (which one was read), `exact`
    (it is the release in force that day), `basis` (how the day was checked, in words), `below`
    (for a header: its first billable code, e.g. D48.110 below D48.1), `billable_spans`
    ((first day, last day) the code was billable in the releases known)."""

    __slots__ = ()
    code: str
    day: str
    billable: bool
    exists: bool
    known: bool
    release: str
    exact: bool
    basis: str
    below: str | None
    billable_spans: tuple[tuple[str, str], ...]
