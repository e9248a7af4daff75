"""Reading a CSV of cases: a header naming the fields, an empty cell unknown (text-cell semantics).

Line numbers are physical lines of the file (see `csv_lines`): a record spanning lines (a quoted
newline) has the line it starts on, blank lines are skipped but counted, and a row whose cells are
all empty counts as a blank line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from io import BufferedReader

import pyarrow as pa

from ..columnar import ColumnarPolicy
from ..columnar import kernels as pc
from ..columnar.column_map import NO_MAP, ColumnMap, renamed, row_fields
from ..columnar.column_map import apply as apply_map
from ..core.cases import CODE_FIELDS
from ..core.errors import DataError, Problem
from ..core.reading import cannot_read
from .csv_lines import RecordLines, place_of_byte
from .inputs import BLOCK_BYTES, open_input, scratch_file, seekable
from .records import Chunk

MAX_CSV_RECORD_BYTES = BLOCK_BYTES  # shorter records are always read; longer ones may be refused
TOO_LONG = (("LINE_TOO_LONG", f"a CSV record longer than {MAX_CSV_RECORD_BYTES} bytes"),)


def read_csv(path: str, columnar: ColumnarPolicy, plan: ColumnMap = NO_MAP) -> Iterator[Chunk]:
    """The chunks of the CSV at `path` ('-': standard input).

    Standard input and pipes are first copied to an unnamed temporary file (pyarrow reads from
    a file). A record longer than MAX_CSV_RECORD_BYTES is that line's LINE_TOO_LONG error: when
    pyarrow meets one (it cannot read a record longer than its block), the file is copied once
    with each such record replaced by an empty one spanning the same lines, and the reading
    resumes after the last line already handed out."""
    with seekable(path) as source:
        handed_out = 0
        try:
            for chunk in _read_csv(source, columnar, path, plan=plan):
                handed_out = _last_line(chunk, handed_out)
                yield chunk
            return
        except _LongRecord:
            pass
        with _without_long_records(source) as (short, long_lines):
            for chunk in _read_csv(short, columnar, path, long_lines, plan=plan):
                rest = _lines_after(chunk, handed_out)
                if rest is not None:
                    yield rest


class _LongRecord(Exception):
    """pyarrow met a CSV record longer than its read block."""


def _last_line(chunk: Chunk, last: int) -> int:
    if chunk.lines is not None and len(chunk.lines):
        last = max(last, pc.max(chunk.lines).as_py())
    return max([last, *(bad.line for bad in chunk.bad)])


def _lines_after(chunk: Chunk, last: int) -> Chunk | None:
    """The part of a chunk after line `last` (None when nothing is left)."""
    bad = [entry for entry in chunk.bad if entry.line > last]
    cases, lines = chunk.cases, chunk.lines
    if cases is not None and lines is not None and len(lines):
        keep = pc.greater(lines, last)
        cases, lines = pc.filter(cases, keep), pc.filter(lines, keep)
    if (cases is None or not cases.num_rows) and not bad:
        return None
    if cases is not None and not cases.num_rows:
        cases = lines = None
    return chunk._replace(cases=cases, lines=lines, bad=bad)


@contextlib.contextmanager
def _without_long_records(path: str) -> Iterator[tuple[str, frozenset[int]]]:
    """A temporary copy of the CSV at `path` where every record longer than
    MAX_CSV_RECORD_BYTES is replaced by a ragged one of the same lines; yields (copy path,
    first lines of the replaced records). Records end at a line break outside quotes."""
    import csv
    import io

    long_lines: set[int] = set()
    with open_input(path) as source, scratch_file() as (copy, copy_path):
        record: list[bytes] = []  # the current record's bytes, while it is short enough
        size = breaks = 0  # its length, and the line breaks inside its quoted cells
        quoted, line, columns = False, 1, None

        def emit(ended: bool) -> None:
            nonlocal record, size, breaks, quoted, line, columns
            if columns is None:  # the header: a replacement record must be ragged against it
                text = b"".join(record).decode("utf-8", "replace")
                columns = len(next(csv.reader(io.StringIO(text)), [])) or 1
            if size > MAX_CSV_RECORD_BYTES:
                long_lines.add(line)
                copy.write(b'"' + b"\n" * breaks + b'"' + (b',""' if columns == 1 else b"")
                           + (b"\n" if ended else b""))
            else:
                copy.write(b"".join(record))
            line += breaks + 1
            record, size, breaks, quoted = [], 0, 0, False

        while block := source.read(BLOCK_BYTES):
            position = 0
            while position < len(block):
                if quoted and size > MAX_CSV_RECORD_BYTES:  # inside a long quoted cell: skip
                    close = block.find(b'"', position)  # to its next quote, counting lines
                    close = len(block) if close < 0 else close
                    breaks += block.count(b"\n", position, close)
                    size += close - position
                    position = close
                    if position == len(block):
                        break
                end = block.find(b"\n", position)
                piece = block[position:] if end < 0 else block[position:end + 1]
                position += len(piece)
                quoted ^= piece.count(b'"') % 2 == 1
                size += len(piece)
                if size <= MAX_CSV_RECORD_BYTES:
                    record.append(piece)
                else:
                    record = []  # too long: only its length and line breaks are kept
                if end >= 0:
                    if quoted:
                        breaks += 1
                    else:
                        emit(True)
        if size:
            emit(False)
        copy.flush()
        yield copy_path, frozenset(long_lines)


def _read_csv(path: str, columnar: ColumnarPolicy, display: str,
              long_lines: frozenset[int] = frozenset(), *,
              plan: ColumnMap = NO_MAP) -> Iterator[Chunk]:
    import pyarrow.csv as pacsv

    bookkeeping = RecordLines(long_lines, TOO_LONG)
    types = {name: pa.string() if name == "case_id" else pa.dictionary(pa.int32(), pa.string())
             for name in row_fields(columnar.columns)}
    for column, field in plan.sources().items():  # a claim file's own names (column_map)
        types[column] = types.get(field, pa.string())
    types.update((column, pa.string()) for column in plan.keep)
    with open_input(path) as handle:  # the readable check, and a first look at the bytes
        size = os.fstat(handle.fileno()).st_size
        no_quotes = not _quotes_in_utf8(handle, display)
        handle.seek(0)
        head = handle.read(1 << 16)
        line_bytes = len(head) / max(head.count(b"\n"), 1)  # for the progress bar only
    # pyarrow opens the file itself: its reading threads never call back into Python (a Python
    # file object here can deadlock an interrupted run's exit)
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=bookkeeping.on_invalid),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""],
                                                 strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True))
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return
        if "straddl" in str(exc) and not long_lines:
            raise _LongRecord from None
        raise _unreadable(display, exc) from None
    except OSError as exc:
        raise cannot_read(display, exc) from exc
    with reader:
        names = reader.schema.names
        problems = columnar.name_problems(names, display, line=1, plan=plan)
        if problems:
            raise DataError(problems)
        bookkeeping.header(names)
        coded = not set(renamed(names, plan)).isdisjoint(CODE_FIELDS)
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                if "straddl" in str(exc) and not long_lines:
                    raise _LongRecord from None
                raise _unreadable(display, exc) from None
            except OSError as exc:  # named here: an error escaping the run would name the output
                raise cannot_read(display, exc) from exc
            lines, bad = bookkeeping.of_batch(batch, no_quotes)
            filled = _any_cell(batch)  # a row of empty cells is a blank line: counted, skipped
            if filled is not None:
                batch, lines = pc.filter(batch, filled), pc.filter(lines, filled)
            done = min(lines[-1].as_py() * line_bytes / size, 1.0) if len(lines) and size else 1.0
            batch, kept = apply_map(batch, plan)
            yield Chunk(batch, lines, bad, done, utf8_checked=True, no_quotes=no_quotes,
                        kept=kept, coded=coded)
        if bookkeeping.invalid:  # invalid rows after the last good row
            yield Chunk(None, None, bookkeeping.after_last(), 1.0, coded=coded)


def _quotes_in_utf8(handle: BufferedReader, display: str) -> bool:
    """Whether the file holds a quote character anywhere (without one, no cell can hold a comma,
    quote or line break). Its first byte that is not UTF-8 is refused here, at its line and
    column: pyarrow would refuse it without them, or, in a ragged row, fail to decode the row's
    text for our invalid-row callback, where an exception cannot propagate (a traceback on
    stderr, and the file refused as MALFORMED_LINE). Read once into one reused buffer: memory
    stays flat, and an ASCII block costs only `isascii`. (Not a memory map: a file truncated
    meanwhile would kill the process with SIGBUS.)"""
    import codecs

    block = bytearray(1 << 20)
    view = memoryview(block)
    decoder = codecs.getincrementaldecoder("utf-8")()
    quote, offset = False, 0
    handle.seek(0)
    while True:
        size = handle.readinto(view)
        pending = decoder.getstate()[0]  # the start of a character cut by the last block
        try:
            if not size:
                decoder.decode(b"", final=True)
                return quote
            quote = quote or block.find(b'"', 0, size) >= 0
            if pending or not (block if size == len(block) else block[:size]).isascii():
                decoder.decode(view[:size])
        except UnicodeDecodeError as exc:
            raise _not_utf8(handle, display, offset - len(pending) + exc.start,
                            exc.object[exc.start]) from None
        offset += size


def _not_utf8(handle: BufferedReader, display: str, offset: int, byte: int) -> DataError:
    line, column = place_of_byte(handle, offset)
    where = "the header is " if line == 1 else ""
    return DataError(Problem(display, line, column, "ENCODING",
                             f"{where}not UTF-8 (byte 0x{byte:02x})"))


def _unreadable(path: str, exc: Exception) -> DataError:
    """A CSV that pyarrow cannot read at all (its message names the row)."""
    code = "ENCODING" if "UTF8" in str(exc) else "MALFORMED_LINE"
    return DataError(Problem(path, 0, 0, code, f"cannot read the CSV: {exc}"))


def _any_cell(batch: pa.RecordBatch) -> pa.Array | None:
    """Mask of rows with at least one non-empty cell; None when every row has one."""
    if batch.num_columns == 0:
        return None
    filled = None
    for column in batch.columns:
        valid = pc.is_valid(column)
        filled = valid if filled is None else pc.or_(filled, valid)
    return None if pc.all(filled).as_py() else filled
