"""Claim files with their own columns (issue 22): `policy batch --map FIELD=COLUMN --keep COLUMN`
in every input format, standard input, and `evaluate_arrow(columns=)`; every result agrees with
the per-case API, and a column neither a field, mapped nor kept is still an error naming it."""

import csv
import io
import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from claim_files import write_claims
from policy import load_policy
from policy.columnar import evaluate_arrow
from policy.core.errors import CODES, DataError
from repo_paths import TABLES

IORT = load_policy(TABLES)
CLAIMS = [
    {"claim_id": "A1", "member_id": "M1", "dos": "2023-10-01", "site": "rectal",
     "margin_status": "positive", "t_stage": "T4"},
    {"claim_id": "A2", "member_id": "=SUM(1)", "dos": "2016-05-03", "site": "colon",
     "margin_status": None, "t_stage": None},
    {"claim_id": "A3", "member_id": None, "dos": "2011-06-01", "site": None,
     "margin_status": None, "t_stage": None},
    {"claim_id": "A4", "member_id": "M4", "dos": "2019-06-15", "site": "lung",  # a bad value
     "margin_status": None, "t_stage": None},
]
MAP = ["--map", "case_id=claim_id", "--map", "service_date=dos", "--map", "cancer_site=site",
       "--keep", "member_id"]
COLUMNS = {"case_id": "claim_id", "service_date": "dos", "cancer_site": "site",
           "keep": ["member_id"]}


def _expected(claim):
    """The per-case API's answer for a claim, or its error code."""
    case = {"case_id": claim["claim_id"], "service_date": claim["dos"],
            "cancer_site": claim["site"], "margin_status": claim["margin_status"],
            "t_stage": claim["t_stage"]}
    try:
        decision = IORT.evaluate(case)
    except DataError as exc:
        return ("error", exc.problems[0].code)
    return (decision.determination, (decision.revision or {}).get("id"), decision.rule,
            list(decision.needs))


def _write(tmp_path, kind, rows=None, stem="claims"):
    """`rows` (default CLAIMS) as a claim file of `kind`: csv, jsonl or parquet."""
    return write_claims(tmp_path, kind, CLAIMS if rows is None else rows, stem)


def _got(row):
    if "error" in row and row["error"]:
        return ("error", row["error"].split(":")[0])
    needs = row["needs"] if isinstance(row["needs"], list) else (row["needs"] or "").split()
    revision = row["revision"]
    if isinstance(revision, dict):  # JSON Lines: the revision object
        revision = revision["id"]
    return (row["determination"], revision or None, row["rule"] or None, needs)


def _results(path, kind):
    if kind == "jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    if kind == "csv":
        return list(csv.DictReader(io.StringIO(path.read_text())))
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("source", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("out", ["jsonl", "csv", "parquet"])
def test_every_format_with_map_and_keep_agrees_with_the_per_case_api(cli, tmp_path, source, out):
    path = _write(tmp_path, source)
    result = tmp_path / f"results.{out}"
    code, _, err = cli("batch", path, *MAP, "--out", result)
    assert code == 3, err  # A4's cancer_site 'lung' is a bad line
    rows = _results(result, out)
    assert [_got(row) for row in rows] == [_expected(c) for c in CLAIMS]
    kept = [row["member_id"] or None for row in rows]
    if out == "csv":  # a formula-looking cell is defused
        assert kept == ["M1", "'=SUM(1)", None, "M4"]
    else:
        assert kept == ["M1", "=SUM(1)", None, "M4"]
    assert [row["case_id"] for row in rows] == ["A1", "A2", "A3", "A4"]
    if out == "csv":
        assert list(rows[0])[-1] == "member_id"


@pytest.mark.parametrize("source", ["csv", "jsonl", "parquet"])
def test_standard_input_with_map_and_keep(tmp_path, source):
    path = _write(tmp_path, source)
    done = subprocess.run([sys.executable, "-m", "policy", "batch", "-", "--format", source,
                           *MAP, "--tables", str(TABLES)], input=path.read_bytes(),
                          capture_output=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "FEP_POLICY_CACHE_DIR": ""})
    assert done.returncode == 3, done.stderr
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(r["member_id"], _got(r)) for r in rows] == [
        (c["member_id"], _expected(c)) for c in CLAIMS]


@pytest.mark.parametrize("source", ["csv", "jsonl", "parquet"])
def test_an_unmapped_unkept_column_is_an_error_naming_it_and_both_options(cli, tmp_path,
                                                                         source):
    path = _write(tmp_path, source)
    code, out, err = cli("batch", path, "--map", "case_id=claim_id", "--map", "service_date=dos",
                         "--map", "cancer_site=site", "--out", tmp_path / "r.jsonl")
    assert code in (1, 3)
    assert "member_id" in err and "--map FIELD=COLUMN" in err and "--keep COLUMN" in err
    assert not (tmp_path / "r.jsonl").exists() or source == "jsonl"


