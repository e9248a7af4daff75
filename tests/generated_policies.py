"""Policies generated as data, for the property tests: so that what the tests prove does not rest
on the shape of the shipped tables.

`policies()` is a Hypothesis strategy that draws a whole policy: its inputs (booleans and closed
sets of strings, declared in one order in policy.yml and in another, with the values shuffled too,
in each revision), its determinations (one may be decided with `statement: none`), and one to four
revisions, each with its own hit policy (`first`: random rules, then a catch-all; `unique` and
`any`: a random partition of the cases, and under `any` agreeing overlaps), statements (one or two
per determination, so that the rules deciding a case cite one statement or several), evidence
paragraphs about values of the evidence key, and effective dates (the first day of the month after
approval, or a day later with a stated deviation, leap days and month ends included). Versions
follow the rule validation checks: a MAJOR bump exactly when some complete case changes
determination. `write_policy` lays it out as a policy folder (policy.yml, one YAML file per
revision, source.md quoting every verbatim text and history row), which the tests then load
through the real `policy validate` path.

Nothing here decides a case: the generator needs only which rules ever fire (to leave out rules
that never would, which validation refuses) and which complete cases change between revisions,
and takes both from the reference evaluator (tests/reference_evaluator.py).
"""

from __future__ import annotations

import calendar
import itertools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from reference_evaluator import ReferenceEvaluator

POLICY_ID = "gen-policy"
TITLE = "Generated Policy For Property Tests"
INPUT_NAMES = ("alpha", "beta", "gamma", "delta")
VALUE_POOL = ("red", "green", "blue", "amber")
# determination id -> the word its statements use (policy.yml's `words`, as a regular expression)
DETERMINATIONS = {"granted": "granted", "refused": "refused", "deferred": "deferred"}
UNSTATED = "outside"  # a determination a rule may decide with `statement: none`
MONTH_NAMES = calendar.month_name
# the parts of a revision's `content` that the schema requires besides its evidence (quoted text:
# source.md carries it)
CONTENT: dict[str, Any] = {
    "description": "Generated description.", "policy_guidelines": "Generated guidelines.",
    "benefit_application": "Generated benefit application.", "references": []}


def _first_of_next_month(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


@st.composite
def _inputs(draw) -> list[dict]:
    names = draw(st.lists(st.sampled_from(INPUT_NAMES), min_size=1, max_size=3, unique=True))
    inputs = []
    for name in names:
        if draw(st.booleans()) and draw(st.booleans()):  # a quarter of them booleans
            values = [True, False]  # as policy.yml must list them (the revisions shuffle them)
        else:
            values = draw(st.lists(st.sampled_from(VALUE_POOL), min_size=1, max_size=3,
                                   unique=True))
        inputs.append({"name": name, "label": f"the {name}", "values": list(values)})
    return inputs


@st.composite
def _condition(draw, values: list) -> object:
    if draw(st.booleans()):
        return "any"
    return draw(st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True))


def _matches(when: dict, case: dict) -> bool:
    return all(cond == "any" or case[name] in cond for name, cond in when.items())


def _cases(inputs: list[dict]) -> list[dict]:
    names = [i["name"] for i in inputs]
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(i["values"] for i in inputs))]


@st.composite
def _partition(draw, inputs: list[dict], region: dict, depth: int) -> list[dict]:
    """Disjoint conditions covering `region` (name -> allowed values): split on one input's
    values into groups, and each group again, a few levels deep."""
    splittable = [i["name"] for i in inputs if len(region[i["name"]]) > 1]
    if depth == 0 or not splittable or draw(st.integers(0, 3)) == 0:
        return [region]
    name = draw(st.sampled_from(splittable))
    values = draw(st.permutations(region[name]))
    cut = draw(st.integers(1, len(values) - 1))
    parts = []
    for group in (values[:cut], values[cut:]):
        parts += draw(_partition(inputs, {**region, name: list(group)}, depth - 1))
    return parts


def _when(inputs: list[dict], region: dict) -> dict:
    return {i["name"]: "any" if set(region[i["name"]]) == set(i["values"])
            else list(region[i["name"]]) for i in inputs}


