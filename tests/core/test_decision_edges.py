"""Edges of the decision core that a mutation run (issue 26, docs/mutation.md) found untested: each
test here fails on a mutant that survived the whole suite before it, named in its docstring.

- dates: the day after every month's end, leap days of 1900, 2000, 2012 and 2100, and a sign, a
  space or a non-ASCII digit in each position (two one-character mutants of `dates.py` accepted
  `2023-11-31`, `2023-+1-01` and `2023- 1-01`);
- batches no test sent: no policy input column at all, every input column null (in memory and as
  files), an in-memory Arrow table with invalid UTF-8, rows dated in the first revision's period
  (2012) alone and after rows before it, and the bound of the shared day table;
- `policy diff`'s classifier when one side is not a string, and pure insertions;
- exact positions and messages of column problems (`input:` has no line, a CSV header is line 1).
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest

from policy.core.dates import check_date, first_of_next_month
from policy.core.errors import DataError, Problem
from reference_evaluator import ReferenceEvaluator
from repo_paths import POLICY_DIR
from shipped import shipped_policy

# --- dates ----------------------------------------------------------------------------------------

MONTH_ENDS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize("month", range(1, 13))
def test_the_last_day_of_each_month_is_a_date_and_the_day_after_it_is_not(year, month):
    """Killed mutants: `day <= days` as `day < days` (every month's last day refused), a month's
    length moved by one (which accepted 2023-11-31), and `month == 2 and leap` as `or` (every
    month of a leap year a day longer)."""
    last = MONTH_ENDS[month - 1] + (month == 2 and year == 2024)
    check_date(f"{year}-{month:02d}-{last:02d}")
    check_date(f"{year}-{month:02d}-01")
    with pytest.raises(ValueError, match="is not a real calendar date"):
        check_date(f"{year}-{month:02d}-{last + 1:02d}")
    with pytest.raises(ValueError, match="is not a real calendar date"):
        check_date(f"{year}-{month:02d}-00")


@pytest.mark.parametrize(("day", "real"), [
    ("2024-02-29", True), ("2023-02-29", False), ("2012-02-29", True), ("2011-02-29", False),
    ("2000-02-29", True), ("1900-02-29", False), ("2100-02-29", False), ("2400-02-29", True),
    ("2024-02-30", False), ("2000-02-30", False), ("0001-01-01", True), ("0000-01-01", False),
    ("9999-12-31", True), ("2023-00-10", False), ("2023-13-01", False), ("2023-12-32", False),
])
def test_leap_days_and_the_ends_of_the_calendar(day, real):
    """Killed mutants: the leap-year rule's `% 4`, `% 100`, `% 400` and their `and`/`or`, `year < 1`
    and `1 <= month <= 12` flipped or moved by one."""
    if real:
        check_date(day)
        assert date.fromisoformat(day).isoformat() == day
    else:
        with pytest.raises(ValueError, match=f"^'{day}' is not a real calendar date$"):
            check_date(day)


@pytest.mark.parametrize("position", range(10))
@pytest.mark.parametrize("character", ["+", "-", " ", "\u0663", "\uff13", "a", "/"])
def test_a_sign_space_letter_or_non_ascii_digit_in_any_position_is_not_a_date(position, character):
    """Killed mutants: the shape check's `isdigit`/`isascii` conjunction as a disjunction, and the
    positions of its hyphens (`text[4]`, `text[7]`) moved by one (which accepted `2023-+1-01` and
    `2023- 1-01`)."""
    good = "2023-11-30"
    if good[position] == character:
        return
    day = good[:position] + character + good[position + 1:]
    with pytest.raises(ValueError, match="is not a date in the form YYYY-MM-DD"):
        check_date(day)


@pytest.mark.parametrize("text", ["2023-1-01", "2023-011-01", "20231101", "2023-11-011",
                                  "2023-11-1", "", "2023-11-30T00:00"])
def test_every_other_length_is_not_a_date(text):
    """Killed mutant: `len(text) == 10` as `len(text) <= 10` or `>= 10`."""
    with pytest.raises(ValueError, match="is not a date in the form YYYY-MM-DD"):
        check_date(text)


def test_the_messages_of_the_date_check_word_for_word():
    with pytest.raises(ValueError) as caught:
        check_date(20231001)
    assert str(caught.value) == "20231001 is not a date; write YYYY-MM-DD, e.g. 2023-10-01"
    with pytest.raises(ValueError) as caught:
        check_date("2023-1-5")
    assert str(caught.value) == ("'2023-1-5' is not a date in the form YYYY-MM-DD (e.g. "
                                 "2023-10-01); times, zones, week dates and compact forms are "
                                 "not accepted")


@pytest.mark.parametrize(("month", "first"), [("2015-12", "2016-01-01"), ("2016-01", "2016-02-01"),
                                              ("2016-11", "2016-12-01"), ("0999-12", "1000-01-01")])
def test_the_first_day_of_the_next_month(month, first):
    """Killed mutants: `mon == 12` flipped, the year or month moved by one."""
    assert first_of_next_month(month) == first


def test_every_day_of_a_leap_year_agrees_with_the_calendar():
    day = date(2011, 12, 25)
    while day < date(2013, 1, 5):
        check_date(day.isoformat())
        day += timedelta(days=1)


# --- batches --------------------------------------------------------------------------------------

DAYS_2012 = ["2012-01-01", "2012-02-29", "2012-06-30", "2012-12-31"]
DAYS_BEFORE = ["2011-12-31", "2005-05-05"]


def _reference():
    return ReferenceEvaluator(POLICY_DIR)


def _rows_agree(results: list[dict], rows: list[tuple[dict, str]]) -> None:
    """Each result row is the per-case API's decision and the reference walk's."""
    reference, iort = _reference(), shipped_policy()
    assert len(results) == len(rows)
    for result, (case, day) in zip(results, rows, strict=True):
        expected = reference.evaluate(case, day)
        decision = iort.evaluate(case, as_of=day)
        assert result["error"] is None
        assert result["determination"] == expected["determination"] == decision.determination
        assert result["revision"] == expected["revision"], (case, day)
        assert result["rule"] == expected["rule"] == decision.rule
        assert (result["needs"] or []) == expected["needs"]
        assert result["explanation"] == decision.explanation


CASES = [{"cancer_site": "rectal", "margin_status": "positive", "t_stage": "T4",
          "recurrent": False}, {"cancer_site": "breast"}, {}, {"cancer_site": "colon"}]


@pytest.mark.parametrize("days", [DAYS_2012, DAYS_BEFORE + DAYS_2012, DAYS_2012 + DAYS_BEFORE],
                         ids=["2012 alone", "before 2012 first", "2012 first"])
def test_rows_dated_in_the_first_revisions_period_in_arrow(days):
    """Killed mutants of `columnar/keyed.py`: `max_element_wise(position, 0)` as `(position, 1)`
    (every 2012 row decided by the 2013 revision) and `less(position, 0)` as `(position, 1)` (2012
    rows called no policy in force, when some row is before 2012)."""
    from policy.columnar import evaluate_arrow

    rows = [(case, day) for day in days for case in CASES]
    table = pa.Table.from_pylist([{**case, "service_date": day} for case, day in rows])
    _rows_agree(evaluate_arrow(table, shipped_policy()).to_pylist(), rows)
    assert {r["revision"] for r in evaluate_arrow(table, shipped_policy()).to_pylist()
            if r["revision"]} == {"2011-12"}


def test_an_as_of_date_in_2012_for_every_row():
    """Killed mutant: the as-of position (a scalar) moved to the second revision."""
    from policy.columnar import evaluate_arrow

    table = pa.Table.from_pylist([{**case, "service_date": "2020-01-01"} for case in CASES])
    results = evaluate_arrow(table, shipped_policy(), as_of="2012-03-01").to_pylist()
    _rows_agree(results, [(case, "2012-03-01") for case in CASES])


@pytest.mark.parametrize("shape", ["no input column", "null input columns", "typed null columns"])
def test_a_batch_without_any_input_value(shape):
    """Every input unknown, so every row decided on its day alone. Killed mutants of
    `columnar/inputs.py`: the no-column path of `partial_case_codes` (`combined is None`) negated
    (a TypeError), and the all-null column taken for a column of values."""
    from policy.columnar import evaluate_arrow

    days = ["2011-06-01", "2012-05-05", "2016-05-03", "2023-10-01"]
    columns: dict = {"case_id": pa.array([f"c{i}" for i in range(len(days))]),
                     "service_date": pa.array(days)}
    for name, values in shipped_policy().compiled.columns:
        if shape == "null input columns":
            columns[name] = pa.nulls(len(days))
        elif shape == "typed null columns":
            kind = pa.bool_() if isinstance(values[0], bool) else pa.string()
            columns[name] = pa.nulls(len(days), kind)
    results = evaluate_arrow(pa.table(columns), shipped_policy()).to_pylist()
    _rows_agree(results, [({}, day) for day in days])
    assert [r["case_id"] for r in results] == ["c0", "c1", "c2", "c3"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("shape", ["no input column", "empty input cells"])
def test_a_claim_file_without_any_input_value(tmp_path, suffix, shape):
    """The same as files: a header (or keys) without any input, or inputs all empty or null."""
    from policy.batch import run_batch

    days = ["2011-06-01", "2012-05-05", "2016-05-03", "2023-10-01"]
    names = [name for name, _ in shipped_policy().compiled.columns]
    path = tmp_path / f"claims{suffix}"
    if suffix == ".csv":
        header = ["case_id", "service_date"] + (names if shape == "empty input cells" else [])
        lines = [",".join(header)] + [
            ",".join([f"c{i}", day] + ([""] * len(names) if shape == "empty input cells" else []))
            for i, day in enumerate(days)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        nulls = dict.fromkeys(names) if shape == "empty input cells" else {}
        path.write_text("".join(json.dumps({"case_id": f"c{i}", "service_date": day, **nulls})
                                + "\n" for i, day in enumerate(days)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run_batch(str(path), shipped_policy(), out=str(out))
    assert (summary.rows, summary.bad) == (4, 0)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for line, day, i in zip(lines, days, range(4), strict=True):
        line.pop("line")
        assert line == shipped_policy().evaluate({"case_id": f"c{i}"}, as_of=day).to_json()


@pytest.mark.parametrize("column", ["case_id", "cancer_site", "service_date"])
def test_invalid_utf8_in_an_arrow_table_is_refused_whole(column):
    """Killed mutant: `data.validate(full=True)` as `full=False` (the cheap check passes invalid
    UTF-8 on to the checks and the output)."""
    from policy.columnar import evaluate_arrow

    good = {"case_id": "a", "cancer_site": "rectal", "service_date": "2016-05-03"}
    data = b"\xff\xfe"
    bad = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(
        (0).to_bytes(4, "little") + len(data).to_bytes(4, "little")), pa.py_buffer(data)])
    columns = {name: pa.array([value]) for name, value in good.items()}
    columns[column] = bad
    with pytest.raises(DataError) as caught:
        evaluate_arrow(pa.table(columns), shipped_policy())
    [problem] = caught.value.problems
    assert problem[:4] == ("input", 0, 0, "ENCODING")
    assert problem.message.startswith("invalid data: ") and "UTF8" in problem.message.upper()


def test_the_shared_day_table_keeps_days_up_to_its_bound_then_starts_afresh(monkeypatch):
    """Killed mutants of `_publish_days`: the bound's `>` as `>=` or `<` (the table emptied on
    every publish, or never), and the plausible-length filter `<=` as `<` (no day ever kept)."""
    from policy.columnar import ColumnarPolicy, inputs

    monkeypatch.setattr(inputs, "DAY_MEMO_LIMIT", 5)
    columnar = ColumnarPolicy(shipped_policy().compiled)

    def evaluate(days):
        batch = pa.RecordBatch.from_pydict({"service_date": days})
        results = columnar.evaluate(batch).to_pylist()
        return [r["determination"] for r in results], columnar.inputs._day_table.days.to_pylist()

    _, kept = evaluate(["2016-05-01", "2016-05-02", "2016-05-03"])
    assert kept == ["2016-05-01", "2016-05-02", "2016-05-03"]
    _, kept = evaluate(["2016-05-04", "2016-05-05", "2016-05-01"])  # 5: at the bound, kept
    assert kept == ["2016-05-01", "2016-05-02", "2016-05-03", "2016-05-04", "2016-05-05"]
    _, kept = evaluate(["2016-05-06"])  # 6: past it, afresh
    assert kept == ["2016-05-06"]
    determinations, kept = evaluate(["2016-05-06", "2023-02-30", "2016-05-077"])
    assert kept == ["2016-05-06", "2023-02-30"]  # a bad day of a date's length is kept too
    assert determinations == ["indeterminate", None, None]


# --- the diff classifier --------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new"), [(None, "2023-10-01"), ("2023-10-01", None),
                                          (5, "2023-10-01"), ("2023-10-01", 5),
                                          (None, "September 2023"), (["2018-09"], "2019-09")])
def test_a_date_only_value_against_a_non_string_is_a_real_edit(old, new):
    """A new field, a removed one, or a number changed to a date is not bookkeeping, even when
    the words are only dates. Killed mutant: the `or` of the two `isinstance` checks as `and`
    (which filed such an edit as bookkeeping, hiding it)."""
    from policy.compare.diff import is_bookkeeping

    assert not is_bookkeeping("statements[id=x].text", old, new)
    assert is_bookkeeping("revision.effective_from", old, new)  # the revision block always is


def test_bookkeeping_is_a_change_of_dates_ids_and_versions_only():
    from policy.compare.diff import is_bookkeeping

    assert is_bookkeeping("content.x", "see 2018-09 (May 2018).", "see 2019-09 (June 2019).")
    assert not is_bookkeeping("content.x", "see 2018-09.", "see 2019-09 and more.")
    assert not is_bookkeeping("revisionx", "a", "b")


@pytest.mark.parametrize(("old", "new", "ops"), [
    ("a b", "a c b", [("=", "a"), ("+", "c"), ("=", "b")]),
    (None, "x y", [("+", "x y")]),
    ("a b c", "a c", [("=", "a"), ("-", "b"), ("=", "c")]),
    ("x y", None, [("-", "x y")]),
    ("a b", "a c", [("=", "a"), ("-", "b"), ("+", "c")]),
    (True, False, [("-", "true"), ("+", "false")]),
    ({"k": ["a", "b"]}, {"k": ["a"]}, [("=", "k:"), ("-", "a, b"), ("+", "a")]),
])
def test_changed_words_has_no_empty_deletion_or_insertion(old, new, ops):
    """Killed mutants: `if i2 > i1` and `if j2 > j1` as `>=` (every pure insertion gained an empty
    deletion, and every pure deletion an empty insertion)."""
    from policy.compare.diff import changed_words

    assert changed_words(old, new) == ops


# --- positions and messages of column problems --------------------------------------------------


def test_a_bad_column_of_an_arrow_table_has_no_line_and_its_column_position():
    """`input: CODE: ...`, never `input:1:3: ...`: an in-memory table has no lines. Killed
    mutants: `name_problems`'s default line 0 as 1, its column numbering from 1 as from 2, and
    `check_columns`'s line moved."""
    from policy.columnar import evaluate_arrow

    table = pa.table({"case_id": ["a"], "cancer": ["rectal"], "recurrent": pa.array([1]),
                      "service_date": pa.array([20160503]), "case_id ": ["b"]})
    with pytest.raises(DataError) as caught:
        evaluate_arrow(table, shipped_policy())
    fields = ("case_id, service_date, cancer_site, margin_status, t_stage, recurrent, diagnosis, "
              "procedure")
    assert [p.as_json() for p in caught.value.problems] == [
        {"file": "input", "line": 0, "col": 2, "code": "UNKNOWN_FIELD",
         "message": f"unknown field 'cancer'; fields: {fields}; did you mean 'cancer_site'?"},
        {"file": "input", "line": 0, "col": 3, "code": "WRONG_TYPE",
         "message": "column 'recurrent' holds int64; it must hold booleans"},
        {"file": "input", "line": 0, "col": 4, "code": "WRONG_TYPE",
         "message": "column 'service_date' holds int64; it must hold strings or dates"},
        {"file": "input", "line": 0, "col": 5, "code": "UNKNOWN_FIELD",
         "message": f"unknown field 'case_id '; fields: {fields}; did you mean 'case_id'? Names "
                    "and values are exact: a space after the comma is part of the cell"}]
    assert str(caught.value).splitlines()[0] == (
        f"input: UNKNOWN_FIELD: unknown field 'cancer'; fields: {fields}; did you mean "
        "'cancer_site'?")


