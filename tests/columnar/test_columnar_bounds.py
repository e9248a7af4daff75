"""The columnar memos stay bounded whatever the input (endless distinct bad values and dates)."""

from pathlib import Path

import pyarrow as pa

from policy import load_policy
from policy.columnar import DAY_MEMO_LIMIT, VALUE_MEMO_LIMIT, ColumnarPolicy
from policy.core.memo import BoundedMemo

ROOT = Path(__file__).resolve().parent.parent.parent


def test_distinct_junk_values_and_days_do_not_grow_the_memos_past_their_bounds():
    columnar = ColumnarPolicy(load_policy(ROOT / "tables").compiled)
    n = VALUE_MEMO_LIMIT * 3
    batch = pa.RecordBatch.from_pydict({
        "cancer_site": [f"junk-{i}" for i in range(n)],
        "t_stage": ["T" + "9" * 100 + str(i) for i in range(n)],  # long: never kept at all
        "service_date": [f"20{i:06d}" for i in range(n)],
    })
    result = columnar.evaluate(batch)
    assert result.column("error").null_count == 0  # every row is bad, and says why
    assert len(columnar.inputs._value_memo) <= VALUE_MEMO_LIMIT
    assert len(columnar.inputs._date_memo) <= VALUE_MEMO_LIMIT
    assert len(columnar.inputs._day_table.days) <= DAY_MEMO_LIMIT
    assert all(len(day) <= 10 for day in columnar.inputs._day_table.days.to_pylist())


def test_bounded_memo_starts_afresh_when_full_and_skips_long_keys():
    memo: BoundedMemo[int] = BoundedMemo(limit=3, max_key_chars=4)
    for i in range(10):
        assert memo.get(i, str(i), lambda i=i: i * i) == i * i
        assert len(memo) <= 3
    assert memo.get("long-key", "long-key", lambda: 7) == 7
    assert memo.get("long-key", "long-key", lambda: 8) == 8  # not kept: computed again


def test_an_outcome_key_names_the_decision_of_its_rows():
    """`outcome_keys` and `decision_of_key` are the one (outcome id, partial-case code) numbering
    that the batch writers render each decision once by; a claim whose procedure the policy does
    not govern is not_applicable, in the first revision's period too (killed mutant of issue 26:
    `gid > not_applicable_base`, which left out the first revision's not_applicable outcome)."""
    iort = load_policy(ROOT / "tables")
    columnar = ColumnarPolicy(iort.compiled)
    cases = [{"cancer_site": "rectal", "margin_status": "positive", "t_stage": "T4",
              "service_date": "2016-05-03"},
             {"cancer_site": "colon", "service_date": "2020-01-01"},
             {"cancer_site": "breast", "service_date": "2001-01-01"},
             {"cancer_site": "rectal", "procedure": "99213", "service_date": "2012-06-01"},
             {"procedure": "99213", "service_date": "2016-05-03"}]
    names = sorted({name for case in cases for name in case})  # (from_pylist: the first's keys)
    batch = pa.RecordBatch.from_pylist([{n: case.get(n) for n in names} for case in cases])
    keys = columnar.outcome_keys(columnar.evaluate_keyed(batch)).to_pylist()
    for case, key in zip(cases, keys, strict=True):
        want = iort.evaluate(case).to_json()
        got = columnar.decision_of_key(key).to_json()
        for name in ("determination", "revision", "rule", "needs", "source", "disclaimer"):
            assert got[name] == want[name], name
