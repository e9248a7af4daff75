"""Batch evaluation of claim files: CSV, JSON Lines or Parquet in; JSON Lines, CSV or Parquet out.

Files are read in record batches (bounded memory), each batch goes through the columnar core
(`columnar.ColumnarPolicy`), and results are written in input order with each row's 1-based line
number. Bad rows (an unknown value, a bad date, a ragged CSV row, a malformed JSON line) are
reported with their line and evaluated no further; every other row is. Output goes through
`writer.atomic_output`, so nothing appears at the output path unless the whole run succeeded.

Line numbers are physical lines of the input file: a CSV record spanning lines (a quoted newline)
has the line it starts on, blank lines are skipped but counted, and a CSV row whose cells are all
empty counts as a blank line. For Parquet, "line" is the 1-based row number.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections import Counter, namedtuple
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from .cases import DATE_FIELDS, TEXT_FIELDS, check_case
from .columnar import RESULT_SCHEMA, ColumnarPolicy, Keyed, for_policy
from .errors import DataError, PolicyError, PolicyIOError, Problem, UsageError

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                 ".pq": "parquet"}
OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet",
                  ".pq": "parquet"}
BLOCK_BYTES = 4 << 20  # read size: about 100,000 claim rows, a few tens of MB in memory at a time
JSON_OUT_ROWS = 8192  # JSON Lines results are long (explanations, quotes): render a slice at a time
MAX_LINE_BYTES = 1 << 20
CSV_FORMULA = r"^[=+\-@\t\r]"  # a cell a spreadsheet would run as a formula (OWASP CSV injection)

# A chunk of input: the cases that parsed (a record batch), the line of each, and the lines that
# did not parse as (line, "CODE: message") or (line, "CODE: message", case_id).
# `checked_utf8`: the reader refused invalid UTF-8 already; `plain`: no cell can hold a comma, quote
# or line break (a CSV without a single quote character), so CSV output needs no quoting checks.
Chunk = namedtuple("Chunk", "cases lines bad done checked_utf8 plain", defaults=(False, False))
Summary = namedtuple("Summary", "rows bad seconds determinations")


def format_of(path: str, formats: dict, what: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in formats:
        raise UsageError(f"{path}: cannot tell the {what} format from the suffix '{suffix}'; use "
                         + ", ".join(sorted(formats)))
    return formats[suffix]


def _case_fields(columnar: ColumnarPolicy) -> list[str]:
    return [*TEXT_FIELDS, *DATE_FIELDS, *(name for name, _ in columnar.columns)]


def _arange(start: int, n: int) -> pa.Array:
    """start, start + 1, ... (n values) as int64."""
    if not n:
        return pa.array([], pa.int64())
    return pc.add(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), n)), start - 1)


# --- readers ----------------------------------------------------------------------------------------

def read_csv(path: str, columnar: ColumnarPolicy) -> Iterator[Chunk]:
    """CSV with a header naming the fields; an empty cell is unknown (text-cell semantics).

    Standard input and pipes are first copied to an unnamed temporary file (pyarrow reads from
    a file). A record longer than MAX_CSV_RECORD_BYTES is that line's LINE_TOO_LONG error: when
    pyarrow meets one (it cannot read a record longer than its block), the file is copied once
    with each such record replaced by an empty one spanning the same lines, and the reading
    resumes after the last line already handed out."""
    with _seekable(path) as source:
        handed_out = 0
        try:
            for chunk in _read_csv(source, columnar, path):
                handed_out = _last_line(chunk, handed_out)
                yield chunk
            return
        except _LongRecord:
            pass
        with _without_long_records(source) as (short, long_lines):
            for chunk in _read_csv(short, columnar, path, long_lines):
                chunk = _lines_after(chunk, handed_out)
                if chunk is not None:
                    yield chunk


MAX_CSV_RECORD_BYTES = BLOCK_BYTES  # shorter records are always read; longer ones may be refused


class _LongRecord(Exception):
    """pyarrow met a CSV record longer than its read block."""


def _last_line(chunk: Chunk, last: int) -> int:
    if chunk.lines is not None and len(chunk.lines):
        last = max(last, pc.max(chunk.lines).as_py())
    return max([last, *(line for line, _ in chunk.bad)])


def _lines_after(chunk: Chunk, last: int) -> Chunk | None:
    """The part of a chunk after line `last` (None when nothing is left)."""
    bad = [(line, message) for line, message in chunk.bad if line > last]
    cases, lines = chunk.cases, chunk.lines
    if cases is not None and len(lines):
        keep = pc.greater(lines, last)
        cases, lines = cases.filter(keep), pc.filter(lines, keep)
    if (cases is None or not cases.num_rows) and not bad:
        return None
    if cases is not None and not cases.num_rows:
        cases = lines = None
    return chunk._replace(cases=cases, lines=lines, bad=bad)


@contextlib.contextmanager
def _seekable(path: str):
    """`path` itself when it is a regular file; else (standard input '-', a pipe, a device) a
    path to an unnamed temporary copy, gone when the block ends (or the process is killed)."""
    import shutil
    import stat

    if path != "-":
        try:
            if stat.S_ISREG(os.stat(path).st_mode):
                yield path
                return
        except OSError as exc:
            raise PolicyIOError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with _open(path) as source, _scratch_file() as (copy, copy_path):
        try:
            shutil.copyfileobj(source, copy, BLOCK_BYTES)
            copy.flush()
        except OSError as exc:
            raise PolicyIOError(f"{_display(path)}: cannot read: {exc.strerror or exc}") from exc
        yield copy_path


@contextlib.contextmanager
def _scratch_file():
    """(binary file, a path that opens it) for a temporary copy: an unnamed file (O_TMPFILE
    where the system has it), opened again through /proc, so a killed run leaves nothing;
    without /proc a named temporary file, removed when the block ends."""
    import tempfile

    with tempfile.TemporaryFile(prefix="policy-input-") as copy:
        if os.path.exists(f"/proc/self/fd/{copy.fileno()}"):
            yield copy, f"/proc/self/fd/{copy.fileno()}"
            return
    with tempfile.NamedTemporaryFile(prefix="policy-input-") as copy:
        yield copy, copy.name


@contextlib.contextmanager
def _without_long_records(path: str):
    """A temporary copy of the CSV at `path` where every record longer than
    MAX_CSV_RECORD_BYTES is replaced by a ragged one of the same lines; yields (copy path,
    first lines of the replaced records). Records end at a line break outside quotes."""
    import csv
    import io

    long_lines: set[int] = set()
    with _open(path) as source, _scratch_file() as (copy, copy_path):
        record: list[bytes] = []  # the current record's bytes, while it is short enough
        size = newlines = 0  # its length, and the line breaks inside its quoted cells
        quoted, line, columns = False, 1, None

        def emit(ended: bool) -> None:
            nonlocal record, size, newlines, quoted, line, columns
            if columns is None:  # the header: a replacement record must be ragged against it
                text = b"".join(record).decode("utf-8", "replace")
                columns = len(next(csv.reader(io.StringIO(text)), [])) or 1
            if size > MAX_CSV_RECORD_BYTES:
                long_lines.add(line)
                copy.write(b'"' + b"\n" * newlines + b'"' + (b',""' if columns == 1 else b"")
                           + (b"\n" if ended else b""))
            else:
                copy.write(b"".join(record))
            line += newlines + 1
            record, size, newlines, quoted = [], 0, 0, False

        while block := source.read(BLOCK_BYTES):
            position = 0
            while position < len(block):
                if quoted and size > MAX_CSV_RECORD_BYTES:  # inside a long quoted cell: skip
                    close = block.find(b'"', position)  # to its next quote, counting lines
                    close = len(block) if close < 0 else close
                    newlines += block.count(b"\n", position, close)
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
                        newlines += 1
                    else:
                        emit(True)
        if size:
            emit(False)
        copy.flush()
        yield copy_path, frozenset(long_lines)


def _too_long(_lines=None) -> str:
    return f"LINE_TOO_LONG: a CSV record longer than {MAX_CSV_RECORD_BYTES} bytes"


def _display(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _read_csv(path: str, columnar: ColumnarPolicy, display: str,
              long_lines: frozenset = frozenset()) -> Iterator[Chunk]:
    import pyarrow.csv as pacsv

    invalid: list[tuple[int, str, int, int]] = []  # (record number, text, expected, actual)

    def on_invalid(row) -> str:
        invalid.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    types = {name: pa.string() if name == "case_id" else pa.dictionary(pa.int32(), pa.string())
             for name in _case_fields(columnar)}
    with _open(path) as handle:  # the readable check, and a first look at the bytes
        size = os.fstat(handle.fileno()).st_size
        plain = not _has_quote(handle)
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
                                             invalid_row_handler=on_invalid),
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
        raise PolicyIOError(f"{display}: cannot read: {exc.strerror or exc}") from exc
    with reader:
        try:
            names = reader.schema.names
        except UnicodeDecodeError as exc:  # pyarrow decodes the header's names only here
            raise DataError(Problem(display, 1, 1, "ENCODING",
                                    f"the header is not UTF-8 (byte 0x{exc.object[exc.start]:02x})"))
        problems = columnar.name_problems(names, display, line=1)
        if problems:
            raise DataError(problems)
        record = 2  # pyarrow numbers records from 1, the header being record 1
        extra = sum(map(_newlines, reader.schema.names))  # newlines inside quoted cells so far
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
                raise PolicyIOError(f"{display}: cannot read: {exc.strerror or exc}") from exc
            # This batch's rows take the next record numbers not taken by invalid rows (the
            # reader parses ahead, so invalid rows of later batches may be known already).
            runs, here = [], []
            start, left = record, batch.num_rows
            for row in sorted(invalid):
                gap = row[0] - start
                if gap > left:
                    break
                if gap:
                    runs.append(_arange(start, gap))
                    left -= gap
                here.append(row)
                start = row[0] + 1
            if left:
                runs.append(_arange(start, left))
                start += left
            record = start
            invalid[:] = [row for row in invalid if row[0] >= record]
            records = pa.concat_arrays(runs) if runs else pa.array([], pa.int64())
            cell_newlines = None if plain else _cell_newlines(batch)
            if cell_newlines is None:  # every record is one line: line = record + extra so far
                lines = pc.add(records, extra)
                bad_lines = [row[0] + extra for row in here]
                extra += sum(_newlines(row[1]) for row in here)
            else:
                lines, bad_lines, extra = _physical_lines(records, cell_newlines, here, extra)
            bad = [(line, _too_long(long_lines) if line in long_lines else
                    f"RAGGED_ROW: expected {expected} cells, found {actual}")
                   for line, (_, text, expected, actual) in zip(bad_lines, here) if text.strip()]
            filled = _any_cell(batch)  # a row of empty cells is a blank line: counted, skipped
            if filled is not None:
                batch, lines = batch.filter(filled), pc.filter(lines, filled)
            done = min(lines[-1].as_py() * line_bytes / size, 1.0) if len(lines) and size else 1.0
            yield Chunk(batch, lines, bad, done, True, plain)
        if invalid:  # invalid rows after the last good row
            bad = []
            for number, text, expected, actual in sorted(invalid):
                if text.strip():
                    bad.append((number + extra, _too_long(long_lines)
                                if number + extra in long_lines else
                                f"RAGGED_ROW: expected {expected} cells, found {actual}"))
                extra += _newlines(text)
            yield Chunk(None, None, bad, 1.0)


def _has_quote(handle) -> bool:
    """Whether the file holds a quote character anywhere; without one, no cell can hold a comma,
    quote or line break. Read in blocks (memory stays flat) until the first quote."""
    handle.seek(0)
    while block := handle.read(BLOCK_BYTES):
        if b'"' in block:
            return True
    return False


def _unreadable(path: str, exc: Exception) -> DataError:
    """A CSV that pyarrow cannot read at all (its message names the row)."""
    code = "ENCODING" if "UTF8" in str(exc) else "MALFORMED_LINE"
    return DataError(Problem(path, 0, 0, code, f"cannot read the CSV: {exc}"))


def _open(path: str):
    """The input opened for reading ('-': standard input, which stays open afterwards). A named
    device (/dev/zero, a disk) is refused: it may never end; pipes and standard input are read."""
    import stat

    try:
        if path == "-":
            return os.fdopen(os.dup(0), "rb")
        handle = open(path, "rb")
        mode = os.fstat(handle.fileno()).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            handle.close()
            raise PolicyIOError(f"{path}: cannot read: a device, not a file or pipe")
        return handle
    except PolicyIOError:
        raise
    except OSError as exc:
        reason = "standard input is closed" if path == "-" else exc.strerror or exc
        raise PolicyIOError(f"{_display(path)}: cannot read: {reason}") from exc


def _newlines(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text))


def _cell_newlines(batch: pa.RecordBatch) -> pa.Array | None:
    """Per row, the newlines inside its cells (a quoted cell may span lines); None when none."""
    total = None
    for column in batch.columns:
        values = column.dictionary if pa.types.is_dictionary(column.type) else column
        if not any(pc.any(pc.match_substring(values, c)).as_py() for c in "\n\r"):
            continue
        counts = pc.count_substring_regex(values, r"\r\n|\r|\n")
        if pa.types.is_dictionary(column.type):
            counts = pc.take(counts, column.indices)
        counts = pc.fill_null(pc.cast(counts, pa.int64()), 0)
        total = counts if total is None else pc.add(total, counts)
    return total


def _physical_lines(rows, cell_newlines, bad, extra):
    """Physical lines of a batch's rows and its invalid rows, given record numbers (slow path)."""
    events = [(r, "row", i) for i, r in enumerate(rows.to_pylist())]
    events += [(number, "bad", j) for j, (number, *_rest) in enumerate(bad)]
    newlines = cell_newlines.to_pylist() if cell_newlines is not None else None
    lines = [0] * len(rows)
    bad_lines = [0] * len(bad)
    for number, kind, i in sorted(events):
        if kind == "row":
            lines[i] = number + extra
            extra += newlines[i] if newlines else 0
        else:
            bad_lines[i] = number + extra
            extra += _newlines(bad[i][1])
    return pa.array(lines, pa.int64()), bad_lines, extra


