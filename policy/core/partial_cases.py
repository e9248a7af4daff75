"""Partial-case codes: the one mixed-radix numbering of every partial case of a policy.

A partial case gives each input column a value or leaves it unknown. With n values a column has
n + 1 digits (the last, n, means unknown), so a partial case is one integer whose digits are the
columns in table order, the last column varying fastest. The per-case engine, its templates and the
Arrow core all number cases this way; this module is the only place that knows how.

    >>> columns = (("bell", ("brass", "steel")), ("loud", (True, False)))
    >>> count(columns), weights(columns)
    (9, [3, 1])
    >>> encode(columns, {"bell": "steel", "loud": False}), encode(columns, {})
    (4, 8)
    >>> decode(columns, 5)  # loud's digit 2: unknown
    {'bell': 'steel'}
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:  # (collections.abc is not loaded on a warm `policy evaluate`)
    from collections.abc import Mapping, Sequence

    Value = str | bool  # a value of an input: a word, or true/false
    Columns = Sequence[tuple[str, Sequence[Value]]]  # ((name, values), ...) in table order


def weights(columns: Columns) -> list[int]:
    """The weight of each column's digit in a code (the last column's is 1)."""
    found: list[int] = []
    weight = 1
    for _, values in reversed(columns):
        found.append(weight)
        weight *= len(values) + 1
    return found[::-1]


def count(columns: Columns) -> int:
    """How many codes there are: the number of partial cases."""
    total = 1
    for _, values in columns:
        total *= len(values) + 1
    return total


def encode(columns: Columns, case: Mapping[str, object]) -> int:
    """The code of a (valid) case; absent or None fields are unknown."""
    code = 0
    for name, values in columns:
        value = case.get(name)
        code = code * (len(values) + 1) + (len(values) if value is None else values.index(value))
    return code


def decode(columns: Columns, code: int) -> dict[str, Value]:
    """The partial case (its known fields only) that a code stands for."""
    case: dict[str, Value] = {}
    for (name, values), weight in zip(columns, weights(columns), strict=True):
        digit = code // weight % (len(values) + 1)
        if digit < len(values):
            case[name] = values[digit]
    return case
