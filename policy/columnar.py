"""Columnar evaluation on Apache Arrow: a table or record batch of cases in, one of results out.

The per-case engine already holds, for each revision, the outcome of every partial case as a list
indexed by the case's mixed-radix code (`engine.CompiledPolicy.code`). Here the same lookup runs on
whole columns: each input column is dictionary-encoded, its few distinct values are checked once
(with `cases.check_case`, so messages match `policy evaluate` word for word) and turned into digit
codes, the digits are combined with Arrow arithmetic, and the outcome of each row is one `take`.
Dates go through `timeline.revision_in_force` once per distinct date. No Python code runs per row.

The decided fields of each (revision, outcome) pair are taken from one call of the per-case
`CompiledPolicy.evaluate`, so the two evaluators cannot drift apart; tests compare them row by row.
"""

from __future__ import annotations

from collections import namedtuple

import pyarrow as pa
import pyarrow.compute as pc

from . import codes
from .cases import (
    DATE_FIELDS,
    NO_DATE_MESSAGE,
    TEXT_FIELDS,
    as_of_day,
    case_fields,
    check_case,
    delimiter_hint,
    parse_words,
    unknown_field,
)
from .dates import parse_date
from .engine import NO_POLICY, CompiledPolicy, Decision
from .errors import DataError, Problem
from .memo import BoundedMemo
from .timeline import revision_in_force

RESULT_SCHEMA = pa.schema([
    ("case_id", pa.string()),
    ("as_of", pa.dictionary(pa.int32(), pa.string())),
    ("determination", pa.dictionary(pa.int32(), pa.string())),
    ("revision", pa.dictionary(pa.int32(), pa.string())),
    ("version", pa.dictionary(pa.int32(), pa.string())),
    ("effective_from", pa.dictionary(pa.int32(), pa.string())),
    ("effective_from_basis", pa.dictionary(pa.int32(), pa.string())),
    ("rule", pa.dictionary(pa.int32(), pa.string())),
    ("needs", pa.list_(pa.string())),
    ("source", pa.dictionary(pa.int32(), pa.string())),
    ("provenance", pa.dictionary(pa.int32(), pa.string())),
    ("explanation", pa.dictionary(pa.int32(), pa.string())),
    ("disclaimer", pa.dictionary(pa.int32(), pa.string())),
    ("error", pa.string()),
])
# Columns that repeat one value per (revision, outcome): dictionary-encoded, never copied per row.
_PER_OUTCOME = ("determination", "revision", "version", "effective_from", "effective_from_basis",
                "rule", "source", "provenance", "explanation", "disclaimer")
NO_DATE = f"NO_DATE: {NO_DATE_MESSAGE}"


# Bounds of the memos shared by every thread using one ColumnarPolicy (see `memo.BoundedMemo`):
# distinct (field, value) pairs and dates checked, and days remembered in the Arrow day table. With
# keys of at most 64 characters the memos hold a few MB at most, whatever the input.
VALUE_MEMO_LIMIT = 4096
DAY_MEMO_LIMIT = 200_000
_ISO_LENGTH = len("2023-10-01")  # only days of this length can be valid: longer ones are junk


class _DayTable(namedtuple("_DayTable", "days positions messages")):
    """Checked days as Arrow arrays: the day, its revision position (-1 before the first; null
    when invalid) and its error. Immutable: a thread that learns new days publishes a new table."""

    __slots__ = ()


_NO_DAYS = _DayTable(pa.array([], pa.string()), pa.array([], pa.int64()), pa.array([], pa.string()))


# A keyed evaluation of a record batch: per row the outcome id (null for a bad row), the
# partial-case code, case_id, as_of and error; and what the no-policy explanations need.
Keyed = namedtuple("Keyed", "gid code case_id as_of error before_first no_policy_days "
                            "no_policy_index")


def _message(problem: Problem) -> str:
    return f"{problem.code}: {problem.message}"


