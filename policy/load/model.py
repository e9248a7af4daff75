"""Frozen model objects built from validated table data.

Nothing here parses or checks: `checks.load_and_validate` builds these only from data that passed
the schema, so every key the schema requires is present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..core.decision import identity
from ..core.policy_files import SOURCE_FILE

ANY = None  # a condition that matches every value of its column


def freeze(value: Any) -> Any:
    """Deep read-only copy: mappings become MappingProxyType, lists become tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class Column:
    name: str
    values: tuple


@dataclass(frozen=True)
class Rule:
    id: str
    index: int  # position in the table, 0-based (the order matters under the `first` hit policy)
    when: Mapping[str, frozenset | None]  # column -> allowed values, or ANY
    then: str
    statement: str | None  # the id of the statement that decides it; None for `statement: none`
    # The cited statement's words, provenance and note, taken from it when the model is built (one
    # home for the words: a rule cannot quote anything else); for `statement: none`, no words and
    # the table's reason as the note.
    quote: str | None
    provenance: str | None
    provenance_note: str | None
    note: str | None

    def matches(self, case: Mapping[str, Any]) -> bool:
        """True when every conditioned column's value in the (complete) case is allowed."""
        return all(allowed is ANY or case[name] in allowed for name, allowed in self.when.items())


@dataclass(frozen=True)
class Revision:
    file: str
    policy_id: str
    policy_title: str
    id: str
    version: str
    approved: str
    effective_from: str
    effective_from_basis: str
    effective_from_note: str
    history: Mapping[str, str]
    literature_review_through: str | None
    hit_policy: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...]
    data: Mapping[str, Any]  # the whole table, frozen, for text diffs and rendering

    @property
    def content(self) -> Mapping[str, Any]:
        return self.data.get("content", MappingProxyType({}))

    @property
    def source(self) -> str:
        """The file name of the source document the revision cites (in its policy's folder)."""
        return str(self.data["revision"].get("source", SOURCE_FILE))

    def history_entry(self) -> dict[str, Any]:
        """The revision object of `policy history --json`."""
        return {**identity(self), "approved": self.approved,
                "action": self.history["action"], "description": self.history["description"],
                "history_date": self.history["date"],
                "literature_review_through": self.literature_review_through,
                "effective_from_note": self.effective_from_note, "source": self.source,
                "file": self.file}


NO_STATEMENT = "none"  # `statement: none`: no statement decides the rule (it says why)


def _rule(r: Mapping[str, Any], index: int, statements: Mapping[str, Mapping]) -> Rule:
    cited = None if r["statement"] == NO_STATEMENT else r["statement"]
    statement = statements.get(cited, {}) if cited else {}  # an unknown id: validation says so
    return Rule(id=r["id"], index=index,
                when=MappingProxyType({name: ANY if cond == "any" else frozenset(cond)
                                       for name, cond in r["when"].items()}),
                then=r["then"], statement=cited, quote=statement.get("text"),
                provenance=statement.get("provenance"),
                provenance_note=(statement.get("provenance_note") if cited is not None
                                 else r.get("no_statement_reason")),
                note=r.get("note"))


def build_revision(data: Mapping[str, Any], file: str) -> Revision:
    header, table = data["revision"], data["table"]  # the revision's own fields; its table
    columns = tuple(Column(c["name"], tuple(c["values"])) for c in table["inputs"])
    statements = {s["id"]: s for s in data["statements"]}
    rules = tuple(_rule(r, i, statements) for i, r in enumerate(table["rules"]))
    return Revision(
        file=file, policy_id=data["policy"]["id"], policy_title=data["policy"]["title"],
        id=header["id"], version=header["version"], approved=header["approved"],
        effective_from=header["effective_from"],
        effective_from_basis=header["effective_from_basis"],
        effective_from_note=header["effective_from_note"], history=freeze(header["history"]),
        literature_review_through=header.get("literature_review_through"),
        hit_policy=table["hit_policy"], columns=columns, rules=rules, data=freeze(dict(data)))