def test_text_cells_want_strings_in_every_column():
    from policy.columnar import evaluate_arrow

    table = pa.table({"recurrent": pa.array([True]), "cancer_site": pa.array([1]),
                      "case_id": ["a"], "case_id2": ["b"]})
    with pytest.raises(DataError) as caught:
        evaluate_arrow(table, shipped_policy(), text_cells=True)
    assert [tuple(p) for p in caught.value.problems] == [
        Problem("input", 0, 1, "WRONG_TYPE", "column 'recurrent' holds bool; it must hold strings"),
        Problem("input", 0, 2, "WRONG_TYPE",
                "column 'cancer_site' holds int64; it must hold strings"),
        Problem("input", 0, 4, "UNKNOWN_FIELD", "unknown field 'case_id2'; fields: case_id, "
                "service_date, cancer_site, margin_status, t_stage, recurrent, diagnosis, "
                "procedure; did you mean 'case_id'?")]


def test_a_repeated_column_is_named_at_its_second_position(tmp_path):
    """A CSV header is line 1 of its file: `claims.csv:1:3: DUPLICATE_KEY ...`."""
    from policy.batch import run_batch

    path = tmp_path / "claims.csv"
    path.write_text("case_id,cancer_site,cancer_site,delimiter;t_stage\na,rectal,rectal,x\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        run_batch(str(path), shipped_policy(), out=str(tmp_path / "out.jsonl"))
    found = [(p.line, p.col, p.code) for p in caught.value.problems]
    assert found == [(1, 3, "DUPLICATE_KEY"), (1, 4, "UNKNOWN_FIELD")]
    assert str(caught.value.problems[0]).endswith(
        ":1:3: DUPLICATE_KEY: column 'cancer_site' given twice")
    assert caught.value.problems[1].message.endswith(
        "; the delimiter looks wrong: the header separates names with ';', and a CSV separates "
        "cells with commas")
    assert not (tmp_path / "out.jsonl").exists()


# --- the per-case API's memos and the compiled index ----------------------------------------------


def test_the_per_case_day_memos_keep_days_up_to_their_bound_then_start_afresh(monkeypatch):
    """The day memos of `decision_memo.DecisionMemo` hold at most MEMO_LIMIT days, then start
    afresh.
    Killed mutants: `len(...) >= MEMO_LIMIT` flipped (a memo emptied on every new day, or never)
    in `_position` and `_before_first_template`."""
    from policy.core import decision_memo

    monkeypatch.setattr(decision_memo, "MEMO_LIMIT", 3)
    compiled = shipped_policy().compiled
    templates = decision_memo.DecisionMemo(compiled)

    def decide(day):
        assert templates.decide({"case_id": day}, day) == compiled.evaluate({"case_id": day}, day)

    in_force = ["2016-05-01", "2016-05-02", "2016-05-03"]
    for day in in_force:
        decide(day)
    assert list(templates._days) == in_force
    decide("2001-01-01")  # a 4th day: the memo starts afresh
    assert list(templates._days) == ["2001-01-01"]
    decide("2001-01-02")
    decide("2001-01-03")
    assert list(templates._before_first) == ["2001-01-01", "2001-01-02", "2001-01-03"]
    decide("2001-01-04")
    assert list(templates._before_first) == ["2001-01-04"]
    assert list(templates._days) == ["2001-01-04"]


@pytest.mark.parametrize(("index", "packed"), [
    ([], b""), ([0], b"\x00"), ([3, 255, 0], bytes([3, 255, 0])), ([0, 256], (0, 256)),
    ([300, 1], (300, 1))])
def test_an_index_is_bytes_while_every_position_fits_in_one(index, packed):
    """Killed mutants: the bound `< 256` as `<= 256` (bytes() refuses 256) or moved by one."""
    from policy.core.compiled import _index_from_json, _index_json, packed_index

    assert packed_index(index) == packed
    assert _index_from_json(json.loads(json.dumps(_index_json(packed)))) == packed


@pytest.mark.parametrize("as_of", [None, "2001-01-01", "2016-05-03"])
def test_a_bad_row_has_no_explanation_even_beside_rows_before_the_first_revision(as_of):
    """A bad row gets its error and null results (evaluate_arrow's contract). Failed before the
    fix: when some row's day was before the first revision, each bad row (a bad date, no date,
    a bad value) got the no-policy explanation of one of those days, even of another row's day."""
    from policy.columnar import evaluate_arrow

    table = pa.table({"service_date": ["2001-01-01", "2023-02-30", None, "2016-05-03",
                                       "2001-01-02"],
                      "cancer_site": ["rectal", "rectal", "rectal", "lung", "colon"]})
    results = evaluate_arrow(table, shipped_policy(), as_of=as_of).to_pylist()
    for row, result in zip(table.to_pylist(), results, strict=True):
        if result["error"] is not None:
            assert {k for k, v in result.items() if v is not None} == {"error"}, result
        else:
            day = as_of or row["service_date"]
            assert result == {**result, **{
                k: v for k, v in shipped_policy().evaluate(
                    {"cancer_site": row["cancer_site"]}, as_of=day).to_json().items()
                if k in ("determination", "explanation", "as_of")}}
    assert sum(r["error"] is None for r in results) == (2 if as_of is None else 3)



def test_the_columnar_forms_of_the_last_eight_policies_are_kept():
    """`for_policy` keeps one columnar form per compiled policy, for the last 8 policies. Killed
    mutants: the bound moved by one, the kept slice emptied, and a policy's form rebuilt on every
    call (or another policy's form returned)."""
    from policy.columnar import keyed

    base = shipped_policy().compiled
    compiled = [base._replace(title=f"copy {n}") for n in range(10)]
    forms = [keyed.for_policy(c) for c in compiled]
    assert [f.compiled for f in forms] == compiled
    assert all(keyed.for_policy(c) is f for c, f in zip(compiled[2:], forms[2:], strict=True))
    assert len(keyed._RECENT) == 8
    assert keyed.for_policy(compiled[0]) is not forms[0]  # the oldest was let go
    assert keyed.for_policy(shipped_policy()).compiled is base  # a Policy names its compiled one
    with pytest.raises(TypeError, match="expected a Policy"):
        keyed.for_policy("fep-8.01.08")


@pytest.mark.parametrize("index_type", [pa.int8(), pa.int16(), pa.int64()])
def test_dictionary_columns_with_narrow_or_wide_indices(index_type):
    """Input columns already dictionary-encoded (as Parquet and DuckDB give them), with int8,
    int16 or int64 indices: the codes combine the columns' indices in int32. Killed mutant: the
    cast of other index types to int32 skipped (int8 indices overflow once multiplied)."""
    from policy.columnar import evaluate_arrow

    compiled = shipped_policy().compiled
    rows = [dict(zip([n for n, _ in compiled.columns], values, strict=True))
            for values in [("other", "close", "T4b", False), ("rectal", "positive", "T4", True),
                           ("none", "negative", "TX", False), ("cns", None, "T2", None)]]
    columns = {"service_date": pa.array(["2016-05-03", "2023-10-01", "2012-07-07", "2020-02-02"])}
    for name, values in compiled.columns:
        cells = [row[name] for row in rows]
        if isinstance(values[0], bool):
            columns[name] = pa.array(cells, pa.bool_())
            continue
        dictionary = pa.array(sorted({c for c in cells if c is not None}) + ["unused"])
        indices = pa.array([None if c is None else dictionary.to_pylist().index(c)
                            for c in cells], index_type)
        columns[name] = pa.DictionaryArray.from_arrays(indices, dictionary)
    results = evaluate_arrow(pa.table(columns), shipped_policy()).to_pylist()
    days = columns["service_date"].to_pylist()
    _rows_agree(results, [({k: v for k, v in row.items() if v is not None}, day)
                          for row, day in zip(rows, days, strict=True)])


@pytest.mark.parametrize("kind", ["date32", "dictionary of dates", "large strings", "views"])
def test_service_dates_as_dates_and_other_string_types(kind, tmp_path):
    """A service_date column of Arrow dates (plain or dictionary-encoded), and string columns as
    large strings or string views (Polars, DuckDB), in memory and in a Parquet file."""
    import pyarrow.parquet as pq

    from policy.batch import run_batch
    from policy.columnar import evaluate_arrow

    days = ["2016-05-03", "2012-02-29", "2001-01-01", None]
    sites = ["rectal", "colon", "breast", "gastric"]
    if kind in ("date32", "dictionary of dates"):
        dates = pa.array([None if d is None else date.fromisoformat(d) for d in days], pa.date32())
        if kind == "dictionary of dates":
            dates = dates.dictionary_encode()
        columns = {"service_date": dates, "cancer_site": pa.array(sites)}
    else:
        string = pa.large_string() if kind == "large strings" else pa.string_view()
        columns = {"service_date": pa.array(days, string), "cancer_site": pa.array(sites, string)}
    table = pa.table(columns)
    results = evaluate_arrow(table, shipped_policy()).to_pylist()
    _rows_agree(results[:3], [({"cancer_site": s}, d) for s, d in zip(sites, days[:3],
                                                                       strict=False)])
    assert results[3]["error"].startswith("NO_DATE")
    if kind == "views":
        return  # (Parquet keeps no string views)
    path = tmp_path / "claims.parquet"
    pq.write_table(table, path)
    out = tmp_path / "out.jsonl"
    summary = run_batch(str(path), shipped_policy(), out=str(out))
    assert (summary.rows, summary.bad) == (4, 1)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line.get("determination") for line in lines] == [
        r["determination"] for r in results]


