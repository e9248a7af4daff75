"""policy.columnar.column_codes: code columns read with Arrow kernels, each distinct code once a
period, must give every row what the per-case API gives its case (issue 22), whatever the mix of
codes, days, cells and threads; its memos stay bounded.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from policy import load_policy
from policy.columnar import column_codes, evaluate_arrow
from policy.columnar.keyed import ColumnarPolicy
from policy.core.errors import DataError

ROOT = Path(__file__).resolve().parent.parent.parent
IORT = load_policy(ROOT / "tables")

# codes of both systems, with and without dots, spaces and letter case; headers, a code of
# FY2024 on, one the crosswalk names nothing with, governed and other procedure codes, junk
DIAGNOSES = [" C20", "c18.7 ", "C18.2", "C50.911", "Z85.048", "I10", "D48.1", "D48.110", "C18",
             "154.1", "1541", "153.6", "V10.06", "401.9", "x", "", "C20.9"]
PROCEDURES = ["77424", " 77425", "77469", "99213", "0735T", "19301", "G0101", "x1"]
# both sides of ICD-10-CM's first day, of fiscal years, of April updates and of the revisions;
# a day of the first revision's period (2012)
DAYS = ["2011-06-01", "2012-06-01", "2015-09-30", "2015-10-01", "2016-03-31", "2016-04-01",
        "2018-09-30", "2018-10-01", "2019-09-30", "2019-10-01", "2020-04-01", "2023-09-30",
        "2023-10-01", "2024-04-01", "2026-02-28", "2023-02-30", ""]


def _cells(draw_codes):
    return st.one_of(st.just(""), st.lists(st.sampled_from(draw_codes), min_size=1,
                                           max_size=3).map(",".join))


rows_of_cells = st.lists(st.fixed_dictionaries({
    "service_date": st.sampled_from(DAYS), "diagnosis": _cells(DIAGNOSES),
    "procedure": _cells(PROCEDURES),
    "cancer_site": st.sampled_from(["", "rectal", "colon", "breast"]),
    "margin_status": st.sampled_from(["", "positive"]), "t_stage": st.sampled_from(["", "T4"])}),
    min_size=1, max_size=40)


def _per_case(row: dict, as_of: str | None) -> tuple:
    """What the per-case API decides for a row of CSV cells ("" is unknown)."""
    case = {name: value for name, value in row.items() if value != ""}
    try:
        decision = IORT.evaluate(case, as_of).to_json()
    except DataError as exc:
        return ("error", [p.code for p in exc.problems],
                "; ".join(f"{p.code}: {p.message}" for p in exc.problems))
    return (decision["determination"], decision["rule"], decision["needs"],
            decision["explanation"], decision["codes"])


def _got(result: dict) -> tuple:
    if result["error"] is not None:
        return ("error", result["error"])
    return (result["determination"], result["rule"], result["needs"], result["explanation"],
            json.loads(result["codes"]))


def _check(rows: list[dict], results: list[dict], as_of: str | None) -> None:
    for row, result in zip(rows, results, strict=True):
        want, got = _per_case(row, as_of), _got(result)
        if want[0] == "error" and not all(code.startswith("CODE_") for code in want[1]):
            # a field's own problem: the columnar core names it too (its order, its NO_DATE)
            assert got[0] == "error" and all(f"{code}: " in got[1] for code in want[1]), row
            continue
        assert got == (want if want[0] != "error" else ("error", want[2])), row


@seed(20261207)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_of_cells, as_of=st.sampled_from([None, "2016-05-03", "2023-10-01"]))
def test_text_cells_with_codes_agree_with_the_per_case_api_row_for_row(rows, as_of):
    """CSV cells (spaces around codes, "" unknown, several codes a cell), many rows of one batch
    sharing codes across periods and days: each row's determination, explanation, codes and
    error text (every problem, sorted) are the per-case API's."""
    table = pa.Table.from_pylist(rows, schema=pa.schema(
        [(name, pa.string()) for name in rows[0]]))
    results = evaluate_arrow(table, IORT, as_of=as_of, text_cells=True).to_pylist()
    _check(rows, results, as_of)


def test_a_code_invalid_on_many_days_names_each_rows_own_day():
    """A code read once a period is read again on each row's own day when it is not valid
    there: D48.110 is no code before 2023-10-01, and each message names the row's day."""
    days = ["2019-10-02", "2019-10-03", "2020-01-04", "2023-09-30", "2023-10-01"]
    rows = [{"service_date": day, "diagnosis": "D48.110,C20", "procedure": "77424",
             "cancer_site": "", "margin_status": "", "t_stage": ""} for day in days]
    results = evaluate_arrow(pa.Table.from_pylist(rows), IORT, text_cells=True).to_pylist()
    _check(rows, results, None)
    assert [day in (r["error"] or "") for day, r in zip(days, results, strict=True)] == [
        True, True, True, True, False]


def test_threads_sharing_one_policy_get_what_one_thread_gets():
    """The library runs under Dask and Spark threads: batches decided at once on one policy (one
    set of memos) give what each gives alone."""
    tables = []
    for start in range(8):
        rows = [{"service_date": DAYS[(start + i) % (len(DAYS) - 2)],
                 "diagnosis": ",".join(DIAGNOSES[(start * 3 + i + k) % 15] for k in range(3)),
                 "procedure": PROCEDURES[(start + i) % len(PROCEDURES)],
                 "cancer_site": ["", "rectal", "colon"][i % 3], "margin_status": "positive",
                 "t_stage": ""} for i in range(300)]
        tables.append(pa.Table.from_pylist(rows))
    alone = [evaluate_arrow(table, IORT, text_cells=True).to_pylist() for table in tables]
    shared = ColumnarPolicy(IORT.compiled)
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda t: shared.evaluate(t, text_cells=True).to_pylist(),
                                 tables * 3))
    assert together == alone * 3


def test_the_memos_stay_bounded_and_answers_stay_right(monkeypatch):
    """However many distinct codes and combinations a file holds, each memo keeps at most its
    limit (it starts afresh when full), and the answers do not change."""
    monkeypatch.setattr(column_codes, "CODE_MEMO_LIMIT", 5)
    monkeypatch.setattr(column_codes, "ROW_MEMO_LIMIT", 3)
    columnar = ColumnarPolicy(IORT.compiled)
    rows = [{"service_date": day, "diagnosis": f"{dx},C20", "procedure": px,
             "cancer_site": "", "margin_status": "", "t_stage": ""}
            for day in DAYS[:14] for dx in DIAGNOSES[:8] for px in PROCEDURES[:3]]
    table = pa.Table.from_pylist(rows)
    for _ in range(2):
        _check(rows, columnar.evaluate(table, text_cells=True).to_pylist(), None)
        codes = columnar.codes
        assert len(codes._codes) <= 5
        assert len(codes._named) <= 3 and len(codes._not_applicable) <= 3
