"""The keyed evaluation of the columnar core: a record batch of cases in, per row an outcome id.

Each input column's checked digits (`inputs.InputChecks`) are combined with Arrow arithmetic into
the partial-case code (`codes`), each row's day into a revision position, and the outcome id of each
row is one `take` from the outcome table (`outcomes.OutcomeTable`). No Python code runs per row.
`ColumnarPolicy` joins the three; `results` turns a keyed evaluation into the result columns.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from ..core.cases import CODE_FIELDS
from ..core.compiled import CompiledPolicy
from ..core.decision import Decision
from ..core.errors import DataError, Problem
from ..core.memo import BoundedMemo
from ..core.record import Record
from . import kernels as pc
from . import row_errors
from .column_codes import ColumnCodes
from .column_map import apply as apply_map
from .column_map import column_map, renamed
from .inputs import VALUE_MEMO_LIMIT, InputChecks, plain_strings
from .outcomes import PER_OUTCOME, RESULT_SCHEMA, OutcomeTable


class Keyed(Record):
    """A keyed evaluation of a record batch: per row the outcome id (null for a bad row), the
    partial-case code, case_id, as_of and problems (`row_errors`); and what the no-policy
    explanations need (rows before the first revision, the distinct such days, each row's index
    among them)."""

    __slots__ = ()
    gid: pa.Array  # int32, null for a bad row
    code: pa.Array  # int64
    case_id: pa.Array  # string
    as_of: pa.Array  # string
    error: pa.Array  # ROW_ERRORS: null for a good row, else its problems
    before_first: pa.Array | None  # bool
    no_policy_days: list[str]
    no_policy_index: pa.Array | None  # int32
    kept: pa.RecordBatch | None = None  # the kept columns (`column_map`), or None
    # rows with diagnosis or procedure codes (`column_codes`): per row the codes as JSON text,
    # the sentence the explanation adds, the explanation of a not_applicable row (both
    # dictionary arrays, null where a row has none); else None
    codes: pa.Array | None = None
    said: pa.DictionaryArray | None = None
    not_applicable_text: pa.DictionaryArray | None = None


class ColumnarPolicy:
    """A compiled policy's outcome table and input checks, for evaluating Arrow data.

    Build once per policy (`for_policy` keeps one per policy) and reuse it for every batch, from any
    number of threads: the outcome table never changes after construction, and the memos of the
    input checks are bounded and safe to share (`memo.BoundedMemo`; the day table is replaced
    whole, never edited).
    """

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        self.columns = compiled.columns
        self.outcomes = OutcomeTable(compiled)
        self.inputs = InputChecks(compiled)
        self.codes = ColumnCodes(compiled, (compiled.crosswalk or {}).get("field"))
        self.n_codes = self.outcomes.n_codes
        self._no_policy_memo: BoundedMemo[str] = BoundedMemo(VALUE_MEMO_LIMIT)
        # what the batch readers and writers use, from the part that owns it
        self.decode = self.outcomes.decode
        self.outcome_day = self.outcomes.outcome_day
        self.outcome_values = self.outcomes.outcome_values
        self.determination_counts = self.outcomes.determination_counts
        self.name_problems = self.inputs.name_problems
        self.check_columns = self.inputs.check_columns
        self.check_as_of = self.inputs.check_as_of

    def evaluate(self, data: pa.Table | pa.RecordBatch, *, as_of: str | date | None = None,
                 text_cells: bool = False,
                 columns: object = None) -> pa.Table | pa.RecordBatch:
        """Results for a pyarrow Table or RecordBatch of cases (see `evaluate_arrow`)."""
        plan = column_map(columns, self.columns)
        if isinstance(data, pa.Table):
            self.inputs.check_columns(data.schema, text_cells, plan=plan)
            kept = [data.schema.field(name) for name in plan.keep]
            fields = set(renamed(data.schema.names, plan))
            coded = [pa.field("codes", pa.string())] if fields & set(CODE_FIELDS) else []
            batches = [self.evaluate(b, as_of=as_of, text_cells=text_cells, columns=plan)
                       for b in data.to_batches()]
            return pa.Table.from_batches(batches,
                                         schema=pa.schema([*RESULT_SCHEMA, *coded, *kept]))
        if not isinstance(data, pa.RecordBatch):
            raise TypeError(f"expected a pyarrow Table or RecordBatch, not {type(data).__name__}")
        if plan:
            self.inputs.check_columns(data.schema, text_cells, plan=plan)
        cases, kept_columns = apply_map(data, plan)
        keyed = self.evaluate_keyed(cases, as_of=as_of, text_cells=text_cells)
        results = self.results(keyed)
        if keyed.codes is not None:  # each row's codes as JSON text (null for a bad row)
            codes = pc.if_else(pc.is_valid(keyed.gid), keyed.codes, pa.scalar(None, pa.string()))
            results = results.append_column("codes", codes)
        if kept_columns is None:
            return results
        return pa.RecordBatch.from_arrays([*results.columns, *kept_columns.columns],
                                          schema=pa.schema([*results.schema,
                                                            *kept_columns.schema]))

    def evaluate_keyed(self, data: pa.RecordBatch, *, as_of: str | date | None = None,
                       text_cells: bool = False, checked_utf8: bool = False,
                       codes_json: bool = True) -> Keyed:
        """Each row's outcome id and partial-case code, and the per-row fields. Writers that
        render whole rows from per-outcome fragments need no more; `results` builds the rest.
        `checked_utf8`: the reader has already refused invalid UTF-8 (pyarrow's CSV reader does);
        `codes_json=False`: no `codes` column (a writer that leaves codes out: each row's JSON
        list is hundreds of bytes to make)."""
        inputs, outcomes = self.inputs, self.outcomes
        day = None if as_of is None else inputs.check_as_of(as_of)
        data = plain_strings(data)
        inputs.check_columns(data.schema, text_cells)
        if not checked_utf8:
            try:
                data.validate(full=True)
            except pa.ArrowInvalid as exc:
                raise DataError(Problem("input", 0, 0, "ENCODING",
                                        f"invalid data: {exc}")) from None
        n = data.num_rows
        row_codes = None
        if self.codes.has_codes(data):  # read them, and decide with what they name
            row_codes = self.codes.read(data, day, text_cells, codes_json)
            data = row_codes.data
        code, errors = inputs.partial_case_codes(data, outcomes.weights, text_cells)

        row_days = inputs.row_days(data, day, text_cells)
        if row_days.error is not None:
            errors.append(row_days.error)
        error = row_errors.join(errors, n)
        if row_codes is not None and row_codes.error is not None:  # after the fields' own
            error = pc.coalesce(error, row_codes.error)

        # The outcome id of each row: a lookup by (revision, code) for rows in force, one shared
        # id for rows before the first revision (only their explanation differs: it names the day).
        position = row_days.position
        key = pc.add(pc.multiply(pc.max_element_wise(position, 0), self.n_codes), code)
        gid = pc.take(outcomes.key_to_gid, key)
        not_known = outcomes.not_known(key, pc.greater_equal(position, 0))
        if not_known is not None:  # the per-case API checks this last: after fields and codes
            error = pc.coalesce(error, not_known)
        if row_codes is not None and row_codes.not_applicable is not None:
            applies = pc.and_(pc.fill_null(row_codes.not_applicable, False),
                              pc.greater_equal(position, 0))
            gid = pc.if_else(applies, pc.cast(pc.add(position, outcomes.not_applicable_base),
                                              pa.int32()), gid)
        before_first = pc.less(position, 0) if row_days.no_policy_days else None
        if before_first is not None:
            gid = pc.if_else(before_first, pa.scalar(outcomes.no_policy_gid, pa.int32()), gid)
        days = row_days.days
        if error.null_count < n:
            gid = pc.if_else(pc.is_null(error), gid, pa.scalar(None, pa.int32()))
            days = pc.if_else(pc.is_null(error), days, pa.scalar(None, days.type))
        keyed = Keyed(gid, code, inputs.case_ids(data, text_cells), days, error, before_first,
                      row_days.no_policy_days, row_days.no_policy_index)
        if row_codes is None:
            return keyed
        return keyed._replace(codes=row_codes.codes, said=row_codes.said,
                              not_applicable_text=row_codes.not_applicable_text)

    def results(self, keyed: Keyed) -> pa.RecordBatch:
        """The result record batch (RESULT_SCHEMA) of a keyed evaluation."""
        gid = keyed.gid
        columns = {"case_id": keyed.case_id, "as_of": keyed.as_of,
                   "error": row_errors.texts(keyed.error),
                   "needs": pc.take(self.outcomes.needs, gid),
                   "explanation": self.explanations(keyed)}
        for name in PER_OUTCOME:
            if name != "explanation":
                columns[name] = self.outcomes.column(name, gid)
        return pa.RecordBatch.from_arrays([columns[f.name] for f in RESULT_SCHEMA],
                                          schema=RESULT_SCHEMA)

    def explanations(self, keyed: Keyed) -> pa.DictionaryArray:
        """Per row, the explanation: one per outcome, and for days before the first revision one
        per day (it names the day)."""
        distinct, positions = self.outcomes.dictionaries["explanation"]
        indices = pc.take(positions, keyed.gid)
        if keyed.before_first is not None:
            texts = [self.no_policy_explanation(day) for day in keyed.no_policy_days]
            # a bad row (null gid) keeps its null explanation, whatever its day
            indices = pc.if_else(pc.and_(keyed.before_first, pc.is_valid(keyed.gid)),
                                 pc.cast(pc.add(keyed.no_policy_index, len(distinct)), pa.int32()),
                                 indices)
            distinct = pa.concat_arrays([distinct, pa.array(texts, pa.string())])
        explained = pa.DictionaryArray.from_arrays(indices, distinct)
        if keyed.said is None and keyed.not_applicable_text is None:
            return explained
        # rows with codes: their own words, made once per distinct (outcome's explanation, the
        # not_applicable row's instead, the sentence on what the diagnosis codes named)
        parts = [explained, keyed.not_applicable_text, keyed.said]
        key = pa.scalar(0, pa.int64())
        for part in parts:
            if part is not None:
                index = pc.fill_null(pc.add(pc.cast(part.indices, pa.int64()), 1), 0)
                key = pc.add(pc.multiply(key, len(part.dictionary) + 1), index)
        key = pc.if_else(pc.is_valid(keyed.gid), key, pa.scalar(None, pa.int64()))
        combined = pc.dictionary_encode(key)
        made: list[str | None] = []
        for number in combined.dictionary.to_pylist():
            found: list[str | None] = []
            for part in reversed(parts):
                if part is not None:
                    number, at = divmod(number, len(part.dictionary) + 1)
                    found.insert(0, part.dictionary[at - 1].as_py() if at else None)
                else:
                    found.insert(0, None)
            outcome, instead, said = found
            text = instead if instead is not None else outcome
            made.append(f"{text} {said}" if said is not None else text)
        return pa.DictionaryArray.from_arrays(combined.indices, pa.array(made, pa.string()))

    def outcome_keys(self, keyed: Keyed) -> pa.Array:
        """Per row, one int64 for its (outcome id, partial-case code) pair, null for a bad row:
        rows with one key share every result field but as_of, case_id and the explanation."""
        return pc.add(pc.multiply(pc.cast(keyed.gid, pa.int64()), self.n_codes), keyed.code)

    def decision_of_key(self, key: int) -> Decision:
        """The decision of the rows with `outcome_keys` value `key`, on a day its outcome occurs
        (as_of, case_id and, before the first revision, the explanation are the row's own)."""
        gid, code = divmod(key, self.n_codes)
        decision = self.compiled.evaluate(self.decode(code), self.outcome_day(gid))
        if gid >= self.outcomes.not_applicable_base:
            return self.compiled.not_applicable(decision, ())
        return decision

    def no_policy_explanation(self, day: str) -> str:
        """The explanation of a day before the first revision (it names the day)."""
        return self._no_policy_memo.get(day, day,
                                        lambda: self.compiled.evaluate({}, day).explanation)


# The columnar forms of the last few compiled policies, by identity. Replaced whole, never edited
# in place, so a thread reading it sees one consistent dict; a race only builds one twice.
_RECENT: dict[int, ColumnarPolicy] = {}
_RECENT_LIMIT = 8


def for_policy(policy: object) -> ColumnarPolicy:
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


def evaluate_arrow(data: pa.Table | pa.RecordBatch, policy: object, *,
                   as_of: str | date | None = None, text_cells: bool = False,
                   columns: object = None) -> pa.Table | pa.RecordBatch:
    """Evaluate every case in a pyarrow Table or RecordBatch; return the same kind, row for row.

    Columns are named as case fields (any subset; a missing column or a null is unknown).
    `text_cells=False` reads values as a JSON case would (a boolean input a boolean column, strings
    exact); `text_cells=True` as CSV cells or `FIELD=VALUE` words ("" unknown, "true"/"false").
    `as_of` overrides every row's service_date. A bad row gets `error` ("CODE: message") and null
    results; a bad column (unknown name, wrong type) raises DataError for the whole input.
    `columns` reads a table with its own column names: {field: column} (diagnosis and
    procedure: a list of columns, joined), and "keep": [column, ...], carried as they are after
    the result columns (`column_map`); any other column that is no field is still an error.
    """
    return for_policy(policy).evaluate(data, as_of=as_of, text_cells=text_cells,
                                       columns=columns)