def _any_cell(batch: pa.RecordBatch) -> pa.Array | None:
    """Mask of rows with at least one non-empty cell; None when every row has one."""
    if batch.num_columns == 0:
        return None
    filled = None
    for column in batch.columns:
        valid = pc.is_valid(column)
        filled = valid if filled is None else pc.or_(filled, valid)
    return None if pc.all(filled).as_py() else filled


def read_jsonl(path: str, columnar: ColumnarPolicy) -> Iterator[Chunk]:
    """JSON Lines: one case object per line (typed like a JSON case file); blank lines skipped.
    Read as a stream: standard input and pipes are decided as their lines arrive."""
    handle = _open(path)
    with handle:
        size = os.fstat(handle.fileno()).st_size  # 0 for a pipe: no progress fraction
        consumed = 0
        line = 1  # the line number of the first line of `pending`
        pending, first, skipping = b"", True, False
        while True:
            try:
                block = handle.read(BLOCK_BYTES)
            except OSError as exc:  # named here: an error escaping the run would name the output
                raise PolicyIOError(f"{_display(path)}: cannot read: {exc.strerror or exc}") from exc
            consumed += len(block)
            if first and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
            first = False
            done = min(consumed / size, 1.0) if size else 0.0 if block else 1.0
            if skipping:  # the rest of an over-long line
                cut = block.find(b"\n")
                if cut < 0 and block:
                    continue
                block, skipping, line = block[cut + 1:], False, line + 1
            data = pending + block
            if block:
                cut = data.rfind(b"\n")
                pending, data = data[cut + 1:], data[:cut + 1]
                if len(pending) > MAX_LINE_BYTES:
                    long_line = line + data.count(b"\n")
                    yield from _json_chunk(data, line, columnar, done)
                    yield Chunk(None, None, [(long_line, f"LINE_TOO_LONG: a line longer than "
                                                         f"{MAX_LINE_BYTES} bytes")], done)
                    line, pending, skipping = long_line, b"", True
                    continue
            else:
                pending = b""
            if data:
                yield from _json_chunk(data, line, columnar, done)
                line += data.count(b"\n")
            if not block:
                break


