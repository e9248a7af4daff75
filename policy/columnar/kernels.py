"""The Arrow compute kernels the package uses, called by name without `import pyarrow.compute`.

Importing `pyarrow.compute` builds a documented Python wrapper for each of the ~300 kernels Arrow
registers: about 0.04 CPU-s of every `policy batch` run, a tenth of its start-up, which pyarrow's
bare `read_csv` (the batch goal's floor) never pays. These functions call the same kernels through
`pyarrow._compute.call_function`, with the options and defaults of the `pyarrow.compute` wrappers
of the same names (tests/columnar/test_batch_kernels.py compares them result for result). Array
methods that import `pyarrow.compute` themselves (`Array.cast`, `.filter`, `.take`, `.fill_null`,
`RecordBatch.filter`, ...) are not used in the package either; the same test checks that a CSV
batch run never imports it.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from pyarrow import _compute

_call = _compute.call_function


# --- kernels with options ---------------------------------------------------------------------

def take(data: Any, indices: Any, *, boundscheck: bool = True) -> Any:
    return _call("take", [data, indices], _compute.TakeOptions(boundscheck=boundscheck))


def filter(data: Any, mask: Any) -> Any:  # noqa: A001 (the kernel's name)
    """Rows where `mask` is true (null counts as false), of an array or a record batch."""
    return _call("filter", [data, mask])


def cast(data: Any, target_type: pa.DataType) -> Any:
    """A safe cast (overflow and truncation are errors), as `pyarrow.compute.cast`."""
    return _call("cast", [data], _compute.CastOptions.safe(target_type))


def fill_null(values: Any, fill_value: Any) -> Any:
    """`values` with nulls replaced, the fill value taken in the type of `values`."""
    if not isinstance(fill_value, (pa.Array, pa.ChunkedArray, pa.Scalar)):
        fill_value = pa.scalar(fill_value, type=values.type)
    elif values.type != fill_value.type:
        fill_value = pa.scalar(fill_value.as_py(), type=values.type)
    return _call("coalesce", [values, fill_value])


def index_in(values: Any, *, value_set: Any) -> Any:
    return _call("index_in", [values], _compute.SetLookupOptions(value_set=value_set))


def is_in(values: Any, *, value_set: Any) -> Any:
    return _call("is_in", [values], _compute.SetLookupOptions(value_set=value_set))


def count_substring(strings: Any, pattern: str) -> Any:
    return _call("count_substring", [strings], _compute.MatchSubstringOptions(pattern))


def utf8_slice_codeunits(strings: Any, start: int, stop: int | None = None) -> Any:
    return _call("utf8_slice_codeunits", [strings], _compute.SliceOptions(start, stop))


def ascii_trim(strings: Any, characters: str) -> Any:
    return _call("ascii_trim", [strings], _compute.TrimOptions(characters))


def replace_substring_regex(strings: Any, pattern: str, replacement: str) -> Any:
    return _call("replace_substring_regex", [strings],
                 _compute.ReplaceSubstringOptions(pattern, replacement))


def replace_substring(strings: Any, pattern: str, replacement: str) -> Any:
    return _call("replace_substring", [strings],
                 _compute.ReplaceSubstringOptions(pattern, replacement))


def starts_with(strings: Any, pattern: str) -> Any:
    return _call("starts_with", [strings], _compute.MatchSubstringOptions(pattern))


def match_substring(strings: Any, pattern: str) -> Any:
    return _call("match_substring", [strings], _compute.MatchSubstringOptions(pattern))


def match_substring_regex(strings: Any, pattern: str) -> Any:
    return _call("match_substring_regex", [strings], _compute.MatchSubstringOptions(pattern))


def count_substring_regex(strings: Any, pattern: str) -> Any:
    return _call("count_substring_regex", [strings], _compute.MatchSubstringOptions(pattern))


def binary_join_element_wise(*strings: Any, null_handling: str | None = None,
                             null_replacement: str | None = None) -> Any:
    """Row-wise join of string arrays or scalars; the last argument is the separator."""
    options = None
    if null_handling is not None or null_replacement is not None:
        given = {"null_handling": null_handling, "null_replacement": null_replacement}
        options = _compute.JoinOptions(**{k: v for k, v in given.items() if v is not None})
    return _call("binary_join_element_wise", list(strings), options)


def split_pattern(strings: Any, pattern: str) -> Any:
    """Each string split at every `pattern` (a list per row; null for a null)."""
    return _call("split_pattern", [strings], _compute.SplitPatternOptions(pattern))


def binary_join(lists: Any, separator: str) -> Any:
    """Each list of strings joined by `separator` (an empty list: "")."""
    return _call("binary_join", [lists, separator])


def sort_indices(data: Any, sort_keys: Any = ()) -> Any:
    """The order of an array, or of a record batch by its (column, "ascending") keys."""
    return _call("sort_indices", [data], _compute.SortOptions(sort_keys) if sort_keys else None)


# --- kernels without options (the defaults of pyarrow.compute) -------------------------------

def _unary(name: str) -> Any:
    def kernel(data: Any) -> Any:
        return _call(name, [data])
    kernel.__name__ = kernel.__qualname__ = name
    return kernel


def _binary(name: str) -> Any:
    def kernel(left: Any, right: Any) -> Any:
        return _call(name, [left, right])
    kernel.__name__ = kernel.__qualname__ = name
    return kernel


def if_else(condition: Any, left: Any, right: Any) -> Any:
    return _call("if_else", [condition, left, right])


def replace_with_mask(values: Any, mask: Any, replacements: Any) -> Any:
    return _call("replace_with_mask", [values, mask, replacements])


def coalesce(*values: Any) -> Any:
    return _call("coalesce", list(values))


def max_element_wise(*values: Any) -> Any:
    return _call("max_element_wise", list(values))


def min_element_wise(*values: Any) -> Any:
    return _call("min_element_wise", list(values))


add = _binary("add")
subtract = _binary("subtract")
multiply = _binary("multiply")
equal = _binary("equal")
less = _binary("less")
shift_right = _binary("shift_right")
bit_wise_and = _binary("bit_wise_and")
less_equal = _binary("less_equal")
greater = _binary("greater")
greater_equal = _binary("greater_equal")
and_ = _binary("and")
or_ = _binary("or")

is_null = _unary("is_null")
is_valid = _unary("is_valid")
unique = _unary("unique")
drop_null = _unary("drop_null")
value_counts = _unary("value_counts")
dictionary_encode = _unary("dictionary_encode")
cumulative_sum = _unary("cumulative_sum")
list_flatten = _unary("list_flatten")
list_parent_indices = _unary("list_parent_indices")
list_value_length = _unary("list_value_length")
utf8_length = _unary("utf8_length")
binary_length = _unary("binary_length")
invert = _unary("invert")
ascii_lower = _unary("ascii_lower")
utf8_lower = _unary("utf8_lower")
ascii_is_printable = _unary("ascii_is_printable")
sum = _unary("sum")  # noqa: A001 (the kernel's name)
any = _unary("any")  # noqa: A001 (the kernel's name)
all = _unary("all")  # noqa: A001
max = _unary("max")  # noqa: A001


def arange(n: int) -> Any:
    """0, 1, ..., n - 1 (int64) without a Python list: not a kernel, two of them."""
    return subtract(cumulative_sum(fill_null(pa.nulls(n, pa.int64()), 1)), 1)