# --- the shape check of a compiled policy read back from the cache --------------------------------


def _corrupt(path: str, value: object):
    """A change to the compiled JSON: `path` is keys and indexes joined by '/', the last one
    set to `value` (or deleted, for the value DELETE)."""
    def change(data: dict) -> None:
        *parents, last = path.split("/")
        for part in parents:
            data = data[int(part)] if isinstance(data, list) else data[part]
        last = int(last) if isinstance(data, list) else last
        if value is DELETE:
            del data[last]
        else:
            data[last] = value(data[last]) if callable(value) else value
    return change


DELETE = object()
CORRUPTIONS = {
    "format": _corrupt("format", 2), "a key too many": _corrupt("extra", 1),
    "a key missing": _corrupt("evidence_key", DELETE), "evidence key": _corrupt("evidence_key", 3),
    "determinations": _corrupt("determinations/0", 1), "policy keys": _corrupt("policy/x", "y"),
    "policy title": _corrupt("policy/title", 1), "no columns": _corrupt("columns", []),
    "columns": _corrupt("columns", {}), "a column": _corrupt("columns/0", "cancer_site"),
    "a column of 3": _corrupt("columns/0", lambda c: [*c, []]),
    "a column's name": _corrupt("columns/0/0", 1), "a column's values": _corrupt("columns/0/1", {}),
    "no values": _corrupt("columns/0/1", []), "a value": _corrupt("columns/0/1/0", 1),
    "no revisions": _corrupt("revisions", []), "revisions": _corrupt("revisions", {}),
    "a revision": _corrupt("revisions/0", []),
    "a revision's key": _corrupt("revisions/0/x", 1),
    "a revision's id": _corrupt("revisions/0/id", 1),
    "a revision's basis": _corrupt("revisions/0/effective_from_basis", None),
    "rules": _corrupt("revisions/0/rules", []),
    "a rule id": _corrupt("revisions/0/rules", lambda r: {**r, 1: next(iter(r.values()))}),
    "a rule": _corrupt("revisions/0/rules", lambda r: {k: [] for k in r}),
    "a rule's key": _corrupt("revisions/0/rules", lambda r: {k: {**v, 1: "x"}
                                                             for k, v in r.items()}),
    "a rule's value": _corrupt("revisions/0/rules", lambda r: {k: {**v, "then": 1}
                                                               for k, v in r.items()}),
    "evidence": _corrupt("revisions/0/evidence", []),
    "evidence's key": _corrupt("revisions/0/evidence", lambda e: {1: {"text": "t",
                                                                      "covers": None}}),
    "evidence's text": _corrupt("revisions/0/evidence", lambda e: {"x": {"text": None,
                                                                        "covers": None}}),
    "evidence's keys": _corrupt("revisions/0/evidence", lambda e: {"x": {"text": "t"}}),
    "a disclaimer": _corrupt("revisions/0/disclaimer", lambda d: {**d, "text": None}),
    "a disclaimer's keys": _corrupt("revisions/0/disclaimer/provenance", DELETE),
    "a disclaimer key more": _corrupt("revisions/0/disclaimer/x", "y"),
    "outcomes": _corrupt("revisions/0/outcomes", {}),
    "an outcome": _corrupt("revisions/0/outcomes/0", "x"),
    "an outcome of 3": _corrupt("revisions/0/outcomes/0", lambda o: o[:3]),
    "an outcome's determination": _corrupt("revisions/0/outcomes/0/0", 1),
    "an outcome's rules": _corrupt("revisions/0/outcomes/0/1", "x"),
    "an outcome's rule": _corrupt("revisions/0/outcomes/0/1", [1]),
    "an unknown rule": _corrupt("revisions/0/outcomes/0/1", ["no-such-rule"]),
    "an index too short": _corrupt("revisions/0/index", lambda i: i[:-2]),
    "an index too long": _corrupt("revisions/0/index", lambda i: i + "00"),
    "an index not hex": _corrupt("revisions/0/index", lambda i: "zz" + i[2:]),
    "an index past the outcomes": _corrupt("revisions/0/index", lambda i: "ff" + i[2:]),
    "an outcome as a mapping": _corrupt("revisions/0/outcomes/0", dict.fromkeys("abcd", [])),
    "an outcome's rule as a list": _corrupt("revisions/0/outcomes/0/1", [["x"]]),
    # killed mutant: the parts' type check from o[2:] (rule ids as a mapping's keys accepted)
    "an outcome's rules as a mapping": _corrupt("revisions/0/outcomes/0/1",
                                                lambda rules: dict.fromkeys(rules, [])),
    "an index one past the outcomes": _corrupt("revisions/0", lambda r: {
        **r, "index": f"{len(r['outcomes']):02x}" + r["index"][2:]}),
    # the values a revision does not know (issue 23): killed mutant, the check's `and` as `or`
    "unknown": _corrupt("revisions/0/unknown", {}),
    "an unknown of 1": _corrupt("revisions/0/unknown", [["cancer_site"]]),
    "an unknown input": _corrupt("revisions/0/unknown", [["no_such_input", ["rectal"]]]),
    "an unknown value": _corrupt("revisions/0/unknown", [["cancer_site", ["skin"]]]),
    "an unknown's values": _corrupt("revisions/0/unknown", [["cancer_site", "rectal"]]),
}
# the check that refuses each (its message: "compiled policy: WHAT")
REFUSED_BY = {
    "format": "format differs", "a key too many": "keys", "a key missing": "keys",
    "evidence key": "evidence_key", "determinations": "determinations", "policy keys": "policy",
    "policy title": "policy", "no columns": "columns", "columns": "columns",
    "a column": "a column", "a column of 3": "a column", "a column's name": "a column",
    "a column's values": "a column", "no values": "a column", "a value": "a column",
    "no revisions": "revisions", "revisions": "revisions", "a revision": "a revision's keys",
    "a revision's key": "a revision's keys", "a revision's id": "a revision's identity",
    "a revision's basis": "a revision's identity", "rules": "rules", "a rule id": "rules",
    "a rule": "rules", "a rule's key": "rules", "a rule's value": "rules",
    "evidence": "evidence", "evidence's key": "evidence", "evidence's text": "evidence",
    "evidence's keys": "evidence", "a disclaimer": "disclaimer",
    "a disclaimer's keys": "disclaimer", "a disclaimer key more": "disclaimer",
    "outcomes": "outcomes", "an outcome": "outcomes", "an outcome of 3": "outcomes",
    "an outcome's determination": "outcomes", "an outcome's rules": "outcomes",
    "an outcome's rule": "outcomes", "an unknown rule": "outcomes",
    "an outcome as a mapping": "outcomes", "an index too short": "index",
    "an index too long": "index", "an index not hex": "index",
    "an index past the outcomes": "index", "an index one past the outcomes": "index",
    "an outcome's rule as a list": "outcomes", "an outcome's rules as a mapping": "outcomes",
    "unknown": "unknown", "an unknown of 1": "unknown", "an unknown input": "unknown",
    "an unknown value": "unknown", "an unknown's values": "unknown"}


