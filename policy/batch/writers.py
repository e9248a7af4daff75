"""Writing results: JSON Lines, CSV or Parquet, one row per input line, in input order.

Rows are assembled by Arrow kernels from parts fixed per outcome, so no Python runs per row except
for the rare values that need escaping. User text echoed into CSV is quoted where needed and
defused where a spreadsheet would run it as a formula; JSON text is escaped by `json.dumps`.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any, Protocol, cast

import pyarrow as pa

from ..columnar import RESULT_SCHEMA, ColumnarPolicy, Keyed, row_errors
from ..columnar import kernels as pc
from ..core import partial_cases

# JSON Lines results are long (about 1.9 KB a row: explanations, quotes), so they are rendered a
# slice at a time: 2,048 rows are about 4 MB, like a read block (8,192 peaked 50 MB higher)
JSON_OUT_ROWS = 2048
CSV_FORMULA = r"^[=+\-@\t\r]"  # a cell a spreadsheet would run as a formula (OWASP CSV injection)


class Sink(Protocol):
    """Where results go: a binary file, or standard output (which the CLI wraps)."""

    def write(self, data: Any, /) -> object: ...

    def flush(self) -> None: ...


class Writer(Protocol):
    """What the run asks of a writer: results in input order, then close (or abandon).
    `writes_codes`: whether it writes each row's codes (the Arrow core makes them only then)."""

    writes_codes: bool

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None: ...

    def close(self) -> None: ...

    def abandon(self) -> None: ...