@st.composite
def _rules(draw, inputs: list[dict], determinations: list[str], hit_policy: str) -> list[dict]:
    """Rules of a valid table: complete, every rule able to fire, overlaps only as the hit policy
    allows."""
    cases = _cases(inputs)
    if hit_policy == "first":
        rules: list[dict[str, Any]] = [
            {"when": {i["name"]: draw(_condition(i["values"])) for i in inputs}}
            for _ in range(draw(st.integers(0, 4)))]
        rules.append({"when": {i["name"]: "any" for i in inputs}})
        fired = {id(rule) for rule in (next(r for r in rules if _matches(r["when"], case))
                                       for case in cases)}
        rules = [rule for rule in rules if id(rule) in fired]
    else:
        region = {i["name"]: list(i["values"]) for i in inputs}
        rules = [{"when": _when(inputs, part)} for part in draw(_partition(inputs, region, 3))]
    for rule in rules:
        rule["then"] = draw(st.sampled_from(determinations))
    if hit_policy == "any" and draw(st.booleans()):  # an overlap that agrees
        inner = draw(st.sampled_from(rules))
        copy: dict[str, Any] = {
            "when": {name: (cond if cond == "any" or len(cond) == 1 else cond[:-1])
                     for name, cond in inner["when"].items()},
            "then": inner["then"]}
        rules.insert(draw(st.integers(0, len(rules))), copy)
    for n, rule in enumerate(rules):
        rule["id"] = f"rule-{n}"
    # the conditions in the order of the revision's inputs, as a table author writes them
    return [{"id": r["id"], "when": {i["name"]: r["when"][i["name"]] for i in inputs},
             "then": r["then"]} for r in rules]