@pytest.fixture(scope="module")
def compiled_json():
    return shipped_policy().compiled.to_json()


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_a_compiled_policy_of_another_shape_is_refused(compiled_json, name):
    """Each condition of `compiled._check_compiled_shape` (a cache entry is read back through it):
    killed mutants turned a condition around or moved its bound (an empty list of columns or of
    values accepted, a rule id of another type, an index entry one past the outcomes)."""
    from policy.core.compiled import CompiledPolicy

    data = json.loads(json.dumps(compiled_json))
    CORRUPTIONS[name](data)
    with pytest.raises(ValueError) as caught:
        CompiledPolicy.from_json(data)
    assert str(caught.value) == f"compiled policy: {REFUSED_BY[name]}"


def test_values_a_revision_does_not_know_round_trip(compiled_json):
    """Killed mutant: the shape check reading a column's values as its name (`column[0]`), which
    refuses every entry that lists a value some revision does not know."""
    from policy.core.compiled import CompiledPolicy

    data = json.loads(json.dumps(compiled_json))
    data["revisions"][0]["unknown"] = [["cancer_site", ["rectal", "colon"]]]
    read = CompiledPolicy.from_json(data)
    assert read.revisions[0].unknown == (("cancer_site", ("rectal", "colon")),)
    assert not read.revisions[0].knows("cancer_site", "colon")
    assert read.revisions[0].knows("cancer_site", "gastric")