class JsonLinesWriter:
    """One JSON object per input line: `policy evaluate --json`'s object plus "line", or
    {"line", "error"} for a bad line. Assembled by Arrow string kernels from per-outcome parts."""

    writes_codes = True  # each row's "codes" (the run asks the Arrow core for them)

    def __init__(self, handle: Sink, columnar: ColumnarPolicy, keep: tuple[str, ...] = (),
                 codes: bool = False):  # (every result carries its codes)
        self.handle, self.columnar, self.keep = handle, columnar, keep
        self._kept_names = [f",{json.dumps(name, ensure_ascii=False)}:" for name in keep]
        # Per outcome key, the id of each of its runs (below); per run position, the distinct
        # texts. Keys are many (revisions times partial cases: 24,933 in a 1,000,000-row run)
        # but runs few (their texts 0.3 MB where one copy per key took 38 MB).
        self._runs: list[dict[str, int]] = [{} for _ in range(len(self._PER_ROW) + 1)]
        self._run_texts = [pa.array([], pa.string()) for _ in self._runs]  # the same, in Arrow
        self._texts: dict[str, str] = {}  # a repeated text -> its JSON
        # each outcome's explanation (every chunk's explanations start with them, unless codes
        # added words) and its JSON member, made once
        self._outcome_explanations = columnar.outcomes.dictionaries["explanation"][0]
        self._outcome_members = _explanation_json(self._outcome_explanations)
        # A key's runs before its last depend on its outcome and its evidence value, the last
        # (the partial case) on its partial case alone: each is built once, from one decision
        # (544 outcome and evidence pairs, 1,920 partial cases for the 24,933 keys of a
        # 1,000,000-row run: 0.3 s, where a decision per key took 2.8 s)
        self._heads: dict[tuple[int, int], tuple[int, ...]] = {}
        self._tails: dict[int, int] = {}
        names = [name for name, _ in columnar.columns]
        evidence_key = columnar.compiled.evidence_key
        self._evidence_digit = (1, 1)  # (weight, radix) of its digit in a partial-case code
        if evidence_key in names:
            at = names.index(evidence_key)
            self._evidence_digit = (partial_cases.weights(columnar.columns)[at],
                                    len(columnar.columns[at][1]) + 1)
        # the keys met so far, and per run position each one's run id: looked up by Arrow
        self._keys: list[int] = []
        self._key_runs: list[list[int]] = [[] for _ in self._runs]
        self._known = pa.array([], pa.int64())
        self._known_runs = [pa.array([], pa.int32()) for _ in self._runs]

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None:
        key = self.columnar.outcome_keys(keyed)
        indices = pc.index_in(key, value_set=self._known)  # null for a bad row
        if indices.null_count > key.null_count:  # keys not met before
            self._learn(pc.drop_null(pc.unique(pc.filter(key, pc.is_null(indices)))).to_pylist())
            indices = pc.index_in(key, value_set=self._known)
        # The members of `policy evaluate --json` in its order: the members that vary per row
        # (as_of, the explanation, case_id) between runs of members that depend only on the
        # outcome, one dictionary array per run position; each run carries the punctuation
        # around it, so a row joins few parts.
        statics = [pa.DictionaryArray.from_arrays(pc.take(runs, indices), texts)
                   for runs, texts in zip(self._known_runs, self._run_texts, strict=True)]
        per_row = {"as_of": pc.cast(keyed.as_of, pa.string()),
                   "explanation": self._explanation_members(keyed),
                   "case_id": _json_strings(keyed.case_id)}
        parts = ['{"line":', pc.cast(lines, pa.string()), statics[0]]
        for i, name in enumerate(self._PER_ROW):
            parts += [per_row[name], statics[i + 1]]
        error = keyed.error
        for offset in range(0, len(lines), JSON_OUT_ROWS):  # long rows: bounded memory
            size = min(JSON_OUT_ROWS, len(lines) - offset)
            sliced = [part if isinstance(part, str) else part.slice(offset, size) for part in parts]
            rows = pc.binary_join_element_wise(
                *(pc.cast(part, pa.string()) if isinstance(part, pa.DictionaryArray) else part
                  for part in sliced), "")
            errors = error.slice(offset, size)
            if errors.null_count < size:  # {"line", "case_id" (when known), "error"}
                bad = pc.is_valid(errors)
                case_ids = _json_strings(pc.filter(keyed.case_id.slice(offset, size), bad),
                                         null=None)
                bad_rows = pc.binary_join_element_wise(
                    '{"line":', pc.cast(pc.filter(lines.slice(offset, size), bad), pa.string()),
                    pc.binary_join_element_wise(',"case_id":', case_ids, ""),
                    ',"error":', _json_strings(row_errors.texts(pc.filter(errors, bad))), "}\n",
                    "", null_handling="replace", null_replacement="")
                rows = pc.replace_with_mask(rows, bad, bad_rows)
            if keyed.codes is not None:  # each row's own codes for the outcome's `[]`
                codes = keyed.codes.slice(offset, size)
                coded = pc.binary_join_element_wise(pc.utf8_slice_codeunits(rows, 0, -4),
                                                    codes, "}\n", "")
                rows = pc.if_else(pc.is_null(errors), coded, rows)
            if self.keep:  # the kept columns' members, after the result's own
                members: list[Any] = [pc.utf8_slice_codeunits(rows, 0, -2)]
                for name, texts in zip(self._kept_names, kept_texts(keyed, self.keep, len(lines)),
                                       strict=True):
                    members += [name, _json_strings(texts.slice(offset, size))]
                rows = pc.binary_join_element_wise(*members, "}\n", "")
            _write_strings(self.handle, rows)

    def _json(self, value: Any) -> str:
        if isinstance(value, str):
            found = self._texts.get(value)
            if found is None:
                found = self._texts[value] = json.dumps(value, ensure_ascii=False)
            return found
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    _PER_ROW = ("as_of", "explanation", "case_id")  # in the order of Decision.to_json
    # the punctuation before and after each run: around the per-row members (the explanation's
    # and case_id's name come with their values; as_of's value is quoted here)
    _EDGES = (("", ',"as_of":"'), ('"', ""), ("", ',"case_id":'), ("", "}\n"))

    def _explanation_members(self, keyed: Keyed) -> pa.DictionaryArray:
        """Per row, its `,"explanation":...` member. The explanation is fixed by the outcome
        except before the first revision, where it names the day: so it is a per-row member,
        and what the writer remembers stays bounded by the policy, not by the days in a file."""
        explanation = self.columnar.explanations(keyed)
        texts = explanation.dictionary
        known = self._outcome_explanations  # the outcomes' explanations come first, in order
        if len(texts) >= len(known) and texts.slice(0, len(known)).equals(known):
            members = [self._outcome_members, _explanation_json(texts.slice(len(known)))]
            return pa.DictionaryArray.from_arrays(explanation.indices, pa.concat_arrays(members))
        return pa.DictionaryArray.from_arrays(explanation.indices, _explanation_json(texts))

    def _learn(self, keys: list[int]) -> None:
        """Add the run ids of outcome keys not met before to the arrays a chunk looks up."""
        for key in keys:
            self._keys.append(key)
            for runs, run in zip(self._key_runs, self._template(key), strict=True):
                runs.append(run)
        self._known = pa.array(self._keys, pa.int64())
        self._known_runs = [pa.array(runs, pa.int32()) for runs in self._key_runs]
        self._run_texts = [  # the texts of new runs appended (a run's id is its place)
            pa.concat_arrays([texts, pa.array(list(itertools.islice(runs, len(texts), None)),
                                              pa.string())])
            for texts, runs in zip(self._run_texts, self._runs, strict=True)]

    def _template(self, key: int) -> tuple[int, ...]:
        """The run ids of an outcome key: its runs before the last from the first decision met
        with its outcome and evidence value, its last from the first met with its partial case.
        Each decision built is checked against what it shares with those met before."""
        gid, code = divmod(key, self.columnar.n_codes)
        weight, radix = self._evidence_digit
        head_key = (gid, code // weight % radix)
        head, tail = self._heads.get(head_key), self._tails.get(code)
        if head is None or tail is None:
            ids = self._decision_runs(key)
            if head is not None and head != ids[:-1] or tail is not None and tail != ids[-1]:
                raise AssertionError("a decision's members depend on more than its outcome, "
                                     "evidence value and partial case")
            head = self._heads[head_key] = ids[:-1]
            tail = self._tails[code] = ids[-1]
        return (*head, tail)

    def _decision_runs(self, key: int) -> tuple[int, ...]:
        """The JSON members of a decision that depend only on its outcome and partial case, as
        the runs before, between and after the per-row members, each with the punctuation
        around it: per run, its id among the texts of its position."""
        decision = self.columnar.decision_of_key(key).to_json()
        runs: list[str] = [""]
        for name, value in decision.items():
            if name in self._PER_ROW:
                runs.append("")
            else:
                runs[-1] += f",{self._json(name)}:{self._json(value)}"
        if [n for n in decision if n in self._PER_ROW] != list(self._PER_ROW):
            raise AssertionError("Decision.to_json changed its per-row members' order")
        ids = []
        for (before, after), run, known in zip(self._EDGES, runs, self._runs, strict=True):
            ids.append(known.setdefault(before + run + after, len(known)))
        return tuple(ids)

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        pass


def kept_texts(keyed: Keyed, keep: tuple[str, ...], n: int) -> list[pa.Array]:
    """The kept columns of a chunk as text (null where a value is missing), in `keep`'s order:
    what every output carries after a result's own members."""
    kept = keyed.kept
    texts = []
    for name in keep:
        if kept is None or name not in kept.schema.names:
            texts.append(pa.nulls(n, pa.string()))
            continue
        column = kept.column(kept.schema.names.index(name))
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, column.type.value_type)
        if pa.types.is_boolean(column.type):  # as JSON and the case fields write them
            column = pc.if_else(column, "true", "false")
        texts.append(column if pa.types.is_string(column.type) else pc.cast(column, pa.string()))
    return texts


