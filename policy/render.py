"""Text renderings of results for people: pure functions returning strings."""

from __future__ import annotations

import json
import textwrap

from .errors import Problem


def decision_text(decision) -> str:
    d = decision
    lines = [d.determination]
    rows = [("policy", d.policy), ("as of", d.as_of)]
    if d.case_id is not None:
        rows.insert(0, ("case", d.case_id))
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
        rows.append(("quote", f"\"{d.source}\" ({d.provenance})"))
    rows.append(("why", d.explanation))
    if d.evidence:
        rows.append(("evidence", d.evidence))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        wrapped = textwrap.wrap(str(value), width=100 - width - 4) or [""]
        lines.append(f"  {key:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
    return "\n".join(lines)


def history_text(entries: list[dict]) -> str:
    lines = [f"{'id':<8} {'version':<8} {'effective':<11} {'basis':<9} action / description"]
    for e in entries:
        text = e["action"] + (f": {e['description']}" if e["description"] else "")
        lines.append(f"{e['id']:<8} {e['version']:<8} {e['effective_from']:<11} "
                     f"{e['effective_from_basis']:<9} {text}")
    return "\n".join(lines)


def problems_text(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def problems_json(problems: list[Problem]) -> str:
    return json.dumps([p.as_json() for p in problems], indent=2)


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def problems_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands: one `::error` annotation per problem."""
    return "\n".join(
        f"::error file={_github_escape(p.file, prop=True)},line={max(p.line, 1)},"
        f"col={max(p.col, 1)},title={_github_escape(p.code, prop=True)}::"
        f"{_github_escape(p.message)}" for p in problems)
