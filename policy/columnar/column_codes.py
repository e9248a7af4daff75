"""Diagnosis and procedure code columns in Arrow data: each row's codes read on its date of
service and resolved by the policy's crosswalk, as the per-case API does
(`codesets.case_codes`), once per distinct (codes, day, value of the crosswalk's field) of a batch.

A claim file repeats a few thousand code combinations: the rows are keyed by Arrow kernels,
each distinct key is resolved once (and remembered, bounded), and the answers are spread back
with one `take`. What a row gets: the value its codes name (where the row gives none), the
problems of its codes (the row is bad), whether it is `not_applicable`, its `codes` as JSON text
and the sentence its explanation adds.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from ..core.cases import CODE_FIELDS
from ..core.compiled import CompiledPolicy
from ..core.dates import check_date
from ..core.memo import BoundedMemo
from ..core.record import Record
from . import kernels as pc

KEY_MEMO_LIMIT = 200_000
_PERIOD_MARK = "\x1d"  # a day's period (see ColumnCodes.read) is this and a number
_SEPARATOR = "\x1f"  # between the parts of a key: no code, day or value holds it
_NULL = "\x1e"  # a null part (an empty cell is "")


class Resolved(Record):
    """What one distinct key decides (see the module)."""

    __slots__ = ()
    site: str | None
    error: str | None
    not_applicable: bool
    codes: str
    said: str | None
    not_applicable_text: str | None


class RowCodes(Record):
    """Per row: the cases without code columns (the crosswalk's field filled in), the code problems
    (None: no row has one), not_applicable (None: no row is), `codes` JSON text, and the
    explanation each row gets instead of its outcome's (None: every row keeps its outcome's;
    a null: that row does)."""

    __slots__ = ()
    data: Any
    error: Any
    not_applicable: Any
    codes: Any
    said: Any
    not_applicable_text: Any


class ColumnCodes:
    """The code reading of one compiled policy, shared by threads (its memo is bounded and
    maps keys to immutable answers)."""

    def __init__(self, compiled: CompiledPolicy, field: str | None) -> None:
        self.compiled = compiled
        self.field = field  # the input the crosswalk's diagnosis codes name
        self._memo: BoundedMemo[Resolved] = BoundedMemo(KEY_MEMO_LIMIT, max_key_chars=4096)
        self._boundaries = _boundaries(compiled)

    def has_codes(self, data: pa.RecordBatch) -> bool:
        return any(name in data.schema.names for name in CODE_FIELDS)

    def read(self, data: pa.RecordBatch, day: str | None, text_cells: bool) -> RowCodes:
        """The codes of a record batch whose columns are case fields (`day`: the as-of date
        overriding each row's service_date, checked)."""
        names = data.schema.names
        field = self.field
        parts = [_text(data.column(names.index(name))) if name in names
                 else pa.nulls(data.num_rows, pa.string())
                 for name in (*CODE_FIELDS, "service_date")]
        site = (_text(data.column(names.index(field))) if field in names
                else pa.nulls(data.num_rows, pa.string()))
        as_of = pa.scalar(day if day is not None else _NULL, pa.string())
        diagnosis, procedure, service_date = (pc.fill_null(part, _NULL) for part in parts)
        site_part = pc.fill_null(site, _NULL)
        raw_keys = pc.binary_join_element_wise(diagnosis, procedure, service_date, as_of,
                                               site_part, _SEPARATOR)
        # A valid code reads the same on every day of a period (the code sets change on October
        # 1 and April 1, the crosswalk's windows and the revisions on their days): rows are
        # first keyed by period, and only a key whose codes have a problem (its message names
        # the day) is read again for each of its days.
        days = pc.dictionary_encode(service_date)
        periods = pc.take(pa.array([self._period(d) for d in days.dictionary.to_pylist()],
                                   pa.string()), days.indices)
        keys = pc.binary_join_element_wise(diagnosis, procedure, periods,
                                           pa.scalar(self._period(day or _NULL), pa.string()),
                                           site_part, _SEPARATOR)
        encoded = pc.dictionary_encode(keys)
        firsts = pc.index_in(pa.array(range(len(encoded.dictionary)), encoded.indices.type),
                             value_set=encoded.indices)
        answers = [self._answer(key, raw, text_cells) for key, raw in zip(
            encoded.dictionary.to_pylist(), pc.take(raw_keys, firsts).to_pylist(), strict=True)]
        indices = encoded.indices
        if any(a.error for a in answers):
            flagged = pc.take(pa.array([a.error is not None for a in answers]), indices)
            again = pc.dictionary_encode(pc.filter(raw_keys, flagged))
            base = len(answers)
            answers += [self._answer(raw, raw, text_cells)
                        for raw in again.dictionary.to_pylist()]
            indices = pc.replace_with_mask(
                pc.cast(indices, pa.int32()), flagged,
                pc.cast(pc.add(pc.cast(again.indices, pa.int32()), base), pa.int32()))

        def column(values: list[Any], kind: pa.DataType) -> pa.Array:
            return pc.take(pa.array(values, kind), indices)

        kept = [i for i, name in enumerate(names) if name not in CODE_FIELDS]
        cases = pa.RecordBatch.from_arrays([data.column(i) for i in kept],
                                           names=[names[i] for i in kept])
        if field is not None and any(a.site is not None for a in answers):
            derived = column([a.site for a in answers], pa.string())
            given = site if not text_cells else pc.if_else(pc.equal(site, ""),
                                                           pa.scalar(None, pa.string()), site)
            filled = pc.coalesce(given, derived)
            if field in cases.schema.names:
                cases = cases.set_column(cases.schema.names.index(field), field, filled)
            else:
                cases = cases.append_column(field, filled)
        error = (column([a.error for a in answers], pa.string())
                 if any(a.error for a in answers) else None)
        not_applicable = (column([a.not_applicable for a in answers], pa.bool_())
                          if any(a.not_applicable for a in answers) else None)
        said = (column([a.said for a in answers], pa.string())
                if any(a.said for a in answers) else None)
        texts = (column([a.not_applicable_text for a in answers], pa.string())
                 if not_applicable is not None else None)
        return RowCodes(cases, error, not_applicable,
                        column([a.codes for a in answers], pa.string()), said, texts)

    def _answer(self, key: str, raw: str, text_cells: bool) -> Resolved:
        """The answer for `key`, resolved from `raw` (a row's key with its days)."""
        return self._memo.get((key, text_cells), key[:64],
                              lambda: self._resolve(raw, text_cells))

    def _period(self, day: str) -> str:
        """A valid day as its period (see `read`); anything else as it is."""
        if len(day) != 10 or _PERIOD_MARK in day:
            return day
        try:
            check_date(day)
        except ValueError:
            return day
        return f"{_PERIOD_MARK}{bisect.bisect_right(self._boundaries, day)}"

    def _resolve(self, key: str, text_cells: bool) -> Resolved:
        from ..api import cell_codes
        from ..core.cases import code_texts

        diagnosis, procedure, service_date, as_of, site = (
            None if part == _NULL else part for part in key.split(_SEPARATOR))
        decided_on = as_of if as_of is not None else service_date
        # the date of service reads the codes (as Policy.evaluate): service_date, else as_of
        day = service_date if service_date not in (None, "") else decided_on
        if text_cells and site == "":
            site = None
        try:
            if day is None:
                raise ValueError("no date")  # NO_DATE: the row's own problem
            check_date(day)
            if decided_on is not None and decided_on != day:
                check_date(decided_on)
        except ValueError:
            return Resolved(None, None, False, "[]", None, None)  # the date's problem is the row's
        codes = {name: None if text is None or (text == "" and text_cells) else code_texts(text)
                 for name, text in (("diagnosis", diagnosis), ("procedure", procedure))}
        value, error, not_applicable, text, said, explanation = cell_codes(
            self.compiled, codes, day, decided_on, site)
        return Resolved(value if isinstance(value, str) else None, error, not_applicable, text,
                        said, explanation)


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
