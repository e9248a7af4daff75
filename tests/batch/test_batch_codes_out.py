"""Batch outputs say, for each code, the system it was read in, whether it was valid on the date
and what it named (issue 22, item 5): CSV and Parquet results carry a `codes` column, the list as
JSON text exactly as `evaluate_arrow`'s `codes` column and the per-case API give it, when the
input has codes (a code column, by name or mapped; JSON Lines always, as any line may)."""

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from claim_files import write_claims
from policy import load_policy
from policy.columnar import evaluate_arrow
from policy.core.errors import DataError
from repo_paths import TABLES

IORT = load_policy(TABLES)
CLAIMS = [  # a claim file's own names; diagnosis from two columns
    {"claim_id": "K1", "dos": "2023-10-01", "dx1": "C20", "dx2": "Z85.048", "px": "77424"},
    {"claim_id": "K2", "dos": "2023-10-01", "dx1": "C20", "dx2": None, "px": "99213"},
    {"claim_id": "K3", "dos": "2023-10-01", "dx1": "D48.1", "dx2": None, "px": "77424"},  # bad
    {"claim_id": "K4", "dos": "2015-09-30", "dx1": "154.1", "dx2": "C18.7", "px": None},  # bad
    {"claim_id": "K5", "dos": "2015-10-01", "dx1": None, "dx2": None, "px": None},  # no codes
    {"claim_id": "K6", "dos": "2011-06-01", "dx1": "153.6", "dx2": None, "px": "77469"},
]
MAP = ["--map", "case_id=claim_id", "--map", "service_date=dos", "--map", "diagnosis=dx1,dx2",
       "--map", "procedure=px"]
COLUMNS = {"case_id": "claim_id", "service_date": "dos", "diagnosis": ["dx1", "dx2"],
           "procedure": "px"}


def _per_case_codes(claim: dict) -> str | None:
    """The codes of the per-case API's decision as compact JSON text; None for a bad claim."""
    case = {"case_id": claim["claim_id"], "service_date": claim["dos"],
            "diagnosis": ",".join(c for c in (claim["dx1"], claim["dx2"]) if c) or None,
            "procedure": claim["px"]}
    try:
        decision = IORT.evaluate(case).to_json()
    except DataError:
        return None
    return json.dumps(decision["codes"], ensure_ascii=False, separators=(",", ":"))


def _write(tmp_path, kind: str, claims: list[dict]):
    return write_claims(tmp_path, kind, claims)


def _read(path) -> tuple[list[str], list[dict]]:
    if path.suffix == ".csv":
        reader = csv.DictReader(io.StringIO(path.read_text(), newline=""))
        rows = [{k: (v or None) for k, v in row.items()} for row in reader]
        return list(reader.fieldnames or []), rows
    table = pq.read_table(path)
    return table.schema.names, table.to_pylist()


@pytest.mark.parametrize("source", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("out", ["csv", "parquet"])
def test_csv_and_parquet_results_carry_each_rows_codes(cli, tmp_path, source, out):
    path = _write(tmp_path, source, CLAIMS)
    result = tmp_path / f"results.{out}"
    code, _, err = cli("batch", path, *MAP, "--out", result)
    assert code == 3, err
    names, rows = _read(result)
    assert names[names.index("error") + 1] == "codes"  # after the result's own columns
    assert [row["codes"] for row in rows] == [_per_case_codes(c) for c in CLAIMS]
    assert rows[4]["codes"] == "[]"  # a claim without codes: the empty list
    assert rows[2]["codes"] is None and rows[2]["error"].startswith("CODE_NOT_VALID_ON_DATE")
    expected = evaluate_arrow(pa.Table.from_pylist(CLAIMS), IORT, columns=COLUMNS)
    assert [row["codes"] for row in rows] == expected.column("codes").to_pylist()


@pytest.mark.parametrize("out", ["csv", "parquet"])
def test_codes_come_before_the_kept_columns(cli, tmp_path, out):
    claims = [{**claim, "member_id": f"M{i}"} for i, claim in enumerate(CLAIMS)]
    path = _write(tmp_path, "csv", claims)
    result = tmp_path / f"results.{out}"
    code, _, err = cli("batch", path, *MAP, "--keep", "member_id", "--out", result)
    assert code == 3, err
    names, rows = _read(result)
    assert names[-2:] == ["codes", "member_id"]
    assert [row["member_id"] for row in rows] == [f"M{i}" for i in range(len(CLAIMS))]
    assert [row["codes"] for row in rows] == [_per_case_codes(c) for c in CLAIMS]


@pytest.mark.parametrize("source", ["csv", "parquet"])
@pytest.mark.parametrize("out", ["csv", "parquet"])
def test_an_input_without_code_columns_has_no_codes_column(cli, tmp_path, source, out):
    """As `evaluate_arrow`: no code field among the columns, no `codes` column."""
    path = _write(tmp_path, source, [{"case_id": "A", "service_date": "2020-01-01",
                                      "cancer_site": "rectal"}])
    result = tmp_path / f"results.{out}"
    code, _, err = cli("batch", path, "--out", result)
    assert code == 0, err
    names, _ = _read(result)
    assert "codes" not in names
    assert names[-1] == "error"


@pytest.mark.parametrize("out", ["csv", "parquet"])
def test_json_lines_input_always_has_the_codes_column(cli, tmp_path, out):
    """Any line of a JSON Lines file may give codes, so its results always carry the column:
    `[]` for a line without codes, also in a file where no line gives one, and when it is
    empty."""
    path = tmp_path / "cases.jsonl"
    path.write_text('{"case_id": "A", "service_date": "2020-01-01", "cancer_site": "rectal"}\n')
    result = tmp_path / f"results.{out}"
    code, _, err = cli("batch", path, "--out", result)
    assert code == 0, err
    names, rows = _read(result)
    assert names[-1] == "codes" and rows[0]["codes"] == "[]"
    path.write_text("")
    code, _, err = cli("batch", path, "--out", result)
    assert code == 0, err
    assert _read(result)[0][-1] == "codes"