def _list_index(compiled_json, change):
    data = json.loads(json.dumps(compiled_json))
    revision = data["revisions"][0]
    revision["index"] = change(list(bytes.fromhex(revision["index"])), len(revision["outcomes"]))
    return data


@pytest.mark.parametrize("change", [
    lambda index, n: index[:-1], lambda index, n: [*index, 0], lambda index, n: [n, *index[1:]],
    lambda index, n: [-1, *index[1:]], lambda index, n: ["0", *index[1:]],
    lambda index, n: {"index": index}], ids=["short", "long", "past", "negative", "text", "dict"])
def test_an_index_given_as_numbers_is_checked_as_closely(compiled_json, change):
    from policy.core.compiled import CompiledPolicy

    with pytest.raises(ValueError, match="^compiled policy: index"):
        CompiledPolicy.from_json(_list_index(compiled_json, change))


def test_a_compiled_policy_round_trips_as_hex_or_as_numbers(compiled_json):
    """Killed mutants: the count of partial cases (`len(values) + 1` per column) or the index
    checks moved by one refuse the compiler's own output."""
    from policy.core.compiled import CompiledPolicy

    compiled = shipped_policy().compiled
    assert CompiledPolicy.from_json(json.loads(json.dumps(compiled_json))) == compiled
    as_numbers = _list_index(compiled_json, lambda index, n: index)
    assert CompiledPolicy.from_json(as_numbers).revisions[1:] == compiled.revisions[1:]
    assert CompiledPolicy.from_json(as_numbers).revisions[0].outcome_at == tuple(
        compiled.revisions[0].outcome_at)


def test_text_changes_name_each_value_by_its_path():
    """`diff._walk`: mappings by key, lists of items with unique ids (or numbers) by id, other
    lists of items by position, lists of plain values as one change. Killed mutants: the
    uniqueness checks of the ids turned around, the keyed walk skipped, a list's tail dropped."""
    from policy.compare.diff import _walk

    def walk(old, new):
        out: list[dict] = []
        _walk(old, new, "", out)
        return [(c["path"], c["old"], c["new"]) for c in out]

    assert walk({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}, "d": 4}) == [
        ("b.c", 2, 3), ("d", None, 4)]
    old = {"s": [{"id": "x", "t": "1"}, {"id": "y", "t": "2"}]}
    new = {"s": [{"id": "y", "t": "2"}, {"id": "z", "t": "3"}, {"id": "x", "t": "9"}]}
    assert walk(old, new) == [("s[id=x].t", "1", "9"), ("s[id=z]", None, {"id": "z", "t": "3"})]
    numbered = {"r": [{"number": 1, "c": "a"}, {"number": 2, "c": "b"}]}
    assert walk(numbered, {"r": [{"number": 2, "c": "b"}]}) == [
        ("r[number=1]", {"number": 1, "c": "a"}, None)]
    twice = {"s": [{"id": "x", "t": "1"}, {"id": "x", "t": "2"}]}
    assert walk(twice, {"s": [{"id": "x", "t": "1"}, {"id": "x", "t": "3"}]}) == [
        ("s[1].t", "2", "3")]  # ids that repeat: by position
    assert walk({"s": [{"id": "x", "t": "1"}]}, {"s": [{"id": "x", "t": "1"}, {"id": "x"}]}) == [
        ("s[1]", None, {"id": "x"})]
    assert walk({"s": [{"t": "1"}]}, {"s": [{"t": "2"}, {"t": "3"}]}) == [
        ("s[0].t", "1", "2"), ("s[1]", None, {"t": "3"})]
    assert walk({"v": ["a", "b"]}, {"v": ["a", "c"]}) == [("v", ["a", "b"], ["a", "c"])]
    assert walk({"v": ["a", "b"]}, {"v": ("a", "b")}) == []
    assert walk({"v": ["a", ["b"]]}, {"v": ["a", ["c"]]}) == [("v[1]", ["b"], ["c"])]
    # an item gone from the end of a list of items (killed mutant: `i <= len(new)`, IndexError)
    assert walk({"s": [{"t": "1"}, {"t": "2"}]}, {"s": [{"t": "1"}]}) == [
        ("s[1]", {"t": "2"}, None)]


def test_the_boxes_of_a_change_are_the_fewest_any_order_of_merging_gives():
    """Cells (a,x) (a,y) (b,y) (b,z) of one key merge into three boxes along the first field
    first, into two along the second first: the diff keeps the two (killed mutant of issue 26:
    the largest partition kept instead of the smallest)."""
    from policy.compare.diff import _merged

    cells = [("k", ("a", "x")), ("k", ("a", "y")), ("k", ("b", "y")), ("k", ("b", "z"))]
    boxes = {sets for _, sets in _merged(cells, 2)}
    assert boxes == {(frozenset("a"), frozenset("xy")), (frozenset("b"), frozenset("yz"))}
    # between partitions of one size, the first order's (merging along the first field first)
    # is kept, so a diff's boxes stay as they were (killed mutant: `<=`, the last one kept)
    tie = [("k", ("a", "x")), ("k", ("a", "y")), ("k", ("b", "x"))]
    assert {sets for _, sets in _merged(tie, 2)} == {(frozenset("ab"), frozenset("x")),
                                                       (frozenset("a"), frozenset("y"))}


