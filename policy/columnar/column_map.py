"""A claim file's own column names: which columns feed which case field, and which are carried
into every result under their own name (`policy batch --map/--keep`, `evaluate_arrow(columns=)`).

A field is fed by one column, or (diagnosis and procedure only) by several, whose codes are
joined (`C20` and `Z85.048` in two columns are the cell `C20,Z85.048`; empty cells add nothing).
A kept column is carried as it is (Parquet, Arrow) or as text (JSON Lines, CSV). Any other column
that is not a case field is still an error naming it: a misspelt column is never dropped.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..core.cases import CODE_FIELDS, case_fields, suggest
from ..core.errors import DataError, Problem
from ..core.escaping import shown
from ..core.record import Record
from . import kernels as pc

# names a kept column cannot take: the members of a result (`evaluate --json`, batch rows)
RESULT_MEMBERS = ("line", "determination", "as_of", "policy", "revision", "rule", "rules",
                  "needs", "possible", "explanation", "source", "provenance", "provenance_note",
                  "evidence", "evidence_scope", "disclaimer", "disclaimer_provenance",
                  "disclaimer_note", "case_id", "case", "codes", "error", "version",
                  "effective_from", "effective_from_basis")
MAPPING = "columns"  # what a problem of the mapping itself names as its place




def keepable(kind: pa.DataType) -> bool:
    """Whether a kept column's values can be carried as text into every output."""
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_string_view(kind) or pa.types.is_null(kind)
            or pa.types.is_integer(kind) or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind) or pa.types.is_date(kind)
            or pa.types.is_timestamp(kind) or pa.types.is_decimal(kind))


def kept_type_problems(name: str, kind: pa.DataType, file: str,
                       position: int) -> list[Problem]:
    """A kept column whose values cannot be carried as text (a list, a struct, binary)."""
    if keepable(kind):
        return []
    return [Problem(file, 0, position, "WRONG_TYPE", f"kept column '{name}' holds {kind}; a "
                    "kept column holds text, numbers, booleans or dates")]


def row_fields(columns: Any) -> list[str]:
    """The case fields a row of Arrow data (a batch file's column) may hold: every case field,
    the codes included (`column_codes` reads them)."""
    return case_fields(columns)


class ColumnMap(Record):
    """`fields`: ((field, (column, ...)), ...) for fields read from other columns; `keep`: the
    columns carried into every result. The empty map reads every column as its field."""

    __slots__ = ()
    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()
    keep: tuple[str, ...] = ()

    def sources(self) -> dict[str, str]:
        """column -> the field it feeds."""
        return {column: field for field, columns in self.fields for column in columns}

    def mapped(self) -> set[str]:
        return {field for field, _ in self.fields}

    def __bool__(self) -> bool:
        return bool(self.fields or self.keep)


NO_MAP = ColumnMap()


def column_map(columns: Any, policy_columns: Any) -> ColumnMap:
    """A checked ColumnMap from `columns`: None, a ColumnMap, or a mapping {field: column or
    [column, ...]} with an optional "keep": [column, ...]. DataError for a field that is no case
    field, several columns for a field that takes one, a column given twice, or a kept column
    named as a field or a result member."""
    if columns is None:
        return NO_MAP
    if isinstance(columns, ColumnMap):
        raw_fields: list[tuple[str, Any]] = [(f, list(c)) for f, c in columns.fields]
        keep: Any = list(columns.keep)
    elif isinstance(columns, dict):
        keep = columns.get("keep", [])
        raw_fields = [(f, c) for f, c in columns.items() if f != "keep"]
    else:
        raise TypeError("columns is a mapping {field: column or [columns], 'keep': [columns]}, "
                        f"not {type(columns).__name__}")
    fields = case_fields(policy_columns)
    problems: list[Problem] = []

    def problem(code: str, message: str) -> None:
        problems.append(Problem(MAPPING, 0, 0, code, message))

    seen: set[str] = set()
    checked: list[tuple[str, tuple[str, ...]]] = []
    for field, given in raw_fields:
        names = [given] if isinstance(given, str) else given
        if not isinstance(names, (list, tuple)) or not names or not all(
                isinstance(n, str) and n for n in names):
            problem("WRONG_TYPE", f"the columns of {shown(field)} must be one column name or a "
                                  f"list of them, not {shown(given)}")
            continue
        if field not in fields:
            problem("UNKNOWN_FIELD", f"columns are mapped to {shown(field)}, which is no case "
                                     f"field; fields: {', '.join(fields)}" + suggest(field, fields))
            continue
        if len(names) > 1 and field not in CODE_FIELDS:
            problem("UNKNOWN_FIELD", f"{field} is read from one column, not {len(names)} "
                                     f"({', '.join(names)}); only {' and '.join(CODE_FIELDS)} "
                                     "join several")
            continue
        if any(f == field for f, _ in checked):
            problem("DUPLICATE_KEY", f"{field} is mapped twice")
            continue
        for name in names:
            if name in seen:
                problem("DUPLICATE_KEY", f"column {shown(name)} is mapped or kept twice")
            seen.add(name)
        checked.append((field, tuple(names)))
    if not isinstance(keep, (list, tuple)) or not all(isinstance(n, str) and n for n in keep):
        problem("WRONG_TYPE", f"the kept columns are a list of column names, not {shown(keep)}")
        keep = []
    for name in keep:
        if name in seen:
            problem("DUPLICATE_KEY", f"column {shown(name)} is mapped or kept twice")
        elif name in fields:
            problem("DUPLICATE_KEY", f"column {shown(name)} is a case field: it is read as one "
                                     "(a result echoes the case's fields), not kept")
        elif name in RESULT_MEMBERS:
            problem("DUPLICATE_KEY", f"column {shown(name)} would be carried under the name of "
                                     "a result member; map it to a field or leave it out")
        seen.add(name)
    if problems:
        raise DataError(problems)
    return ColumnMap(tuple(checked), tuple(keep))


