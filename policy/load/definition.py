"""A policy's own file, `tables/<policy-id>/policy.yml`: what is specific to the policy as a whole.

The package knows no policy: the case vocabulary (inputs, their closed value sets and labels), the
input that keys the evidence paragraphs, the determinations with their order, labels and the words a
statement must use for each, and what the site pages show all come from this file, which
`schemas/policy.schema.json` checks like the tables. `case_schema` derives a case's JSON Schema from
it (the shipped `schemas/case.schema.json` is that of the shipped policy; a test keeps them equal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import regex

from ..core.cases import CODE_FIELDS
from ..core.errors import PolicyError, Problem
from ..core.record import Record
from ..core.value_text import value_text
from . import patterns as bounded_patterns
from .yaml_loader import KeyPath, Loaded

if TYPE_CHECKING:
    from ..core.partial_cases import Value


class Input(Record):
    """`words`, `words_many` ("{values}" where the values go) and `value_words` (a value as
    written on the command line -> its own words) phrase a condition (`render.condition_words`);
    `definitions`: a value as written on the command line -> {text, basis} (basis `source` or
    `reading`: whether the source defines it or the text is the project's reading)."""

    __slots__ = ()
    name: str
    label: str
    values: tuple[Value, ...]
    description: str | None
    words: str | None
    words_many: str | None
    value_words: dict[str, str] | None
    definitions: dict[str, dict[str, str]] | None = None  # value -> {text, basis[, since]}
    since_at: dict[str, tuple[int, int]] | None = None  # value -> (line, col) of its `since`

    def definition(self, value: object) -> dict[str, str] | None:
        return (self.definitions or {}).get(value_text(value))

    def since(self, value: object) -> str | None:
        """The id of the first revision that knows `value` (None: every revision does)."""
        return (self.definition(value) or {}).get("since")

    def values_of(self, revision_id: str) -> tuple[Value, ...]:
        """The values in force for a revision: those without `since`, or whose `since` is not
        after `revision_id` (ids sort as the revisions' effective dates do: the chain checks
        it)."""
        return tuple(v for v in self.values
                     if (since := self.since(v)) is None or since <= revision_id)

    @property
    def boolean(self) -> bool:
        return isinstance(self.values[0], bool)


class Determination(Record):
    """`words`: the pattern a statement of it matches (None when no statement states it), at
    `words_at` (line, column) of policy.yml."""

    __slots__ = ()
    id: str
    short: str
    meaning: str
    words: str | None
    no_statement: bool
    words_at: tuple[int, int] = (0, 0)


class PolicyDefinition(Record):
    """The checked content of policy.yml (immutable but for `site`, a plain copy of the data)."""

    __slots__ = ()
    inputs: tuple[Input, ...]
    evidence_key: str | None
    determinations: tuple[Determination, ...]
    site: dict[str, object]
    file: str = "policy.yml"  # as shown in problems

    def vocabulary(self) -> dict[str, tuple[Value, ...]]:
        return {i.name: i.values for i in self.inputs}

    def vocabulary_of(self, revision_id: str) -> dict[str, tuple[Value, ...]]:
        """The vocabulary in force for one revision: each input's values but those a later
        revision introduces (`since` in their definition)."""
        return {i.name: i.values_of(revision_id) for i in self.inputs}

    def introduced(self) -> dict[str, dict[Value, str]]:
        """input -> {value: the id of the revision that introduces it}, for the values that say
        so (`since`); an input without any is left out."""
        found: dict[str, dict[Value, str]] = {}
        for i in self.inputs:
            for value in i.values:
                since = i.since(value)
                if since is not None:
                    found.setdefault(i.name, {})[value] = since
        return found

    def order(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.determinations)

    def named_determinations(self, lowered_text: str) -> set[str]:
        """The determinations that the (normalised, lower-case) words of a statement name;
        `SlowWords` when one's pattern takes too long to tell."""
        named = set()
        for determination in self.determinations:
            if determination.words is None:
                continue
            try:
                if bounded_patterns.search(determination.words, lowered_text):
                    named.add(determination.id)
            except bounded_patterns.PatternTooSlow as exc:
                raise SlowWords(determination, self.file) from exc
        return named


class SlowWords(PolicyError, TimeoutError):
    """A determination's `words` pattern took too long to match a statement."""

    def __init__(self, determination: Determination, file: str) -> None:
        line, col = determination.words_at
        self.problem = Problem(
            file, line, col, "PATTERN_TOO_SLOW",
            f"words of '{determination.id}': matching a statement took over "
            f"{bounded_patterns.TIME_LIMIT} s; the pattern backtracks (nested repetition such as "
            "(a|a)* or (\\w+\\s?)*): write it without")
        super().__init__(str(self.problem))


def _copy(value: Any) -> Any:
    """A deep copy of plain data (dicts, lists, scalars): the definition shares nothing with the
    loaded document."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def definition_problems(loaded: Loaded) -> list[Problem]:
    """What the schema cannot say: names unique, patterns that compile, the example cases, matrix
    rows and evidence key naming declared inputs and values."""
    data = loaded.data
    problems: list[Problem] = []
    vocabulary: dict[str, list[Any]] = {}
    for i, entry in enumerate(data["inputs"]):
        if entry["name"] in vocabulary:
            problems.append(loaded.problem(("inputs", i, "name"), "DUPLICATE_INPUT",
                                           f"input '{entry['name']}' is declared twice"))
        vocabulary.setdefault(entry["name"], entry["values"])
        allowed = [value_text(v) for v in entry["values"]]
        for value in entry["definitions"]:
            if value not in allowed:
                problems.append(loaded.problem(
                    ("inputs", i, "definitions", value), "UNKNOWN_VALUE",
                    f"a definition of '{value}', which is not a value of '{entry['name']}' "
                    f"({', '.join(allowed)})", key=True))
        missing = [v for v in allowed if v not in entry["definitions"]]
        if missing:
            problems.append(loaded.problem(
                ("inputs", i, "definitions"), "UNDEFINED_VALUE",
                f"no definition of {', '.join(repr(v) for v in missing)} "
                f"(input '{entry['name']}'): every value needs one (text and basis)", key=True))
    seen: set[str] = set()
    for i, entry in enumerate(data["determinations"]):
        if entry["id"] in seen:
            problems.append(loaded.problem(("determinations", i, "id"), "SCHEMA",
                                           f"determination '{entry['id']}' is listed twice"))
        seen.add(entry["id"])
        if "words" in entry:
            try:
                bounded_patterns.compiled(entry["words"])
            except regex.error as exc:
                problems.append(loaded.problem(("determinations", i, "words"), "SCHEMA",
                                               f"words of '{entry['id']}' is no regular "
                                               f"expression: {exc}"))
    key = data.get("evidence_key")
    if key is not None and (key not in vocabulary or isinstance(vocabulary[key][0], bool)):
        problems.append(loaded.problem(("evidence_key",), "UNKNOWN_VALUE",
                                       f"evidence_key '{key}' is not a string input "
                                       f"({', '.join(vocabulary)})"))

    def check_case(path: KeyPath, case: dict[str, Any]) -> None:
        for name, value in case.items():
            if name not in vocabulary:
                problems.append(loaded.problem(
                    path + (name,), "UNKNOWN_COLUMN",
                    f"'{name}' is not an input ({', '.join(vocabulary)})", key=True))
            elif value not in vocabulary[name] or isinstance(value, bool) != isinstance(
                    vocabulary[name][0], bool):
                problems.append(loaded.problem(path + (name,), "UNKNOWN_VALUE",
                                               f"{value!r} is not a value of '{name}'"))

    site = data["site"]
    check_case(("site", "example", "case"), site["example"]["case"])
    for i, link in enumerate(site.get("try_links", ())):
        check_case(("site", "try_links", i, "case"), link["case"])
    for i, row in enumerate(site["matrix"]["rows"]):
        check_case(("site", "matrix", "rows", i, "case"), row["case"])
    other = site["matrix"].get("each_other_value_of")
    if other is not None and other not in vocabulary:
        problems.append(loaded.problem(("site", "matrix", "each_other_value_of"), "UNKNOWN_VALUE",
                                       f"'{other}' is not an input ({', '.join(vocabulary)})"))
    return problems


def build_definition(loaded: Loaded) -> PolicyDefinition:
    """The definition of a policy.yml that passed the schema and `definition_problems`."""
    data = loaded.data
    return PolicyDefinition(
        inputs=tuple(Input(e["name"], e["label"], tuple(e["values"]), e.get("description"),
                           e.get("words"), e.get("words_many"), _copy(e.get("value_words")),
                           _copy(e["definitions"]),
                           {value: loaded.where(("inputs", n, "definitions", value, "since"))
                            for value, meaning in e["definitions"].items() if "since" in meaning})
                     for n, e in enumerate(data["inputs"])),
        evidence_key=data.get("evidence_key"),
        determinations=tuple(
            Determination(e["id"], e["short"], e["meaning"], e.get("words"),
                          bool(e.get("no_statement")),
                          loaded.where(("determinations", i, "words")))
            for i, e in enumerate(data["determinations"])),
        site=_copy(data["site"]), file=loaded.file)


def case_schema(definition: PolicyDefinition, *, schema_id: str, title: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a case of the policy: every field optional, none other."""
    defs: dict[str, dict[str, Any]] = {"date": {
        "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date",
        "description": "A calendar date, YYYY-MM-DD, e.g. 2023-10-01"}}
    for entry in definition.inputs:
        defs[entry.name] = {"type": "boolean"} if entry.boolean else {"enum": list(entry.values)}
        if entry.description:
            defs[entry.name]["description"] = entry.description
    properties: dict[str, dict[str, str]] = {"case_id": {"type": "string"},
                                             "service_date": {"$ref": "#/$defs/date"}}
    properties.update({e.name: {"$ref": f"#/$defs/{e.name}"} for e in definition.inputs})
    defs["codes"] = {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "description": "One code or several: a string of codes separated by commas (C20,Z85.048) "
                       "or a list of strings, read on the date of service (docs/codes.md)"}
    properties.update({name: {"$ref": "#/$defs/codes"} for name in CODE_FIELDS})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id,
            "title": title, "$defs": defs, "type": "object", "additionalProperties": False,
            "properties": properties}
