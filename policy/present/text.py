"""Decisions and the case fields as terminal text (`policy evaluate`, `policy evaluate --help`,
`policy history`): pure functions returning strings. On the warm path of `policy evaluate`, so
light on imports like `policy.core`."""

from __future__ import annotations

import textwrap

from ..core.cases import DATE_FIELDS, TEXT_FIELDS
from ..core.escaping import escape
from ..core.value_text import value_text, values_text
from .provenance import attributed_text, definition_mark

TYPE_CHECKING = False  # typing.TYPE_CHECKING without the import: on the warm path of evaluate
if TYPE_CHECKING:
    from typing import Any


def decision_text(decision: Any) -> str:
    d = decision
    lines = [d.determination]
    rows = [("policy", d.policy), ("as of", d.as_of)]
    if d.case_id is not None:
        rows.insert(0, ("case", escape(d.case_id)))  # before wrapping turns a newline to a space
    if d.revision:
        r = d.revision
        rows.append(("revision", f"{r['id']} (version {r['version']}, effective "
                                 f"{r['effective_from']}, {r['effective_from_basis']})"))
    if d.rule:
        rows.append(("rule", d.rule))
    elif d.rules and d.determination != "indeterminate":
        rows.append(("rules", " or ".join(d.rules) + " (depending on the omitted facts)"))
    if d.needs:
        rows.append(("needs", ", ".join(d.needs)))
    if d.source:
        rows.append(("statement", attributed_text(d.source, d.provenance)))
        if d.provenance_note:  # where the words come from: the 2023 text, or carried back
            rows.append(("provenance", d.provenance_note))
    if d.codes:
        rows.append(("codes", "; ".join(map(code_text, d.codes))))
    rows.append(("why", d.explanation))
    if d.evidence:
        scope = f"; for this case in part: {d.evidence_scope}" if d.evidence_scope else ""
        rows.append(("evidence", f"(verbatim{scope}) “{d.evidence}”"))
    # The disclaimer qualifies a determination: with no revision in force nothing was decided
    # (the JSON keeps it, for the shape every result has).
    if d.disclaimer and d.revision:
        rows.append(("disclaimer", attributed_text(d.disclaimer, d.disclaimer_provenance)))
        if d.disclaimer_note:
            rows.append(("provenance", d.disclaimer_note))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        wrapped = wrap(str(value), 100 - width - 4) or [""]
        lines.append(f"  {key:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
    return "\n".join(lines)

def code_text(code: Any) -> str:
    """One code of a decision (`Decision.codes`): as read, in which system, and what it named."""
    head = f"{escape(code['code'])} ({code['system']}"
    head += f", {code['release']})" if code.get("release") else ")"
    if code["field"] == "procedure":
        governed = code.get("governed")
        return head + (": the service the policy governs" if governed
                       else ": not a service the policy governs" if governed is False else "")
    names = code.get("names")
    if not names:
        return head + ": names nothing"
    return head + ": " + ", ".join(f"{k}={v}" for k, v in names.items())


def wrap(text: str, width: int, *, subsequent_indent: str = "") -> list[str]:
    """Lines of at most `width` broken at spaces only: a hyphenated rule id or a date is never
    split across lines (a word longer than a line is cut)."""
    return textwrap.wrap(text, width, subsequent_indent=subsequent_indent,
                         break_on_hyphens=False)

def field_rows(columns: Any) -> list[tuple[str, str]]:
    """(field, what it may hold) for every case field, the vocabulary from the tables."""
    rows = [(name, "any text, echoed in the result") for name in TEXT_FIELDS]
    rows += [(name, "a date, YYYY-MM-DD (the date of service)") for name in DATE_FIELDS]
    rows += [(name, values_text(values)) for name, values in columns]
    return rows

def fields_text(columns: Any, definition: Any = None) -> str:
    """The case fields and their allowed values, for `policy evaluate --help`; with the policy's
    `definition` (policy.yml), what each value means."""
    inputs = {i.name: i for i in definition.inputs} if definition is not None else {}
    lines = ["case fields (FIELD=VALUE; an omitted field is unknown; values are exact, letter "
             "case included):"]
    for name, allowed in field_rows(columns):
        wrapped = wrap(f"{name}: {allowed}", 96, subsequent_indent="      ")
        lines += [f"  {line}" for line in wrapped]
        values = dict(columns).get(name, ())
        for value in values if name in inputs else ():
            meaning = inputs[name].definition(value)
            if meaning:
                text = f"{value_text(value)}: {definition_mark(meaning['basis'])}{meaning['text']}"
                if meaning.get("since"):  # a later revision introduces it: invalid before
                    text += f" (a value from revision {meaning['since']} on)"
                lines += [f"      {line}" for line in
                          wrap(text, 92, subsequent_indent="    ")]
    return "\n".join(lines)

def history_text(entries: list[dict]) -> str:
    lines = [f"{'id':<8} {'version':<8} {'effective':<11} {'basis':<9} action / description"]
    for e in entries:
        text = e["action"] + (f": {e['description']}" if e["description"] else "")
        lines.append(f"{e['id']:<8} {e['version']:<8} {e['effective_from']:<11} "
                     f"{e['effective_from_basis']:<9} {text}")
    return "\n".join(lines)
