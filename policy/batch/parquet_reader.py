"""Reading Parquet cases: columns named as case fields, typed like a JSON case; line = 1-based
row."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from ..columnar import ColumnarPolicy
from ..core.errors import DataError, Problem
from ..core.reading import cannot_read
from .inputs import display, seekable
from .records import Chunk, numbered


def read_parquet(path: str, columnar: ColumnarPolicy) -> Iterator[Chunk]:
    """The chunks of the Parquet file at `path`. Standard input and pipes are first copied to an
    unnamed temporary file (Parquet is read from its end)."""
    with seekable(path) as source:
        yield from _read_parquet(source, columnar, display(path))


def _read_parquet(source_path: str, columnar: ColumnarPolicy, path: str) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(source_path)
    except OSError as exc:
        raise cannot_read(path, exc) from exc
    except pa.ArrowException as exc:
        raise DataError(Problem(path, 0, 0, "MALFORMED_LINE",
                                f"not a Parquet file: {exc}")) from None
    columnar.check_columns(source.schema_arrow, text_cells=False, file=path)
    total, row = max(source.metadata.num_rows, 1), 1
    with source:
        batches = source.iter_batches(batch_size=1 << 16)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError) as exc:  # damaged: refused whole, as a CSV would be
                raise DataError(Problem(path, 0, 0, "MALFORMED_LINE",
                                        f"cannot read the Parquet file: {exc}")) from None
            yield Chunk(batch, numbered(row, batch.num_rows), [], min(row / total, 1.0))
            row += batch.num_rows