@pytest.mark.parametrize("day", [["2016-05-03"], {"2016-05-03": 1}, {"2016-05-03"}, 20160503,
                                 date(2016, 5, 3), None])
@pytest.mark.parametrize("where", ["service_date", "as_of"])
def test_a_date_of_another_type_is_refused_and_not_a_crash(day, where):
    """A service_date or as-of date that is a list, a mapping, a set or a number is a DATE_INVALID
    problem, never a TypeError from a memo lookup. Killed mutants: the `type(...) is str` guards
    before the per-case API's day memo negated (an unhashable day looked up)."""
    iort = shipped_policy()
    case = {"cancer_site": "rectal"}
    if where == "service_date":
        if day is None or isinstance(day, date):  # (unknown; a date object is a date)
            return
        with pytest.raises(DataError) as caught:
            iort.evaluate({**case, "service_date": day})
        assert [p.code for p in caught.value.problems] == ["DATE_INVALID"]
        return
    if day is None:
        with pytest.raises(DataError) as caught:
            iort.evaluate(case, as_of=day)
        assert [p.code for p in caught.value.problems] == ["NO_DATE"]
    elif isinstance(day, date):
        assert iort.evaluate(case, as_of=day).as_of == "2016-05-03"
    else:
        with pytest.raises(DataError) as caught:
            iort.evaluate({**case, "service_date": "2016-05-03"}, as_of=day)
        assert [p[:4] for p in caught.value.problems] == [("as_of", 0, 0, "DATE_INVALID")]


def test_a_datetime_is_not_an_as_of_date_but_a_date_is():
    """Killed mutant: `not isinstance(as_of, datetime)` in `cases.as_of_day` negated or dropped (a
    datetime, whose day depends on a time zone, taken for its date)."""
    from datetime import datetime

    iort = shipped_policy()
    assert iort.evaluate({"cancer_site": "colon"}, as_of=date(2016, 5, 3)).as_of == "2016-05-03"
    with pytest.raises(DataError) as caught:
        iort.evaluate({"cancer_site": "colon"}, as_of=datetime(2016, 5, 3, 23, 30))
    assert [p[:4] for p in caught.value.problems] == [("as_of", 0, 0, "DATE_INVALID")]


@pytest.mark.parametrize(("words", "case"), [
    (["cancer_site=rectal", "recurrent=true"], {"cancer_site": "rectal", "recurrent": True}),
    (["recurrent=false", "t_stage="], {"recurrent": False, "t_stage": ""}),
    (["recurrent=yes"], {"recurrent": "yes"}), (["cancer_site=a=b"], {"cancer_site": "a=b"})])
def test_field_words_become_a_case(words, case):
    from policy.core.cases import parse_words

    assert parse_words(words, shipped_policy().compiled.columns) == case


@pytest.mark.parametrize(("word", "ok"), [("a=b", True), ("a=", True), ("=b", False), ("ab", False),
                                          ("", False), ("=", False)])
def test_a_field_word_is_a_name_an_equals_sign_and_a_value(word, ok):
    """Killed mutant: `sep and name` as `sep or name` (`=b` and `ab` taken for fields)."""
    from policy.core.cases import is_field_word

    assert is_field_word(word) is ok


def test_a_field_given_twice_on_the_command_line_is_refused_naming_both_words():
    from policy.core.cases import parse_words

    with pytest.raises(DataError) as caught:
        parse_words(["t_stage=T1", "cancer_site=colon", "t_stage=T2", "t_stage=T3"],
                    shipped_policy().compiled.columns)
    assert [tuple(p) for p in caught.value.problems] == [
        ("t_stage=T2", 0, 0, "DUPLICATE_KEY", "field 't_stage' is given twice (t_stage=T1 and "
                                              "t_stage=T2)"),
        ("t_stage=T3", 0, 0, "DUPLICATE_KEY", "field 't_stage' is given twice (t_stage=T1 and "
                                              "t_stage=T3)")]


# --- validation under the `first` and `any` hit policies ------------------------------------------


def _tiny_policy(rules: list[dict], hit_policy: str,
                 alpha: tuple[str, ...] = ("red", "green", "blue")) -> dict:
    """A policy of one revision (inputs alpha: red, green, blue unless told; beta: a boolean),
    as the property tests generate them."""
    from generated_policies import POLICY_ID, TITLE

    inputs: list[dict[str, Any]] = [
              {"name": "alpha", "label": "alpha", "values": list(alpha)},
              {"name": "beta", "label": "beta", "values": [True, False]}]
    statements = [{"id": d, "determination": d, "text": f"The request is {d}.",
                   "provenance": "reconstructed", "provenance_note": "Invented."}
                  for d in ("granted", "refused")]
    table = {
        "policy": {"id": POLICY_ID, "title": TITLE},
        "revision": {"id": "2020-01", "version": "1.0.0", "approved": "2020-01",
                     "effective_from": "2020-02-01", "effective_from_basis": "inferred",
                     "effective_from_note": "Inferred.",
                     "history": {"date": "January 2020", "action": "New policy",
                                 "description": "Generated revision 2020-01."}},
        "statements": statements,
        "disclaimer": {"text": "Invented.", "provenance": "reconstructed",
                       "provenance_note": "Invented."},
        "interpretation": [],
        "table": {"hit_policy": hit_policy, "inputs": [{"name": i["name"], "values": i["values"]}
                                                       for i in inputs],
                  "rules": [{**rule, "statement": rule["then"]} for rule in rules]},
    }
    # every value defined, as policy.yml requires (issue 25)
    definition = {"inputs": [{**i, "definitions": {
        ("true" if v is True else "false" if v is False else v):
            {"text": f"The value {v}.", "basis": "reading"} for v in i["values"]}}
        for i in inputs], "determinations": [
        {"id": d, "short": d[:3], "meaning": d, "words": rf"\b{d}\b"}
        for d in ("granted", "refused")],
        "site": {"example": {"as_of": "2020-02-01", "case": {}},
                 "matrix": {"rows": [], "about": "None."}}}
    return {"definition": definition, "revisions": [table], "sentences": [],
            "history": ["January 2020\tNew policy\tGenerated revision 2020-01."]}


def _validate(spec: dict, folder) -> list[str]:
    import contextlib
    import io

    from generated_policies import write_policy
    from policy.cli import main

    tables = write_policy(spec, folder)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["validate", "--tables", str(tables)])
    return [line.split(": ", 1)[1] for line in out.getvalue().splitlines() if ": " in line]


def _rule(rule_id, then, alpha="any", beta="any"):
    return {"id": rule_id, "when": {"alpha": alpha, "beta": beta}, "then": then}


