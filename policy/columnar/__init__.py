"""Columnar evaluation on Apache Arrow: a table or record batch of cases in, one of results out.

The per-case engine holds, for each revision, the outcome of every partial case as a list indexed
by the case's mixed-radix code (`codes`). Here the same lookup runs on whole columns, in three
parts: the outcome table, built once per policy (`outcomes`); the input checks, the column-wise
counterpart of `cases.check_case` (`inputs`); and the keyed evaluation that joins them (`keyed`).
Tests compare the columnar and the per-case evaluators row by row.
"""

from .inputs import DAY_MEMO_LIMIT, NO_DATE, VALUE_MEMO_LIMIT
from .keyed import ColumnarPolicy, Keyed, evaluate_arrow, for_policy
from .outcomes import RESULT_SCHEMA

__all__ = ["DAY_MEMO_LIMIT", "NO_DATE", "RESULT_SCHEMA", "VALUE_MEMO_LIMIT", "ColumnarPolicy",
           "Keyed", "evaluate_arrow", "for_policy"]
