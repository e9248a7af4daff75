"""The code blocks of docs/batch.md, run as written, and the row-by-row check of their results.

The scale-out tests (Dask, Spark, DuckDB) execute the page's ```python blocks themselves, never
a copy, so the documented recipes cannot drift from what is tested.
"""

from __future__ import annotations

import re
from pathlib import Path

from policy import PolicyError

PAGE = Path(__file__).resolve().parent.parent / "docs" / "batch.md"


def section_blocks(heading: str) -> list[str]:
    """The ```python blocks of one `## heading` section of docs/batch.md, in order."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def run_block(heading: str, block: int, namespace: dict) -> dict:
    """Execute one block of the page in `namespace` (which may hold the names it expects)."""
    namespace.setdefault("__name__", f"docs_batch_{block}")
    exec(compile(section_blocks(heading)[block], f"{PAGE}:{heading}:{block}", "exec"), namespace)
    return namespace


def check_rows(iort, cases: list[dict], rows: list[dict]) -> int:
    """Every result row equals the per-case API's decision (or is an error where it raises);
    returns the number of error rows."""
    assert len(rows) == len(cases)
    errors = 0
    for case, row in zip(cases, rows, strict=True):
        assert row["case_id"] == case.get("case_id")
        try:
            decision = iort.evaluate(case)
        except PolicyError:
            assert row["error"], (case, row)
            assert row["determination"] is None, (case, row)
            errors += 1
            continue
        revision = decision.revision or {}
        expected = {"case_id": decision.case_id, "as_of": decision.as_of,
                    "determination": decision.determination, "revision": revision.get("id"),
                    "version": revision.get("version"),
                    "effective_from": revision.get("effective_from"),
                    "effective_from_basis": revision.get("effective_from_basis"),
                    "rule": decision.rule, "needs": list(decision.needs),
                    "source": decision.source, "provenance": decision.provenance,
                    "explanation": decision.explanation, "disclaimer": decision.disclaimer,
                    "error": None}
        assert {k: row[k] for k in expected} == expected, case
    return errors
