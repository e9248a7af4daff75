"""The DuckDB recipe of docs/batch.md, run as written: a SQL query's rows go to `evaluate_arrow`
through Arrow and the results come back as a view, compared row by row with the per-case API."""

import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")

from docs_recipes import check_claim_rows, check_rows, claim_lines, run_block  # noqa: E402
from policy import load_policy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import workload  # noqa: E402  (benchmarks/ is not a package)

IORT = load_policy(ROOT / "tables")
HEADING = "SQL: DuckDB"
ROWS = 100_000


def _claims(connection, tmp_path: Path) -> list[dict]:
    """A `claims` table of generated claims as an analyst's database holds them (claim_id, a
    DATE of service, NULL for an unknown fact, a few bad values); returns the cases the
    documented query selects (the same WHERE), in the table's order."""
    data = workload.generate(ROWS, IORT.compiled.columns, seed=15)
    data["claim_id"] = data.pop("case_id")
    for i, field, bad in ((ROWS // 3, "cancer_site", "lung"), (ROWS // 2, "t_stage", "T5")):
        data[field][i] = bad
        data["service_date"][i] = "2024-01-01"  # inside the documented query's dates
    workload.write_csv(data, tmp_path / "claims.csv")
    connection.sql(f"""
        CREATE TABLE claims AS SELECT
            claim_id, CAST(service_date AS DATE) AS service_date, cancer_site, margin_status,
            t_stage, CAST(recurrent AS BOOLEAN) AS recurrent
        FROM read_csv('{tmp_path / "claims.csv"}', all_varchar = true)""")
    rows = connection.sql("""
        SELECT claim_id AS case_id, strftime(service_date, '%Y-%m-%d') AS service_date,
               cancer_site, margin_status, t_stage, recurrent
        FROM claims WHERE service_date >= DATE '2023-01-01'""")  # the page's query
    names = rows.columns
    return [{k: v for k, v in zip(names, row, strict=True) if v is not None}
            for row in rows.fetchall()]


def test_documented_duckdb_recipe_matches_the_per_case_api(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the recipe opens claims.duckdb in the current folder
    code = run_block(HEADING, 0, {})  # evaluate_query
    # The second block opens the database; the test fills it first, through the same file.
    with duckdb.connect("claims.duckdb") as setup:
        cases = _claims(setup, tmp_path)
    printed = []
    code["print"] = printed.append  # the block prints a summary relation: keep it to look at
    run_block(HEADING, 1, code)
    connection = code["connection"]
    view = connection.sql("SELECT * FROM determinations")
    rows = [dict(zip(view.columns, row, strict=True)) for row in view.fetchall()]
    assert len(cases) > 20_000
    assert check_rows(IORT, cases, rows) == 2  # the bad site and the bad stage
    summary = dict(printed[0].fetchall())
    assert sum(summary.values()) == len(cases)
    assert summary[None] == 2 and summary["investigational"] > 0


def test_documented_claim_table_recipe_reads_own_columns_and_codes(tmp_path, monkeypatch):
    """The claim-table blocks, as written, on a `claim_lines` table with its own column names,
    three diagnosis columns, a procedure column and a DATE of service: every row of the view
    agrees with the per-case API (codes too) and carries its member_id."""
    monkeypatch.chdir(tmp_path)
    lines = claim_lines(20_000, seed=17)
    connection = duckdb.connect("claims.duckdb")
    connection.register("generated", pa.Table.from_pylist(lines))
    connection.sql("""CREATE TABLE claim_lines AS
                      SELECT * REPLACE (CAST(dos AS DATE) AS dos) FROM generated""")
    code = run_block(HEADING, 0, {})  # evaluate_query (and the imports)
    run_block(HEADING, 2, code)  # CLAIM_COLUMNS, evaluate_claims
    printed = []
    code.update(connection=connection, print=printed.append)
    run_block(HEADING, 3, code)

    selected = [line for line in lines if line["dos"] >= "2016-01-01"]  # the page's WHERE
    view = connection.sql("SELECT * FROM claim_determinations")
    rows = [dict(zip(view.columns, row, strict=True)) for row in view.fetchall()]
    assert 0 < check_claim_rows(IORT, selected, rows) < len(selected) // 10
    summary = printed[0].fetchall()
    assert len(summary) == 5 and all(lines_ >= not_iort + bad for _, lines_, not_iort, bad
                                     in summary)
