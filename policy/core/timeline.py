"""Which revision is in force on a date: the one place that answers it."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (5 ms of start-up)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol, TypeVar

    class _Dated(Protocol):
        @property
        def effective_from(self) -> str: ...

    # a model or a compiled revision: whichever is given comes back
    _Revision = TypeVar("_Revision", bound=_Dated)


def revision_in_force(revisions: Sequence[_Revision], day: str) -> _Revision | None:
    """The latest revision with `effective_from <= day`, or None before the first one.

    `revisions` must be in effective order (validation guarantees strictly increasing dates);
    ISO `YYYY-MM-DD` strings order like the dates they name.
    """
    for revision in reversed(revisions):  # (a dozen revisions: a scan, no bisect module to load)
        if revision.effective_from <= day:
            return revision
    return None