def test_map_problems_are_usage_errors(cli, tmp_path):
    path = _write(tmp_path, "csv")
    for words, said in [(["--map", "cancer_sit=site"], "did you mean 'cancer_site'?"),
                        (["--map", "cancer_site=site,dos"], "read from one column"),
                        (["--map", "case_id"], "expected FIELD=COLUMN"),
                        (["--keep", "rule"], "result member"),
                        (["--keep", "cancer_site"], "is a case field")]:
        code, _, err = cli("batch", path, *words)
        assert code == 2 and said in err, (words, err)


def test_a_mapped_column_the_file_lacks_is_named(cli, tmp_path):
    path = _write(tmp_path, "csv")
    code, _, err = cli("batch", path, *MAP, "--map", "t_stage=tumour")
    assert code == 1 and "no column 'tumour', mapped to t_stage" in err


def test_a_field_given_both_ways_is_refused(cli, tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("case_id,claim_id,service_date\nx,A1,2020-01-01\n")
    code, _, err = cli("batch", path, "--map", "case_id=claim_id")
    assert code == 1 and "DUPLICATE_KEY" in err


@pytest.mark.parametrize("header, options, position", [
    ("claim_id,dos,dx1,dx2,dx1", ["--map", "diagnosis=dx1,dx2"], 5),
    ("claim_id,member_id,dos,member_id", ["--keep", "member_id"], 4),
    ("claim_id,dos,claim_id", [], 3)])
def test_a_column_given_twice_is_refused_whatever_the_map_does_with_it(cli, tmp_path, header,
                                                                        options, position):
    """Each column of a claim file is read once: a second column of one name is never dropped
    in silence. (A column joined into a code field or kept, given twice, was: the second's
    codes or values were lost, found by the mutation run of issue 26, `inputs.name_problems`.)"""
    path = tmp_path / "twice.csv"
    name = header.split(",")[position - 1]
    cells = ",".join(["A1", "2020-01-01"] + [f"v{i}" for i in range(header.count(",") - 1)])
    path.write_text(f"{header}\n{cells}\n")
    code, out, err = cli("batch", path, "--map", "case_id=claim_id", "--map", "service_date=dos",
                         *options)
    assert (code, err) == (1, f"{path}:1:{position}: DUPLICATE_KEY: column '{name}' given twice\n")
    table = pa.table([pa.array([v]) for v in cells.split(",")], names=header.split(","))
    columns = {"case_id": "claim_id", "service_date": "dos"}
    columns.update({"diagnosis": ["dx1", "dx2"]} if "dx2" in header else {})
    columns.update({"keep": ["member_id"]} if "--keep" in options else {})
    with pytest.raises(DataError, match=f"input: DUPLICATE_KEY: column '{name}' given twice"):
        evaluate_arrow(table, IORT, columns=columns)


def test_evaluate_arrow_reads_columns_and_keeps_them_as_they_are():
    table = pa.Table.from_pylist([{**c, "member_no": i} for i, c in enumerate(CLAIMS)])
    columns = {**COLUMNS, "keep": ["member_id", "member_no"]}
    result = evaluate_arrow(table, IORT, columns=columns)
    assert result.schema.field("member_no").type == pa.int64()
    rows = result.to_pylist()
    assert [r["member_no"] for r in rows] == [0, 1, 2, 3]
    assert [("error", r["error"].split(":")[0]) if r["error"] else
            (r["determination"], r["revision"], r["rule"], r["needs"]) for r in rows] == [
        _expected(c) for c in CLAIMS]
    with pytest.raises(DataError, match="member_no"):
        evaluate_arrow(table, IORT, columns=COLUMNS)
    batch = table.to_batches()[0]
    assert evaluate_arrow(batch, IORT, columns=columns).to_pylist() == rows


def test_a_mapped_record_batch_is_checked_by_its_own_column_names():
    """A RecordBatch is checked as a Table is: a wrong type names the file's column, not the
    field (killed mutant of issue 26: `if not plan`, which checked a mapped batch only as its
    fields, after renaming)."""
    batch = pa.RecordBatch.from_pydict({"site": [1]})
    with pytest.raises(DataError, match="column 'site' holds int64"):
        evaluate_arrow(batch, IORT, columns={"cancer_site": "site"})


CODED = [
    {"claim_id": "K1", "dos": "2023-10-01", "dx1": "C20", "dx2": "Z85.048", "px": "77424",
     "margin_status": "positive", "t_stage": "T4"},
    {"claim_id": "K2", "dos": "2023-10-01", "dx1": "C20", "dx2": None, "px": "99213",
     "margin_status": None, "t_stage": None},
    {"claim_id": "K3", "dos": "2015-09-30", "dx1": "1541", "dx2": None, "px": None,
     "margin_status": "close", "t_stage": "T4b"},
    {"claim_id": "K4", "dos": "2015-10-01", "dx1": "154.1", "dx2": None, "px": None,
     "margin_status": None, "t_stage": None},
    {"claim_id": "K5", "dos": "2023-09-30", "dx1": "D48.1", "dx2": None, "px": None,
     "margin_status": None, "t_stage": None},
    {"claim_id": "K6", "dos": "2023-10-01", "dx1": "D48.1", "dx2": None, "px": None,
     "margin_status": None, "t_stage": None},
    {"claim_id": "K7", "dos": "2023-10-01", "dx1": "C20", "dx2": "C18.7", "px": None,
     "margin_status": None, "t_stage": None},
    {"claim_id": "K8", "dos": "2011-06-01", "dx1": None, "dx2": None, "px": "99213",
     "margin_status": None, "t_stage": None},
]
CODED_MAP = ["--map", "case_id=claim_id", "--map", "service_date=dos",
             "--map", "diagnosis=dx1,dx2", "--map", "procedure=px"]


def _coded_expected(claim):
    case = {"case_id": claim["claim_id"], "service_date": claim["dos"],
            "diagnosis": ",".join(c for c in (claim["dx1"], claim["dx2"]) if c) or None,
            "procedure": claim["px"], "margin_status": claim["margin_status"],
            "t_stage": claim["t_stage"]}
    try:
        decision = IORT.evaluate(case).to_json()
    except DataError as exc:
        return ("error", "; ".join(f"{p.code}: {p.message}" for p in exc.problems))
    return (decision["determination"], decision["rule"], decision["needs"],
            decision["explanation"], decision["codes"])


def _write_coded(tmp_path, kind):
    return _write(tmp_path, kind, CODED, "coded")


@pytest.mark.parametrize("source", ["csv", "jsonl", "parquet"])
def test_coded_claims_in_every_format_agree_with_the_per_case_api(cli, tmp_path, source):
    """Three code systems' edges, two diagnosis columns joined, a procedure column: each JSON
    Lines result has the per-case API's determination, rule, needs, explanation and codes."""
    path = _write_coded(tmp_path, source)
    result = tmp_path / "coded-results.jsonl"
    code, _, err = cli("batch", path, *CODED_MAP, "--out", result)
    assert code == 3, err  # K4 (154.1 on 2015-10-01) and K6 (D48.1 on 2023-10-01) are bad
    rows = _results(result, "jsonl")
    got = [("error", row["error"]) if "error" in row else
           (row["determination"], row["rule"], row["needs"], row["explanation"], row["codes"])
           for row in rows]
    assert got == [_coded_expected(c) for c in CODED]
    assert [row.get("determination") for row in rows] == [
        "medically_necessary", "not_applicable", "medically_necessary", None, "indeterminate",
        None, "indeterminate", "no_policy_in_force"]
    assert f"{path.name}:5: CODE_WRONG_SYSTEM" in err.replace(str(path), path.name) or \
        "CODE_WRONG_SYSTEM" in err


def test_evaluate_arrow_reads_code_columns_and_adds_codes():
    table = pa.Table.from_pylist(CODED)
    result = evaluate_arrow(table, IORT, columns={
        "case_id": "claim_id", "service_date": "dos", "diagnosis": ["dx1", "dx2"],
        "procedure": "px"}).to_pylist()
    assert [json.loads(r["codes"]) if r["codes"] else None for r in result] == [
        None if expected[0] == "error" else expected[4]
        for expected in map(_coded_expected, CODED)]
    assert [r["determination"] for r in result][:2] == ["medically_necessary", "not_applicable"]


code_cells = st.one_of(st.none(), st.sampled_from(
    ["C20", "c18.7", "C20,Z85.048", "154.1", "1541", "D48.1", "D48.110", "C18", "", "C20,,C18.7",
     "77424", "99213", "77469,99213", "x"]))


@seed(20261209)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries({
    "service_date": st.sampled_from(["2015-09-30", "2015-10-01", "2023-09-30", "2023-10-01",
                                     "2011-06-01", "2023-02-30", None]),
    "diagnosis": code_cells, "procedure": code_cells,
    "cancer_site": st.sampled_from([None, "rectal", "colon", "lung"]),
    "margin_status": st.sampled_from([None, "positive"]),
    "t_stage": st.sampled_from([None, "T4"])}), min_size=1, max_size=12),
    as_of=st.sampled_from([None, "2016-05-03", "2023-10-01"]))
def test_code_columns_agree_with_the_per_case_api_row_for_row(rows, as_of):
    result = evaluate_arrow(pa.Table.from_pylist(rows), IORT, as_of=as_of).to_pylist()
    for row, got in zip(rows, result, strict=True):
        try:
            decision = IORT.evaluate(row, as_of).to_json()
        except DataError as exc:
            if all(p.code.startswith("CODE_") for p in exc.problems):
                assert got["error"] == "; ".join(f"{p.code}: {p.message}" for p in exc.problems)
            else:  # the fields' own problems: the columnar core's order, and its NO_DATE too
                assert {p.code for p in exc.problems} <= {
                    c for c in CODES if f"{c}: " in got["error"]}
            continue
        assert got["error"] is None
        assert (got["determination"], got["rule"], got["needs"], got["explanation"]) == (
            decision["determination"], decision["rule"], decision["needs"],
            decision["explanation"])
        assert json.loads(got["codes"]) == decision["codes"]
