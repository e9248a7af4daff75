"""The input checks of the columnar core: the column-wise counterpart of `cases.check_case`.

Each input column is dictionary-encoded and its few distinct values are checked once with
`cases.check_case` (so messages match `policy evaluate` word for word) and turned into digits of
the partial-case code (many distinct values, a column of junk, through `bulk`, which words them
the same); dates go through `timeline.revision_in_force` once per distinct date. The
answers are remembered in memos that every thread using one policy shares: bounded
(`memo.BoundedMemo`), and the day table is replaced whole, never edited.
"""

from __future__ import annotations

import pyarrow as pa

from ..core.cases import (
    CODE_FIELDS,
    DATE_FIELDS,
    NO_DATE_MESSAGE,
    TEXT_FIELDS,
    as_of_day,
    check_case,
    delimiter_hint,
    parse_words,
    unknown_field,
    value_text,
)
from ..core.compiled import CompiledPolicy
from ..core.dates import check_date
from ..core.errors import DataError, Problem
from ..core.memo import BoundedMemo
from ..core.record import Record
from ..core.timeline import revision_in_force
from . import column_map, row_errors
from . import kernels as pc
from .bulk import BULK_MIN, DateScreen, NoTemplate, VocabularyScreen
from .row_errors import Pairs

NO_DATE: Pairs = (("NO_DATE", NO_DATE_MESSAGE),)
AS_OF_TYPE = pa.dictionary(pa.int32(), pa.string())  # the result's as_of column

# Bounds of the memos shared by every thread using one ColumnarPolicy (see `memo.BoundedMemo`):
# distinct (field, value) pairs and dates checked, and days remembered in the Arrow day table. With
# keys of at most 64 characters the memos hold a few MB at most, whatever the input.
VALUE_MEMO_LIMIT = 4096
DAY_MEMO_LIMIT = 200_000
# combinations of the vocabulary columns' distinct values summed into one table per batch (0.5 MB)
PRODUCT_LIMIT = 1 << 16
_ISO_LENGTH = len("2023-10-01")  # only days of this length can be valid: longer ones are junk

Checked = tuple[int | None, Pairs | None]  # (digit or revision position, None) or (None, problems)


class _DayTable(Record):
    """Checked days as Arrow arrays: the day, its revision position (-1 before the first; null
    when invalid) and its problems. Immutable: a thread that learns new days publishes a new
    table."""

    __slots__ = ()
    days: pa.Array  # string
    positions: pa.Array  # int32
    errors: pa.Array  # ROW_ERRORS


_NO_DAYS = _DayTable(pa.array([], pa.string()), pa.array([], pa.int64()), row_errors.none(0))


class RowDays(Record):
    """The days of a record batch's rows: per row (or one scalar for all) the revision position
    (-1 before the first), the date error (None when no row has one) and the day decided on
    (dictionary-encoded); the distinct days before the first revision, and each row's index
    among them."""

    __slots__ = ()
    position: pa.Array | pa.Scalar  # int32
    error: pa.Array | None  # ROW_ERRORS
    days: pa.Array  # dictionary-encoded strings
    no_policy_days: list[str]
    no_policy_index: pa.Array | None  # int32


