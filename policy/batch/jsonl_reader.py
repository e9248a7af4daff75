"""Reading JSON Lines of cases: one case object per line (typed like a JSON case file); blank
lines skipped. Read as a stream: standard input and pipes are decided as their lines arrive."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from ..columnar import ColumnarPolicy
from ..columnar.column_map import (
    NO_MAP,
    ColumnMap,
    mapped_row,
    row_fields,
)
from ..columnar.column_map import apply as apply_map
from ..columnar.row_errors import pairs
from ..core.cases import CODE_FIELDS, check_case, unknown_field
from ..core.errors import DataError
from ..core.escaping import lone_surrogate
from ..core.reading import cannot_read
from .inputs import BLOCK_BYTES, display, open_input
from .records import BadLine, Chunk, numbered

MAX_LINE_BYTES = 1 << 20
TOO_LONG = (("LINE_TOO_LONG", f"a line longer than {MAX_LINE_BYTES} bytes"),)


def read_jsonl(path: str, columnar: ColumnarPolicy, plan: ColumnMap = NO_MAP) -> Iterator[Chunk]:
    """The chunks of the JSON Lines file at `path` ('-': standard input)."""
    handle = open_input(path)
    with handle:
        size = os.fstat(handle.fileno()).st_size  # 0 for a pipe: no progress fraction
        consumed = 0
        line = 1  # the line number of the first line of `pending`
        pending, first, skipping = b"", True, False
        while True:
            try:
                block = handle.read(BLOCK_BYTES)
            except OSError as exc:  # named here: an error escaping the run would name the output
                raise cannot_read(display(path), exc) from exc
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
                    yield from _json_chunk(data, line, columnar, done, plan)
                    yield Chunk(None, None, [BadLine(long_line, TOO_LONG)], done, coded=True)
                    line, pending, skipping = long_line, b"", True
                    continue
            else:
                pending = b""
            if data:
                lines = data.count(b"\n")
                yield from _json_chunk(data, line, columnar, done, plan, lines)
                line += lines
            if not block:
                break


def json_schema(columnar: ColumnarPolicy, plan: ColumnMap = NO_MAP) -> pa.Schema:
    """The Arrow schema JSON Lines cases are parsed with, under a claim file's own column names
    (`plan`: kept columns as text). Built per chunk (microseconds): a memo keyed by
    id(columnar) answered with another policy's schema once that id was reused."""
    boolean = {name for name, values in columnar.columns if isinstance(values[0], bool)}
    mapped = plan.mapped()
    fields = [(name, pa.bool_() if name in boolean else pa.string())
              for name in row_fields(columnar.columns) if name not in mapped]
    fields += [(column, pa.bool_() if field in boolean else pa.string())
               for column, field in plan.sources().items()]
    fields += [(column, pa.string()) for column in plan.keep]
    return pa.schema(fields)


def _line_schema(columnar: ColumnarPolicy) -> pa.Schema:
    """The schema of cases read line by line (their fields' own names)."""
    return json_schema(columnar)


