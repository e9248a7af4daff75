"""The timeline: every revision with its dates, Policy History row and decision changes."""

from __future__ import annotations

from ...compare.changelog import RevisionChange
from .paths import render_page


def timeline_page(changes: list[RevisionChange]) -> str:
    return render_page("timeline.md.j2", "timeline.md", changes=changes,
                       flips=[c for c in changes if c.flips])