def _json_schema(columnar: ColumnarPolicy) -> pa.Schema:
    """The Arrow schema JSON Lines cases are parsed with. Built per chunk (microseconds): a memo
    keyed by id(columnar) answered with another policy's schema once that id was reused."""
    boolean = {name for name, values in columnar.columns if isinstance(values[0], bool)}
    return pa.schema([(name, pa.bool_() if name in boolean else pa.string())
                      for name in _case_fields(columnar)])


def _json_chunk(data: bytes, first_line: int, columnar: ColumnarPolicy, done: float):
    """Cases of whole lines: pyarrow's parser when every line is a clean case object, else a
    line-by-line reading that reports each bad line."""
    import pyarrow.json as pajson

    schema = _json_schema(columnar)
    body = data[:-1] if data.endswith(b"\n") else data
    if body and not _has_long_line(body):
        try:  # blocks of at least the longest line; several, so both cores parse
            table = pajson.read_json(
                pa.BufferReader(data),  # no Python callbacks from its threads
                read_options=pajson.ReadOptions(block_size=MAX_LINE_BYTES + 2),
                parse_options=pajson.ParseOptions(explicit_schema=schema,
                                                  unexpected_field_behavior="error"))
            table.validate(full=True)  # the JSON reader lets invalid UTF-8 into strings
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None
        # pyarrow skips blank lines; then line numbers need the line-by-line reading
        if table is not None and table.num_rows == body.count(b"\n") + 1:
            for batch in table.combine_chunks().to_batches():  # few large batches: less overhead
                yield Chunk(batch, _arange(first_line, batch.num_rows), [], done, True)
                first_line += batch.num_rows
            return
    rows, lines, bad = [], [], []
    for offset, raw in enumerate(body.split(b"\n")):
        line = first_line + offset
        if len(raw) > MAX_LINE_BYTES:  # (_has_long_line sent the chunk here)
            bad.append((line, f"LINE_TOO_LONG: a line longer than {MAX_LINE_BYTES} bytes"))
            continue
        text = raw.strip()
        if not text:
            continue
        try:
            case = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except (ValueError, RecursionError) as exc:
            bad.append((line, f"MALFORMED_LINE: not one JSON object: {_reason(exc)}"))
            continue
        if not isinstance(case, dict):
            bad.append((line, f"MALFORMED_LINE: a line holds one JSON object of case fields, "
                              f"not {type(case).__name__}"))
            continue
        try:
            rows.append(check_case(case, columnar.columns))
        except DataError as exc:
            bad.append((line, "; ".join(f"{p.code}: {p.message}" for p in exc.problems),
                        _readable_case_id(case.get("case_id"))))
            continue
        lines.append(line)
    cases = pa.RecordBatch.from_pylist(rows, schema=schema) if rows else None
    yield Chunk(cases, pa.array(lines, pa.int64()) if rows else None, bad, done, True)


