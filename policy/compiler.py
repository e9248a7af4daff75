"""Compilation: each validated revision enumerated once into the lookup table `engine` evaluates.

Only a cache miss compiles (and `policy validate`, the diff and the changelog, which compare the
outcomes of complete cases); a warm `policy evaluate` reads the compiled form from the cache, so
this module, and itertools, stay off its start-up path.
"""

from __future__ import annotations

import itertools

from .core.compiled import CompiledPolicy, CompiledRevision, Outcome, packed_index
from .core.decision import INDETERMINATE, NOT_KNOWN

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from .codesets.crosswalk import Crosswalk
    from .core.compiled import CompiledRule, Disclaimer, EvidenceParagraph
    from .core.partial_cases import Columns
    from .load.definition import PolicyDefinition
    from .load.model import Revision


def complete_outcomes(revision: Revision,
                      columns: Columns) -> dict[tuple[Any, ...], tuple[str, str]]:
    """(values...) -> (rule id, determination) for every complete case, under the hit policy:
    the first rule (in table order) that matches it; validation guarantees one matches each.

    Each rule's cases are enumerated from its conditions (the product of the values it allows
    per column), so no case is tested against rules that do not match it."""
    result: dict[tuple, tuple[str, str]] = {}
    for rule in revision.rules:
        allowed = [values if (condition := rule.when.get(name)) is None
                   else [v for v in values if v in condition] for name, values in columns]
        outcome = (rule.id, rule.then)
        for values in itertools.product(*allowed):
            result.setdefault(values, outcome)
    return {values: result[values]  # in the order of the cases, as before
            for values in itertools.product(*(values for _, values in columns))}


def _listed(value: object, values: Sequence[object]) -> bool:
    """`value` among `values`, type and all (True is not 1, "true" is not True)."""
    return any(type(v) is type(value) and v == value for v in values)


def _outcome(complete: dict, columns: Sequence, partial: tuple, order: Sequence[str]) -> Outcome:
    options = [[v] if v is not None else list(values)
               for v, (_, values) in zip(partial, columns, strict=True)]
    completions = list(itertools.product(*options))
    determinations = {complete[c][1] for c in completions}
    rules = tuple(sorted({complete[c][0] for c in completions}))
    if len(determinations) == 1:
        return Outcome(determinations.pop(), rules, (), ())
    needs = []
    for i, (name, _) in enumerate(columns):
        if partial[i] is not None:
            continue
        groups: dict[tuple, set] = {}
        for c in completions:
            groups.setdefault(c[:i] + c[i + 1:], set()).add(complete[c][1])
        if any(len(g) > 1 for g in groups.values()):
            needs.append(name)
    possible = tuple(d for d in order if d in determinations) + tuple(
        sorted(determinations - set(order)))
    return Outcome(INDETERMINATE, rules, tuple(sorted(needs)), possible)


def compile_revision(revision: Revision, columns: Columns,
                     order: Sequence[str] = ()) -> CompiledRevision:
    """Enumerate every partial case of a validated `model.Revision` into a lookup table.
    `order`: the policy's determinations, in the order an indeterminate outcome lists them.

    `columns` fixes the column and value order of the codes: the policy's whole vocabulary.
    Validation guarantees that every revision declares exactly these columns, with the values in
    force for it (all but those a later revision introduces), in whatever order. An omitted field
    stands for the revision's own values only; a partial case using a value the revision does not
    know gets the outcome NOT_KNOWN (never shown: the case check refuses such a case first).
    """
    declared = {c.name: c.values for c in revision.columns}
    own = tuple((name, tuple(v for v in values if _listed(v, declared[name])))
                for name, values in columns)
    unknown = tuple((name, tuple(v for v in values if not _listed(v, declared[name])))
                    for name, values in columns)
    unknown = tuple((name, values) for name, values in unknown if values)
    not_known = {(name, v) for name, values in unknown for v in values}
    complete = complete_outcomes(revision, own)
    outcomes: list[Outcome] = []
    positions: dict[Outcome, int] = {}
    index = []
    for partial in itertools.product(*([*values, None] for _, values in columns)):
        if not_known and any((name, v) in not_known
                             for (name, _), v in zip(columns, partial, strict=True)):
            outcome = Outcome(NOT_KNOWN, (), (), ())
        else:
            outcome = _outcome(complete, own, partial, order)
        if outcome not in positions:
            positions[outcome] = len(outcomes)
            outcomes.append(outcome)
        index.append(positions[outcome])
    evidence: dict[str, EvidenceParagraph] = {}
    for entry in revision.content.get("evidence", ()):  # only where the paragraph's scope matches
        for value in entry.get("about", ()):
            evidence[value] = {"text": entry["text"], "covers": None}
        for partial in entry.get("about_in_part", ()):
            evidence[partial["value"]] = {"text": entry["text"], "covers": partial["covers"]}
    rules: dict[str, CompiledRule] = {
        r.id: {"then": r.then, "statement": r.statement, "quote": r.quote,
               "provenance": r.provenance, "provenance_note": r.provenance_note, "note": r.note}
        for r in revision.rules}
    stated = revision.data["disclaimer"]
    disclaimer: Disclaimer = {"text": stated["text"], "provenance": stated["provenance"],
                              "provenance_note": stated["provenance_note"]}
    return CompiledRevision(
        id=revision.id, version=revision.version, approved=revision.approved,
        effective_from=revision.effective_from, effective_from_basis=revision.effective_from_basis,
        rules=rules, evidence=evidence, disclaimer=disclaimer,
        outcomes=tuple(outcomes), outcome_at=packed_index(index), unknown=unknown)


def compile_policy(revisions: Sequence[Revision], definition: PolicyDefinition,
                   crosswalk: Crosswalk | None = None) -> CompiledPolicy:
    """Compile validated revisions (in effective order) of the policy that `definition` (its
    policy.yml) describes, with its checked crosswalk of codes (None: it has none); the first
    revision's column and value order is used, a value a later revision introduces after them."""
    first = revisions[0]
    columns = tuple((c.name, tuple(c.values)) for c in first.columns)
    for revision in revisions[1:]:
        later = {c.name: c.values for c in revision.columns}
        columns = tuple((name, values + tuple(v for v in later[name] if not _listed(v, values)))
                        for name, values in columns)
    order = definition.order()
    return CompiledPolicy(policy_id=first.policy_id, title=first.policy_title, columns=columns,
                          revisions=tuple(compile_revision(r, columns, order) for r in revisions),
                          evidence_key=definition.evidence_key, determinations=order,
                          crosswalk=crosswalk.to_json() if crosswalk is not None else None)
