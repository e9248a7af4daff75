"""The records that pass between the readers, the run and the writers, with named fields."""

from __future__ import annotations

import pyarrow as pa

from ..columnar import kernels as pc
from ..columnar.row_errors import Pairs
from ..core.record import Record


class BadLine(Record):
    """An input line that did not parse or check: its line, its problems as (code, message)
    pairs, and the case_id it carried where that could be read (kept beside its error in the
    output)."""

    __slots__ = ()
    line: int
    problems: Pairs
    case_id: str | None = None
    kept: dict[str, str | None] | None = None  # its kept columns' values, where they were read


class Chunk(Record):
    """A piece of input: the cases that parsed (a record batch, or None), the line of each, the
    lines that did not parse, and the fraction of the input read so far."""

    __slots__ = ()
    cases: pa.RecordBatch | None
    lines: pa.Array | None
    bad: list[BadLine]
    done: float
    # the reader refused invalid UTF-8 already (pyarrow's CSV and JSON readers do)
    utf8_checked: bool = False
    # no cell can hold a comma, quote or line break (a CSV without a single quote character), so
    # CSV output of its text needs no quoting checks
    no_quotes: bool = False
    # the kept columns of these rows (`columnar.column_map`), None when none are kept
    kept: pa.RecordBatch | None = None
    # the input's columns include a code field (diagnosis, procedure), by name or mapped: its
    # CSV and Parquet results carry a `codes` column (JSON Lines: always, as any line may)
    coded: bool = False


class Summary(Record):
    """What a run did: rows written, bad rows among them, seconds, rows per determination."""

    __slots__ = ()
    rows: int
    bad: int
    seconds: float
    determinations: dict[str, int]


def numbered(start: int, n: int) -> pa.Array:
    """start, start + 1, ... (n values) as int64: line numbers of consecutive rows."""
    if not n:
        return pa.array([], pa.int64())
    return pc.add(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), n)), start - 1)