def _readable_case_id(value) -> str | None:
    """A bad line's case_id, kept with its error wherever it can be read: a string that UTF-8
    output can carry (not a lone surrogate)."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _has_long_line(data: bytes) -> bool:
    """Whether a line of `data` exceeds MAX_LINE_BYTES. A longer line would contain a whole
    aligned block of half that size without a newline, so a few `find`s usually settle it."""
    half = MAX_LINE_BYTES // 2
    if all(data.find(b"\n", start, start + half) >= 0
           for start in range(0, len(data) - half + 1, half)):
        return False
    return max(map(len, data.split(b"\n"))) > MAX_LINE_BYTES


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"duplicate key {', '.join(map(repr, twice))}")
    return dict(pairs)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(":")[0] if isinstance(exc, json.JSONDecodeError) else str(exc)


def read_parquet(path: str, columnar: ColumnarPolicy) -> Iterator[Chunk]:
    """Parquet: columns named as case fields, typed like a JSON case; line = 1-based row.
    Standard input and pipes are first copied to an unnamed temporary file (Parquet is read
    from its end)."""
    with _seekable(path) as source:
        yield from _read_parquet(source, columnar, _display(path))


def _read_parquet(source_path: str, columnar: ColumnarPolicy, path: str) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(source_path)
    except OSError as exc:
        raise PolicyIOError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except pa.ArrowException as exc:
        raise DataError(Problem(path, 0, 0, "MALFORMED_LINE", f"not a Parquet file: {exc}")) from None
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
            yield Chunk(batch, _arange(row, batch.num_rows), [], min(row / total, 1.0))
            row += batch.num_rows


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


# --- writers ----------------------------------------------------------------------------------------

class JsonLinesWriter:
    """One JSON object per input line: `policy evaluate --json`'s object plus "line", or
    {"line", "error"} for a bad line. Assembled by Arrow string kernels from per-outcome parts."""

    def __init__(self, handle, columnar: ColumnarPolicy):
        self.handle, self.columnar = handle, columnar
        self._templates: dict[tuple[int, str], list[str]] = {}
        self._texts: dict[str, str] = {}  # a repeated text -> its JSON

    def write(self, lines, keyed: Keyed, plain: bool = False) -> None:
        key = pc.add(pc.multiply(pc.cast(keyed.gid, pa.int64()), self.columnar.n_codes),
                     keyed.code)
        # The explanation is fixed by the outcome, except before the first revision (it names
        # the day), so it joins the outcome's parts: the key is (outcome, explanation).
        explanation = self.columnar.explanations(keyed)
        explanations = explanation.dictionary.to_pylist()
        n = max(len(explanations), 1)
        combined = pc.add(pc.multiply(key, n), pc.cast(explanation.indices, pa.int64()))
        distinct = pc.drop_null(pc.unique(combined))
        indices = pc.cast(pc.index_in(combined, value_set=distinct), pa.int32())
        templates = [self._template(k // n, explanations[k % n]) for k in distinct.to_pylist()]
        # The members of `policy evaluate --json` in its order: the members that vary per row
        # (as_of, case_id) between runs of members that depend only on the outcome, one
        # dictionary array per run; each run carries the punctuation around it, so a row joins
        # few parts.
        around = {"as_of": (',"as_of":"', '"'), "case_id": (',"case_id":', "")}
        edges = [("", around[self._PER_ROW[0]][0]),
                 *((around[self._PER_ROW[i]][1], around[self._PER_ROW[i + 1]][0])
                   for i in range(len(self._PER_ROW) - 1)),
                 (around[self._PER_ROW[-1]][1], "}\n")]
        statics = [pa.DictionaryArray.from_arrays(indices, pa.array(
            [before + template[i] + after for template in templates], pa.string()))
            for i, (before, after) in enumerate(edges)]
        per_row = {"as_of": keyed.as_of.cast(pa.string()),
                   "case_id": _json_strings(keyed.case_id)}
        parts = ['{"line":', pc.cast(lines, pa.string()), statics[0]]
        for i, name in enumerate(self._PER_ROW):
            parts += [per_row[name], statics[i + 1]]
        error = keyed.error
        for offset in range(0, len(lines), JSON_OUT_ROWS):  # long rows: bounded memory
            size = min(JSON_OUT_ROWS, len(lines) - offset)
            sliced = [part if isinstance(part, str) else part.slice(offset, size) for part in parts]
            rows = pc.binary_join_element_wise(
                *(part.cast(pa.string()) if isinstance(part, pa.DictionaryArray) else part
                  for part in sliced), "")
            errors = error.slice(offset, size)
            if errors.null_count < size:
                bad = pc.is_valid(errors)
                case_ids = pc.filter(keyed.case_id.slice(offset, size), bad).to_pylist()
                bad_rows = [self._json({"line": line, **({"case_id": case_id}
                                                         if case_id is not None else {}),
                                        "error": message}) + "\n"
                            for line, case_id, message in zip(
                                pc.filter(lines.slice(offset, size), bad).to_pylist(), case_ids,
                                pc.filter(errors, bad).to_pylist())]
                rows = pc.replace_with_mask(rows, bad, pa.array(bad_rows, pa.string()))
            _write_strings(self.handle, rows)

    def _json(self, value) -> str:
        if isinstance(value, str):
            found = self._texts.get(value)
            if found is None:
                found = self._texts[value] = json.dumps(value, ensure_ascii=False)
            return found
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    _PER_ROW = ("as_of", "case_id")  # in the order of Decision.to_json

    def _template(self, key: int, explanation: str) -> list[str]:
        """The JSON members of a decision that depend only on its outcome, partial case and
        explanation, as the runs before, between and after the per-row members (each run starts
        with a comma unless it is empty)."""
        found = self._templates.get((key, explanation))
        if found is None:
            columnar = self.columnar
            gid, code = divmod(key, columnar.n_codes)
            day = columnar.outcome_day(gid)
            decision = columnar.compiled.evaluate(columnar.decode(code), day).to_json()
            decision["explanation"] = explanation
            runs: list[str] = [""]
            for name, value in decision.items():
                if name in self._PER_ROW:
                    runs.append("")
                else:
                    runs[-1] += f",{self._json(name)}:{self._json(value)}"
            if [n for n in decision if n in self._PER_ROW] != list(self._PER_ROW):
                raise AssertionError("Decision.to_json changed its per-row members' order")
            found = self._templates[(key, explanation)] = runs
        return found

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        pass


def _json_strings(column: pa.Array) -> pa.Array:
    """JSON text of each string (null -> null); escaping in Python only for rows that need it."""
    quoted = pc.binary_join_element_wise('"', column, '"', "")
    needs = pc.fill_null(pc.match_substring_regex(column, r'["\\\x00-\x1f\x7f]'), False)
    if pc.any(needs).as_py():
        escaped = [json.dumps(v, ensure_ascii=False) for v in pc.filter(column, needs).to_pylist()]
        quoted = pc.replace_with_mask(quoted, needs, pa.array(escaped, pa.string()))
    return pc.fill_null(quoted, "null")


# The quoted policy text and the explanation are left to JSON Lines and Parquet output: they are
# fixed by revision and rule, and would double the size of a CSV of a million rows.
CSV_COLUMNS = ("line", "case_id", "as_of", "determination", "revision", "version",
               "effective_from", "effective_from_basis", "rule", "needs", "error")
_CSV_PER_OUTCOME = CSV_COLUMNS[3:-1]


class CsvWriter:
    """One row per input line; `needs` space-separated. Rows are assembled by Arrow string
    kernels from a CSV fragment per outcome (pyarrow's CSV writer is several times slower here).
    User text that a spreadsheet would run as a formula (= + - @ first) gets an apostrophe."""

    def __init__(self, handle, columnar: ColumnarPolicy):
        self.handle, self.columnar = handle, columnar
        self._fragments: dict[int, str] = {}
        handle.write((",".join(CSV_COLUMNS) + "\n").encode())

    def write(self, lines, keyed: Keyed, plain: bool = False) -> None:
        gid = keyed.gid
        distinct = pc.drop_null(pc.unique(gid))
        fragments = [self._fragment(g) for g in distinct.to_pylist()]
        outcome = pa.DictionaryArray.from_arrays(
            pc.cast(pc.index_in(gid, value_set=distinct), pa.int32()),
            pa.array(fragments, pa.string())).cast(pa.string())
        rows = pc.binary_join_element_wise(  # the fragment ends with the empty error cell
            pc.cast(lines, pa.string()), _csv_cells(keyed.case_id, plain),
            keyed.as_of.cast(pa.string()), outcome, ",")
        error = keyed.error
        if error.null_count < len(error):
            bad = pc.is_valid(error)
            texts = [f"{line},{_csv_cell(case_id)},{',' * (len(CSV_COLUMNS) - 3)}{_csv_cell(message)}\n"
                     for line, case_id, message in zip(
                         pc.filter(lines, bad).to_pylist(),
                         pc.filter(keyed.case_id, bad).to_pylist(),
                         pc.filter(error, bad).to_pylist())]
            rows = pc.replace_with_mask(rows, bad, pa.array(texts, pa.string()))
        _write_strings(self.handle, rows)

    def _fragment(self, gid: int) -> str:
        """The CSV cells from determination to source of outcome id `gid` (the same every row)."""
        found = self._fragments.get(gid)
        if found is None:
            values = self.columnar.outcome_values(gid)
            cells = [" ".join(values["needs"]) if name == "needs" else values[name]
                     for name in _CSV_PER_OUTCOME]
            found = self._fragments[gid] = ",".join(map(_csv_cell, cells)) + ",\n"
        return found

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        pass


def _csv_cell(value) -> str:
    """One CSV cell: empty for null, quoted when needed, formula-looking text defused."""
    if value is None:
        return ""
    text = str(value)
    if re.match(CSV_FORMULA, text):
        text = "'" + text
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _csv_cells(column: pa.Array, plain: bool = False) -> pa.Array:
    """User strings as CSV cells: Python only for the rare values that need quoting or defusing.
    `plain`: no value holds a comma, quote or line break, so only formulas are looked for."""
    special = None
    tests = [*(pc.starts_with(column, c) for c in "=+-@\t\r")]
    if not plain:
        tests += [pc.match_substring(column, c) for c in ',"\n']
    for test in tests:
        special = test if special is None else pc.or_(special, test)
    special = pc.fill_null(special, False)
    if pc.any(special).as_py():
        fixed = [_csv_cell(v) for v in pc.filter(column, special).to_pylist()]
        column = pc.replace_with_mask(column, special, pa.array(fixed, pa.string()))
    return pc.fill_null(column, "")


def _write_strings(handle, rows: pa.Array) -> None:
    """Write the concatenation of a string array (each element already ends in a newline)."""
    if len(rows):  # the characters of a string array lie end to end in its data buffer
        offsets = pa.Array.from_buffers(pa.int32(), len(rows) + 1, [None, rows.buffers()[1]],
                                        offset=rows.offset)
        start, end = offsets[0].as_py(), offsets[len(rows)].as_py()
        # the memoryview keeps the Arrow buffer alive until a background writer is done with it
        handle.write(memoryview(rows.buffers()[2])[start:end])


class ParquetWriter:
    def __init__(self, handle, columnar: ColumnarPolicy):
        import pyarrow.parquet as pq

        self.columnar = columnar
        self.schema = pa.schema([("line", pa.int64()), *RESULT_SCHEMA])
        # statistics (min/max per row group) only for `line`: computing them for the long
        # texts and the unique case ids took a sixth of a large run, and no reader prunes on them
        self.writer = pq.ParquetWriter(handle, self.schema, write_statistics=["line"])

    def write(self, lines, keyed: Keyed, plain: bool = False) -> None:
        result = self.columnar.results(keyed)
        self.writer.write_batch(pa.RecordBatch.from_arrays([lines, *result.columns],
                                                           schema=self.schema))

    def close(self) -> None:
        self.writer.close()

    def abandon(self) -> None:
        """Close pyarrow's writer on an error path (quietly: the output is thrown away), so its
        __del__ never writes to a closed file ("Exception ignored in ParquetWriter.__del__")."""
        try:
            self.writer.close()
        except Exception:  # the file may be closed or broken already; it is discarded anyway
            pass


WRITERS = {"jsonl": JsonLinesWriter, "csv": CsvWriter, "parquet": ParquetWriter}


# --- the run ----------------------------------------------------------------------------------------

def run_batch(path: str, policy, *, out: str | None = None, as_of: str | None = None,
              stdout=None, on_bad: Callable[[int, str], None] | None = None,
              on_progress: Callable[[float, int], None] | None = None,
              input_format: str | None = None) -> Summary:
    """Evaluate every case of the file at `path` ('-': standard input); write results to `out`
    (atomically) or to the binary stream `stdout` as JSON Lines. `input_format` (csv, jsonl,
    parquet) is needed for standard input or a name without a known suffix; else the suffix
    tells. `on_bad(line, "CODE: message")` hears each bad line in order; `on_progress(fraction
    read, rows so far)` after each chunk.

    On a fatal error (a file-level DataError, an I/O error of the input, an interrupt) results
    already streamed to `stdout` stay, and the stream ends with one line
    `{"fatal": "CODE: message"}` before the error is raised; `out` is never left behind."""
    from .writer import atomic_output

    columnar = for_policy(policy)
    if input_format is not None:
        if input_format not in set(INPUT_FORMATS.values()):
            raise UsageError(f"unknown input format {input_format!r}; use csv, jsonl or parquet")
        reader = READERS[input_format]
    elif path == "-":
        raise UsageError("standard input has no suffix to tell its format: give --format csv, "
                         "jsonl or parquet")
    else:
        reader = READERS[format_of(path, INPUT_FORMATS, "input")]
    kind = format_of(out, OUTPUT_FORMATS, "output") if out else "jsonl"
    if as_of is not None:
        columnar.check_as_of(as_of)
    if out is not None and path != "-" and os.path.exists(out) and os.path.exists(path) and \
            os.path.samefile(out, path):
        raise UsageError(f"{out}: the output would overwrite the input")
    with contextlib.ExitStack() as stack:
        handle = stdout if out is None else stack.enter_context(atomic_output(out))
        writer = WRITERS[kind](handle, columnar)
        try:
            return _run(reader(path, columnar), writer, columnar, as_of,
                        text_cells=reader is read_csv, on_bad=on_bad, on_progress=on_progress)
        except BaseException as exc:
            writer.abandon()  # before the output file closes: nothing may write to it later
            if out is None and isinstance(exc, (PolicyError, KeyboardInterrupt)):
                _fatal_line(handle, exc)
            raise


def _fatal_line(handle, exc: BaseException) -> None:
    """The last line of a JSON Lines stream cut short by a fatal error."""
    if isinstance(exc, DataError):
        text = "; ".join(f"{p.code}: {p.message}" for p in exc.problems[:10])
    elif isinstance(exc, KeyboardInterrupt):
        text = "INTERRUPTED: the run was interrupted"
    else:
        text = str(exc)
    try:
        handle.write((json.dumps({"fatal": text}) + "\n").encode())
        handle.flush()
    except (OSError, PolicyError):
        pass  # standard output itself failed: the exit code and standard error still tell


class _InOrder:
    """Runs calls on a second thread, in the order given, at most a few behind: formatting and
    writing results (Arrow kernels and file writes release the GIL) overlap the evaluation of
    the next chunk. A call's error is raised in the caller at the next `submit` or at exit; on
    the way out of a failure the calls still waiting are dropped."""

    def __init__(self, depth: int = 2):
        import queue
        import threading

        self.error: BaseException | None = None
        self.waiting: queue.Queue = queue.Queue(maxsize=depth)
        self.thread = threading.Thread(target=self._work, name="policy-batch-writer", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while True:
            call = self.waiting.get()
            if call is None:
                return
            if self.error is None:
                try:
                    call[0](*call[1:])
                except BaseException as exc:  # raised in the caller
                    self.error = exc

    def submit(self, function, *args) -> None:
        if self.error is not None:
            raise self.error
        self.waiting.put((function, *args))

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        if kind is not None and self.error is None:
            self.error = exc  # stop: the output is going to be thrown away
        self.waiting.put(None)
        self.thread.join()
        if kind is None and self.error is not None:
            raise self.error


def _prefetched(chunks: Iterator[Chunk], depth: int = 2) -> Iterator[Chunk]:
    """The chunks, read by a second thread while this one evaluates and writes: pyarrow parses
    without holding the GIL, so on two cores reading overlaps the rest. At most `depth` chunks
    wait, so memory stays bounded; the reader's errors are raised here, in order."""
    import queue
    import threading

    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def read() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        waiting.put((chunk, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put((end, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            waiting.put((end, exc))
        finally:
            chunks.close()  # the reader's files are closed here, by the thread that used them

    reader = threading.Thread(target=read, name="policy-batch-reader", daemon=True)
    reader.start()
    try:
        while True:
            chunk, error = waiting.get()
            if error is not None:
                raise error
            if chunk is end:
                return
            yield chunk
    finally:
        stop.set()
        reader.join(timeout=5)


def _run(chunks, writer, columnar: ColumnarPolicy, as_of, *, text_cells, on_bad, on_progress):
    started = time.perf_counter()
    rows = bad_rows = 0
    counts: Counter = Counter()
    with _InOrder() as later:  # results are formatted and written while the next chunk is decided
        for chunk in _prefetched(chunks):
            keyed = lines = None
            if chunk.cases is not None and chunk.cases.num_rows:
                keyed = columnar.evaluate_keyed(chunk.cases, as_of=as_of, text_cells=text_cells,
                                                checked_utf8=chunk.checked_utf8)
                lines = chunk.lines
            if chunk.bad:
                keyed, lines = _with_bad_lines(keyed, lines, chunk.bad)
            if keyed is None:
                continue
            error = keyed.error
            if error.null_count < len(error):
                failed = pc.is_valid(error)
                bad_rows += len(error) - error.null_count
                if on_bad is not None:
                    for line, message in zip(pc.filter(lines, failed).to_pylist(),
                                             pc.filter(error, failed).to_pylist()):
                        on_bad(line, message)
            counts.update(columnar.determination_counts(keyed.gid))
            rows += len(lines)
            later.submit(writer.write, lines, keyed, chunk.plain)
            if on_progress is not None:
                on_progress(chunk.done, rows)
        later.submit(writer.close)
    return Summary(rows, bad_rows, time.perf_counter() - started, dict(counts))


def summary_text(summary, out: str | None) -> str:
    """The closing line of `policy batch`: rows, bad lines, time, counts per determination."""
    counts = ", ".join(f"{name} {count:,}" for name, count in sorted(
        summary.determinations.items(), key=lambda item: (-item[1], item[0])))
    rate = summary.rows / summary.seconds if summary.seconds > 0 else 0.0
    where = f" -> {out}" if out else ""
    return (f"{summary.rows:,} rows, {summary.bad:,} bad, {summary.seconds:.2f} s "
            f"({rate:,.0f} rows/s){where}" + (f"; {counts}" if counts else ""))


def _with_bad_lines(keyed: Keyed | None, lines, bad) -> tuple[Keyed, pa.Array]:
    """Merge lines that did not parse ((line, "CODE: message") pairs) into a chunk's keyed
    results, in line order (the rare path: a ragged CSV row, a malformed JSON line)."""
    n = len(bad)
    failed_lines = pa.array([entry[0] for entry in bad], pa.int64())
    case_ids = pa.array([entry[2] if len(entry) > 2 else None for entry in bad], pa.string())
    failed = Keyed(pa.nulls(n, pa.int32()), pa.nulls(n, pa.int64()), case_ids,
                   pa.nulls(n, pa.string()), pa.array([entry[1] for entry in bad], pa.string()),
                   None, [], None)
    if keyed is None:
        return failed._replace(as_of=pc.dictionary_encode(failed.as_of)), failed_lines
    order = pc.sort_indices(pa.concat_arrays([lines, failed_lines]))

    def merged(good, none_type, failed_values=None):
        if isinstance(good, pa.Scalar):
            good = pa.repeat(good, len(lines))
        if pa.types.is_dictionary(good.type):
            good = good.cast(good.type.value_type)
        rest = pa.nulls(n, good.type) if failed_values is None else failed_values.cast(good.type)
        return pc.take(pa.concat_arrays([good, rest]), order)

    return Keyed(
        gid=merged(keyed.gid, pa.int32()), code=merged(keyed.code, pa.int64()),
        case_id=merged(keyed.case_id, pa.string(), case_ids),
        as_of=pc.dictionary_encode(merged(keyed.as_of, pa.string())),
        error=pc.take(pa.concat_arrays([keyed.error, failed.error]), order),
        before_first=None if keyed.before_first is None else merged(keyed.before_first, None),
        no_policy_days=keyed.no_policy_days,
        no_policy_index=None if keyed.no_policy_index is None
        else merged(keyed.no_policy_index, None)), pc.take(pa.concat_arrays([lines, failed_lines]),
                                                           order)
