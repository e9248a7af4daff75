"""Row errors as values (`policy/columnar/row_errors.py`): each Arrow function against the same
thing done on Python lists, for rows of any problems (none, one, several; codes and messages of
any text)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.columnar import row_errors
from policy.core.errors import Problem

CODES = st.sampled_from(["NO_DATE", "UNKNOWN_VALUE", "DATE_INVALID", "A", "AB", "A_B"])
MESSAGES = st.text(alphabet=st.sampled_from(["a", "b", " ", ";", ":", "é", "\n"]), max_size=6)
PAIRS = st.lists(st.tuples(CODES, MESSAGES), max_size=3).map(tuple)
ROWS = st.lists(st.one_of(st.none(), PAIRS), max_size=8)


def _text(found: tuple) -> str:
    return "; ".join(f"{code}: {message}" for code, message in found)


def _python(rows: list) -> list:
    """As `to_pylist` gives a ROW_ERRORS array: None for a good row (no problems)."""
    return [[{"code": c, "message": m} for c, m in found] if found else None for found in rows]


@settings(max_examples=200, deadline=None)
@given(ROWS)
def test_of_pairs_and_texts_are_the_python_ones(rows):
    errors = row_errors.of_pairs(rows)
    assert errors.type == row_errors.ROW_ERRORS
    assert errors.to_pylist() == _python(rows)
    assert row_errors.texts(errors).to_pylist() == [
        _text(found) if found else None for found in rows]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6).flatmap(
    lambda n: st.lists(st.lists(st.one_of(st.none(), PAIRS), min_size=n, max_size=n),
                       max_size=4).map(lambda sources: (n, sources))))
def test_join_gives_each_row_the_problems_of_every_source_in_turn(sized):
    n, sources = sized
    joined = row_errors.join([row_errors.of_pairs(rows) for rows in sources], n)
    want = [tuple(p for rows in sources for p in (rows[i] or ())) for i in range(n)]
    assert joined.to_pylist() == _python(want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), MESSAGES), max_size=8), CODES)
def test_one_code_gives_each_message_its_code(messages, code):
    errors = row_errors.one_code(code, pa.array(messages, pa.string()))
    assert errors.to_pylist() == _python([None if m is None else ((code, m),) for m in messages])


@settings(max_examples=200, deadline=None)
@given(ROWS, st.data())
def test_replaced_takes_the_masked_rows_from_the_replacements_in_turn(rows, data):
    mask = data.draw(st.lists(st.one_of(st.booleans(), st.none()), min_size=len(rows),
                              max_size=len(rows)))
    chosen = sum(1 for m in mask if m)
    replacements = data.draw(st.lists(st.one_of(st.none(), PAIRS), min_size=chosen,
                                      max_size=chosen))
    got = row_errors.replaced(row_errors.of_pairs(rows), pa.array(mask, pa.bool_()),
                              row_errors.of_pairs(replacements))
    given_back = iter(replacements)  # a null in the mask keeps the row, as false does
    assert got.to_pylist() == _python([next(given_back) if m else r
                                       for r, m in zip(rows, mask, strict=True)])


@settings(max_examples=200, deadline=None)
@given(ROWS, CODES, st.sampled_from(["", "a", "b "]))
def test_with_hint_adds_to_the_problems_of_one_code_only(rows, code, starting):
    hint = " (hint)"
    got = row_errors.with_hint(row_errors.of_pairs(rows), code, hint, starting=starting)
    assert got.to_pylist() == _python([
        tuple((c, m + hint if c == code and m.startswith(starting) else m) for c, m in found)
        if found else None for found in rows])


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), CODES, MESSAGES), max_size=10))))
def test_sorted_per_row_sorts_each_rows_problems_by_code_and_message(sized):
    n, found = sized
    problems = pa.array([{"code": c, "message": m} for _, c, m in found], row_errors.PROBLEM)
    got = row_errors.sorted_per_row(pa.array([r for r, _, _ in found], pa.int64()), problems, n)
    want = [tuple(sorted((c, m) for r, c, m in found if r == row)) for row in range(n)]
    assert got.to_pylist() == _python(want)
    # sorted by code then message is sorted by text (a code is letters and _, all above ':')
    texts = row_errors.texts(got).to_pylist()
    assert texts == ["; ".join(f"{c}: {m}" for c, m in sorted(pairs)) or None for pairs in want]


def test_pairs_keep_each_problems_code_and_message_in_order():
    problems = [Problem("f", 1, 2, "UNKNOWN_VALUE", "x; y"), Problem("f", 0, 0, "NO_DATE", "z")]
    assert row_errors.pairs(problems) == (("UNKNOWN_VALUE", "x; y"), ("NO_DATE", "z"))
    assert row_errors.texts(row_errors.of_pairs([row_errors.pairs(problems)])).to_pylist() == [
        "UNKNOWN_VALUE: x; y; NO_DATE: z"]
    assert row_errors.none(3).to_pylist() == [None, None, None]
    assert row_errors.texts(row_errors.none(2)).to_pylist() == [None, None]
