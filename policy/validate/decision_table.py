"""The decision table of one revision: its inputs are the case vocabulary, rule ids are unique,
conditions name declared columns and values only, and the table is complete under its hit policy
with no overlap and no rule that can never fire."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

from ..core.errors import Problem
from ..core.escaping import shown
from ..load.definition import Input, PolicyDefinition
from ..load.model import Revision
from ..load.yaml_loader import Loaded

MAX_EXAMPLES = 3


def _describe(case: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v) if isinstance(v, bool) else v}" for k, v in case.items())


def _with_since(declared: Input, value: object) -> str:
    """A value as a message shows it, with the revision that introduces it when policy.yml says."""
    since = declared.since(value)
    return shown(value) + (f" (known since revision {since})" if since else "")


def since_problems(definition: PolicyDefinition, revision_ids: Iterable[str]) -> list[Problem]:
    """Each `since` of policy.yml names a revision of the policy (the first to know the value)."""
    known = sorted(set(revision_ids))
    problems: list[Problem] = []
    for declared in definition.inputs:
        for value, (line, col) in (declared.since_at or {}).items():
            since = declared.since(value)
            if since not in known:
                problems.append(Problem(
                    definition.file, line, col, "SINCE_UNKNOWN_REVISION",
                    f"value {shown(value)} of '{declared.name}' is known since {shown(since)}, "
                    f"which is no revision of the policy ({', '.join(known) or 'none'})"))
    return problems


def table_problems(loaded: Loaded, rev: Revision, definition: PolicyDefinition) -> list[Problem]:
    problems: list[Problem] = []
    table = loaded.data["table"]
    vocabulary = definition.vocabulary_of(rev.id)
    inputs = {i.name: i for i in definition.inputs}
    seen_columns: dict[str, int] = {}
    for i, column in enumerate(rev.columns):
        if column.name in seen_columns:
            problems.append(loaded.problem(("table", "inputs", i, "name"), "DUPLICATE_INPUT",
                                           f"input column '{column.name}' is declared twice"))
        seen_columns[column.name] = i
        expected = vocabulary.get(column.name)
        if expected is None:
            problems.append(loaded.problem(
                ("table", "inputs", i, "name"), "INPUT_DOMAIN",
                f"input '{column.name}' is not an input of the policy (policy.yml: "
                f"{', '.join(vocabulary)})"))
        elif set(column.values) != set(expected) or any(
                isinstance(v, bool) != isinstance(expected[0], bool) for v in column.values):
            missing = [v for v in expected if v not in column.values]
            later = [v for v in column.values if v not in expected
                     and v in inputs[column.name].values]
            extra = [v for v in column.values if v not in expected and v not in later]
            # each value quoted as a message shows it ('none' may be a value); a part with no
            # values is left out rather than said "none"
            parts = [f"{label}: {', '.join(_with_since(inputs[column.name], v) for v in values)}"
                     for label, values in (("missing", missing), ("not in the vocabulary", extra))
                     if values]
            # a value policy.yml introduces later: the revision may not know it yet
            parts += [f"{shown(v)} is not known before revision "
                      f"{shown(inputs[column.name].since(v))} (its since in "
                      f"{definition.file}), so {rev.id} may not list it" for v in later]
            problems.append(loaded.problem(
                ("table", "inputs", i, "values"), "INPUT_DOMAIN",
                f"input '{column.name}' must list exactly the case vocabulary; "
                + ("; ".join(parts) or "the same values, with the same types")))
    absent = [name for name in vocabulary if name not in seen_columns]
    if absent:
        problems.append(loaded.problem(("table", "inputs"), "INPUT_DOMAIN",
                                       f"the inputs must be every input of the policy; missing: "
                                       f"{', '.join(absent)}"))
    domains = {c.name: c.values for c in rev.columns}
    determinations = definition.order()

    first_rule_line: dict[str, int] = {}
    for i, rule in enumerate(rev.rules):
        at = ("table", "rules", i)
        if rule.id in first_rule_line:
            problems.append(loaded.problem(at + ("id",), "DUPLICATE_RULE_ID",
                                           f"rule id '{rule.id}' is used again "
                                           f"(first at line {first_rule_line[rule.id]})"))
        else:
            first_rule_line[rule.id] = loaded.where(at + ("id",))[0]
        for name, allowed in rule.when.items():
            if name not in domains:
                problems.append(loaded.problem(
                    at + ("when", name), "UNKNOWN_COLUMN",
                    f"rule '{rule.id}' conditions on '{name}', which is not an input column "
                    f"({', '.join(domains)})", key=True))
                continue
            for j, value in enumerate(table["rules"][i]["when"][name]
                                      if allowed is not None else ()):
                boolean = isinstance(domains[name][0], bool)
                if boolean and not isinstance(value, bool):
                    problems.append(loaded.problem(
                        at + ("when", name, j), "WRONG_TYPE",
                        f"rule '{rule.id}': {shown(value)} is not of type boolean (YAML 1.2 "
                        "booleans are written true or false; yes/no/on/off are strings)"))
                elif value not in domains[name] or isinstance(value, bool) != boolean:
                    problems.append(loaded.problem(
                        at + ("when", name, j), "UNKNOWN_VALUE",
                        f"rule '{rule.id}': {value!r} is not a value of '{name}' "
                        f"({', '.join(map(str, domains[name]))})"))
        if rule.then not in determinations:
            problems.append(loaded.problem(at + ("then",), "UNKNOWN_VALUE",
                                           f"rule '{rule.id}': {shown(rule.then)} is not one of "
                                           f"{', '.join(determinations)}"))
        for name in domains:
            if name not in rule.when:
                problems.append(loaded.problem(at + ("when",), "MISSING_CONDITION",
                                               f"rule '{rule.id}' has no condition for '{name}'; "
                                               f"write '{name}: any' if every value applies"))
    if problems:
        return problems  # the coverage check needs well-formed rules and columns
    return _coverage_problems(loaded, rev)


def _coverage_problems(loaded: Loaded, rev: Revision) -> list[Problem]:
    """Every complete case gets exactly one outcome; no overlap that disagrees; every rule can
    fire."""
    problems: list[Problem] = []
    names = [c.name for c in rev.columns]
    uncovered: list[dict[str, Any]] = []
    overlaps: dict[tuple[int, ...], list[dict[str, Any]]] = {}
    fired = [0] * len(rev.rules)
    for values in itertools.product(*(c.values for c in rev.columns)):
        case = dict(zip(names, values, strict=True))
        hits = [r for r in rev.rules if r.matches(case)]
        if not hits:
            uncovered.append(case)
            continue
        fired[hits[0].index] += 1
        if rev.hit_policy == "first":
            continue
        if len(hits) > 1:
            if rev.hit_policy == "any":
                for r in hits[1:]:
                    fired[r.index] += 1
            if rev.hit_policy == "unique" or len({r.then for r in hits}) > 1:
                overlaps.setdefault(tuple(r.index for r in hits), []).append(case)
    if uncovered:
        examples = "; ".join(_describe(c) for c in uncovered[:MAX_EXAMPLES])
        problems.append(loaded.problem(("table", "rules"), "INCOMPLETE_TABLE",
                                       f"{len(uncovered)} complete case(s) match no rule, e.g. "
                                       f"{examples}"))
    for indexes, cases in overlaps.items():
        rules = [rev.rules[i] for i in indexes]
        ids = ", ".join(f"'{r.id}' ({r.then}, line {loaded.where(('table', 'rules', r.index))[0]})"
                        for r in rules)
        why = ("the unique hit policy allows no overlap" if rev.hit_policy == "unique"
               else "overlapping rules must agree under the any hit policy")
        problems.append(loaded.problem(("table", "rules", indexes[1]), "OVERLAP",
                                       f"rules {ids} all match {len(cases)} case(s), e.g. "
                                       f"{_describe(cases[0])}; {why}"))
    for rule in rev.rules:
        if not fired[rule.index]:
            matches_a_case = any(rule.matches(dict(zip(names, v, strict=True)))
                                 for v in itertools.product(*(c.values for c in rev.columns)))
            # (under `any` every matching rule fires: only `first` and `unique` get here)
            shadowed = ("earlier rules decide every case it matches" if rev.hit_policy == "first"
                        else "an earlier rule matches every case it matches")
            reason = (f"{shadowed} (hit policy {rev.hit_policy})" if matches_a_case
                      else "it matches no case")
            problems.append(loaded.problem(("table", "rules", rule.index), "UNREACHABLE_RULE",
                                           f"rule '{rule.id}' can never fire: {reason}"))
    return problems
