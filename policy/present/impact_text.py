"""`policy impact`: what an edit of the tables does to a claim file, as terminal text."""

from __future__ import annotations

from typing import Any


def impact_text(impact: Any, before: str, after: str) -> str:
    """One line of totals, then one line per change (largest first). `impact`: a
    `batch.impact.Impact` (the batch layer is above this one)."""
    share = f" ({100 * impact.changed / impact.claims:.2f}%)" if impact.changed else ""
    lines = [f"{impact.changed:,} of {impact.claims:,} claims are decided differently under "
             f"{after} than under {before}{share}"]
    for t in impact.transitions:
        lines.append(f"  {t.was or 'invalid'} -> {t.becomes or 'invalid'}: {t.claims:,} "
                     f"(revision {t.revision_was or 'none'} -> {t.revision_becomes or 'none'}); "
                     f"e.g. {', '.join(t.examples)}")
    return "\n".join(lines)
