"""The partial-case codes of the columnar core (`InputChecks.partial_case_codes`).

The codes of the combinations of the columns' distinct values are summed into one table and each
row takes its own with one index; past PRODUCT_LIMIT combinations each column takes its own
digits. Both ways must give every row what the per-case API gives, whatever the columns' Arrow
form (dictionaries with narrow indices, plain strings, booleans, all-null columns).
"""

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from policy import load_policy
from policy.columnar import evaluate_arrow, inputs
from policy.core.errors import PolicyError

ROOT = Path(__file__).parent.parent.parent
IORT = load_policy(ROOT / "tables")
COLUMNS = dict(IORT.compiled.columns)


def _rows(n: int, junk: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row: dict[str, object] = {"case_id": f"c{i}", "service_date": rng.choice(
            ["2016-05-03", "2020-01-01", "2011-06-01", "2023-02-30", None])}
        for name, values in COLUMNS.items():
            pick = rng.random()
            if isinstance(values[0], bool):
                row[name] = None if pick < 0.3 else rng.choice(values)
            elif pick < 0.2:
                row[name] = None
            elif pick < 0.2 + junk / (junk + 20):
                row[name] = f"junk-{rng.randrange(junk)}" if junk else rng.choice(values)
            else:
                row[name] = rng.choice(values)
        rows.append(row)
    return rows


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema(
        [("case_id", pa.string()), ("service_date", pa.string())]
        + [(n, pa.bool_() if isinstance(v[0], bool) else pa.string())
           for n, v in COLUMNS.items()]))


def _per_case(rows: list[dict]) -> list[tuple]:
    found: list[tuple] = []
    for row in rows:
        try:
            decision = IORT.evaluate({k: v for k, v in row.items() if v is not None})
        except PolicyError:
            found.append(("error",))
            continue
        found.append((decision.determination, decision.rule, list(decision.needs)))
    return found


def _columnar(table: pa.Table) -> list[tuple]:
    return [("error",) if row["error"] is not None else
            (row["determination"], row["rule"], row["needs"])
            for row in evaluate_arrow(table, IORT).to_pylist()]


@pytest.mark.parametrize("limit", [inputs.PRODUCT_LIMIT, 1])
def test_both_ways_agree_with_the_per_case_api(monkeypatch, limit):
    monkeypatch.setattr(inputs, "PRODUCT_LIMIT", limit)
    rows = _rows(3000, junk=40, seed=limit)
    assert _columnar(_table(rows)) == _per_case(rows)


def test_many_distinct_junk_values_take_the_per_column_way_with_the_same_results(monkeypatch):
    rows = _rows(4000, junk=3000, seed=5)  # far more combinations than PRODUCT_LIMIT
    table = _table(rows)
    by_table = evaluate_arrow(table, IORT)
    monkeypatch.setattr(inputs, "PRODUCT_LIMIT", 1)
    assert evaluate_arrow(table, IORT).equals(by_table)
    assert _columnar(table) == _per_case(rows)


def test_dictionaries_with_narrow_indices_and_all_null_columns():
    rows = _rows(500, junk=0, seed=9)
    table = _table(rows)
    site = table.schema.get_field_index("cancer_site")
    encoded = pc.dictionary_encode(table.column(site)).combine_chunks()
    narrow = table.set_column(site, "cancer_site", pa.DictionaryArray.from_arrays(
        pc.cast(encoded.indices, pa.int8()), encoded.dictionary))
    assert narrow.column(site).type.index_type == pa.int8()
    assert _columnar(narrow) == _per_case(rows)
    margin = table.schema.get_field_index("margin_status")
    nulls = table.set_column(margin, "margin_status", pa.nulls(len(rows)))
    assert _columnar(nulls) == _per_case([{**row, "margin_status": None} for row in rows])
