"""Reading Parquet cases: columns named as case fields, typed like a JSON case; line = 1-based
row.

A Parquet file can be small for what it holds: a long value stored once in a column chunk's
dictionary may stand for every row of it (50 KB of file for 200,000 rows of a 1 MiB value: 200 GB
of text), and a compressed page of one value repeated inflates as far. So what a file decodes to
is bounded before anything expands it: at most MAX_TEXT_BYTES of text per PARQUET_ROWS rows, else
the file is refused (DECODED_TOO_LARGE). Each row group is checked first from the footer (its
pages' uncompressed size) and the longest value in each of its column dictionaries (the
dictionary page alone is read): when every row could be that long and the bound still holds, the
file is read as always. Otherwise its text columns are read as dictionaries (a repeated value
stays one value), each batch's text is measured exactly, and it is handed on in chunks of at
most CHUNK_TEXT_BYTES, so memory stays bounded as for the other formats.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from ..columnar import ColumnarPolicy
from ..columnar import kernels as pc
from ..columnar.column_map import NO_MAP, ColumnMap, renamed
from ..columnar.column_map import apply as apply_map
from ..core.cases import CODE_FIELDS
from ..core.errors import DataError, Problem
from ..core.reading import cannot_read
from .inputs import display, seekable
from .records import Chunk, numbered

PARQUET_ROWS = 1 << 16  # rows read at a time
MAX_TEXT_BYTES = 256 << 20  # text that PARQUET_ROWS rows may decode to (4 KiB a row on average)
CHUNK_TEXT_BYTES = 16 << 20  # text handed on in one chunk when it is measured (wide rows)


def read_parquet(path: str, columnar: ColumnarPolicy,
                 plan: ColumnMap = NO_MAP) -> Iterator[Chunk]:
    """The chunks of the Parquet file at `path`. Standard input and pipes are first copied to an
    unnamed temporary file (Parquet is read from its end)."""
    with seekable(path) as source:
        for chunk in _read_parquet(source, columnar, display(path), plan):
            if plan and chunk.cases is not None:  # a claim file's own names (column_map)
                cases, kept = apply_map(chunk.cases, plan)
                chunk = chunk._replace(cases=cases, kept=kept)
            yield chunk


def _textual(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or \
        pa.types.is_string_view(kind)


def _damaged(path: str, exc: Exception) -> DataError:
    return DataError(Problem(path, 0, 0, "MALFORMED_LINE", f"cannot read the Parquet file: {exc}"))


def _read_parquet(source_path: str, columnar: ColumnarPolicy, path: str,
                  plan: ColumnMap = NO_MAP) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    try:
        footer = pq.ParquetFile(source_path)
    except OSError as exc:
        raise cannot_read(path, exc) from exc
    except pa.ArrowException as exc:
        raise DataError(Problem(path, 0, 0, "MALFORMED_LINE",
                                f"not a Parquet file: {exc}")) from None
    with footer:
        columnar.check_columns(footer.schema_arrow, text_cells=False, file=path, plan=plan)
        text = [field.name for field in footer.schema_arrow if _textual(field.type)]
        coded = not set(renamed(footer.schema_arrow.names, plan)).isdisjoint(CODE_FIELDS)
        try:
            measured = _may_expand(source_path, footer, text, path)
            source = pq.ParquetFile(source_path, metadata=footer.metadata,
                                    read_dictionary=text if measured else None)
        except (pa.ArrowInvalid, OSError) as exc:  # pages that cannot be read: damaged, as below
            raise _damaged(path, exc) from None
    total, row = max(source.metadata.num_rows, 1), 1
    with source:
        batches = source.iter_batches(batch_size=PARQUET_ROWS)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError) as exc:  # damaged: refused whole, as a CSV would be
                raise _damaged(path, exc) from None
            done = min((row + batch.num_rows - 1) / total, 1.0)
            if measured:
                yield from _measured_chunks(batch, row, path, done, coded)
            else:
                yield Chunk(batch, numbered(row, batch.num_rows), [], done, coded=coded)
            row += batch.num_rows


def _may_expand(source_path: str, footer: Any, text: list[str], path: str) -> bool:
    """Whether some row group may decode to more than MAX_TEXT_BYTES per PARQUET_ROWS rows:
    DECODED_TOO_LARGE when its pages alone do (the footer says so); True when a row of it could,
    were every row to take the longest value of each column dictionary; False when neither."""
    import pyarrow.parquet as pq

    metadata = footer.metadata
    leaves = {metadata.schema.column(j).path: j for j in range(metadata.num_columns)}
    probe = None
    first = 1
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        allowed = MAX_TEXT_BYTES * max(1, -(-group.num_rows // PARQUET_ROWS))
        if group.total_byte_size > allowed:
            raise DataError(Problem(path, 0, 0, "DECODED_TOO_LARGE", (
                f"row group {index + 1} (rows {first:,} to {first + group.num_rows - 1:,}) "
                f"decompresses to {group.total_byte_size:,} bytes; the reader accepts "
                f"{MAX_TEXT_BYTES >> 20} MiB of text per {PARQUET_ROWS:,} rows")))
        first += group.num_rows
        coded = [name for name in text
                 if name in leaves and group.column(leaves[name]).has_dictionary_page]
        if not coded or not group.num_rows:
            continue
        if probe is None:
            probe = pq.ParquetFile(source_path, metadata=metadata, read_dictionary=text)
        head = next(probe.iter_batches(batch_size=1, row_groups=[index], columns=coded,
                                       use_threads=False))
        longest = sum(pc.max(pc.binary_length(column.dictionary)).as_py() or 0
                      for column in head.columns)
        if group.num_rows * longest + group.total_byte_size > allowed:
            return True
    return False


def _measured_chunks(batch: pa.RecordBatch, first_row: int, path: str,
                     done: float, coded: bool) -> Iterator[Chunk]:
    """The chunks of a batch read with dictionaries: refused past MAX_TEXT_BYTES, else in runs
    of rows of at most CHUNK_TEXT_BYTES of text (a longer row alone), decoded."""
    sizes = _text_sizes(batch)
    total = pc.sum(sizes).as_py() or 0
    if total > MAX_TEXT_BYTES:
        raise DataError(Problem(path, 0, 0, "DECODED_TOO_LARGE", (
            f"rows {first_row:,} to {first_row + batch.num_rows - 1:,} decode to {total:,} bytes "
            f"of text; the reader accepts {MAX_TEXT_BYTES >> 20} MiB per {PARQUET_ROWS:,} rows "
            f"(a long value repeated over many rows?)")))
    ends = pc.cumulative_sum(sizes).to_pylist()  # text up to and including each row
    start, taken = 0, 0
    while start < batch.num_rows:
        stop = max(bisect.bisect_right(ends, taken + CHUNK_TEXT_BYTES), start + 1)
        piece = batch.slice(start, stop - start)
        yield Chunk(_decoded(piece), numbered(first_row + start, piece.num_rows), [], done,
                    coded=coded)
        start, taken = stop, ends[stop - 1]


def _decoded(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Dictionary columns as plain ones: the reader's dictionaries grow over a row group, and
    each chunk would otherwise carry (and be checked against) all of it so far."""
    for index, field in enumerate(batch.schema):
        if pa.types.is_dictionary(field.type):
            batch = batch.set_column(index, field.name,
                                     pc.cast(batch.column(index), field.type.value_type))
    return batch


def _text_sizes(batch: pa.RecordBatch) -> pa.Array:
    """Per row, the bytes of text its columns decode to (int64)."""
    sizes: pa.Array = pa.repeat(pa.scalar(0, pa.int64()), batch.num_rows)
    for column in batch.columns:
        if not _textual(column.type):
            continue
        if pa.types.is_dictionary(column.type):
            lengths = pc.take(pc.binary_length(column.dictionary), column.indices)
        else:
            lengths = pc.binary_length(column)
        sizes = pc.add(sizes, pc.fill_null(pc.cast(lengths, pa.int64()), 0))
    return sizes
