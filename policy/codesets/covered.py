"""The part of the code sets a policy's crosswalk covers, laid out for a reader without them (the
site's Try a case page, which must not ship the full code sets: megabytes).

A code is *covered* in a system when an item of a crosswalk entry of that system covers it
(`crosswalk.Item.covers`, whatever the entry's window). Every code that extends a covered code
is covered too, so for covered codes the export answers exactly what `check.read_code` asks the
code sets: for ICD-10-CM, the standing (`icd10cm.status`) in each period of days within which it
cannot change (the releases, the cited fiscal years before the oldest release, the days after the
newest), computed by `icd10cm.status` itself on each period's first day; for ICD-9-CM, the
covered codes of version 32 (`icd9cm.status` answers from the list alone). A covered text that is
not in the export is not a code of that system.

`code_sets_for(crosswalk)` is the export; `page_reads(crosswalk, text, field, day)` says whether
a reader of it can read a code as `check.read_code` does (else it must send the reader to `policy
evaluate`, which has the full code sets).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from ..core.cases import EMPTY_VALUE_HINT
from ..core.decision import NOT_APPLICABLE
from . import icd9cm, icd10cm
from .case_codes import PROJECT_READING
from .check import FORMS, ICD9, ICD10, ICD10_FROM, MAX_CODE, PROCEDURE_BASIS, _fits, dot_place
from .check import normalise as normalise_code
from .crosswalk import ICD9_LAST, Crosswalk

FORMAT = 1


def covers(crosswalk: Crosswalk | None, system: str, code: str) -> bool:
    """Whether an item of an entry of `system` covers the normalised `code`."""
    return crosswalk is not None and any(
        entry.system == system and any(item.covers(code) for item in entry.items)
        for entry in crosswalk.entries)


def page_reads(crosswalk: Crosswalk | None, text: str, field: str, day: str) -> bool:
    """Whether `read_code(text, field, day)` asks the code sets only about covered codes (or
    nothing): every procedure code and every text of no code form; a diagnosis code when it is
    covered in each system whose form it has and that the reading consults."""
    given = text.strip()
    if field != "diagnosis" or not given or len(text) > MAX_CODE:
        return True
    code, dot = normalise_code(text, field), dot_place(text)
    expected = ICD10 if day >= ICD10_FROM else ICD9
    other = ICD9 if expected == ICD10 else ICD10
    if _fits(code, expected, dot):
        if not covers(crosswalk, expected, code):
            return False
        found = (icd10cm if expected == ICD10 else icd9cm).status(code, day)
        if found.billable or found.exists or found.known:
            return True
    return not _fits(code, other, dot) or covers(crosswalk, other, code)


def _next_day(day: str) -> str:
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()


def icd10_periods() -> list[str]:
    """The first days of the periods within which no ICD-10-CM code's standing changes."""
    data = icd10cm._load()
    cited = {f"{year - 1:04d}-10-01" for year, _, _ in data.cited}
    firsts = {ICD10_FROM, *cited, *(first for _, first in icd10cm.RELEASES),
              _next_day(icd10cm.LAST_DAY)}
    return sorted(day for day in firsts if day >= ICD10_FROM)


class DistinctValues:
    """Distinct JSON values, each stored once and referred to by its position: how the Try page's
    data (this export and `present.site.try_page`'s) stays small."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._at: dict[str, int] = {}

    def position(self, value: Any) -> int:
        key = json.dumps(value, sort_keys=True, ensure_ascii=False)
        if key not in self._at:
            self._at[key] = len(self.items)
            self.items.append(value)
        return self._at[key]


def _icd10(crosswalk: Crosswalk) -> dict[str, Any]:
    data = icd10cm._load()
    candidates = set(data.newest) | set(data.history) | {code for _, code, _ in data.cited}
    periods = icd10_periods()
    readings, patterns, spans_table = DistinctValues(), DistinctValues(), DistinctValues()

    def pattern(code: str) -> tuple[int, str | None, list[list[str]]]:
        statuses = [icd10cm.status(code, day) for day in periods]
        below = next((s.below for s in statuses if s.below is not None), None)
        for s in statuses:  # the one `below` a reader fills in where the engine gives one
            assert s.below == (below if s.exists and not s.billable else None), code
        assert len({s.billable_spans for s in statuses}) == 1, code
        steps = [[int(s.billable) | int(s.exists) << 1 | int(s.known) << 2,
                  readings.position([s.release, s.exact, s.basis])] for s in statuses]
        return patterns.position(steps), below, [list(span) for span in statuses[0].billable_spans]

    codes = {}
    for code in sorted(c for c in candidates if covers(crosswalk, ICD10, c)):
        at, below, spans = pattern(code)
        codes[code] = [at, below, spans_table.position(spans)]
    # a covered text that is no code: its reading per period, by the releases covering its letter
    unknown = {}
    for letter in sorted({code[:1] for code in candidates}):
        probe = letter + "99ZZZZ"
        assert probe not in candidates
        unknown[letter] = pattern(probe)[0]
    return {"periods": periods, "last_day": icd10cm.LAST_DAY, "codes": codes,
            "unknown": unknown, "patterns": patterns.items, "readings": readings.items,
            "spans": spans_table.items}


def _icd9(crosswalk: Crosswalk) -> dict[str, Any]:
    codes, ordered = icd9cm._load()
    return {"codes": sorted(c for c in codes if covers(crosswalk, ICD9, c)),
            "release": icd9cm.RELEASE, "basis": icd9cm.BASIS,
            "billable_spans": [list(span) for span in icd9cm.status(ordered[0], ICD9_LAST)
                               .billable_spans]}


def code_sets_for(crosswalk: Crosswalk | None) -> dict[str, Any]:
    """What a reader needs to read the codes a crosswalk covers as `check.read_code` does, and to
    resolve them as `resolve.resolve_codes` does (JSON-ready)."""
    entries = [] if crosswalk is None else [
        [e.kind, e.field, e.value, e.system, [[i.low, i.high, i.is_range] for i in e.items],
         e.valid_from, e.valid_to] for e in crosswalk.entries]
    empty = Crosswalk("", None, ())
    return {"format": FORMAT, "icd10_from": ICD10_FROM, "max_code": MAX_CODE,
            "forms": dict(FORMS), "empty_hint": EMPTY_VALUE_HINT,
            "procedure_basis": PROCEDURE_BASIS,
            "field": crosswalk.field if crosswalk is not None else None,
            "has_crosswalk": crosswalk is not None, "entries": entries,
            "project_reading": PROJECT_READING, "not_applicable": NOT_APPLICABLE,
            ICD10: _icd10(crosswalk or empty), ICD9: _icd9(crosswalk or empty)}
