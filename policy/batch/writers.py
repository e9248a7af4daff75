"""Writing results: JSON Lines, CSV or Parquet, one row per input line, in input order.

Rows are assembled by Arrow kernels from parts fixed per outcome, so no Python runs per row except
for the rare values that need escaping. User text echoed into CSV is quoted where needed and
defused where a spreadsheet would run it as a formula; JSON text is escaped by `json.dumps`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol, cast

import pyarrow as pa
import pyarrow.compute as pc

from ..columnar import RESULT_SCHEMA, ColumnarPolicy, Keyed

JSON_OUT_ROWS = 8192  # JSON Lines results are long (explanations, quotes): render a slice at a time
CSV_FORMULA = r"^[=+\-@\t\r]"  # a cell a spreadsheet would run as a formula (OWASP CSV injection)


class Sink(Protocol):
    """Where results go: a binary file, or standard output (which the CLI wraps)."""

    def write(self, data: Any, /) -> object: ...

    def flush(self) -> None: ...


class Writer(Protocol):
    """What the run asks of a writer: results in input order, then close (or abandon)."""

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None: ...

    def close(self) -> None: ...

    def abandon(self) -> None: ...


class JsonLinesWriter:
    """One JSON object per input line: `policy evaluate --json`'s object plus "line", or
    {"line", "error"} for a bad line. Assembled by Arrow string kernels from per-outcome parts."""

    def __init__(self, handle: Sink, columnar: ColumnarPolicy):
        self.handle, self.columnar = handle, columnar
        self._templates: dict[tuple[int, str], list[str]] = {}
        self._texts: dict[str, str] = {}  # a repeated text -> its JSON

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None:
        key = self.columnar.outcome_keys(keyed)
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
                                pc.filter(errors, bad).to_pylist(), strict=True)]
                rows = pc.replace_with_mask(rows, bad, pa.array(bad_rows, pa.string()))
            _write_strings(self.handle, rows)

    def _json(self, value: Any) -> str:
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
            decision = self.columnar.decision_of_key(key).to_json()
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
    kernels from a CSV fragment per outcome. (pyarrow's CSV writer quotes every string, or with
    quoting_style="none" refuses the commas inside a fragment: it cannot write these bytes.)
    User text that a spreadsheet would run as a formula (= + - @ first) gets an apostrophe."""

    def __init__(self, handle: Sink, columnar: ColumnarPolicy):
        self.handle, self.columnar = handle, columnar
        self._fragments: dict[int, str] = {}
        self._by_gid = pa.array([], pa.string())  # fragment of outcome id i at i ("": not yet)
        handle.write((",".join(CSV_COLUMNS) + "\n").encode())

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None:
        gid = keyed.gid
        self._know(pc.drop_null(pc.unique(gid)).to_pylist())
        rows = pc.binary_join_element_wise(  # the fragment ends with the empty error cell
            pc.cast(lines, pa.string()), _csv_cells(keyed.case_id, no_quotes),
            keyed.as_of.cast(pa.string()), pc.take(self._by_gid, gid), ",",
            null_handling="replace", null_replacement="")  # (a bad row is replaced below)
        error = keyed.error
        if error.null_count < len(error):
            bad = pc.is_valid(error)
            gap = "," * (len(CSV_COLUMNS) - 3)  # the outcome's cells are empty on a bad row
            texts = [f"{line},{_csv_cell(case_id)},{gap}{_csv_cell(message)}\n"
                     for line, case_id, message in zip(
                         pc.filter(lines, bad).to_pylist(),
                         pc.filter(keyed.case_id, bad).to_pylist(),
                         pc.filter(error, bad).to_pylist(), strict=True)]
            rows = pc.replace_with_mask(rows, bad, pa.array(texts, pa.string()))
        _write_strings(self.handle, rows)

    def _know(self, gids: list[int]) -> None:
        """Make sure the fragments of these outcome ids are in `_by_gid` (an outcome occurs in
        the first chunks or hardly ever, so the array is rebuilt a few times per run)."""
        if all(g in self._fragments for g in gids):
            return
        for g in gids:
            self._fragment(g)
        size = max(self._fragments) + 1
        self._by_gid = pa.array([self._fragments.get(g, "") for g in range(size)], pa.string())

    def _fragment(self, gid: int) -> str:
        """The CSV cells from determination to source of outcome id `gid` (the same every row)."""
        found = self._fragments.get(gid)
        if found is None:
            values = self.columnar.outcome_values(gid)
            cells = [" ".join(cast(list[str], values["needs"])) if name == "needs" else values[name]
                     for name in _CSV_PER_OUTCOME]
            found = self._fragments[gid] = ",".join(map(_csv_cell, cells)) + ",\n"
        return found

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        pass


def _csv_cell(value: object) -> str:
    """One CSV cell: empty for null, quoted when needed, formula-looking text defused."""
    if value is None:
        return ""
    text = str(value)
    if re.match(CSV_FORMULA, text):
        text = "'" + text
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _csv_cells(column: pa.Array, no_quotes: bool = False) -> pa.Array:
    """User strings as CSV cells (null stays null): Python only for the rare values that may need
    quoting or defusing. `no_quotes`: no value holds a comma, quote or line break, so only
    formulas are looked for."""
    # A cheap superset of the values starting with a formula character: those starting below
    # "0" (tab, CR, + and - among them) or from ":" up to "A" (= and @); comparisons are bytewise.
    maybe = pc.or_(pc.less(column, "0"),
                   pc.and_(pc.greater_equal(column, ":"), pc.less(column, "A")))
    if not no_quotes:
        maybe = pc.or_(maybe, pc.match_substring_regex(column, '[,"\n]'))
    maybe = pc.fill_null(maybe, False)
    if pc.any(maybe).as_py():
        fixed = [_csv_cell(v) if _special(v, no_quotes) else v
                 for v in pc.filter(column, maybe).to_pylist()]
        column = pc.replace_with_mask(column, maybe, pa.array(fixed, pa.string()))
    return column


def _special(text: str, no_quotes: bool) -> bool:
    """Whether a cell value goes through `_csv_cell`: it starts with a formula character, or (in
    a file with quotes) holds a comma, quote or line feed."""
    return text[:1] in ("=", "+", "-", "@", "\t", "\r") or (
        not no_quotes and any(c in text for c in ',"\n'))


def _write_strings(handle: Sink, rows: pa.Array) -> None:
    """Write the concatenation of a string array (each element already ends in a newline)."""
    if len(rows):  # the characters of a string array lie end to end in its data buffer
        offsets = pa.Array.from_buffers(pa.int32(), len(rows) + 1, [None, rows.buffers()[1]],
                                        offset=rows.offset)
        start, end = offsets[0].as_py(), offsets[len(rows)].as_py()
        # the memoryview keeps the Arrow buffer alive until a background writer is done with it
        handle.write(memoryview(rows.buffers()[2])[start:end])


class ParquetWriter:
    def __init__(self, handle: Sink, columnar: ColumnarPolicy):
        import pyarrow.parquet as pq

        self.columnar = columnar
        self.schema = pa.schema([("line", pa.int64()), *RESULT_SCHEMA])
        # statistics (min/max per row group) only for `line`: computing them for the long
        # texts and the unique case ids took a sixth of a large run, and no reader prunes on them
        self.writer = pq.ParquetWriter(handle, self.schema, write_statistics=["line"])

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None:
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
