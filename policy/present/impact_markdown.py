"""`policy impact --format markdown`: what an edit of the tables does to a claim file, for a
pull-request comment."""

from __future__ import annotations

from typing import Any

from .markdown import GITHUB
from .templating import render as fill


def impact_markdown(impact: Any, before: str, after: str, claims_file: str) -> str:
    """From the template `impact.md.j2` (GitHub Markdown: every value from the claims and the
    tables through the one Markdown escaper). `impact`: a `batch.impact.Impact`."""
    return fill("impact.md.j2", flavour=GITHUB, impact=impact, before=before, after=after,
                claims_file=claims_file).rstrip("\n") + "\n"
