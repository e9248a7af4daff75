"""Regular expressions that come from policy files, matched in bounded time.

policy.yml's `words` and a schema's `pattern` come from pull requests like the tables. With
Python's `re`, a pattern that backtracks exponentially (`^(?:\\w|\\w)*$` on a statement it does
not match) hangs `policy validate` and a cold `policy evaluate`. The `regex` module reads `re`'s
syntax (lookbehind included), avoids most such backtracking outright, and stops a match that runs
past a time limit: that pattern is then `PatternTooSlow` (reported at its line by the caller), and
is not run again in this process (the verdict is kept, keyed by the pattern's text).
"""

from __future__ import annotations

from functools import lru_cache

import regex

from .errors import PolicyError

# A match's time limit, in seconds. A pattern fit for a statement takes microseconds; regex checks
# the limit coarsely (a slow match was seen stopping after three times the limit).
TIME_LIMIT = 0.25
_SLOW_KEPT = 256  # patterns remembered as too slow (a bound on the memory a hostile file costs)
_slow: set[str] = set()  # only ever added to (single set operations are atomic in CPython)


class PatternTooSlow(PolicyError, TimeoutError):
    """A pattern took longer than TIME_LIMIT to match one text (it backtracks)."""

    def __init__(self, pattern: str) -> None:
        super().__init__(f"matching the pattern took over {TIME_LIMIT} s; it backtracks "
                         "(nested repetition such as (a|a)* or (\\w+\\s?)*): write it without")
        self.pattern = pattern


@lru_cache(maxsize=64)
def compiled(pattern: str) -> regex.Pattern[str]:
    """The pattern compiled (`regex.error` when it is none); patterns are immutable and shared."""
    return regex.compile(pattern, regex.VERSION0)


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text`; PatternTooSlow past the time limit."""
    if pattern in _slow:
        raise PatternTooSlow(pattern)
    try:
        return compiled(pattern).search(text, timeout=TIME_LIMIT) is not None
    except TimeoutError:
        if len(_slow) < _SLOW_KEPT:
            _slow.add(pattern)
        raise PatternTooSlow(pattern) from None