@st.composite
def policies(draw) -> dict:
    """A whole policy as data: {"definition": policy.yml, "revisions": [table, ...] in effective
    order, "sentences": the source's quoted sentences, "history": its history rows}."""
    inputs = draw(_inputs())
    stated = draw(st.lists(st.sampled_from(sorted(DETERMINATIONS)), min_size=1,
                           max_size=len(DETERMINATIONS), unique=True))
    order = list(stated) + ([UNSTATED] if draw(st.booleans()) else [])
    order = draw(st.permutations(order))
    if len(order) == 1:  # two determinations at least, so that outcomes can differ
        order = [*order, next(d for d in DETERMINATIONS if d not in order)]
    string_inputs = [i["name"] for i in inputs if not isinstance(i["values"][0], bool)]
    evidence_key = draw(st.sampled_from(string_inputs)) if string_inputs and draw(
        st.booleans()) else None
    definition = {
        # every value defined, as policy.yml requires (issue 25)
        "inputs": [{**i, "definitions": {
            ("true" if v is True else "false" if v is False else v):
                {"text": f"Generated meaning of {v}.", "basis": "reading"} for v in i["values"]}}
            for i in inputs],
        "determinations": [
            {"id": d, "short": d[:3].upper(), "meaning": f"{d} (generated)",
             **({"no_statement": True} if d == UNSTATED else
                {"words": rf"\b{DETERMINATIONS[d]}\b"})} for d in order],
        "site": {"example": {"as_of": "2020-01-01", "case": {}},
                 "matrix": {"rows": [], "about": "No rows: a generated policy."}},
    }
    if evidence_key:
        definition["evidence_key"] = evidence_key

    sentences: list[str] = []
    history: list[str] = []
    revisions: list[dict] = []
    year, month = draw(st.integers(1995, 2027)), draw(st.integers(1, 12))
    major, minor, patch = draw(st.integers(1, 3)), 0, 0
    previous_outcomes = None
    canonical = [(i["name"], i["values"]) for i in inputs]
    for n in range(draw(st.integers(1, 4))):
        if n:  # the next approval, 1 to 30 months later
            steps = draw(st.integers(1, 30))
            year, month = year + (month - 1 + steps) // 12, (month - 1 + steps) % 12 + 1
        rid = f"{year:04d}-{month:02d}"
        effective = _first_of_next_month(year, month)
        late = draw(st.sampled_from([0, 0, 0, 27, 28, *range(1, 28)]))
        header: dict[str, Any] = {"id": rid, "approved": rid, "effective_from_basis": "inferred",
                  "effective_from_note": "Inferred: the month after approval."}
        if late and (effective + timedelta(days=late)).month == effective.month:
            effective += timedelta(days=late)
            header["effective_from_deviation"] = f"Generated: {late} days late."
        header["effective_from"] = effective.isoformat()
        action = "New policy" if n == 0 else "Policy revision"
        words = f"Generated revision {rid}."
        header["history"] = {"date": f"{MONTH_NAMES[month]} {year}", "action": action,
                             "description": words}
        history.append(f"{MONTH_NAMES[month]} {year}\t{action}\t{words}")

        hit_policy = draw(st.sampled_from(["first", "unique", "any"]))
        own_inputs = [{"name": i["name"], "values": list(draw(st.permutations(i["values"])))}
                      for i in draw(st.permutations(inputs))]
        rules = draw(_rules(own_inputs, order, hit_policy))
        statements = []
        cited: dict[str, list[str]] = {}
        for d in order:
            if d == UNSTATED:
                continue
            for k in range(draw(st.integers(1, 2))):
                text = f"Under statement {k} of revision {rid} the request is {DETERMINATIONS[d]}."
                verbatim = draw(st.booleans())
                statements.append({"id": f"{d}-{k}", "determination": d, "text": text,
                                   "provenance": "verbatim" if verbatim else "reconstructed",
                                   "provenance_note": "Generated."})
                if verbatim:
                    sentences.append(text)
                cited.setdefault(d, []).append(f"{d}-{k}")
        for rule in rules:
            if rule["then"] == UNSTATED:
                rule["statement"] = "none"
                rule["no_statement_reason"] = f"Generated: no statement decides {rule['id']}."
            else:
                rule["statement"] = draw(st.sampled_from(cited[rule["then"]]))
        table: dict[str, Any] = {
            "policy": {"id": POLICY_ID, "title": TITLE},
            "revision": header,
            "statements": statements,
            "disclaimer": {"text": f"Generated disclaimer of revision {rid}.",
                           "provenance": "reconstructed", "provenance_note": "Generated."},
            "interpretation": [],
            "table": {"hit_policy": hit_policy, "inputs": own_inputs, "rules": rules},
        }
        if evidence_key:
            values = dict(canonical)[evidence_key]
            evidence = []
            for k in range(draw(st.integers(0, 2))):
                text = f"Evidence paragraph {k} of revision {rid}."
                entry: dict = {"text": text}
                about = draw(st.lists(st.sampled_from(values), max_size=len(values), unique=True))
                in_part = draw(st.lists(st.sampled_from(values), max_size=1))
                if not about and not in_part:
                    about = [values[0]]
                if about:
                    entry["about"] = about
                if in_part:
                    entry["about_in_part"] = [{"value": v, "covers": f"part {k} of it"}
                                              for v in in_part]
                evidence.append(entry)
                sentences.append(text)
            if evidence:
                table["content"] = {**CONTENT, "evidence": evidence}
        outcomes = {values: d for values, (d, _) in
                    ReferenceEvaluator.complete_outcomes(table, canonical).items()}
        if previous_outcomes is not None:
            if outcomes != previous_outcomes:
                major, minor, patch = major + 1, 0, 0
            elif draw(st.booleans()):
                minor, patch = minor + 1, 0
            else:
                patch += 1
        previous_outcomes = outcomes
        header["version"] = f"{major}.{minor}.{patch}"
        table["revision"] = {key: header[key] for key in (
            "id", "version", "approved", "effective_from", "effective_from_basis",
            "effective_from_note", "effective_from_deviation", "history") if key in header}
        revisions.append(table)
    return {"definition": definition, "revisions": revisions, "sentences": sentences,
            "history": history}


class _Dumper(yaml.SafeDumper):
    """Each value written out in full: the tables refuse anchors and aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def write_policy(spec: dict, folder: Path) -> Path:
    """Lay `spec` out as tables/<policy-id>/ under `folder`; return the tables folder."""
    policy_dir = folder / "tables" / POLICY_ID
    policy_dir.mkdir(parents=True)
    dump = {"Dumper": _Dumper, "allow_unicode": True, "sort_keys": False, "width": 1000}
    (policy_dir / "policy.yml").write_text(yaml.dump(spec["definition"], **dump),
                                           encoding="utf-8")
    for table in spec["revisions"]:
        (policy_dir / f"{table['revision']['id']}.yaml").write_text(
            yaml.dump(table, **dump), encoding="utf-8")
    source = [f"# {TITLE}", "", CONTENT["description"], "", "POLICY GUIDELINES",
              CONTENT["policy_guidelines"], "", CONTENT["benefit_application"], "",
              "## POLICY STATEMENT", ""]
    for sentence in spec["sentences"]:
        source += [sentence, ""]
    source += ["## Policy History", "", *spec["history"], ""]
    (policy_dir / "source.md").write_text("\n".join(source), encoding="utf-8")
    return folder / "tables"
