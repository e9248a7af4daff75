"""From CSV records to physical lines of the file.

pyarrow numbers records (the header is record 1) and hands the rows it refuses (ragged ones) to a
callback, parsing ahead of the batches it returns. A line number is a physical line: a record
whose quoted cells hold line breaks spans several, so every later line moves down by as many.
"""

from __future__ import annotations

import re
from typing import BinaryIO

import pyarrow as pa

from ..columnar import kernels as pc
from ..columnar.row_errors import Pairs
from ..core.record import Record
from .records import BadLine, numbered


class InvalidRow(Record):
    """A row pyarrow refused (too few or too many cells)."""

    __slots__ = ()
    record: int  # pyarrow's record number
    text: str
    expected: int  # cells
    actual: int


# A line break, in the text, in Arrow cells and in the file's bytes alike: \r\n, \r or \n.
LINE_BREAK = r"\r\n|\r|\n"


def newlines(text: str) -> int:
    return len(re.findall(LINE_BREAK, text))


def place_of_byte(handle: BinaryIO, offset: int, block_bytes: int = 1 << 20) -> tuple[int, int]:
    """(physical line, column in characters), both from 1, of the byte at `offset` of the file:
    the file read again from its start, in blocks (a line may be any length)."""
    import codecs

    line, line_start, after_cr = 1, 0, False
    handle.seek(0)
    position = 0
    while position < offset:
        block = handle.read(min(block_bytes, offset - position))
        if not block:
            break
        # LINE_BREAK counted with bytes.count (a 1 MB block at C speed; a regular expression
        # would build a list of every break on the way to a byte gigabytes in)
        line += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
        if after_cr and block.startswith(b"\n"):  # a \r\n split between blocks: one break
            line -= 1
        last_break = max(block.rfind(b"\n"), block.rfind(b"\r"))
        if last_break >= 0:
            line_start = position + last_break + 1
        after_cr = block.endswith(b"\r")
        position += len(block)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    handle.seek(line_start)
    characters, left = 0, offset - line_start
    while left > 0 and (block := handle.read(min(block_bytes, left))):
        characters += len(decoder.decode(block))
        left -= len(block)
    return line, characters + len(decoder.decode(b"", final=True)) + 1


class RecordLines:
    """The line bookkeeping of one CSV reading: give `on_invalid` to pyarrow's parser, call
    `header` once, then `of_batch` for each batch in order and `after_last` at the end.
    `long_lines`: first lines of records that were replaced for being too long, and
    `too_long` their problem."""

    def __init__(self, long_lines: frozenset[int], too_long: Pairs):
        self.invalid: list[InvalidRow] = []  # refused rows not yet placed in a batch
        self.record = 2  # the record number of the next batch's first row
        self.extra = 0  # line breaks inside quoted cells so far
        self.long_lines, self.too_long = long_lines, too_long

    def on_invalid(self, row: object) -> str:
        """pyarrow's invalid-row handler: note the row, skip it."""
        self.invalid.append(InvalidRow(row.number, row.text, row.expected_columns,  # type: ignore[attr-defined]
                                       row.actual_columns))  # type: ignore[attr-defined]
        return "skip"

    def header(self, names: list[str]) -> None:
        self.extra = sum(map(newlines, names))

    def of_batch(self, batch: pa.RecordBatch, no_quotes: bool) -> tuple[pa.Array,
                                                                          list[BadLine]]:
        """The line of each row of the next batch, and the refused rows among them."""
        # This batch's rows take the next record numbers not taken by invalid rows (the reader
        # parses ahead, so invalid rows of later batches may be known already).
        runs, here = [], []
        start, left = self.record, batch.num_rows
        for row in sorted(self.invalid):
            gap = row.record - start
            if gap > left:
                break
            if gap:
                runs.append(numbered(start, gap))
                left -= gap
            here.append(row)
            start = row.record + 1
        if left:
            runs.append(numbered(start, left))
            start += left
        self.record = start
        self.invalid[:] = [row for row in self.invalid if row.record >= self.record]
        records = pa.concat_arrays(runs) if runs else pa.array([], pa.int64())
        cell_newlines = None if no_quotes else _cell_newlines(batch)
        if cell_newlines is None:  # every record is one line: line = record + extra so far
            lines = pc.add(records, self.extra)
            bad_lines = [row.record + self.extra for row in here]
            self.extra += sum(newlines(row.text) for row in here)
        else:
            lines, bad_lines = self._physical_lines(records, cell_newlines, here)
        return lines, [self._bad(line, row) for line, row in zip(bad_lines, here, strict=True)
                       if row.text.strip()]

    def after_last(self) -> list[BadLine]:
        """The refused rows after the last batch's rows."""
        bad = []
        for row in sorted(self.invalid):
            if row.text.strip():
                bad.append(self._bad(row.record + self.extra, row))
            self.extra += newlines(row.text)
        self.invalid.clear()
        return bad

    def _bad(self, line: int, row: InvalidRow) -> BadLine:
        if line in self.long_lines:
            return BadLine(line, self.too_long)
        return BadLine(line, (("RAGGED_ROW", f"expected {row.expected} cells, found "
                                             f"{row.actual}"),))

    def _physical_lines(self, rows: pa.Array, cell_newlines: pa.Array,
                        bad: list[InvalidRow]) -> tuple[pa.Array, list[int]]:
        """Physical lines of a batch's rows and its invalid rows, given record numbers (the slow
        path: some cell holds a line break)."""
        events = [(r, "row", i) for i, r in enumerate(rows.to_pylist())]
        events += [(row.record, "bad", j) for j, row in enumerate(bad)]
        counts = cell_newlines.to_pylist()
        lines = [0] * len(rows)
        bad_lines = [0] * len(bad)
        for number, kind, i in sorted(events):
            if kind == "row":
                lines[i] = number + self.extra
                self.extra += counts[i]
            else:
                bad_lines[i] = number + self.extra
                self.extra += newlines(bad[i].text)
        return pa.array(lines, pa.int64()), bad_lines


def _cell_newlines(batch: pa.RecordBatch) -> pa.Array | None:
    """Per row, the newlines inside its cells (a quoted cell may span lines); None when none."""
    total = None
    for column in batch.columns:
        values = column.dictionary if pa.types.is_dictionary(column.type) else column
        if not any(pc.any(pc.match_substring(values, c)).as_py() for c in "\n\r"):
            continue
        counts = pc.count_substring_regex(values, LINE_BREAK)
        if pa.types.is_dictionary(column.type):
            counts = pc.take(counts, column.indices)
        counts = pc.fill_null(pc.cast(counts, pa.int64()), 0)
        total = counts if total is None else pc.add(total, counts)
    return total