def name_problems(names: list[str], plan: ColumnMap, fields: list[str], file: str,
                  line: int) -> list[Problem]:
    """Problems of an input's column names under `plan` that the field check does not see: a
    field given both as itself and through a mapped column, a mapped or kept column the input
    does not have."""
    problems = []
    present = set(names)
    for field, columns in plan.fields:
        if field in present and field not in columns:
            position = names.index(field) + 1
            problems.append(Problem(file, line, position, "DUPLICATE_KEY",
                                    f"column '{field}' is a field the map reads from "
                                    f"{', '.join(columns)}: one or the other"))
        for column in columns:
            if column not in present:
                problems.append(Problem(file, line, 0, "UNKNOWN_FIELD",
                                        f"the input has no column {shown(column)}, mapped to "
                                        f"{field}; columns: {', '.join(names)}"))
    for column in plan.keep:
        if column not in present:
            problems.append(Problem(file, line, 0, "UNKNOWN_FIELD",
                                    f"the input has no column {shown(column)} to keep; "
                                    f"columns: {', '.join(names)}"))
    return problems


def renamed(names: list[str], plan: ColumnMap) -> list[str]:
    """Each column's name as the field checks see it: a mapped column as its field (a joined
    code column as its field too); a kept column is left out by the caller."""
    sources = plan.sources()
    return [sources.get(name, name) for name in names]


def apply(batch: pa.RecordBatch, plan: ColumnMap) -> tuple[pa.RecordBatch, pa.RecordBatch | None]:
    """(the cases with their fields' names, the kept columns or None) of a record batch read
    with `plan`'s column names."""
    if not plan:
        return batch, None
    names = batch.schema.names
    kept = None
    if plan.keep:
        kept = pa.RecordBatch.from_arrays([batch.column(names.index(n)) for n in plan.keep
                                           if n in names],
                                          names=[n for n in plan.keep if n in names])
    arrays, fields = [], []
    sources = plan.sources()
    for index, name in enumerate(names):
        if name in plan.keep or name in sources:
            continue
        arrays.append(batch.column(index))
        fields.append(name)
    for field, columns in plan.fields:
        present = [batch.column(names.index(c)) for c in columns if c in names]
        if not present:
            continue
        if len(present) == 1:
            arrays.append(present[0])
        else:
            arrays.append(joined_codes(present))
        fields.append(field)
    return pa.RecordBatch.from_arrays(arrays, names=fields), kept


def joined_codes(columns: list[pa.Array]) -> pa.Array:
    """Several code columns as one: per row the non-empty cells joined by commas, null when
    every cell is empty or null."""
    plain = [pc.fill_null(pc.cast(c, pa.string()) if pa.types.is_dictionary(c.type)
                          or not pa.types.is_string(c.type) else c, "") for c in columns]
    # (not null_handling="skip": pyarrow 26 drops the rows whose cells are all null)
    joined = pc.binary_join_element_wise(*plain, ",")
    joined = pc.replace_substring_regex(joined, ",{2,}", ",")
    joined = pc.replace_substring_regex(joined, "^,|,$", "")
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def mapped_row(case: dict[str, Any], plan: ColumnMap) -> tuple[dict[str, Any], dict[str, Any]]:
    """A JSON line's (case fields, kept values) under `plan` (a line read one at a time)."""
    sources = plan.sources()
    fields: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    joined: dict[str, list[tuple[str, str]]] = {}  # field -> (column, cell)
    for name, value in case.items():
        if name in plan.keep:
            kept[name] = value
        elif name in sources:
            field = sources[name]
            if field in CODE_FIELDS and len(dict(plan.fields)[field]) > 1:
                if value is None or value == "":
                    continue
                if not isinstance(value, str):
                    fields[field] = value  # refused by the case check, as given
                    continue
                joined.setdefault(field, []).append((name, value))
            else:
                fields[field] = value
        else:
            fields[name] = value
    for field, parts in joined.items():  # in the map's order of columns, as a block joins them
        order = dict(plan.fields)[field]
        parts.sort(key=lambda part: order.index(part[0]))
        fields.setdefault(field, ",".join(value for _, value in parts))
    return fields, kept


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise DataError(problems)