class InputChecks:
    """Checks of a policy's input columns, values and dates, with their shared memos."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        self.columns = compiled.columns
        self._vocabulary = dict(self.columns)
        self._positions = {compiled_revision.id: i
                           for i, compiled_revision in enumerate(compiled.revisions)}
        self._value_memo: BoundedMemo[Checked] = BoundedMemo(VALUE_MEMO_LIMIT)
        self._date_memo: BoundedMemo[Checked] = BoundedMemo(VALUE_MEMO_LIMIT)
        self._day_table = _NO_DAYS  # see _check_dates
        self._texts = {name: pa.array([value_text(v) for v in values], pa.string())
                       for name, values in self.columns}
        self._screens: dict[tuple[str, bool], VocabularyScreen | None] = {}  # replaced whole
        try:
            self._date_screen: DateScreen | None = DateScreen(
                lambda day: self._check_date(day)[1])
        except NoTemplate:
            self._date_screen = None

    # --- names and types of columns -------------------------------------------------------------
    def name_problems(self, names: list[str], file: str = "input", line: int = 0,
                      plan: column_map.ColumnMap = column_map.NO_MAP) -> list[Problem]:
        """Problems of column names (a CSV header, a schema) read with `plan`'s column map:
        unknown fields, a column given twice, mapped or kept columns the input lacks."""
        fields = column_map.row_fields(self.columns)
        problems = column_map.name_problems(names, plan, fields, file, line) if plan else []
        sources, mapped = plan.sources(), plan.mapped()
        given: set[str] = set()
        for position, name in enumerate(names, start=1):
            if name in given:  # each column is read once, whatever the map does with it
                problems.append(Problem(file, line, position, "DUPLICATE_KEY",
                                        f"column '{name}' given twice"))
            elif name in plan.keep or (name in mapped and name not in sources):
                pass  # kept; or a field read from other columns (reported above)
            elif sources.get(name, name) not in fields:
                problems.append(Problem(file, line, position, "UNKNOWN_FIELD",
                                        unknown_field(name, fields, delimiter_hint(name, fields))))
            given.add(name)
        return problems

    def check_columns(self, schema: pa.Schema, text_cells: bool, file: str = "input",
                      plan: column_map.ColumnMap = column_map.NO_MAP) -> None:
        """Raise DataError for columns that are not case fields (under `plan`'s column map) or
        hold the wrong Arrow type."""
        vocabulary = self._vocabulary
        problems = self.name_problems(schema.names, file, plan=plan)
        sources = plan.sources()
        for position, field in enumerate(schema, start=1):
            kind = field.type
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            if field.name in plan.keep:
                problems += column_map.kept_type_problems(field.name, kind, file, position)
                continue
            name = sources.get(field.name, field.name)
            if name not in vocabulary and name not in (*TEXT_FIELDS, *DATE_FIELDS, *CODE_FIELDS):
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
                                        f"column '{field.name}' holds {kind}; it must hold "
                                        f"{want}"))
        if problems:
            raise DataError(problems)

    # --- values -----------------------------------------------------------------------------------
    def check_value(self, name: str, value: object, text_cells: bool) -> Checked:
        """(digit, None) for a valid value or unknown, (None, its problems) for a bad one."""
        return self._value_memo.get((name, value, text_cells, type(value)), value_text(value),
                                    lambda: self._check_value(name, value, text_cells))

    def check_values(self, name: str, values: pa.Array,
                     text_cells: bool) -> tuple[list[int | None], pa.Array | None]:
        """For distinct values of input `name`: each one's digit (None for a bad one) and the
        problems (ROW_ERRORS: null for a good one; None when all are good). Many string values
        (a column of junk) are screened at once (`bulk.VocabularyScreen`); the rest, one by
        one."""
        screen = None if len(values) < BULK_MIN or not pa.types.is_string(values.type) \
            else self._screen(name, text_cells)
        if screen is None:
            checked = [self.check_value(name, value, text_cells) for value in values.to_pylist()]
            problems = [found for _, found in checked]
            return ([digit for digit, _ in checked],
                    row_errors.of_pairs(problems) if any(problems) else None)
        allowed = self._vocabulary[name]
        position = pc.index_in(values, value_set=self._texts[name])
        if isinstance(allowed[0], bool) and not text_cells:  # "true" is not true in JSON
            position = pa.nulls(len(values), pa.int32())
        known = pc.is_valid(position)
        told = pc.if_else(known, pa.scalar(None, pa.string()), screen.messages(values))
        alone = pc.and_(pc.invert(known), pc.is_null(told))
        if text_cells:  # an empty cell is unknown: the per-value path says so
            alone = pc.or_(alone, pc.fill_null(pc.equal(values, ""), False))
        digits: list[int | None] = position.to_pylist()
        errors = row_errors.one_code(screen.code, told)
        where = pc.filter(pa.array(range(len(values)), pa.int64()), alone).to_pylist()
        if where:
            singly = [self.check_value(name, value, text_cells)
                      for value in pc.take(values, pa.array(where, pa.int64())).to_pylist()]
            for at, (digit, _) in zip(where, singly, strict=True):
                digits[at] = digit
            errors = row_errors.replaced(errors, alone,
                                         row_errors.of_pairs([found for _, found in singly]))
        return digits, None if errors.null_count == len(errors) else errors

    def _screen(self, name: str, text_cells: bool) -> VocabularyScreen | None:
        """The bulk screen of input `name`, built at its first column of junk (a race builds it
        twice; either is right); None when the per-value path's words do not split around a
        value (then every value goes that way)."""
        key = (name, text_cells)
        if key not in self._screens:
            try:
                found: VocabularyScreen | None = VocabularyScreen(
                    [value_text(v) for v in self._vocabulary[name]],
                    lambda value: self._check_value(name, value, text_cells)[1])
            except NoTemplate:
                found = None
            self._screens = {**self._screens, key: found}
        return self._screens[key]

    def _check_value(self, name: str, value: object, text_cells: bool) -> Checked:
        values = self._vocabulary[name]
        if value is None or (text_cells and value == ""):
            return len(values), None
        raw = parse_words([f"{name}={value}"], self.columns) if text_cells else {name: value}
        try:
            clean = check_case(raw, self.columns)
        except DataError as exc:
            return None, row_errors.pairs(exc.problems)
        return values.index(clean[name]), None

    def partial_case_codes(self, data: pa.RecordBatch, weights: list[int],
                           text_cells: bool) -> tuple[pa.Array, list[pa.Array]]:
        """Per row, the partial-case code: the sum over the inputs of each one's digit times its
        weight (an absent column or a null is unknown, digit len(values)); and, in input order,
        the problems (ROW_ERRORS) of each input that holds a bad value.

        Each column's distinct values are checked once (`check_value`). Their combinations are
        few (the product of the columns' distinct values, a few thousand in a claim file), so
        their codes are summed once, in Python, into a table, and each row takes its own code
        by one index computed from the columns' dictionary indices: one `take` for all the
        inputs, not one per input (0.03 s per 1,000,000 rows against 0.09). Past
        PRODUCT_LIMIT combinations (columns of junk) each column takes its own digits."""
        n = data.num_rows
        names = data.schema.names
        constant = 0  # the digits of absent columns and of all-null ones
        parts: list[tuple[list[int], pa.Array]] = []  # (digit * weight per value, null last;
        errors: list[pa.Array] = []                    #  the rows' dictionary indices)
        for (name, values), weight in zip(self.columns, weights, strict=True):
            unknown = len(values)
            if name not in names or pa.types.is_null(data.column(name).type):
                constant += unknown * weight
                continue
            column = data.column(name)
            encoded = column if pa.types.is_dictionary(column.type) else \
                pc.dictionary_encode(column)
            checked, problems = self.check_values(name, encoded.dictionary, text_cells)
            digits = [(unknown if digit is None else digit) * weight for digit in checked]
            indices = encoded.indices
            if problems is not None:
                errors.append(pc.take(problems, indices))
            if indices.type != pa.int32():
                indices = pc.cast(indices, pa.int32())
            digits.append(unknown * weight)  # a null: unknown
            parts.append((digits, pc.fill_null(indices, len(digits) - 1)))
        combinations = 1
        for digits, _ in parts:
            combinations *= len(digits)
        if combinations > PRODUCT_LIMIT:
            code: pa.Array | pa.Scalar = pa.scalar(constant, pa.int64())
            for digits, indices in parts:
                code = pc.add(code, pc.take(pa.array(digits, pa.int64()), indices))
            return code, errors
        sums, combined, stride = [constant], None, 1
        for digits, indices in parts:  # the table's index: the first column varies fastest
            sums = [total + digit for digit in digits for total in sums]
            term = indices if stride == 1 else pc.multiply(indices, stride)
            combined = term if combined is None else pc.add(combined, term)
            stride *= len(digits)
        if combined is None:  # no vocabulary column at all: every row alike
            return pa.array([constant] * n, pa.int64()), errors
        return pc.take(pa.array(sums, pa.int64()), combined), errors

    @staticmethod
    def case_ids(data: pa.RecordBatch, text_cells: bool) -> pa.Array:
        """The case_id column as strings (null when absent; an empty cell is unknown)."""
        if "case_id" not in data.schema.names:
            return pa.nulls(data.num_rows, pa.string())
        column = data.column("case_id")
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, column.type.value_type)
        column = pc.cast(column, pa.string())
        if text_cells:  # an empty cell is unknown
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        return column

    # --- dates ------------------------------------------------------------------------------------
    @staticmethod
    def check_as_of(as_of: object) -> str:
        """The date as YYYY-MM-DD (`cases.as_of_day`, the one check of an as-of date)."""
        return as_of_day(as_of)

    def check_date(self, value: str) -> Checked:
        """(revision position or -1 before the first, None) or (None, its problems)."""
        return self._date_memo.get(value, value, lambda: self._check_date(value))

    def _check_date(self, value: str) -> Checked:
        try:
            check_date(value)
        except ValueError as exc:
            return None, (("DATE_INVALID", f"service_date: {exc}"),)
        in_force = revision_in_force(self.compiled.revisions, value)
        return -1 if in_force is None else self._positions[in_force.id], None

    def row_days(self, data: pa.RecordBatch, as_of: str | None, text_cells: bool) -> RowDays:
        """The days of the rows: `as_of` (checked) for every row, else each row's service_date."""
        n = data.num_rows
        error, dates = None, None
        if "service_date" in data.schema.names:
            dates = dictionary_of_strings(data.column("service_date"), blank_is_null=text_cells)
            positions, problems = self._check_dates(dates.dictionary)
            if problems is not None:
                error = pc.take(problems, dates.indices)
        if as_of is not None:
            position, _ = self.check_date(as_of)
            assert position is not None  # as_of passed check_as_of
            days = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), n),
                                                  pa.array([as_of], pa.string()))
            return RowDays(pa.scalar(position, pa.int64()), error, days,
                           [as_of] if position < 0 else [], pa.scalar(0, pa.int64()))
        if dates is None:  # no service_date column and no as-of date: every row lacks a date
            return RowDays(pa.scalar(-1, pa.int64()), row_errors.of_pairs([NO_DATE] * n),
                           pa.nulls(n, AS_OF_TYPE), [], pa.scalar(0, pa.int64()))
        position = pc.fill_null(pc.take(positions, dates.indices), -1)
        if dates.null_count:
            no_date = pc.take(row_errors.of_pairs([None, NO_DATE]),
                              pc.cast(pc.is_null(dates), pa.int8()))
            error = no_date if error is None else row_errors.join([error, no_date], n)
        before_first = pc.fill_null(pc.equal(positions, -1), False)
        no_policy_days = pc.filter(dates.dictionary, before_first).to_pylist()
        index = pc.subtract(pc.cumulative_sum(pc.cast(before_first, pa.int64())), 1)
        return RowDays(position, error, dates, no_policy_days, pc.take(index, dates.indices))

    def _check_dates(self, days: pa.Array) -> tuple[pa.Array, pa.Array | None]:
        """For distinct day strings: the revision position (-1 before the first; null for a bad
        date) and the problems (None when every day is good). Days seen before are looked up
        in the shared day table (a batch of claims repeats the same few thousand dates).

        The table is read once into a local: this call works on its own consistent copy, and
        publishes a grown copy for later calls (a racing thread's copy may win; both are right)."""
        table = self._day_table
        found = pc.index_in(days, value_set=table.days)
        if found.null_count:
            new = pc.filter(days, pc.is_null(found))
            positions, problems = self._check_new_dates(new)
            table = _DayTable(*(pa.concat_arrays([old, added]) for old, added in
                                zip(table, (new, positions, problems), strict=True)))
            found = pc.index_in(days, value_set=table.days)
            self._publish_days(new, positions, problems)
        problems = pc.take(table.errors, found)
        return (pc.take(table.positions, found),
                None if problems.null_count == len(problems) else problems)

    def _publish_days(self, new: pa.Array, positions: pa.Array, problems: pa.Array) -> None:
        """Add checked days of plausible length to the shared table; past the bound, start afresh
        (an input of endless distinct junk)."""
        keep = pc.less_equal(pc.utf8_length(new), _ISO_LENGTH)
        added = [pc.filter(array, keep) for array in (new, positions, problems)]
        table = self._day_table
        if len(table.days) + len(added[0]) > DAY_MEMO_LIMIT:
            table = _NO_DAYS
        self._day_table = _DayTable(*(pa.concat_arrays([old, more]) for old, more in
                                      zip(table, added, strict=True)))

    def _check_new_dates(self, days: pa.Array) -> tuple[pa.Array, pa.Array]:
        """Days not seen before, one Python call each (`timeline.revision_in_force`, the one
        answer to "which revision is in force"): a run meets a few thousand distinct days. Many
        (a column of junk) are screened at once first: those not shaped YYYY-MM-DD get their
        messages from `bulk.DateScreen`, and only the rest are checked one by one."""
        if len(days) < BULK_MIN or self._date_screen is None:
            checked = [self.check_date(day) for day in days.to_pylist()]
            return (pa.array([position for position, _ in checked], pa.int64()),
                    row_errors.of_pairs([found for _, found in checked]))
        told = self._date_screen.messages(days)  # days not shaped YYYY-MM-DD, at once
        alone = pc.is_null(told)
        errors = row_errors.one_code(self._date_screen.code, told)
        where = pc.filter(pa.array(range(len(days)), pa.int64()), alone).to_pylist()
        positions: list[int | None] = [None] * len(days)
        if where:
            singly = [self.check_date(day) for day in pc.filter(days, alone).to_pylist()]
            for at, (position, _) in zip(where, singly, strict=True):
                positions[at] = position
            errors = row_errors.replaced(errors, alone,
                                         row_errors.of_pairs([found for _, found in singly]))
        return pa.array(positions, pa.int64()), errors


