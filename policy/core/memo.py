"""A bounded memo of pure results that any number of threads may share.

The columnar core checks each distinct input value and date once and remembers the answer, because
claim files repeat the same few thousand values. Two threads may compute the same entry twice (the
results are equal: the functions are pure); no thread ever sees a half-made entry, because entries
are immutable and each lookup reads the current dictionary once. When a memo is full it starts
afresh (the old dictionary is dropped whole), so memory stays bounded whatever the input.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")
_MISSING = object()


class BoundedMemo(Generic[Value]):
    """At most `limit` entries; keys longer than `max_key_chars` (junk input) are not kept."""

    def __init__(self, limit: int, max_key_chars: int = 64):
        self.limit = limit
        self.max_key_chars = max_key_chars
        self._entries: dict[Hashable, Value] = {}

    def get(self, key: Hashable, text: str, compute: Callable[[], Value]) -> Value:
        """The memoised `compute()` for `key`; `text` is the input's text, whose length decides
        whether the entry is worth keeping."""
        entries = self._entries  # one read: a concurrent reset replaces the dict, never edits it
        found = entries.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        value = compute()
        if len(text) <= self.max_key_chars:
            if len(entries) >= self.limit:
                entries = self._entries = {}
            entries[key] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)
