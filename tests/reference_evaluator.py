"""A deliberately simple evaluator: reads a policy's YAML tables as written and walks their rules.

It shares nothing with the package (it imports none of it, not even its YAML loader): no
compilation, no lookup tables, no cache, no codes. Unknown fields are handled by brute force over
every completion. It knows no policy: any folder of `<revision>.yaml` files and a `policy.yml`
(the shipped one, the example policy, the policies the property tests generate) is read the same
way, so the tests compare the package with it on tables of any shape.
"""

import itertools
import re
from pathlib import Path

import yaml


class _Loader(yaml.SafeLoader):
    """Safe YAML with only `true`/`false` as booleans and no timestamps (dates stay strings), as
    the tables are written (YAML 1.2 core); integers, floats and nulls as PyYAML reads them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))


def read_yaml(path: Path):
    return yaml.load(path.read_bytes().decode("utf-8"), Loader=_Loader)  # a SafeLoader


class ReferenceEvaluator:
    def __init__(self, policy_dir: Path):
        self.revisions = []
        for path in sorted(Path(policy_dir).glob("[0-9]*.yaml")):
            self.revisions.append(read_yaml(path))
        self.revisions.sort(key=lambda d: d["revision"]["effective_from"])
        definition = Path(policy_dir) / "policy.yml"
        self.definition = read_yaml(definition) if definition.exists() else {}
        self.order = [d["id"] for d in self.definition.get("determinations", ())]
        self.evidence_key = self.definition.get("evidence_key")

    def in_force(self, day: str):
        current = None
        for data in self.revisions:
            if data["revision"]["effective_from"] <= day:
                current = data
        return current

    @staticmethod
    def decide_complete(data, case: dict) -> tuple[str, str]:
        """(determination, rule id) of a complete case: the first rule in table order that
        matches it (under `unique` exactly one matches; under `any` every match agrees)."""
        table = data["table"]
        hits = []
        for rule in table["rules"]:
            if all(cond == "any" or case[name] in cond for name, cond in rule["when"].items()):
                hits.append(rule)
        assert hits, f"table {data['revision']['id']} has no rule for {case}"
        if table["hit_policy"] == "unique":
            assert len(hits) == 1
        if table["hit_policy"] == "any":
            assert len({rule["then"] for rule in hits}) == 1
        return hits[0]["then"], hits[0]["id"]

    @staticmethod
    def complete_outcomes(data, columns) -> dict:
        """(values...) -> (determination, rule id) for every complete case over `columns`."""
        names = [name for name, _ in columns]
        return {values: ReferenceEvaluator.decide_complete(
                    data, dict(zip(names, values, strict=True)))
                for values in itertools.product(*(values for _, values in columns))}

    def evaluate(self, case: dict, day: str) -> dict:
        """determination, revision, rule, rules (every rule deciding some completion, sorted),
        needs, possible (policy order), source/provenance (the one quote the deciding rules
        share, else None) and evidence/evidence_scope (the evidence key's paragraph)."""
        data = self.in_force(day)
        if data is None:
            return {"determination": "no_policy_in_force", "revision": None, "rule": None,
                    "rules": [], "needs": [], "possible": [], "source": None,
                    "provenance": None, "provenance_note": None, "evidence": None,
                    "evidence_scope": None}
        columns = [(c["name"], c["values"]) for c in data["table"]["inputs"]]
        omitted = [name for name, _ in columns if case.get(name) is None]
        outcomes = {}
        for values in itertools.product(*(vals for name, vals in columns if name in omitted)):
            complete = {**{n: case.get(n) for n, _ in columns},
                        **dict(zip(omitted, values, strict=True))}
            outcomes[values] = self.decide_complete(data, complete)
        determinations = {d for d, _ in outcomes.values()}
        rules = sorted({r for _, r in outcomes.values()})
        base = {"revision": data["revision"]["id"], "rules": rules,
                **self._evidence(data, case)}
        if len(determinations) == 1:
            statements = {s["id"]: s for s in data["statements"]}
            cited = {rule["id"]: statements.get(rule["statement"])
                     for rule in data["table"]["rules"]}
            quotes = {(cited[r] or {}).get("text") for r in rules}
            first = cited[rules[0]] or {}
            # the words' note; a rule that cites no statement gives its own reason instead
            note = first.get("provenance_note") or next(
                rule.get("no_statement_reason") for rule in data["table"]["rules"]
                if rule["id"] == rules[0])
            return {**base, "determination": determinations.pop(),
                    "rule": rules[0] if len(rules) == 1 else None, "needs": [], "possible": [],
                    "source": first.get("text") if len(quotes) == 1 else None,
                    "provenance": first.get("provenance") if len(quotes) == 1 else None,
                    "provenance_note": note if len(quotes) == 1 else None}
        needs = []
        for i, name in enumerate(omitted):
            for values, (determination, _) in outcomes.items():
                domain = dict(columns)[name]
                if any(outcomes[values[:i] + (v,) + values[i + 1:]][0] != determination
                       for v in domain):
                    needs.append(name)
                    break
        possible = [d for d in self.order if d in determinations]
        possible += sorted(determinations - set(possible))
        return {**base, "determination": "indeterminate", "rule": None, "needs": sorted(needs),
                "possible": possible, "source": None, "provenance": None,
                "provenance_note": None}

    def _evidence(self, data, case: dict) -> dict:
        """The paragraph about the case's value of the evidence key: wholly (scope None) or in
        part (scope: what part); a later paragraph naming the value wins."""
        found = {"evidence": None, "evidence_scope": None}
        value = case.get(self.evidence_key) if self.evidence_key else None
        if value is None:
            return found
        for entry in (data.get("content") or {}).get("evidence", ()):
            if value in entry.get("about", ()):
                found = {"evidence": entry["text"], "evidence_scope": None}
            for part in entry.get("about_in_part", ()):
                if part["value"] == value:
                    found = {"evidence": entry["text"], "evidence_scope": part["covers"]}
        return found
