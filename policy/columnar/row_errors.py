"""Row errors as values: per row of a batch, its problems, each a code and a message, in the order
the per-case API reports them; null for a good row (type ROW_ERRORS).

The columnar core and the batch readers make them from each problem's code and message, never
from text; `texts` is the one place they become text ("CODE: message; CODE: message", as a
`DataError` words its problems), for the writers, the result table and the command line, which
adds its hints to the problems of one code (`with_hint`) before it prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa

from ..core.errors import Problem
from . import kernels as pc

PROBLEM = pa.struct([("code", pa.string()), ("message", pa.string())])
ROW_ERRORS = pa.list_(PROBLEM)
Pairs = tuple[tuple[str, str], ...]  # one row's problems as (code, message), as memos keep them


def pairs(problems: Iterable[Problem]) -> Pairs:
    return tuple((problem.code, problem.message) for problem in problems)


def of_pairs(rows: Sequence[Pairs | None]) -> pa.Array:
    """Per row its problems (None or empty: a good row)."""
    return pa.array([[{"code": code, "message": message} for code, message in found]
                     if found else None for found in rows], ROW_ERRORS)


def none(n: int) -> pa.Array:
    return pa.nulls(n, ROW_ERRORS)


def one_code(code: str, messages: pa.Array) -> pa.Array:
    """Per row one problem of `code` with the row's message; null where the message is null
    (the many messages of a column of junk, made by Arrow kernels: `bulk`)."""
    valid = pc.is_valid(messages)
    present = pc.filter(messages, valid)
    problems = pa.StructArray.from_arrays([pa.repeat(pa.scalar(code), len(present)), present],
                                          fields=list(PROBLEM))
    return _lists(pc.cast(valid, pa.int32()), problems, pc.invert(valid))


def join(errors: Sequence[pa.Array], n: int) -> pa.Array:
    """Per row the problems of each of `errors` in turn; null for a row none of them has."""
    present = [found for found in errors if found.null_count < len(found)]
    if not present:
        return none(n)
    if len(present) == 1:
        return present[0]
    rows = pa.concat_arrays([pc.cast(pc.list_parent_indices(found), pa.int64())
                             for found in present])
    problems = pa.concat_arrays([pc.list_flatten(found) for found in present])
    order = pc.sort_indices(rows)  # a stable sort: each row's problems stay in source order
    return _per_row(pc.take(rows, order), pc.take(problems, order), n)


def sorted_per_row(rows: pa.Array, problems: pa.StructArray, n: int) -> pa.Array:
    """Per row (of `n`) the problems whose row is given in `rows`, sorted by code and message
    (the order of their texts: a code's letters and _ all sort after its ':')."""
    table = pa.record_batch([pc.cast(rows, pa.int64()), problems.field("code"),
                             problems.field("message")], names=["row", "code", "message"])
    order = pc.sort_indices(table, [("row", "ascending"), ("code", "ascending"),
                                    ("message", "ascending")])
    return _per_row(pc.take(table.column(0), order), pc.take(problems, order), n)


def texts(errors: pa.Array) -> pa.Array:
    """Per row its problems as text, "CODE: message" joined by "; " (null for a good row)."""
    if errors.null_count == len(errors):
        return pa.nulls(len(errors), pa.string())
    problems = pc.list_flatten(errors)
    words = pc.binary_join_element_wise(problems.field("code"), problems.field("message"), ": ")
    return pc.binary_join(_like(errors, words), "; ")


def with_hint(errors: pa.Array, code: str, hint: str, starting: str = "") -> pa.Array:
    """`errors` with `hint` added to the message of each problem of `code` (whose message
    starts with `starting`, if given)."""
    if errors.null_count == len(errors):
        return errors
    problems = pc.list_flatten(errors)
    messages = problems.field("message")
    chosen = pc.equal(problems.field("code"), code)
    if starting:
        chosen = pc.and_(chosen, pc.starts_with(messages, starting))
    if not pc.any(chosen).as_py():
        return errors
    messages = pc.if_else(chosen, pc.binary_join_element_wise(messages, hint, ""), messages)
    return _like(errors, pa.StructArray.from_arrays([problems.field("code"), messages],
                                                    fields=list(PROBLEM)))


def replaced(errors: pa.Array, mask: pa.Array, replacements: pa.Array) -> pa.Array:
    """`errors` with its rows where `mask` is true taken from `replacements` in turn (what
    `replace_with_mask` does for other types; it has no kernel for lists)."""
    n = len(errors)
    chosen = pc.fill_null(mask, False)
    at = pc.add(pc.cumulative_sum(pc.cast(chosen, pa.int64())), n - 1)
    index = pc.if_else(chosen, at, pc.arange(n))
    return pc.take(pa.concat_arrays([errors, replacements]), index)


def _like(errors: pa.Array, values: pa.Array) -> pa.Array:
    """`values` (one per problem of `errors`, in order) as lists shaped like `errors`."""
    lengths = pc.fill_null(pc.list_value_length(errors), 0)
    return _lists(lengths, values, pc.is_null(errors))


def _lists(lengths: pa.Array, values: pa.Array, mask: pa.Array) -> pa.Array:
    """Lists of `values`, `lengths` long each, null where `mask` is true (its length 0)."""
    offsets = pa.concat_arrays([pa.array([0], pa.int32()),
                                pc.cast(pc.cumulative_sum(lengths), pa.int32())])
    # a null offset is a null list (from_arrays' `mask` would import pyarrow.compute)
    null = pa.concat_arrays([mask, pa.array([False], pa.bool_())])
    return pa.ListArray.from_arrays(pc.if_else(null, pa.scalar(None, pa.int32()), offsets),
                                    values)


def _per_row(rows: pa.Array, problems: pa.Array, n: int) -> pa.Array:
    """Lists of `problems` grouped by their `rows` (sorted), spread over `n` rows."""
    counts = pc.value_counts(rows)  # the rows in order (they are sorted)
    grouped = _lists(counts.field("counts"), problems,
                     pa.array([False] * len(counts), pa.bool_()))
    position = pc.index_in(pc.arange(n), value_set=counts.field("values"))
    return pc.take(grouped, position)