@pytest.mark.parametrize(("hit_policy", "rules", "problems"), [
    ("any", [_rule("a", "granted", ["red"]), _rule("b", "granted", ["red", "green"]),
             _rule("c", "refused")], ["OVERLAP: rules 'a' (granted, line 44), 'b' (granted, line "
                                      "51), 'c' (refused, line 59) all match 2 case(s), e.g. "
                                      "alpha=red, beta=true; overlapping rules must agree under "
                                      "the any hit policy",
                                      "OVERLAP: rules 'b' (granted, line 51), 'c' (refused, line "
                                      "59) all match 2 case(s), e.g. alpha=green, beta=true; "
                                      "overlapping rules must agree under the any hit policy"]),
    ("any", [_rule("a", "granted", ["red"]), _rule("b", "granted", ["red", "green"]),
             _rule("c", "refused", ["blue"])], ["1 revisions valid (2020-01 .. 2020-01)"]),
    ("unique", [_rule("a", "granted", ["red"]), _rule("b", "granted", ["red", "green"]),
                _rule("c", "refused", ["blue"])],
     ["OVERLAP: rules 'a' (granted, line 44), 'b' (granted, line 51) all match 2 case(s), e.g. "
      "alpha=red, beta=true; the unique hit policy allows no overlap"]),
    ("first", [_rule("a", "granted", ["red"]), _rule("b", "refused", ["red"], [True]),
               _rule("c", "refused", [])],
     ["INCOMPLETE_TABLE: 4 complete case(s) match no rule, e.g. alpha=green, beta=true; "
      "alpha=green, beta=false; alpha=blue, beta=true",
      "UNREACHABLE_RULE: rule 'b' can never fire: earlier rules decide every case it matches "
      "(hit policy first)",
      "UNREACHABLE_RULE: rule 'c' can never fire: it matches no case"]),
    ("first", [_rule("a", "granted", ["red"]), _rule("b", "refused", ["green", "red"]),
               _rule("c", "refused")], ["1 revisions valid (2020-01 .. 2020-01)"]),
])
def test_overlaps_and_rules_that_never_fire_under_each_hit_policy(hit_policy, rules, problems,
                                                                 tmp_path):
    """Killed mutants of `checks._coverage_problems`: the `first` and `any` branches turned
    around, every overlap reported (or none), the firing count of overlapping rules under `any`
    skipped, and the number of examples a message gives moved by one."""
    assert _validate(_tiny_policy(rules, hit_policy), tmp_path) == problems


@pytest.mark.parametrize(("version", "problems"), [
    ("1.1.0", ["SEMVER_BUMP: 2020-06 version 1.1.0 after 1.0.0 (2020-01.yaml) is not a MAJOR bump, "
               "but 1 complete case(s) change determination; the diff calls for MAJOR (2.0.0)"]),
    ("2.0.0", ["2 revisions valid (2020-01 .. 2020-06)"]),
])
def test_the_version_bump_is_checked_when_an_input_has_a_single_value(version, problems,
                                                                      tmp_path):
    """An input of one value (alpha: red) is allowed; a later revision that changes a decision
    (beta=false: refused, then granted) still needs a MAJOR bump. Kills the survivor of the full
    mutation run in `validate/chain.py`: the bump guard's `v == w` read as `v != w`, which found
    a withdrawn value in every single-valued input and so skipped the check."""
    first = _tiny_policy([_rule("a", "granted", beta=[True]), _rule("b", "refused")], "first",
                         alpha=("red",))
    second = _tiny_policy([_rule("a", "granted")], "first", alpha=("red",))["revisions"][0]
    second["revision"] = {**second["revision"], "id": "2020-06", "approved": "2020-06",
                          "effective_from": "2020-07-01", "version": version,
                          "history": {"date": "June 2020", "action": "Policy revision",
                                      "description": "Generated revision 2020-06."}}
    spec = {**first, "revisions": [*first["revisions"], second],
            "history": [*first["history"], "June 2020\tPolicy revision\tGenerated revision "
                                           "2020-06."]}
    folder = f"{tmp_path / 'tables' / 'gen-policy'}{os.sep}"
    assert [p.replace(folder, "") for p in _validate(spec, tmp_path)] == problems


def test_a_problem_of_a_case_without_a_file_has_no_position():
    """A case given as a mapping, or as command-line words, has no lines: each problem is at line
    0, column 0, named by the word itself for words. Killed mutants: the line or column moved."""
    from policy.core.cases import WORDS, check_case

    columns = shipped_policy().compiled.columns
    with pytest.raises(DataError) as caught:
        check_case({"cancer_site": "lung", "recurrent": "true"}, columns)
    assert [p[:4] for p in caught.value.problems] == [("case", 0, 0, "UNKNOWN_VALUE"),
                                                      ("case", 0, 0, "WRONG_TYPE")]
    with pytest.raises(DataError) as caught:
        check_case({"cancer_site": "lung", "recurrent": "maybe"}, columns, file=WORDS)
    assert [tuple(p) for p in caught.value.problems] == [
        ("cancer_site=lung", 0, 0, "UNKNOWN_VALUE", "cancer_site cannot be 'lung'; allowed: "
         "rectal, colon, gastric, pancreatic, soft_tissue_sarcoma, gynecologic, head_and_neck, "
         "renal, cns, neuroblastoma, fibromatosis, breast, thoracic, other, none"),
        ("recurrent=maybe", 0, 0, "UNKNOWN_VALUE", "recurrent cannot be 'maybe'; allowed: true, "
         "false")]
    assert str(caught.value).splitlines()[1] == (
        "recurrent=maybe: UNKNOWN_VALUE: recurrent cannot be 'maybe'; allowed: true, false")


@pytest.mark.parametrize("index_type", [pa.int8(), pa.int16(), pa.int64()])
@pytest.mark.parametrize("text_cells", [False, True])
def test_a_service_date_column_already_dictionary_encoded(index_type, text_cells):
    """Dates as dictionary<int8|int16|int64, string> (as DuckDB and Parquet readers give them),
    with a blank among them: the column is re-indexed in int32. Killed mutant: that cast skipped
    (the result's as_of column then had the wrong index type)."""
    from policy.columnar import evaluate_arrow

    days = ["2016-05-03", "", "2012-02-29", None, "2001-01-01", "2016-05-03"]
    dictionary = pa.array(["2001-01-01", "2016-05-03", "", "2012-02-29"])
    indices = pa.array([None if d is None else dictionary.to_pylist().index(d) for d in days],
                       index_type)
    table = pa.table({"service_date": pa.DictionaryArray.from_arrays(indices, dictionary),
                      "cancer_site": pa.array(["colon"] * len(days))})
    from policy.columnar import RESULT_SCHEMA

    result = evaluate_arrow(table, shipped_policy(), text_cells=text_cells)
    assert result.schema == RESULT_SCHEMA
    assert result.column("as_of").type == pa.dictionary(pa.int32(), pa.string())
    results = result.to_pylist()
    good = [(n, day) for n, day in enumerate(days) if day]
    _rows_agree([results[n] for n, _ in good], [({"cancer_site": "colon"}, day) for _, day in good])
    assert results[3]["error"].startswith("NO_DATE")
    assert results[1]["error"].startswith("NO_DATE" if text_cells else "DATE_INVALID")
    assert [r["as_of"] for r in results] == [d or None for d in days]


def test_a_full_int8_dictionary_with_a_null_row():
    """An input column as dictionary<int8> with all 128 values an int8 index reaches, and a
    null row: the null's digit (one past the values) does not fit in int8, so the indices are
    widened first. (Killed mutant of issue 26: the widening turned around, ArrowInvalid "Value
    128 too large".)"""
    from policy.columnar import evaluate_arrow

    dictionary = pa.array(["rectal"] + [f"x{i}" for i in range(127)])
    sites = pa.DictionaryArray.from_arrays(pa.array([0, None, 127], pa.int8()), dictionary)
    results = evaluate_arrow(pa.table({"cancer_site": sites}), shipped_policy(),
                             as_of="2016-05-03").to_pylist()
    _rows_agree(results[:2], [({"cancer_site": "rectal"}, "2016-05-03"), ({}, "2016-05-03")])
    assert results[2]["error"].startswith("UNKNOWN_VALUE: cancer_site cannot be 'x126'")


@pytest.mark.parametrize("text_cells", [False, True])
def test_a_null_inside_a_dictionary_is_a_null_row(text_cells):
    """A dictionary whose values hold a null (not only its indices) gives that row a null, as
    the docstring of `dictionary_of_strings` says: for a date, NO_DATE; for an input, unknown.
    (Killed mutant of issue 26: the decoding taken only for a dictionary of type null, which
    passed the null on to the date check, a TypeError.)"""
    from policy.columnar import evaluate_arrow

    days = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2], pa.int32()),
                                          pa.array(["2016-05-03", None, "2020-01-01"]))
    sites = pa.DictionaryArray.from_arrays(pa.array([0, 0, 1], pa.int8()),
                                           pa.array(["rectal", None]))
    results = evaluate_arrow(pa.table({"service_date": days, "cancer_site": sites}),
                             shipped_policy(), text_cells=text_cells).to_pylist()
    assert results[1]["error"].startswith("NO_DATE")
    _rows_agree([results[0], results[2]], [({"cancer_site": "rectal"}, "2016-05-03"),
                                           ({}, "2020-01-01")])


