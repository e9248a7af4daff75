"""ICD-9-CM diagnosis codes, for services before 2015-10-01: CMS's final list (version 32).

Version 32 (FY2015) is the last release. The last regular update was on 2011-10-01; under the
partial code freeze before ICD-10, the updates of 2012-10-01, 2013-10-01 and 2014-10-01 were
limited to new technologies and diseases, and this check does not tell them apart: every day
before 2015-10-01 is checked against version 32 (docs/codes.md). Read once, on first use.
"""

from __future__ import annotations

import threading
from bisect import bisect_right

from .sources import ICD9CM_FINAL, read_source
from .status import Status

RELEASE = "version 32"
BASIS = ("ICD-9-CM version 32 (FY2015), the final release: the limited updates of the partial "
         "code freeze (2012-10-01 to 2014-10-01) are not told apart")

_codes: tuple[frozenset[str], tuple[str, ...]] | None = None
_LOCK = threading.Lock()


def billable_codes(text: str) -> frozenset[str]:
    """The codes of CMS32_DESC_LONG_DX.txt: the first word of each line."""
    return frozenset(line.split(None, 1)[0] for line in text.splitlines() if line.strip())


def _load() -> tuple[frozenset[str], tuple[str, ...]]:
    global _codes
    found = _codes
    if found is not None:
        return found
    with _LOCK:
        if _codes is None:
            codes = billable_codes(read_source(ICD9CM_FINAL, encoding="latin-1"))
            _codes = (codes, tuple(sorted(codes)))
        return _codes


def status(code: str, day: str) -> Status:
    """The standing of a normalised ICD-9-CM code (no dot: `1541`) on `day` (before
    2015-10-01)."""
    codes, ordered = _load()
    billable = code in codes
    below = None
    if not billable:
        at = bisect_right(ordered, code)
        if at < len(ordered) and ordered[at].startswith(code):
            below = ordered[at]
    exists = billable or below is not None
    spans = (("0001-01-01", "2015-09-30"),) if billable else ()
    return Status(code, day, billable, exists, exists, RELEASE, False, BASIS, below, spans)


def exists(code: str) -> bool:
    """A code or header of version 32."""
    codes, ordered = _load()
    at = bisect_right(ordered, code)
    return code in codes or (at < len(ordered) and ordered[at].startswith(code))
