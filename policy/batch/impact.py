"""What an edit of the tables does to real claims: one claim file decided under two versions of a
policy (the tables at a git revision and the working tree, say), claim by claim.

The file is read once; each record batch is decided by both compiled policies through the
columnar core, and the rows whose determination differs (a claim that was invalid under one and
is decided under the other included) are counted by (determination before, after, revision
in force before, after), with the first few claims of each as examples. Rows that did not parse
(a ragged CSV row, a malformed JSON line) are the same under both: they count as claims, never
as changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc  # (not columnar.kernels: group_by loads it anyway; no start-up goal)

from ..columnar import ColumnarPolicy, Keyed, for_policy
from ..columnar.column_map import column_map
from ..core.compiled import CompiledPolicy
from ..core.record import Record
from .records import Chunk
from .run import reader_for

EXAMPLES = 3  # claims named per change, by default


class Transition(Record):
    """Claims decided `was` before and `becomes` after (None: the claim was invalid there),
    under the revisions in force on each side (None: none was, or the claim was invalid)."""

    __slots__ = ()
    was: str | None
    becomes: str | None
    revision_was: str | None
    revision_becomes: str | None
    claims: int
    examples: tuple[str, ...]  # case ids, or "line N" for a claim without one

    def to_json(self) -> dict[str, object]:
        return {"from": self.was, "to": self.becomes, "count": self.claims,
                "revision_from": self.revision_was, "revision_to": self.revision_becomes,
                "examples": list(self.examples)}


class Impact(Record):
    """A claim file under two versions of a policy: how many claims, how many decided
    differently, and how (largest change first)."""

    __slots__ = ()
    claims: int
    changed: int
    transitions: tuple[Transition, ...]
    seconds: float

    def to_json(self) -> dict[str, object]:
        return {"claims": self.claims, "changed": self.changed,
                "changes": [t.to_json() for t in self.transitions]}


_KEYS = ("was", "becomes", "revision_was", "revision_becomes")


def claims_impact(path: str, before: CompiledPolicy, after: CompiledPolicy, *,
                  as_of: str | None = None, input_format: str | None = None,
                  columns: object = None, examples: int = EXAMPLES) -> Impact:
    """Decide every claim of the file at `path` ('-': standard input) under `before` and
    `after` and compare (see the module). `columns`: the file's own column names, as
    `run_batch` takes them. A file-level problem under either policy (an unknown column, say)
    is raised as it would be by `run_batch`."""
    started = time.perf_counter()
    old, new = for_policy(before), for_policy(after)
    plan = column_map(columns, new.columns)
    for columnar in (old, new):
        if as_of is not None:
            columnar.check_as_of(as_of)
    reader, text_cells = reader_for(path, input_format)
    counts: dict[tuple[str | None, ...], int] = {}
    named: dict[tuple[str | None, ...], list[str]] = {}
    claims = 0
    chunks: Iterator[Chunk] = reader(path, new, plan) if plan else reader(path, new)
    for chunk in chunks:
        claims += len(chunk.bad)
        if chunk.cases is None or not chunk.cases.num_rows:
            continue
        claims += chunk.cases.num_rows
        was, becomes = (columnar.evaluate_keyed(chunk.cases, as_of=as_of, text_cells=text_cells,
                                                checked_utf8=chunk.utf8_checked,
                                                codes_json=False)
                        for columnar in (old, new))
        changes = _changed_rows(old, was, new, becomes, chunk.lines)
        if not changes.num_rows:
            continue
        grouped = changes.group_by(list(_KEYS), use_threads=False).aggregate(
            [("example", "list"), ([], "count_all")])
        for row in zip(*(grouped.column(k).to_pylist() for k in _KEYS),
                       grouped.column("count_all").to_pylist(),
                       pc.list_slice(grouped.column("example_list"), 0, examples).to_pylist(),
                       strict=True):
            key, count, first = row[:4], row[4], row[5]
            counts[key] = counts.get(key, 0) + count
            seen = named.setdefault(key, [])
            seen.extend(first[:examples - len(seen)])
    transitions = sorted(
        (Transition(key[0], key[1], key[2], key[3], count, tuple(named.get(key, ())))
         for key, count in counts.items()),
        key=lambda t: (-t.claims, *(value or "" for value in (t.was, t.becomes, t.revision_was,
                                                              t.revision_becomes))))
    return Impact(claims, sum(counts.values()), tuple(transitions),
                  time.perf_counter() - started)


def _changed_rows(old: ColumnarPolicy, was: Keyed, new: ColumnarPolicy, becomes: Keyed,
                  lines: pa.Array | None) -> pa.Table:
    """The rows decided differently, with both sides' determination and revision (null for an
    invalid row) and an example name for each (its case_id, else its line)."""
    sides = {}
    for side, columnar, keyed in (("was", old, was), ("becomes", new, becomes)):
        sides[side] = pc.cast(columnar.outcomes.column("determination", keyed.gid), pa.string())
        sides[f"revision_{side}"] = pc.cast(columnar.outcomes.column("revision", keyed.gid),
                                            pa.string())
    # "" stands for an invalid row in the comparison only: no determination is named ""
    differs = pc.not_equal(pc.fill_null(sides["was"], ""), pc.fill_null(sides["becomes"], ""))
    if not pc.any(differs).as_py():
        return pa.table({name: pa.array([], pa.string()) for name in (*_KEYS, "example")})
    line_names = pc.binary_join_element_wise(
        "line ", pc.cast(lines if lines is not None else pa.nulls(len(differs), pa.int64()),
                         pa.string()), "")
    example = pc.coalesce(becomes.case_id, line_names)
    return pa.table({**{name: pc.filter(values, differs) for name, values in sides.items()},
                     "example": pc.filter(example, differs)}).select([*_KEYS, "example"])