def _explanation_json(texts: pa.Array) -> pa.Array:
    """Each explanation as its JSON member, `,"explanation":"..."`."""
    return pa.array([',"explanation":' + json.dumps(text, ensure_ascii=False)
                     for text in texts.to_pylist()], pa.string())


def codes_texts(keyed: Keyed, n: int) -> pa.Array:
    """Per row its codes as JSON text, as `evaluate_arrow`'s `codes` column holds them: the
    list (`[]` when the row gave none), null for a bad row."""
    good = pc.is_valid(keyed.gid)
    if keyed.codes is None:  # no row of the chunk gave a code
        return pc.if_else(good, pa.scalar("[]", pa.string()), pa.scalar(None, pa.string()))
    return pc.if_else(good, keyed.codes, pa.scalar(None, pa.string()))


def _json_strings(column: pa.Array, null: str | None = "null") -> pa.Array:
    """JSON text of each string (null -> `null`); escaping in Python only for rows that need
    it."""
    quoted = pc.binary_join_element_wise('"', column, '"', "")
    needs = pc.fill_null(pc.match_substring_regex(column, r'["\\\x00-\x1f\x7f]'), False)
    if pc.any(needs).as_py():
        escaped = [json.dumps(v, ensure_ascii=False) for v in pc.filter(column, needs).to_pylist()]
        quoted = pc.replace_with_mask(quoted, needs, pa.array(escaped, pa.string()))
    return quoted if null is None else pc.fill_null(quoted, null)


# The quoted policy text and the explanation are left to JSON Lines and Parquet output: they are
# fixed by revision and rule, and would double the size of a CSV of a million rows.
CSV_COLUMNS = ("line", "case_id", "as_of", "determination", "revision", "version",
               "effective_from", "effective_from_basis", "rule", "needs", "error")
_CSV_PER_OUTCOME = CSV_COLUMNS[3:-1]


