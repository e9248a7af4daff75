"""The Arrow core and the per-case API called from many threads at once (Dask, Spark, web services).

Every batch is compared row by row with the per-case API evaluated alone, in one thread: a race in
shared state (a memo of checked dates or values half-updated by another thread) shows up as a
wrong revision in force, a wrong determination, or an ArrowIndexError.
"""

import random
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from policy import PolicyError, evaluate_arrow, load_policy

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import workload  # noqa: E402  (benchmarks/ is not a package)

THREADS = 8


@pytest.fixture(scope="module")
def iort():
    return load_policy(ROOT / "tables")


def _batches(iort, n_batches: int, rows: int, seed: int) -> list[pa.RecordBatch]:
    """Batches whose dates are mostly new to every other batch, so each one updates the memos;
    some values and dates are invalid, some rows have no date."""
    rng = random.Random(seed)
    first = date(2009, 1, 1)
    batches = []
    for b in range(n_batches):
        data = workload.generate(rows, iort.compiled.columns, seed=seed + b)
        base = first + timedelta(days=rng.randrange(0, 6000))
        data["service_date"] = [
            None if rng.random() < 0.01 else
            "2023-02-30" if rng.random() < 0.01 else
            (base + timedelta(days=rng.randrange(0, 400))).isoformat()
            for _ in range(rows)]
        data["cancer_site"] = ["lung" if rng.random() < 0.01 else v for v in data["cancer_site"]]
        types = {name: pa.bool_() if name == "recurrent" else pa.string() for name in data}
        batches.append(pa.RecordBatch.from_pydict(
            {name: pa.array(values, types[name]) for name, values in data.items()}))
    return batches


def _expected(iort, batch: pa.RecordBatch, as_of=None) -> list[tuple | None]:
    rows = []
    for case in batch.to_pylist():
        case = {k: v for k, v in case.items() if v is not None}
        try:
            d = iort.evaluate(case, as_of=as_of) if as_of or case.get("service_date") else None
        except PolicyError:
            d = None
        rows.append(None if d is None else (d.determination, (d.revision or {}).get("id"),
                                            d.rule, list(d.needs)))
    return rows


def _actual(result: pa.RecordBatch) -> list[tuple | None]:
    columns = [result.column(n).to_pylist() for n in ("determination", "revision", "rule",
                                                      "needs", "error")]
    return [None if error else (d, r, rule, needs)
            for d, r, rule, needs, error in zip(*columns, strict=True)]


def test_evaluate_arrow_from_eight_threads_agrees_with_the_per_case_api(iort):
    batches = _batches(iort, n_batches=48, rows=2500, seed=7)
    expected = [_expected(iort, b) for b in batches]
    start = threading.Barrier(THREADS)

    def run(worker: int) -> int:
        start.wait()
        wrong = 0
        for i in range(worker, len(batches) * 2, THREADS):  # every batch twice, interleaved
            result = evaluate_arrow(batches[i % len(batches)], iort)
            wrong += sum(a != e for a, e in zip(_actual(result), expected[i % len(batches)],
                                                strict=True))
        return wrong

    with ThreadPoolExecutor(THREADS) as pool:
        assert sum(pool.map(run, range(THREADS))) == 0


def test_a_fresh_policy_in_each_thread_and_as_of_dates_agree(iort):
    """Threads that share nothing but the module agree too, with as_of given per call."""
    batches = _batches(iort, n_batches=8, rows=1500, seed=99)
    days = ["2011-12-31", "2012-01-01", "2016-05-03", "2023-10-01", "2005-06-07", "2018-04-01",
            "2013-01-01", "2030-01-01"]
    expected = [_expected(iort, b, as_of=day) for b, day in zip(batches, days, strict=True)]

    def run(i: int) -> int:
        policy = load_policy(ROOT / "tables") if i % 2 else iort
        result = evaluate_arrow(batches[i], policy, as_of=days[i])
        return sum(a != e for a, e in zip(_actual(result), expected[i], strict=True))

    with ThreadPoolExecutor(THREADS) as pool:
        assert sum(pool.map(run, range(len(batches)))) == 0


def test_per_case_api_from_eight_threads(iort):
    data = workload.generate(4000, iort.compiled.columns, seed=3)
    cases = workload.cases(data)
    expected = [iort.evaluate(c).to_json() for c in cases]

    def run(worker: int) -> int:
        return sum(iort.evaluate(cases[i]).to_json() != expected[i]
                   for i in range(worker, len(cases), THREADS))

    with ThreadPoolExecutor(THREADS) as pool:
        assert sum(pool.map(run, range(THREADS))) == 0


def test_evaluate_arrow_is_exported_from_the_package():
    import policy
    import policy.columnar

    assert policy.evaluate_arrow is policy.columnar.evaluate_arrow
    assert "evaluate_arrow" in policy.__all__