def test_an_empty_cell_is_unknown_only_as_text():
    """Killed mutant of `inputs._check_value`: `value is None or (text_cells and value == "")` as
    `and` (an empty text cell, from an Arrow table rather than the CSV reader, taken for a
    value)."""
    from policy.columnar import evaluate_arrow

    table = pa.table({"service_date": ["2016-05-03"] * 2, "cancer_site": ["", "colon"],
                      "t_stage": ["", ""]})
    as_text = evaluate_arrow(table, shipped_policy(), text_cells=True).to_pylist()
    _rows_agree(as_text, [({}, "2016-05-03"), ({"cancer_site": "colon"}, "2016-05-03")])
    as_json = evaluate_arrow(table, shipped_policy()).to_pylist()
    assert as_json[0]["error"].startswith("UNKNOWN_VALUE: cancer_site cannot be ''")


def test_a_day_before_the_first_revision_names_the_first_ones_date():
    """Killed mutant: `revisions[0]` as `revisions[-1]` in the message of `diff.resolve`."""
    from policy.compare.diff import resolve
    from shipped import shipped_validated

    revisions = shipped_validated().revisions
    assert resolve(revisions, "2016-05-03").id == "2015-12"
    assert resolve(revisions, "2.3.0").id == resolve(revisions, "2015-12").id == "2015-12"
    with pytest.raises(DataError) as caught:
        resolve(revisions, "2001-01-01")
    assert [tuple(p) for p in caught.value.problems] == [
        ("2001-01-01", 0, 0, "UNKNOWN_REVISION",
         "no revision is in force on 2001-01-01; the first is effective from 2012-01-01")]
    with pytest.raises(DataError) as caught:
        resolve(revisions, "latest")
    # the name is the problem's place, with no line or column (killed mutants: 1 and -1)
    assert tuple(caught.value.problems[0])[:4] == ("latest", 0, 0, "UNKNOWN_REVISION")
    assert caught.value.problems[0].message.startswith(
        "'latest' is not a revision id, version or date (revisions: 2011-12, 2012-12, ")


def test_a_long_text_keeps_its_common_words_in_the_word_diff():
    """In a text of more than 200 words, words that occur often are still matched: a word added
    in front and one removed at the end are two small changes, not the whole text replaced
    (killed mutant of issue 26: difflib's `autojunk` heuristic turned on)."""
    from policy.compare.diff import changed_words

    words = " ".join(f"w{i % 3}" for i in range(300))
    assert changed_words(f"{words} x", f"y {words}") == [("+", "y"), ("=", words), ("-", "x")]


def test_changed_quoted_words_carry_their_provenance_on_both_sides():
    """A change of a statement's words or of the disclaimer gives the provenance of each side.
    Killed mutant of `diff._provenance_of`: the disclaimer's `or {}` as `and {}` (its provenance
    lost)."""
    from types import SimpleNamespace

    from policy.compare.diff import text_changes

    def table(words, provenance, statement):
        return SimpleNamespace(data={
            "disclaimer": {"text": words, "provenance": provenance},
            "statements": [{"id": "s", "text": statement, "provenance": "verbatim"}]})

    changes = text_changes(table("Old words.", "verbatim", "A."),
                           table("New words.", "reconstructed", "B."))
    assert changes == [
        {"path": "disclaimer.text", "old": "Old words.", "new": "New words.",
         "bookkeeping": False, "old_provenance": "verbatim", "new_provenance": "reconstructed"},
        {"path": "disclaimer.provenance", "old": "verbatim", "new": "reconstructed",
         "bookkeeping": False},
        {"path": "statements[id=s].text", "old": "A.", "new": "B.", "bookkeeping": False,
         "old_provenance": "verbatim", "new_provenance": "verbatim"}]


def test_a_hint_names_the_first_value_that_differs_only_in_letter_case():
    """Killed mutant of `cases.suggest`: `exact[0]` as `exact[-1]`."""
    from policy.core.cases import suggest

    assert suggest("ab1x", ["Ab1x", "AB1X", "ab1"]) == "; did you mean 'Ab1x'?"
    assert suggest("ab1x ", ["AB1X", "Ab1x"]) == (
        "; did you mean 'AB1X'? Names and values are exact: a space after the comma is part of "
        "the cell")
    assert suggest("rectl", ["rectal", "colon"]) == "; did you mean 'rectal'?"
    assert suggest("xyz", ["rectal", "colon"]) == ""
    assert suggest("col", ["rectal", "colon"]) == "; did you mean 'colon'?"


@pytest.mark.parametrize("value, hint", [
    ("pancreatic_adenocarcinoma", "pancreatic"),  # too long for a close spelling: its start
    ("ren_cell_carcinoma", "renal"),  # its first three letters, no more (killed mutant: four)
    ("Rectal", "rectal"),  # letter case
    ("rectl", "rectal"),  # a close spelling
    ("zzz", None),
])
def test_a_value_not_allowed_gets_the_value_it_looks_like(value, hint):
    """`cases.suggest`, each of its ways. Killed mutant: the suggestion by a value's first three
    letters cut to none (`[:0]`), so a long value that starts like an allowed one got no hint."""
    with pytest.raises(DataError) as caught:
        shipped_policy().evaluate({"cancer_site": value}, "2020-01-01")
    message = caught.value.problems[0].message
    if hint is None:
        assert "did you mean" not in message
    else:
        assert message.endswith(f"; did you mean '{hint}'?")


def test_no_date_is_a_problem_of_the_as_of_date_without_a_position():
    """Killed mutants: the NO_DATE problem at line -1 or column 1 or -1 (its text says `as_of:`
    with no position)."""
    from policy.core.cases import AS_OF, NO_DATE_MESSAGE

    with pytest.raises(DataError) as caught:
        shipped_policy().evaluate({"cancer_site": "rectal"})
    assert caught.value.problems == [Problem(AS_OF, 0, 0, "NO_DATE", NO_DATE_MESSAGE)]
    assert str(caught.value) == f"as_of: NO_DATE: {NO_DATE_MESSAGE}"


@pytest.mark.parametrize("name, text, where", [
    ("case.yaml", "cancer_site: rectal\nmargin_stauts: close\n", "2:1"),
    ("case.json", '{"cancer_site": "rectal",\n "margin_stauts": "close"}\n', "2:2"),
])
def test_an_unknown_field_of_a_case_file_is_placed_at_its_name(cli, tmp_path, name, text, where):
    """Killed mutant: an unknown field placed at its value (`key=False`), not at its name."""
    case = tmp_path / name
    case.write_text(text)
    code, _, err = cli("evaluate", "--case", case, "--as-of", "2020-01-01")
    assert code == 1
    assert err.startswith(f"{case}:{where}: UNKNOWN_FIELD: unknown field 'margin_stauts'")


def test_a_column_is_needed_only_when_its_own_value_changes_the_outcome():
    """With two unknown columns of which only the second decides, the first is not needed. A
    compiler mutant (issue 26) that grouped the completions without the next column too
    (`c[i + 2:]`) named both; the shipped tables have no such pair of neighbours."""
    from policy.compiler import _outcome

    columns = [("first", ("x", "y")), ("second", ("p", "q")), ("third", ("s", "t"))]
    complete = {(a, b, c): ("yes-rule", "yes") if b == "p" else ("no-rule", "no")
                for a in ("x", "y") for b in ("p", "q") for c in ("s", "t")}
    outcome = _outcome(complete, columns, (None, None, "s"), ("yes", "no"))
    assert (outcome.needs, outcome.possible) == (("second",), ("yes", "no"))
    assert _outcome(complete, columns, (None, None, None), ("yes", "no")).needs == ("second",)