class CsvWriter:
    """One row per input line; `needs` space-separated. Rows are assembled by Arrow string
    kernels from a CSV fragment per outcome. (pyarrow's CSV writer quotes every string, or with
    quoting_style="none" refuses the commas inside a fragment: it cannot write these bytes.)
    User text that a spreadsheet would run as a formula (= + - @ first) gets an apostrophe.
    `codes`: the input has codes, so a `codes` column (the list as JSON text) follows `error`."""

    def __init__(self, handle: Sink, columnar: ColumnarPolicy, keep: tuple[str, ...] = (),
                 codes: bool = False):
        self.handle, self.columnar, self.keep, self.codes = handle, columnar, keep, codes
        self.writes_codes = codes  # (the run asks the Arrow core for them only then)
        self._fragments: dict[int, str] = {}
        self._by_gid = pa.array([], pa.string())  # fragment of outcome id i at i ("": not yet)
        header = [*CSV_COLUMNS, *(["codes"] if codes else []), *map(_csv_cell, keep)]
        handle.write((",".join(header) + "\n").encode())

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None:
        gid = keyed.gid
        self._know(pc.drop_null(pc.unique(gid)).to_pylist())
        rows = pc.binary_join_element_wise(  # the fragment ends with the empty error cell
            pc.cast(lines, pa.string()), _csv_cells(keyed.case_id, no_quotes),
            pc.cast(keyed.as_of, pa.string()), pc.take(self._by_gid, gid), ",",
            null_handling="replace", null_replacement="")  # (a bad row is replaced below)
        error = keyed.error
        if error.null_count < len(error):
            bad = pc.is_valid(error)
            gap = "," * (len(CSV_COLUMNS) - 3)  # the outcome's cells are empty on a bad row
            texts = pc.binary_join_element_wise(  # line,case_id,<gap>error
                pc.cast(pc.filter(lines, bad), pa.string()),
                _csv_cell_column(pc.filter(keyed.case_id, bad)),
                pc.binary_join_element_wise(
                    gap, _csv_cell_column(row_errors.texts(pc.filter(error, bad))), "\n", ""),
                ",", null_handling="replace", null_replacement="")
            rows = pc.replace_with_mask(rows, bad, texts)
        cells = [pc.fill_null(_csv_cell_column(codes_texts(keyed, len(lines))), "")
                 ] if self.codes else []
        if self.keep:  # the kept columns' cells, after the result's own
            cells += [pc.fill_null(_csv_cells(texts), "")
                      for texts in kept_texts(keyed, self.keep, len(lines))]
        if cells:
            rows = pc.binary_join_element_wise(
                pc.utf8_slice_codeunits(rows, 0, -1), *cells, ",")
            rows = pc.binary_join_element_wise(rows, "\n", "")
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


def _csv_cell_column(column: pa.Array) -> pa.Array:
    """`_csv_cell` of each value, by Arrow kernels (null stays null): for bad rows, whose
    messages all hold commas."""
    formula = pc.fill_null(pc.match_substring_regex(column, CSV_FORMULA), False)
    text = column
    if pc.any(formula).as_py():
        text = pc.replace_with_mask(column, formula, pc.binary_join_element_wise(
            "'", pc.filter(column, formula), ""))
    quote = pc.fill_null(pc.match_substring_regex(text, '[,"\r\n]'), False)
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return quoted if pc.all(quote).as_py() else pc.if_else(quote, quoted, text)


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
    """`line` and the columns of `evaluate_arrow`: with `codes` (the input has codes) a `codes`
    column of JSON text after `error`; then the kept columns, as text."""

    def __init__(self, handle: Sink, columnar: ColumnarPolicy, keep: tuple[str, ...] = (),
                 codes: bool = False):
        import pyarrow.parquet as pq

        self.columnar, self.keep, self.codes = columnar, keep, codes
        self.writes_codes = codes  # (the run asks the Arrow core for them only then)
        self.schema = pa.schema([("line", pa.int64()), *RESULT_SCHEMA,
                                 *([("codes", pa.string())] if codes else []),
                                 *((name, pa.string()) for name in keep)])
        # statistics (min/max per row group) only for `line`: computing them for the long
        # texts and the unique case ids took a sixth of a large run, and no reader prunes on them
        self.writer = pq.ParquetWriter(handle, self.schema, write_statistics=["line"])

    def write(self, lines: pa.Array, keyed: Keyed, no_quotes: bool = False) -> None:
        result = self.columnar.results(keyed)
        codes = [codes_texts(keyed, len(lines))] if self.codes else []
        kept = kept_texts(keyed, self.keep, len(lines)) if self.keep else []
        self.writer.write_batch(pa.RecordBatch.from_arrays(
            [lines, *result.columns, *codes, *kept], schema=self.schema))

    def close(self) -> None:
        self.writer.close()

    def abandon(self) -> None:
        """Close pyarrow's writer on an error path (quietly: the output is thrown away), so its
        __del__ never writes to a closed file ("Exception ignored in ParquetWriter.__del__")."""
        try:
            self.writer.close()
        except Exception:  # the file may be closed or broken already; it is discarded anyway
            pass