def plain_strings(data: pa.RecordBatch) -> pa.RecordBatch:
    """Large and view strings (Polars, DuckDB) as plain strings, so one code path reads them."""
    wider = [i for i, field in enumerate(data.schema)
             if pa.types.is_large_string(field.type) or pa.types.is_string_view(field.type)]
    for i in wider:
        data = data.set_column(i, data.schema[i].name, pc.cast(data.column(i), pa.string()))
    return data


def dictionary_of_strings(column: pa.Array, *, blank_is_null: bool) -> pa.DictionaryArray:
    """A column as dictionary<int32, string>: dates as YYYY-MM-DD, "" as null when asked. A
    null in the dictionary (not only in the indices) is a null row; a column of Arrow type null
    (pandas writes an empty column so) is all nulls."""
    if pa.types.is_dictionary(column.type) and (column.dictionary.null_count
                                                or pa.types.is_null(column.type.value_type)):
        column = pc.cast(column, column.type.value_type)  # decoded, so encoding moves its nulls
    if pa.types.is_null(column.type):                       # to the indices
        return pa.DictionaryArray.from_arrays(pa.nulls(len(column), pa.int32()),
                                              pa.array([], pa.string()))
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
        cells = column.dictionary.to_pylist()
        if "" in cells:
            blank = cells.index("")
            indices = pc.if_else(pc.equal(column.indices, blank),
                                 pa.scalar(None, pa.int32()), column.indices)
            column = pa.DictionaryArray.from_arrays(indices, column.dictionary)
    return column


def _iso(dates: pa.Array) -> pa.Array:
    return pa.array([None if d is None else d.isoformat() for d in dates.to_pylist()], pa.string())
