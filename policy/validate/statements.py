"""The statements of one revision: each statement's words name its own determination and no other
(policy.yml gives the words), verbatim words are whole sentences of the source, and each rule
cites a statement of its own determination (or none, where policy.yml allows it)."""

from __future__ import annotations

from typing import Any

from ..core.errors import Problem
from ..core.escaping import shown
from ..load.definition import PolicyDefinition, SlowWords
from ..load.model import Revision
from ..load.source import SourceText, normalize_text
from ..load.yaml_loader import Loaded


def named_determinations(text: str, definition: PolicyDefinition) -> set[str]:
    """The determinations that the words of a statement name (policy.yml gives the words)."""
    return definition.named_determinations(normalize_text(text).lower())


def statement_problems(loaded: Loaded, rev: Revision, source: SourceText,
                        definition: PolicyDefinition) -> list[Problem]:
    """Each statement's words name its own determination and no other; verbatim words are whole
    sentences of the source; each rule cites a statement of its own determination (or none, where
    policy.yml allows it)."""
    problems: list[Problem] = []
    statements: dict[str, dict[str, Any]] = {}
    stated = [d.id for d in definition.determinations if d.words is not None]
    unstated = [d.id for d in definition.determinations if d.no_statement]
    for i, statement in enumerate(loaded.data["statements"]):
        if statement["id"] in statements:
            problems.append(loaded.problem(
                ("statements", i, "id"), "DUPLICATE_STATEMENT_ID",
                f"statement id '{statement['id']}' is used again; a rule must cite one statement"))
        statements.setdefault(statement["id"], statement)
        if statement["determination"] not in stated:
            problems.append(loaded.problem(
                ("statements", i, "determination"), "UNKNOWN_VALUE",
                f"statement '{statement['id']}': {shown(statement['determination'])} is not one of "
                f"{', '.join(stated)}"))
            continue
        try:
            named = named_determinations(statement["text"], definition)
        except SlowWords as slow:  # at the pattern in policy.yml (once: see load_and_validate)
            problems.append(slow.problem)
            continue
        if named != {statement["determination"]}:
            said = " and ".join(sorted(named)) or "no determination"
            problems.append(loaded.problem(
                ("statements", i, "text"), "STATEMENT_WORDING",
                f"statement '{statement['id']}' is {statement['determination']} but its words name "
                f"{said}; change the words with the determination"))
        if statement["provenance"] != "verbatim":
            continue
        if statement["text"] not in source:
            problems.append(loaded.problem(
                ("statements", i, "text"), "QUOTE_NOT_IN_SOURCE",
                f"statement '{statement['id']}' is marked verbatim but its text is not in the "
                "source; fix it or mark it reconstructed"
                + source.nearest_words(statement["text"])))
        elif not source.whole_sentences(statement["text"]):
            problems.append(loaded.problem(
                ("statements", i, "text"), "QUOTE_FRAGMENT",
                f"statement '{statement['id']}' is marked verbatim but is not whole sentences of "
                "the source; quote whole sentences"))
    for rule in rev.rules:
        at = ("table", "rules", rule.index, "statement")
        if rule.statement is None:
            if rule.then not in unstated:
                problems.append(loaded.problem(
                    at, "UNSTATED_DETERMINATION",
                    f"rule '{rule.id}' decides {rule.then} with no statement; cite the statement "
                    f"that decides it (only {' or '.join(unstated) or 'none'} may have none)"))
            continue
        statement = statements.get(rule.statement)
        if statement is None:
            problems.append(loaded.problem(
                at, "UNKNOWN_STATEMENT",
                f"rule '{rule.id}' cites statement '{rule.statement}', which this revision does "
                f"not have ({', '.join(statements) or 'no statements'}; or none)"))
        elif statement["determination"] != rule.then:
            problems.append(loaded.problem(
                ("table", "rules", rule.index, "then"), "STATEMENT_CONTRADICTED",
                f"rule '{rule.id}' decides {rule.then} but cites statement '{rule.statement}', "
                f"which is {statement['determination']}"))
    return problems
