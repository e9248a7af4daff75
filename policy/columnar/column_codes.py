"""Diagnosis and procedure code columns in Arrow data: each row's codes read on its date of
service and resolved by the policy's crosswalk, as the per-case API does
(`codesets.case_codes`), with Arrow kernels over the whole batch.

Claims repeat a few hundred codes but combine them in hundreds of thousands of ways, so nothing
is decided per row or per combination in Python. Each cell is split at its commas into codes;
each distinct (code, field, period of its day) is read and resolved once (`api.cell_code`, the
per-case reading; a period is a span of days over which no code set, crosswalk window or
revision changes, so a valid code reads the same on each) and spread back to its codes with one
`take`; a code that is not valid is read again on its own day (its message names the day). The
row's `codes` JSON is its codes' items joined, its problems theirs (sorted, as a `DataError`),
not_applicable a count. Only what the diagnosis codes name is decided per distinct sequence of
(code, what it names) of a row and the value the row gives the field (`api.cell_diagnoses`:
`resolve.combine`, the rule the per-case API applies); the explanation of a not_applicable row
per (period, procedure codes). Every memo is bounded and shared by threads (`core.memo`), and
belongs to one compiled policy (its crosswalk and revisions).
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING

import pyarrow as pa

from ..core.cases import CODE_FIELDS
from ..core.compiled import CompiledPolicy
from ..core.dates import check_date
from ..core.memo import BoundedMemo
from ..core.record import Record
from . import kernels as pc
from . import row_errors
from .row_errors import PROBLEM

if TYPE_CHECKING:
    from ..api import CellCode

CODE_MEMO_LIMIT = 100_000  # distinct (code, field, period or day)
ROW_MEMO_LIMIT = 200_000  # distinct (diagnosis codes, value given) and (period, procedure codes)
_SEPARATOR = "\x1e"  # between a row's codes in a key: JSON text never holds it
_NULL = "\x1f"  # the value given, when none is

class RowCodes(Record):
    """Per row: the cases without code columns (the crosswalk's field filled in), the code problems
    (None: no row has one), not_applicable (None: no row is), `codes` JSON text (null for a
    row with a code problem; None when not asked for), the sentence its explanation adds and
    the explanation it gets instead of its outcome's (dictionary arrays; None: no row has one;
    a null: that row has none)."""

    __slots__ = ()
    data: pa.RecordBatch
    error: pa.Array | None  # ROW_ERRORS
    not_applicable: pa.Array | None  # booleans
    codes: pa.Array | None  # strings
    said: pa.DictionaryArray | None
    not_applicable_text: pa.DictionaryArray | None


class FieldCodes(Record):
    """The codes of one field of a batch: `lists` (per row; an empty list: none), and per code
    (flattened, in row order) its `row` and what it is (`api.cell_code`'s parts)."""

    __slots__ = ()
    lists: pa.ListArray  # of strings
    row: pa.Array  # each code's row (its index in the batch)
    valid: pa.Array  # booleans
    problem: pa.Array  # PROBLEM structs (null for a valid code)
    key: pa.Array  # each code's index in `found`
    code: pa.Array  # strings
    said: pa.Array  # strings
    governed: pa.Array  # booleans
    counted: pa.Array  # booleans
    found: list[CellCode]  # each distinct (code, period)'s `api.cell_code`

    def per_row(self, flags: pa.Array) -> pa.Array:
        """How many of each row's codes have `flags` set."""
        sums = pc.cumulative_sum(pc.cast(flags, pa.int32()))
        sums = pa.concat_arrays([pa.array([0], pa.int32()), sums])
        offsets = self.lists.offsets
        return pc.subtract(pc.take(sums, offsets.slice(1)),
                           pc.take(sums, offsets.slice(0, len(offsets) - 1)))

    def joined(self, values: pa.Array, separator: str,
               mask: pa.Array | None = None) -> pa.Array:
        """Per row, `values` (one per code) joined by `separator` ("" for none; null where
        `mask` is true)."""
        return pc.binary_join(pa.ListArray.from_arrays(self.lists.offsets, values, mask=mask),
                              separator)

    def counts(self) -> pa.Array:
        """How many codes each row has."""
        offsets = self.lists.offsets
        return pc.subtract(offsets.slice(1), offsets.slice(0, len(offsets) - 1))

    def edges(self) -> tuple[pa.Array, pa.Array]:
        """Per code, whether it is its row's first, and its row's last."""
        offsets = self.lists.offsets
        at = pc.arange(len(self.row))
        first = pc.equal(pc.take(pc.cast(offsets, pa.int64()), self.row), at)
        last = pc.equal(pc.take(pc.cast(offsets.slice(1), pa.int64()), self.row),
                        pc.add(at, 1))
        return first, last


class ColumnCodes:
    """The code reading of one compiled policy, shared by threads (its memos are bounded and
    map keys to immutable answers)."""

    def __init__(self, compiled: CompiledPolicy, field: str | None) -> None:
        self.compiled = compiled
        self.field = field  # the input the crosswalk's diagnosis codes name
        self._codes: BoundedMemo[CellCode] = BoundedMemo(CODE_MEMO_LIMIT, max_key_chars=64)
        self._named: BoundedMemo[tuple] = BoundedMemo(ROW_MEMO_LIMIT, max_key_chars=4096)
        self._not_applicable: BoundedMemo[str | None] = BoundedMemo(ROW_MEMO_LIMIT, 4096)
        self._boundaries = _boundaries(compiled)

    def has_codes(self, data: pa.RecordBatch) -> bool:
        return any(name in data.schema.names for name in CODE_FIELDS)

    def read(self, data: pa.RecordBatch, day: str | None, text_cells: bool,
             codes_json: bool = True) -> RowCodes:
        """The codes of a record batch whose columns are case fields (`day`: the as-of date
        overriding each row's service_date, checked; `codes_json=False`: no `codes`)."""
        names, n, field = data.schema.names, data.num_rows, self.field
        null = pa.scalar(None, pa.string())

        def column(name: str | None) -> pa.Array:
            if name is None or name not in names:
                return pa.nulls(n, pa.string())
            return _text(data.column(names.index(name)))

        # The day a row's codes are read on: its service_date, else the as-of date; the day it
        # is decided on: the as-of date, else its service_date (as Policy.evaluate).
        service_date = column("service_date")
        reading_day = service_date
        if day is not None:
            reading_day = pc.coalesce(pc.if_else(pc.equal(service_date, ""), null,
                                                 service_date), pa.scalar(day, pa.string()))
        days = pc.dictionary_encode(reading_day)
        periods = pc.take(pa.array([self._period(d) for d in days.dictionary.to_pylist()],
                                   pa.int32()), days.indices)  # null: no valid day, no codes
        dated = pc.is_valid(periods)
        fields = [self._field_codes(column(name), name, dated, periods, days, text_cells)
                  for name in CODE_FIELDS]
        diagnosis, procedure = fields
        problems = pc.add(diagnosis.per_row(pc.invert(diagnosis.valid)),
                          procedure.per_row(pc.invert(procedure.valid)))

        site = column(field)
        given = site if not text_cells else pc.if_else(pc.equal(site, ""), null, site)
        value, said, contradiction = self._named_by_diagnoses(diagnosis, given)
        error = _errors(fields, contradiction, n)
        bad = pc.is_valid(error if error is not None else pa.nulls(n, pa.string()))

        kept = [i for i, name in enumerate(names) if name not in CODE_FIELDS]
        cases = pa.RecordBatch.from_arrays([data.column(i) for i in kept],
                                           names=[names[i] for i in kept])
        if field is not None and value is not None and value.null_count < n:
            filled = pc.coalesce(given, pc.if_else(bad, null, value))
            if field in cases.schema.names:
                cases = cases.set_column(cases.schema.names.index(field), field, filled)
            else:
                cases = cases.append_column(field, filled)

        codes = _codes_json(fields, bad) if codes_json else None
        not_applicable = texts = None
        if self.compiled.crosswalk is not None:
            candidates = pc.and_(pc.and_(pc.greater(procedure.per_row(procedure.counted), 0),
                                         pc.equal(procedure.per_row(procedure.governed), 0)),
                                 pc.and_(pc.equal(problems, 0), pc.invert(bad)))
            if pc.any(candidates).as_py():
                texts = self._not_applicable_texts(procedure, candidates, periods, day,
                                                   reading_day)
                not_applicable = pc.is_valid(texts)
                if not pc.any(not_applicable).as_py():
                    not_applicable = texts = None
        if said is not None:
            said = pa.DictionaryArray.from_arrays(
                pc.if_else(bad, pa.scalar(None, pa.int32()), said.indices), said.dictionary)
        return RowCodes(cases, error, not_applicable, codes, said, texts)

    def _field_codes(self, cells: pa.Array, field: str, dated: pa.Array, periods: pa.Array,
                     days: pa.DictionaryArray, text_cells: bool) -> FieldCodes:
        """The codes of one field's cells (a row without a valid day has none: its date is the
        row's problem), each resolved once per distinct (text, period) and, when not valid, per
        distinct (text, day)."""
        null = pa.scalar(None, pa.string())
        if text_cells:
            cells = pc.if_else(pc.equal(cells, ""), null, cells)
        lists = pc.split_pattern(pc.if_else(dated, cells, null), ",")
        row = pc.list_parent_indices(lists)
        texts = pc.dictionary_encode(pc.list_flatten(lists))
        text_of = texts.dictionary.to_pylist()
        span = len(self._boundaries) + 1
        key = pc.add(pc.multiply(pc.cast(texts.indices, pa.int64()), span),
                     pc.cast(pc.take(periods, row), pa.int64()))
        keys = pc.dictionary_encode(key)
        first_rows = pc.take(row, _firsts(keys)).to_pylist()
        day_text = days.dictionary.to_pylist()
        day_index = days.indices
        found = [self._code(text_of[k // span], field, f"p{k % span}",
                            day_text[day_index[r].as_py()])
                 for k, r in zip(keys.dictionary.to_pylist(), first_rows, strict=True)]

        def spread(values: list[object], kind: pa.DataType) -> pa.Array:
            return pc.take(pa.array(values, kind), keys.indices)

        problem = None
        if not all(code.valid for code in found):  # read again on each code's own day
            invalid = spread([not code.valid for code in found], pa.bool_())
            again_key = pc.add(pc.multiply(pc.cast(texts.indices, pa.int64()), len(day_text)),
                               pc.cast(pc.take(day_index, row), pa.int64()))
            again = pc.dictionary_encode(pc.filter(again_key, invalid))
            problems = _problems(
                [self._code(text_of[k // len(day_text)], field, day_text[k % len(day_text)],
                            day_text[k % len(day_text)]).problem
                 for k in again.dictionary.to_pylist()])
            at = pc.replace_with_mask(pa.nulls(len(row), pa.int32()), invalid,
                                      pc.cast(again.indices, pa.int32()))
            problem = pc.take(problems, at)
        return FieldCodes(
            lists, row, spread([c.valid for c in found], pa.bool_()),
            problem if problem is not None else pa.nulls(len(row), PROBLEM),
            keys.indices,
            spread([c.code for c in found], pa.string()),
            spread([c.said for c in found], pa.string()),
            spread([c.governed for c in found], pa.bool_()),
            spread([c.counted for c in found], pa.bool_()), found)

    def _code(self, text: str, field: str, when: str, day: str) -> CellCode:
        """One code read on `day`, remembered for `when` (its period, or the day itself)."""
        from ..api import cell_code

        return self._codes.get((text, field, when), text,
                               lambda: cell_code(self.compiled, text, field, day))

    def _named_by_diagnoses(self, diagnosis: FieldCodes,
                            given: pa.Array) -> tuple[pa.Array | None,
                                                      pa.DictionaryArray | None,
                                                      pa.Array | None]:
        """Per row, what its valid diagnosis codes name with the value it gives (None when no
        row has a valid diagnosis code): the one value, the sentence, the contradiction."""
        from ..api import cell_diagnoses

        signature = diagnosis.joined(pc.fill_null(diagnosis.said, ""), _SEPARATOR)
        if not pc.any(pc.greater(pc.binary_length(signature), 0)).as_py():
            return None, None, None
        marked = pc.binary_join_element_wise("=", given, "")  # null stays null
        keys = pc.dictionary_encode(pc.binary_join_element_wise(
            signature, pc.fill_null(marked, ""), _NULL))
        by_said = {code.said: code for code in diagnosis.found if code.said is not None}
        answers = []
        for key in keys.dictionary.to_pylist():
            said_keys, _, site = key.partition(_NULL)
            if not said_keys.strip(_SEPARATOR):
                answers.append((None, None, None))
                continue
            codes = [by_said[said] for said in said_keys.split(_SEPARATOR) if said]
            answers.append(self._named.get(key, key, partial(
                cell_diagnoses, self.compiled, codes, site[1:] if site else None)))

        value = pc.take(pa.array([a[0] for a in answers], pa.string()), keys.indices)
        contradiction = pc.take(_problems([a[2] for a in answers]), keys.indices)
        return value, _texts([a[1] for a in answers], keys.indices), contradiction

    def _not_applicable_texts(self, procedure: FieldCodes, candidates: pa.Array,
                              periods: pa.Array, day: str | None,
                              reading_day: pa.Array) -> pa.Array:
        """Per row, the explanation of a not_applicable row (null for others: not a candidate,
        or no revision in force on the day it is decided on), once per distinct (period,
        procedure codes)."""
        from ..api import cell_not_applicable

        codes = pc.filter(procedure.joined(procedure.code, ", "), candidates)
        period = (pc.cast(pc.filter(periods, candidates), pa.string()) if day is None
                  else pa.scalar(str(self._period(day)), pa.string()))
        keys = pc.dictionary_encode(pc.binary_join_element_wise(period, codes, _SEPARATOR))
        decided = ([day] * len(keys.dictionary) if day is not None else
                   pc.take(pc.filter(reading_day, candidates), _firsts(keys)).to_pylist())
        texts = [self._not_applicable.get(key, key, partial(
                     cell_not_applicable, self.compiled, on,
                     key.partition(_SEPARATOR)[2].split(", ")))
                 for key, on in zip(keys.dictionary.to_pylist(), decided, strict=True)]
        indices = pc.replace_with_mask(pa.nulls(len(candidates), pa.int32()), candidates,
                                       keys.indices)
        return _texts(texts, indices)

    def _period(self, day: str | None) -> int | None:
        """A valid day's period (see the module): the boundaries on or before it; else None."""
        if day is None or len(day) != 10:
            return None
        try:
            check_date(day)
        except ValueError:
            return None
        return bisect.bisect_right(self._boundaries, day)


def _boundaries(compiled: CompiledPolicy) -> list[str]:
    """The days on which what a valid code reads as may change: the code sets' release days
    (October 1 and April 1, ICD-10-CM's first day), the crosswalk's windows (a window's first
    day, the day after its last) and the revisions' first days (a not_applicable explanation
    names the revision)."""
    days = {f"{year}-{month}-01" for year in range(2010, 2031) for month in ("04", "10")}
    for entry in (compiled.crosswalk or {}).get("entries", []):
        days.add(entry[5])
        last = entry[6]
        if "0001-01-01" < last < "9999-12-31":
            days.add((date.fromisoformat(last) + timedelta(days=1)).isoformat())
    days.update(revision.effective_from for revision in compiled.revisions)
    return sorted(days)


def _text(column: pa.Array) -> pa.Array:
    """A column as plain strings (dates as YYYY-MM-DD)."""
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    return column


def _texts(texts: list[str | None], indices: pa.Array) -> pa.DictionaryArray:
    """Per row, the text its index names (null for a null index or a None text), as a
    dictionary array: a row's explanation is made once per distinct combination of its parts
    (`keyed.ColumnarPolicy.explanations`)."""
    given = pa.array([text is not None for text in texts], pa.bool_())
    indices = pc.if_else(pc.take(given, indices), pc.cast(indices, pa.int32()),
                         pa.scalar(None, pa.int32()))
    return pa.DictionaryArray.from_arrays(indices, pa.array(texts, pa.string()))



def _firsts(encoded: pa.DictionaryArray) -> pa.Array:
    """Where each value of a dictionary-encoded array first occurs."""
    return pc.index_in(pa.array(range(len(encoded.dictionary)), encoded.indices.type),
                       value_set=encoded.indices)


def _problems(found: list[tuple[str, str] | None]) -> pa.Array:
    """(code, message) pairs as PROBLEM structs (None: null)."""
    return pa.array([None if pair is None else {"code": pair[0], "message": pair[1]}
                     for pair in found], PROBLEM)


def _errors(fields: list[FieldCodes], contradiction: pa.Array | None,
            n: int) -> pa.Array | None:
    """Per row, its problems (ROW_ERRORS) in sorted order (as DataError sorts them), null for
    a row without; None when no row has one."""
    rows, problems = [], []
    for found in fields:
        has = pc.is_valid(found.problem)
        rows.append(pc.cast(pc.filter(found.row, has), pa.int64()))
        problems.append(pc.filter(found.problem, has))
    if contradiction is not None:
        has = pc.is_valid(contradiction)
        rows.append(pc.filter(pc.arange(n), has))
        problems.append(pc.filter(contradiction, has))
    if not sum(len(found) for found in rows):
        return None
    return row_errors.sorted_per_row(pa.concat_arrays(rows), pa.concat_arrays(problems), n)


def _codes_json(fields: list[FieldCodes], bad: pa.Array) -> pa.Array:
    """Per row, its codes' `codes` items as a JSON list (null for a bad row). Each code's item
    is taken with the punctuation around it ("[" or "," before, "]" after the row's last; a row
    without codes is "[]"), in the row's order, so a row is its items joined: one copy of what
    can be hundreds of bytes a code."""
    diagnosis, procedure = fields
    counts = [field.counts() for field in fields]
    texts: list[str] = ["[]"]
    indices = []
    for field, before, after in ((diagnosis, None, counts[1]), (procedure, counts[0], None)):
        first, last = field.edges()
        opens = first if before is None else pc.and_(first, pc.equal(pc.take(before, field.row),
                                                                       0))
        closes = last if after is None else pc.and_(last, pc.equal(pc.take(after, field.row), 0))
        variant = pc.add(pc.multiply(pc.cast(opens, pa.int64()), 2), pc.cast(closes, pa.int64()))
        indices.append(pc.add(pc.add(pc.multiply(pc.cast(field.key, pa.int64()), 4), variant),
                              len(texts)))
        texts += [f"{head}{code.item}{tail}" for code in field.found
                  for head, tail in ((",", ""), (",", "]"), ("[", ""), ("[", "]"))]
    # each row's places: its diagnosis codes, then its procedure codes, else one for "[]"
    places = pc.max_element_wise(pc.add(counts[0], counts[1]), 1)
    offsets = pa.concat_arrays([pa.array([0], pa.int32()),
                                pc.cast(pc.cumulative_sum(places), pa.int32())])
    total = offsets[-1].as_py()
    row = pc.list_parent_indices(pa.ListArray.from_arrays(offsets, pa.nulls(total, pa.int8())))
    place = pc.subtract(pc.arange(total), pc.cast(pc.take(offsets, row), pa.int64()))
    is_diagnosis = pc.less(place, pc.take(counts[0], row))
    is_procedure = pc.and_(pc.invert(is_diagnosis),
                           pc.less(place, pc.take(pc.add(counts[0], counts[1]), row)))
    index = pc.replace_with_mask(pa.nulls(total, pa.int64()), is_diagnosis, indices[0])
    index = pc.fill_null(pc.replace_with_mask(index, is_procedure, indices[1]), 0)
    items = pc.take(pa.array(texts, pa.string()), index)
    return pc.binary_join(pa.ListArray.from_arrays(offsets, items, mask=bad), "")
