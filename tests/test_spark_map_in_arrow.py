"""The Spark recipe of docs/batch.md, run as written in a real local Spark session.

A Parquet file of 100,000 generated cases (dates of service stored as dates, facts omitted now and
then, a few invalid rows) is read by `spark.read.parquet`, decided by the page's `mapInArrow`
function on two local executor threads with Python workers, and written as Parquet; every result
row is compared with the per-case API.
"""

import os
import sys
from datetime import date
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("pyspark")

from docs_recipes import check_claim_rows, check_rows, claim_lines, run_block  # noqa: E402
from policy import load_policy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import workload  # noqa: E402  (benchmarks/ is not a package)

IORT = load_policy(ROOT / "tables")
HEADING = "Spark: `mapInArrow`"
ROWS = 100_000
BAD: list[dict[str, str | None]] = [{"cancer_site": "lung"}, {"t_stage": "T5"},
                                    {"margin_status": "wide"}, {"service_date": None}]


def _cases() -> list[dict]:
    """ROWS generated cases, each with its own case_id (results are matched up by it), and a few
    invalid ones spread through the file."""
    data = workload.generate(ROWS, IORT.compiled.columns, seed=14)
    data["case_id"] = [f"S{i:06d}" for i in range(ROWS)]
    cases = workload.cases(data)
    for k, bad in enumerate(BAD):
        i = (k + 1) * ROWS // (len(BAD) + 1)
        cases[i] = {k: v for k, v in {**cases[i], **bad}.items() if v is not None}
    return cases


def _parquet(cases: list[dict], path: Path) -> None:
    """Cases as a warehouse stores them: strings, recurrent a boolean, service_date a date."""
    types = {name: pa.bool_() if name == "recurrent" else pa.string() for name in workload.FIELDS}
    types["service_date"] = pa.date32()
    columns = {name: [c.get(name) for c in cases] for name in workload.FIELDS}
    columns["service_date"] = [None if d is None else date.fromisoformat(d)
                               for d in columns["service_date"]]
    table = pa.table({name: pa.array(columns[name], types[name]) for name in workload.FIELDS})
    pq.write_table(table, path, row_group_size=ROWS // 4)  # several row groups: several tasks


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The Python workers must be this interpreter (it has the package); the JVM and the workers
    # inherit the environment, including the test session's private compiled-table cache.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("fep-policy-test")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.bindAddress", "127.0.0.1")  # loopback only
               .config("spark.driver.host", "127.0.0.1")
               # a short-lived JVM: the quick compiler only, and the small collector
               .config("spark.driver.extraJavaOptions",
                       "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.files.maxPartitionBytes", str(256 << 10))  # a few partitions
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# pyspark 4 warns that it does not fully support pandas 3 on every Arrow call; the recipe uses no
# pandas at all (mapInArrow hands over Arrow record batches).
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_documented_spark_recipe_in_a_local_session_matches_the_per_case_api(spark, tmp_path):
    cases = _cases()
    source = tmp_path / "claims"
    source.mkdir()
    _parquet(cases, source / "claims.parquet")
    target = tmp_path / "determinations"

    code = run_block(HEADING, 0, {})  # RESULT, RESULT_DDL, evaluate_batches
    code.update(spark=spark, CLAIMS=str(source), DETERMINATIONS=str(target))
    run_block(HEADING, 1, code)  # spark.read.parquet(CLAIMS) ... .write.parquet(DETERMINATIONS)

    assert spark.read.parquet(str(source)).rdd.getNumPartitions() > 1  # the work was split
    result = pq.read_table(target)
    assert result.column_names == code["RESULT"].names
    rows = {row["case_id"]: row for row in result.to_pylist()}
    assert len(rows) == result.num_rows == len(cases)
    in_order = [rows[case["case_id"]] for case in cases]
    assert check_rows(IORT, cases, in_order) == len(BAD)
    determinations = set(result.column("determination").to_pylist())
    assert {"indeterminate", "no_policy_in_force", "medically_necessary",
            "not_medically_necessary", "investigational", "not_addressed"} <= determinations


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_documented_claim_table_recipe_reads_own_columns_and_codes(spark, tmp_path):
    """The claim-table blocks, as written: claim lines with their own column names, three
    diagnosis columns and a procedure column, the date of service stored as a date; every row
    agrees with the per-case API (codes too) and carries its member_id."""
    lines = claim_lines(20_000, seed=16)
    table = pa.Table.from_pylist(lines)
    table = table.set_column(table.schema.get_field_index("dos"), "dos",
                             pa.array([date.fromisoformat(line["dos"]) for line in lines]))
    source, target = tmp_path / "claim-lines", tmp_path / "claim-determinations"
    source.mkdir()
    pq.write_table(table, source / "lines.parquet", row_group_size=5_000)

    code = run_block(HEADING, 0, {})  # RESULT, RESULT_DDL (the claim blocks build on them)
    run_block(HEADING, 2, code)  # CLAIM_COLUMNS, CLAIM_RESULT, evaluate_claims
    code.update(spark=spark, CLAIM_LINES=str(source), CLAIM_DETERMINATIONS=str(target))
    run_block(HEADING, 3, code)

    result = pq.read_table(target)
    assert result.column_names == code["CLAIM_RESULT"].names
    rows = {row["case_id"]: row for row in result.to_pylist()}
    assert len(rows) == result.num_rows == len(lines)
    in_order = [rows[line["claim_id"]] for line in lines]
    assert 0 < check_claim_rows(IORT, lines, in_order) < len(lines) // 10
    assert {"not_applicable", "indeterminate"} <= set(result.column("determination").to_pylist())
