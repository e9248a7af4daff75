"""Scale-out without a home-made engine: the code of docs/batch.md, run as written.

The Dask block of the page is executed on a partitioned Parquet dataset with a small local cluster
(two worker processes, one thread each), and every result row is compared with the per-case API.
The first Spark block (the `mapInArrow` function; Spark itself is not installed) is fed Arrow record
batches and held to its declared schema and to the same answers.
"""

import importlib
import sys
from datetime import date
from pathlib import Path

import pytest

from docs_recipes import check_rows, run_block, section_blocks
from policy import load_policy

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import workload  # noqa: E402  (benchmarks/ is not a package)

IORT = load_policy(ROOT / "tables")
# Rows that are not valid cases: each must get an error and leave the other rows alone.
BAD = [{"case_id": "bad-site", "service_date": "2020-05-01", "cancer_site": "lung"},
       {"case_id": "bad-date", "service_date": "2023-02-30", "cancer_site": "rectal"},
       {"case_id": "no-date", "cancer_site": "colon"},
       {"case_id": "bad-stage", "service_date": "2019-01-01", "t_stage": "T5"}]


def _cases(n: int, bad: list[dict]) -> list[dict]:
    data = workload.generate(n, IORT.compiled.columns, seed=11)
    cases = workload.cases(data)
    for i, case in enumerate(bad):  # spread through the partitions
        cases.insert(i * (n // len(bad)) + 1, case)
    return cases


def _table(cases: list[dict], as_dates: bool = False):
    """Cases as a typed Arrow table; `service_date` as strings or (as_dates) as pa.date32()."""
    names = workload.FIELDS
    types = {name: pa.bool_() if name == "recurrent" else pa.string() for name in names}
    columns = {name: [c.get(name) for c in cases] for name in names}
    if as_dates:
        columns["service_date"] = [None if d is None else date.fromisoformat(d)
                                   for d in columns["service_date"]]
        types["service_date"] = pa.date32()
    return pa.table({name: pa.array(columns[name], types[name]) for name in names})


def _write_partitions(tmp_path, cases: list[dict], per_file: int) -> Path:
    table = _table(cases, as_dates=True)
    source = tmp_path / "claims"
    source.mkdir()
    for part, start in enumerate(range(0, len(cases), per_file)):
        pq.write_table(table.slice(start, per_file), source / f"part-{part:03d}.parquet")
    return source


def _documented_code(tmp_path, monkeypatch) -> dict:
    # Users keep this code in a module of their own; Dask pickles functions by reference to it.
    (tmp_path / "iort_dask.py").write_text(section_blocks("Scale-out with Dask")[0])
    monkeypatch.syspath_prepend(str(tmp_path))  # multiprocessing passes sys.path to the workers
    sys.modules.pop("iort_dask", None)  # a fresh module (and policy) per test
    return vars(importlib.import_module("iort_dask"))


# dask 2026.8's Parquet reader calls DataFrame.reset_index(inplace=True), which pandas 3.1
# deprecates with a Pandas4Warning; the warning is dask's, not ours, and harmless here.
@pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.reset_index is deprecated:"
    "pandas.errors.Pandas4Warning")
def test_documented_dask_map_partitions_matches_the_per_case_api(tmp_path, monkeypatch):
    # A warehouse stores dates of service as dates: service_date is date32 here (so the invalid
    # calendar date of BAD cannot occur in this dataset).
    bad = [case for case in BAD if case["case_id"] != "bad-date"]
    cases = _cases(4000, bad)
    source = _write_partitions(tmp_path, cases, per_file=1000)  # five files: five partitions
    starts = range(0, len(cases), 1000)
    target = tmp_path / "determinations"
    code = _documented_code(tmp_path, monkeypatch)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        assert dd.read_parquet(str(source)).npartitions == len(starts) == 5
        code["evaluate_dataset"](str(source), str(target))

    assert pq.read_schema(next(source.iterdir())).field("service_date").type == pa.date32()
    result = pq.read_table(target)
    assert result.column_names == ["case_id", "as_of", "determination", "revision", "version",
                                   "effective_from", "effective_from_basis", "rule", "needs",
                                   "source", "provenance", "explanation", "disclaimer",
                                   "error"]
    assert check_rows(IORT, cases, result.to_pylist()) == len(bad)
    determinations = set(result.column("determination").to_pylist())
    assert {"indeterminate", "no_policy_in_force", "medically_necessary"} <= determinations


# The threaded scheduler (Dask's default for dataframes) and workers with several threads run
# partitions of one process at once against one shared policy: its columnar memos must hold.
@pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.reset_index is deprecated:"
    "pandas.errors.Pandas4Warning")
@pytest.mark.parametrize("scheduler", ["threads", "distributed"])
def test_documented_dask_recipe_under_threads_matches_the_per_case_api(tmp_path, monkeypatch,
                                                                        scheduler):
    import dask

    bad = [case for case in BAD if case["case_id"] != "bad-date"]
    cases = _cases(24_000, bad)
    source = _write_partitions(tmp_path, cases, per_file=1000)
    target = tmp_path / "determinations"
    code = _documented_code(tmp_path, monkeypatch)
    if scheduler == "threads":
        with dask.config.set(scheduler="threads", num_workers=8):
            code["evaluate_dataset"](str(source), str(target))
    else:
        with distributed.LocalCluster(n_workers=1, threads_per_worker=6, processes=True,
                                      dashboard_address=":0") as cluster, \
                distributed.Client(cluster):
            code["evaluate_dataset"](str(source), str(target))
    # the parts in partition order (part.2 before part.10)
    parts = sorted(target.glob("*.parquet"), key=lambda path: int(path.name.split(".")[1]))
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    assert check_rows(IORT, cases, rows) == len(bad)


def test_documented_spark_function_yields_the_declared_schema():
    code = run_block("Spark: `mapInArrow`", 0, {})
    cases = _cases(600, BAD)
    batches = _table(cases).to_batches(max_chunksize=150)
    out = list(code["evaluate_batches"](iter(batches)))
    assert [len(b) for b in out] == [len(b) for b in batches]
    assert all(isinstance(b, pa.RecordBatch) and b.schema == code["RESULT"] for b in out)
    declared = [part.split()[0] for part in code["RESULT_DDL"].split(", ")]
    assert declared == code["RESULT"].names
    rows = [row for batch in out for row in batch.to_pylist()]
    assert check_rows(IORT, cases, rows) == len(BAD)