def _json_chunk(data: bytes, first_line: int, columnar: ColumnarPolicy,
                done: float, plan: ColumnMap = NO_MAP, newlines: int | None = None
                ) -> Iterator[Chunk]:
    """Cases of whole lines: pyarrow's parser when every line is a clean case object, else a
    line-by-line reading that reports each bad line. (`newlines`: data.count(b"\n"), when
    counted already.)"""
    import pyarrow.json as pajson

    schema = json_schema(columnar, plan)
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
        if newlines is None:
            newlines = data.count(b"\n")
        lines_in_body = newlines + (0 if data.endswith(b"\n") else 1)
        if table is not None and table.num_rows == lines_in_body:
            for batch in table.combine_chunks().to_batches():  # few large batches: less overhead
                cases, kept = apply_map(batch, plan)
                yield Chunk(without_absent_codes(cases), numbered(first_line, batch.num_rows),
                            [], done, utf8_checked=True, kept=kept, coded=True)
                first_line += batch.num_rows
            return
    rows, lines, bad, kept_rows = [], [], [], []
    for offset, raw in enumerate(body.split(b"\n")):
        line = first_line + offset
        if len(raw) > MAX_LINE_BYTES:  # (_has_long_line sent the chunk here)
            bad.append(BadLine(line, TOO_LONG))
            continue
        text = raw.strip()
        if not text:
            continue
        try:
            case = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except (ValueError, RecursionError) as exc:
            bad.append(BadLine(line, (("MALFORMED_LINE",
                                       f"not one JSON object: {_reason(exc)}"),)))
            continue
        if not isinstance(case, dict):
            bad.append(BadLine(line, (("MALFORMED_LINE", f"a line holds one JSON object of case "
                                                         f"fields, not {type(case).__name__}"),)))
            continue
        fields, kept = mapped_row(case, plan) if plan else (case, {})
        case_id = _readable_case_id(fields.get("case_id"))
        kept_texts = {name: _kept_text(kept.get(name)) for name in plan.keep}
        unwritable = [name for name, text in kept_texts.items()
                      if text is not None and lone_surrogate(text) is not None]
        if unwritable:
            bad.append(BadLine(line, (("ENCODING", f"kept column '{unwritable[0]}' holds a lone "
                                                   "surrogate, which is not a character"),),
                               case_id))
            continue
        readable = kept_texts or None  # carried beside an error too
        known = row_fields(columnar.columns)
        unknown = [name for name in fields if name not in known]
        if unknown:  # named with the fields a line may hold (not the codes)
            bad.append(BadLine(line, (("UNKNOWN_FIELD", unknown_field(str(unknown[0]), known)),),
                               case_id, readable))
            continue
        twice = [name for name in plan.mapped() if name in case and name not in plan.sources()]
        if twice:
            bad.append(BadLine(line, (("DUPLICATE_KEY", f"the line gives '{twice[0]}' and the "
                                                        "column the map reads it from: one or "
                                                        "the other"),), case_id, readable))
            continue
        try:
            clean = check_case(fields, columnar.columns)
            for name in CODE_FIELDS:  # a list of codes as one cell of codes
                if name in clean:
                    clean[name] = ",".join(clean[name])  # type: ignore[arg-type]
            rows.append(clean)
        except DataError as exc:
            bad.append(BadLine(line, pairs(exc.problems), case_id, readable))
            continue
        kept_rows.append(kept_texts)
        lines.append(line)
    cases = (without_absent_codes(pa.RecordBatch.from_pylist(rows, schema=_line_schema(columnar)))
             if rows else None)
    kept_batch = (pa.RecordBatch.from_pylist(kept_rows, schema=pa.schema(
        [(name, pa.string()) for name in plan.keep])) if rows and plan.keep else None)
    yield Chunk(cases, pa.array(lines, pa.int64()) if rows else None, bad, done,
                utf8_checked=True, kept=kept_batch, coded=True)


def without_absent_codes(cases: pa.RecordBatch) -> pa.RecordBatch:
    """`cases` without the code fields no line of theirs gave: the schema names every field, so
    a block of lines without codes would otherwise be read as a block of coded claims (the same
    results, at eight times the time of reading its other fields)."""
    absent = [index for index, name in enumerate(cases.schema.names)
              if name in CODE_FIELDS and cases.column(index).null_count == cases.num_rows]
    for index in reversed(absent):
        cases = cases.remove_column(index)
    return cases


def _kept_text(value: object) -> str | None:
    """A kept value as text: a string as it is, null as null, anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _readable_case_id(value: object) -> str | None:
    """A bad line's case_id, kept with its error wherever it can be read: a string that UTF-8
    output can carry (not a lone surrogate)."""
    if not isinstance(value, str) or lone_surrogate(value) is not None:
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


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"duplicate key {', '.join(map(repr, twice))}")
    return dict(pairs)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(":")[0] if isinstance(exc, json.JSONDecodeError) else str(exc)