class ColumnarPolicy:
    """A compiled policy's lookups laid out as Arrow arrays, with memos of checked input values.

    Build once per policy (`for_policy` keeps one per policy) and reuse it for every batch, from any
    number of threads: the lookups never change after construction, and the memos are bounded and
    safe to share (`memo.BoundedMemo`; the day table is replaced whole, never edited).
    """

    def __init__(self, compiled: CompiledPolicy):
        self.compiled = compiled
        self.columns = compiled.columns
        self.n_codes = codes.count(self.columns)
        self.weights = codes.weights(self.columns)  # of each column's digit in a partial-case code
        self._outcome_rows: list[Decision] = []  # one per outcome id (gid)
        key_to_gid: list[int] = []
        for revision in compiled.revisions:
            base = len(self._outcome_rows)
            for position in range(len(revision.outcomes)):
                code = revision.index.index(position)  # a partial case with this outcome
                self._outcome_rows.append(
                    compiled.evaluate(self.decode(code), revision.effective_from))
            key_to_gid.extend(base + position for position in revision.index)
        self.key_to_gid = pa.array(key_to_gid, pa.int32())
        self.no_policy_gid = len(self._outcome_rows)  # the one id of every row before the first
        rows = self._outcome_rows
        static = {
            "determination": [d.determination for d in rows] + [NO_POLICY],
            "revision": [d.revision["id"] for d in rows] + [None],
            "version": [d.revision["version"] for d in rows] + [None],
            "effective_from": [d.revision["effective_from"] for d in rows] + [None],
            "effective_from_basis": [d.revision["effective_from_basis"] for d in rows] + [None],
            "rule": [d.rule for d in rows] + [None],
            "source": [d.source for d in rows] + [None],
            "provenance": [d.provenance for d in rows] + [None],
            "explanation": [d.explanation for d in rows] + [None],  # per day; see evaluate
            # before the first revision too: the manual's disclaimer as the first revision gives it
            "disclaimer": [d.disclaimer for d in rows] + [compiled.revisions[0].disclaimer["text"]],
        }
        self._static_values = static
        # each per-outcome column as (distinct values, position of each outcome id's value)
        self._dictionaries: dict[str, tuple[pa.Array, pa.Array]] = {}
        for name, values in static.items():
            distinct: dict = {}
            positions = [None if v is None else distinct.setdefault(v, len(distinct))
                         for v in values]
            self._dictionaries[name] = (pa.array(list(distinct), pa.string()),
                                        pa.array(positions, pa.int32()))
        self._needs = pa.array([list(d.needs) for d in rows] + [[]], pa.list_(pa.string()))
        self._positions = {revision.id: i for i, revision in enumerate(compiled.revisions)}
        self._value_memo: BoundedMemo[tuple[int | None, str | None]] = BoundedMemo(
            VALUE_MEMO_LIMIT)
        self._date_memo: BoundedMemo[tuple[int | None, str | None]] = BoundedMemo(
            VALUE_MEMO_LIMIT)
        self._no_policy_memo: BoundedMemo[str] = BoundedMemo(VALUE_MEMO_LIMIT)
        self._day_table = _NO_DAYS  # see _check_dates

    # --- codes ------------------------------------------------------------------------------------
    def decode(self, code: int) -> dict:
        """The partial case (known fields only) that a code stands for."""
        return codes.decode(self.columns, code)

    def check_value(self, name: str, value, text_cells: bool) -> tuple[int | None, str | None]:
        """(digit, None) for a valid value or unknown, (None, "CODE: message") for a bad one."""
        return self._value_memo.get((name, value, text_cells, type(value)), str(value),
                                    lambda: self._check_value(name, value, text_cells))

    def _check_value(self, name, value, text_cells):
        values = dict(self.columns)[name]
        if value is None or (text_cells and value == ""):
            return len(values), None
        raw = parse_words([f"{name}={value}"], self.columns) if text_cells else {name: value}
        try:
            clean = check_case(raw, self.columns)
        except DataError as exc:
            return None, "; ".join(_message(p) for p in exc.problems)
        return values.index(clean[name]), None

    def check_date(self, value: str) -> tuple[int | None, str | None]:
        """(revision position or -1 before the first, None) or (None, "CODE: message")."""
        return self._date_memo.get(value, value, lambda: self._check_date(value))

    def _check_date(self, value: str) -> tuple[int | None, str | None]:
        try:
            parse_date(value)
        except ValueError as exc:
            return None, f"DATE_INVALID: service_date: {exc}"
        revision = revision_in_force(self.compiled.revisions, value)
        return -1 if revision is None else self._positions[revision.id], None

    def no_policy_explanation(self, day: str) -> str:
        return self._no_policy_memo.get(day, day,
                                        lambda: self.compiled.evaluate({}, day).explanation)

    # --- evaluation ---------------------------------------------------------------------------------
    def evaluate(self, data, *, as_of: str | None = None, text_cells: bool = False):
        """Results for a pyarrow Table or RecordBatch of cases (see `evaluate_arrow`)."""
        if isinstance(data, pa.Table):
            batches = [self.evaluate(b, as_of=as_of, text_cells=text_cells)
                       for b in data.to_batches()]
            return pa.Table.from_batches(batches, schema=RESULT_SCHEMA)
        if not isinstance(data, pa.RecordBatch):
            raise TypeError(f"expected a pyarrow Table or RecordBatch, not {type(data).__name__}")
        return self.results(self.evaluate_keyed(data, as_of=as_of, text_cells=text_cells))

    def evaluate_keyed(self, data: pa.RecordBatch, *, as_of: str | None = None,
                       text_cells: bool = False, checked_utf8: bool = False) -> Keyed:
        """Each row's outcome id and partial-case code, and the per-row fields. Writers that
        render whole rows from per-outcome fragments need no more; `results` builds the rest.
        `checked_utf8`: the reader has already refused invalid UTF-8 (pyarrow's CSV reader does)."""
        if as_of is not None:
            as_of = self.check_as_of(as_of)
        data = _plain_strings(data)
        self.check_columns(data.schema, text_cells)
        if not checked_utf8:
            try:
                data.validate(full=True)
            except pa.ArrowInvalid as exc:
                raise DataError(Problem("input", 0, 0, "ENCODING", f"invalid data: {exc}")) from None
        n = data.num_rows
        errors: list[pa.Array] = []
        code = pa.scalar(0, pa.int64())
        for (name, values), weight in zip(self.columns, self.weights):
            if name in data.schema.names:
                digits, error = self._column_digits(name, data.column(name), text_cells)
                if error is not None:
                    errors.append(error)
            else:
                digits = pa.scalar(len(values), pa.int64())
            code = pc.add(code, pc.multiply(digits, weight))
        if isinstance(code, pa.Scalar):  # no vocabulary column at all: every row alike
            code = pa.array([code.as_py()] * n, pa.int64())

        slot, date_error, days, no_policy_days, no_policy_index = self._slots(data, as_of, n,
                                                                            text_cells)
        if date_error is not None:
            errors.append(date_error)
        error = _join_errors(errors, n)

        # The outcome id of each row: a lookup by (revision, code) for rows in force, one shared
        # id for rows before the first revision (only their explanation differs: it names the day).
        gid = pc.take(self.key_to_gid, pc.add(pc.multiply(pc.max_element_wise(slot, 0),
                                                          self.n_codes), code))
        before_first = pc.less(slot, 0) if no_policy_days else None
        if before_first is not None:
            gid = pc.if_else(before_first, pa.scalar(self.no_policy_gid, pa.int32()), gid)
        if error.null_count < n:
            gid = pc.if_else(pc.is_null(error), gid, pa.scalar(None, pa.int32()))
            days = pc.if_else(pc.is_null(error), days, pa.scalar(None, days.type))
        return Keyed(gid, code, self._case_id(data, text_cells), days, error, before_first,
                     no_policy_days, no_policy_index)

    def results(self, keyed: Keyed) -> pa.RecordBatch:
        """The result record batch (RESULT_SCHEMA) of a keyed evaluation."""
        gid = keyed.gid
        columns = {"case_id": keyed.case_id, "as_of": keyed.as_of, "error": keyed.error,
                   "needs": pc.take(self._needs, gid), "explanation": self.explanations(keyed)}
        for name in _PER_OUTCOME:
            if name != "explanation":
                distinct, positions = self._dictionaries[name]
                columns[name] = pa.DictionaryArray.from_arrays(pc.take(positions, gid), distinct)
        return pa.RecordBatch.from_arrays([columns[f.name] for f in RESULT_SCHEMA],
                                          schema=RESULT_SCHEMA)

    def explanations(self, keyed: Keyed) -> pa.DictionaryArray:
        """Per row, the explanation: one per outcome, and for days before the first revision one
        per day (it names the day)."""
        distinct, positions = self._dictionaries["explanation"]
        indices = pc.take(positions, keyed.gid)
        if keyed.before_first is not None:
            texts = [self.no_policy_explanation(day) for day in keyed.no_policy_days]
            indices = pc.if_else(keyed.before_first,
                                 pc.cast(pc.add(keyed.no_policy_index, len(distinct)), pa.int32()),
                                 indices)
            distinct = pa.concat_arrays([distinct, pa.array(texts, pa.string())])
        return pa.DictionaryArray.from_arrays(indices, distinct)

    def determination_counts(self, gid: pa.Array) -> dict[str, int]:
        """How many rows got each determination (rows with an error are not counted)."""
        counts: dict[str, int] = {}
        for entry in pc.value_counts(gid).to_pylist():
            if entry["values"] is not None:
                name = self._static_values["determination"][entry["values"]]
                counts[name] = counts.get(name, 0) + entry["counts"]
        return counts

    @staticmethod
    def check_as_of(as_of) -> str:
        """The date as YYYY-MM-DD (`cases.as_of_day`, the one check of an as-of date)."""
        return as_of_day(as_of)

    def outcome_day(self, gid: int) -> str:
        """A day on which outcome id `gid` can occur (its revision's first day)."""
        if gid == self.no_policy_gid:
            return "0001-01-01"
        return self._outcome_rows[gid].revision["effective_from"]

    def outcome_values(self, gid: int) -> dict:
        """The per-outcome result fields of outcome id `gid` (what every row with it shares)."""
        values = {name: self._static_values[name][gid] for name in _PER_OUTCOME}
        values["needs"] = self._needs[gid].as_py()
        return values

    def name_problems(self, names, file: str = "input", line: int = 0) -> list[Problem]:
        """Problems of column names (a CSV header, a schema): unknown or repeated fields."""
        fields = case_fields(self.columns)
        problems, seen = [], set()
        for position, name in enumerate(names, start=1):
            if name in seen:
                problems.append(Problem(file, line, position, "DUPLICATE_KEY",
                                        f"column '{name}' given twice"))
            elif name not in fields:
                problems.append(Problem(file, line, position, "UNKNOWN_FIELD",
                                        unknown_field(name, fields, delimiter_hint(name, fields))))
            seen.add(name)
        return problems

    def check_columns(self, schema: pa.Schema, text_cells: bool, file: str = "input") -> None:
        """Raise DataError for columns that are not case fields or hold the wrong Arrow type."""
        vocabulary = dict(self.columns)
        problems = self.name_problems(schema.names, file)
        for position, field in enumerate(schema, start=1):
            name, kind = field.name, field.type
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            if name not in vocabulary and name not in (*TEXT_FIELDS, *DATE_FIELDS):
                continue  # reported above
            stringy = (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                       or pa.types.is_string_view(kind) or pa.types.is_null(kind))
            boolean = isinstance(vocabulary.get(name, ("",))[0], bool)
            allowed = (stringy or (name in DATE_FIELDS and pa.types.is_date(kind))
                       or (boolean and pa.types.is_boolean(kind) and not text_cells))
            if not allowed:
                want = ("strings" if text_cells else "booleans" if boolean
                        else "strings or dates" if name in DATE_FIELDS else "strings")
                problems.append(Problem(file, 0, position, "WRONG_TYPE",
                                        f"column '{name}' holds {kind}; it must hold {want}"))
        if problems:
            raise DataError(problems)

    def _column_digits(self, name: str, column: pa.Array, text_cells: bool):
        """Per-row digit (unknown = len(values)) and per-row error (None when no row is bad)."""
        unknown = len(dict(self.columns)[name])
        if pa.types.is_null(column.type):
            return pa.array([unknown] * len(column), pa.int64()), None
        encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
        digits, messages = [], []
        for value in encoded.dictionary.to_pylist():
            digit, message = self.check_value(name, value, text_cells)
            digits.append(unknown if digit is None else digit)
            messages.append(message)
        indices = encoded.indices
        row_digits = pc.fill_null(pc.take(pa.array(digits, pa.int64()), indices), unknown)
        if not any(messages):
            return row_digits, None
        return row_digits, pc.take(pa.array(messages, pa.string()), indices)

    @staticmethod
    def _case_id(data: pa.RecordBatch, text_cells: bool) -> pa.Array:
        if "case_id" not in data.schema.names:
            return pa.nulls(data.num_rows, pa.string())
        column = data.column("case_id")
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        column = column.cast(pa.string())
        if text_cells:  # an empty cell is unknown
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        return column

    def _slots(self, data: pa.RecordBatch, as_of: str | None, n: int, text_cells: bool):
        """Per row: revision position (-1 before the first), date errors, the as-of day; and the
        distinct days before the first revision with each row's index among them."""
        error, dates = None, None
        if "service_date" in data.schema.names:
            dates = _dictionary_of_strings(data.column("service_date"), blank_is_null=text_cells)
            positions, messages = self._check_dates(dates.dictionary)
            if messages is not None:
                error = pc.take(messages, dates.indices)
        if as_of is not None:
            position, _ = self.check_date(as_of)
            days = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), n),
                                                  pa.array([as_of], pa.string()))
            return (pa.scalar(position, pa.int64()), error, days,
                    [as_of] if position < 0 else [], pa.scalar(0, pa.int64()))
        if dates is None:  # no service_date column and no as-of date: every row lacks a date
            return (pa.scalar(-1, pa.int64()), pa.array([NO_DATE] * n, pa.string()),
                    pa.nulls(n, RESULT_SCHEMA.field("as_of").type), [], pa.scalar(0, pa.int64()))
        slot = pc.fill_null(pc.take(positions, dates.indices), -1)
        if dates.null_count:
            no_date = pc.if_else(pc.is_null(dates), pa.scalar(NO_DATE), pa.scalar(None, pa.string()))
            error = no_date if error is None else _join_errors([error, no_date], n)
        before_first = pc.fill_null(pc.equal(positions, -1), False)
        no_policy_days = pc.filter(dates.dictionary, before_first).to_pylist()
        index = pc.subtract(pc.cumulative_sum(pc.cast(before_first, pa.int64())), 1)
        no_policy_index = pc.take(index, dates.indices)
        return slot, error, dates, no_policy_days, no_policy_index

    def _check_dates(self, days: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        """For distinct day strings: the revision position (-1 before the first; null for a bad
        date) and the error message (None when every day is good). Days seen before are looked up
        in the shared day table (a batch of claims repeats the same few thousand dates).

        The table is read once into a local: this call works on its own consistent copy, and
        publishes a grown copy for later calls (a racing thread's copy may win; both are right)."""
        table = self._day_table
        found = pc.index_in(days, value_set=table.days)
        if found.null_count:
            new = pc.filter(days, pc.is_null(found))
            positions, messages = self._check_new_dates(new)
            table = _DayTable(*(pa.concat_arrays([old, added]) for old, added in
                                zip(table, (new, positions, messages))))
            found = pc.index_in(days, value_set=table.days)
            self._publish_days(new, positions, messages)
        messages = pc.take(table.messages, found)
        return (pc.take(table.positions, found),
                None if messages.null_count == len(messages) else messages)

    def _publish_days(self, new: pa.Array, positions: pa.Array, messages: pa.Array) -> None:
        """Add checked days of plausible length to the shared table; past the bound, start afresh
        (an input of endless distinct junk)."""
        keep = pc.less_equal(pc.utf8_length(new), _ISO_LENGTH)
        added = [pc.filter(array, keep) for array in (new, positions, messages)]
        table = self._day_table
        if len(table.days) + len(added[0]) > DAY_MEMO_LIMIT:
            table = _NO_DAYS
        self._day_table = _DayTable(*(pa.concat_arrays([old, more]) for old, more in
                                      zip(table, added)))

    def _check_new_dates(self, days: pa.Array) -> tuple[pa.Array, pa.Array]:
        """Days not seen before, one Python call each (`timeline.revision_in_force`, the one
        answer to "which revision is in force"): a run meets a few thousand distinct days."""
        checked = [self.check_date(day) for day in days.to_pylist()]
        return (pa.array([position for position, _ in checked], pa.int64()),
                pa.array([message for _, message in checked], pa.string()))


def _plain_strings(data: pa.RecordBatch) -> pa.RecordBatch:
    """Large and view strings (Polars, DuckDB) as plain strings, so one code path reads them."""
    wider = [i for i, field in enumerate(data.schema)
             if pa.types.is_large_string(field.type) or pa.types.is_string_view(field.type)]
    for i in wider:
        data = data.set_column(i, data.schema[i].name, data.column(i).cast(pa.string()))
    return data


def _dictionary_of_strings(column: pa.Array, *, blank_is_null: bool) -> pa.DictionaryArray:
    """A column as dictionary<int32, string>: dates as YYYY-MM-DD, "" as null when asked."""
    if pa.types.is_dictionary(column.type):
        dictionary = column.dictionary
        if pa.types.is_date(dictionary.type):
            column = pa.DictionaryArray.from_arrays(column.indices, _iso(dictionary))
    elif pa.types.is_date(column.type):
        column = pc.dictionary_encode(column)
        column = pa.DictionaryArray.from_arrays(column.indices, _iso(column.dictionary))
    else:
        column = pc.dictionary_encode(column)
    if column.indices.type != pa.int32() or column.dictionary.type != pa.string():
        column = pa.DictionaryArray.from_arrays(pc.cast(column.indices, pa.int32()),
                                                pc.cast(column.dictionary, pa.string()))
    if blank_is_null:
        words = column.dictionary.to_pylist()
        if "" in words:
            blank = words.index("")
            indices = pc.if_else(pc.equal(column.indices, blank),
                                 pa.scalar(None, pa.int32()), column.indices)
            column = pa.DictionaryArray.from_arrays(indices, column.dictionary)
    return column


def _iso(dates: pa.Array) -> pa.Array:
    return pa.array([None if d is None else d.isoformat() for d in dates.to_pylist()], pa.string())


def _join_errors(errors: list[pa.Array], n: int) -> pa.Array:
    """One error text per row ("CODE: message; CODE: message"), null for rows without errors."""
    if not errors:
        return pa.nulls(n, pa.string())
    joined = errors[0]
    for error in errors[1:]:
        # folded pairwise: binary_join_element_wise's null_handling="skip" drops all-null rows
        # (pyarrow 26), so nulls are handled here
        both = pc.binary_join_element_wise(joined, error, "; ")
        joined = pc.if_else(pc.is_null(joined), error, pc.if_else(pc.is_null(error), joined, both))
    return joined


# The columnar forms of the last few compiled policies, by identity. Replaced whole, never edited
# in place, so a thread reading it sees one consistent dict; a race only builds one twice.
_RECENT: dict[int, ColumnarPolicy] = {}
_RECENT_LIMIT = 8


def for_policy(policy) -> ColumnarPolicy:
    """The columnar form of a `Policy` (from `load_policy`) or a `CompiledPolicy`, built once."""
    global _RECENT
    compiled = getattr(policy, "compiled", policy)
    if not isinstance(compiled, CompiledPolicy):
        raise TypeError(f"expected a Policy (from load_policy) or a CompiledPolicy, "
                        f"not {type(policy).__name__}")
    recent = _RECENT
    found = recent.get(id(compiled))
    if found is None or found.compiled is not compiled:
        found = ColumnarPolicy(compiled)
        kept = list(recent.items())[-(_RECENT_LIMIT - 1):]
        _RECENT = {**dict(kept), id(compiled): found}
    return found


def evaluate_arrow(data, policy, *, as_of: str | None = None, text_cells: bool = False):
    """Evaluate every case in a pyarrow Table or RecordBatch; return the same kind, row for row.

    Columns are named as case fields (any subset; a missing column or a null is unknown).
    `text_cells=False` reads values as a JSON case would (a boolean input a boolean column, strings
    exact); `text_cells=True` as CSV cells or `FIELD=VALUE` words ("" unknown, "true"/"false").
    `as_of` overrides every row's service_date. A bad row gets `error` ("CODE: message") and null
    results; a bad column (unknown name, wrong type) raises DataError for the whole input.
    """
    return for_policy(policy).evaluate(data, as_of=as_of, text_cells=text_cells)

