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


CODE_COLUMNS = ("dx1", "dx2", "dx3")


def claim_case(line: dict) -> dict:
    """The case the claim-table recipes read from a claim line (their `columns=` mapping:
    case_id=claim_id, service_date=dos, diagnosis=dx1,dx2,dx3 joined, procedure=px)."""
    diagnosis = ",".join(line[c] for c in CODE_COLUMNS if line.get(c))
    case = {"case_id": line["claim_id"], "service_date": line["dos"],
            "diagnosis": diagnosis or None, "procedure": line.get("px"),
            "margin_status": line.get("margin_status"), "t_stage": line.get("t_stage")}
    return {name: value for name, value in case.items() if value is not None}


def check_claim_rows(iort, lines: list[dict], rows: list[dict]) -> int:
    """Every result row of a claim table equals the per-case API's decision of its case
    (`check_rows`), with the same `codes` (JSON text; null for a bad row) and the line's own
    member_id; returns the number of error rows."""
    import json

    cases = [claim_case(line) for line in lines]
    errors = check_rows(iort, cases, rows)
    for line, case, row in zip(lines, cases, rows, strict=True):
        assert row["member_id"] == line["member_id"], (line, row)
        if row["error"] is None:
            assert json.loads(row["codes"]) == iort.evaluate(case).to_json()["codes"], line
        else:
            assert row["codes"] is None, (line, row)
    return errors


def claim_lines(n: int, seed: int) -> list[dict]:
    """`n` claim lines of benchmarks/coded.py (both code systems, now and then a code not
    valid on its day), as a warehouse holds them: null for an empty cell, `dos` a YYYY-MM-DD
    string, the clinical facts under their field names."""
    import sys

    sys.path.insert(0, str(PAGE.parent.parent / "benchmarks"))
    import coded  # noqa: PLC0415  (benchmarks/ is not a package)

    names = ["claim_id", "member_id", "dos", *CODE_COLUMNS, "px", "margin_status", "t_stage"]
    return [{name: value or None for name, value in zip(names, row[:9], strict=True)}
            for row in coded.rows(n, seed)]
