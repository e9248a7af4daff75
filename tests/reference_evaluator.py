"""A deliberately simple evaluator: reads the YAML tables as written and walks their rules.

It shares nothing with `policy.core.engine` but the safe YAML loader: no compilation, no lookup tables,
no cache. Unknown fields are handled by brute force over every completion.
"""

import itertools
from pathlib import Path

from policy.load.yaml_loader import load_yaml


class ReferenceEvaluator:
    def __init__(self, policy_dir: Path):
        self.revisions = []
        for path in sorted(policy_dir.glob("[0-9]*.yaml")):
            data = load_yaml(path.read_bytes(), path.name).data
            self.revisions.append(data)
        self.revisions.sort(key=lambda d: d["revision"]["effective_from"])

    def in_force(self, day: str):
        current = None
        for data in self.revisions:
            if data["revision"]["effective_from"] <= day:
                current = data
        return current

    @staticmethod
    def decide_complete(data, case: dict) -> tuple[str, str]:
        table = data["table"]
        hits = []
        for rule in table["rules"]:
            if all(cond == "any" or case[name] in cond for name, cond in rule["when"].items()):
                hits.append(rule)
        assert hits, f"table {data['revision']['id']} has no rule for {case}"
        if table["hit_policy"] == "unique":
            assert len(hits) == 1
        return hits[0]["then"], hits[0]["id"]

    def evaluate(self, case: dict, day: str) -> dict:
        data = self.in_force(day)
        if data is None:
            return {"determination": "no_policy_in_force", "revision": None, "rule": None,
                    "needs": []}
        columns = [(c["name"], c["values"]) for c in data["table"]["inputs"]]
        omitted = [name for name, _ in columns if case.get(name) is None]
        outcomes = {}
        for values in itertools.product(*(vals for name, vals in columns if name in omitted)):
            complete = {**{n: case.get(n) for n, _ in columns}, **dict(zip(omitted, values))}
            outcomes[values] = self.decide_complete(data, complete)
        determinations = {d for d, _ in outcomes.values()}
        rules = {r for _, r in outcomes.values()}
        base = {"revision": data["revision"]["id"]}
        if len(determinations) == 1:
            return {**base, "determination": determinations.pop(),
                    "rule": rules.pop() if len(rules) == 1 else None, "needs": []}
        needs = []
        for i, name in enumerate(omitted):
            for values, (determination, _) in outcomes.items():
                domain = dict(columns)[name]
                if any(outcomes[values[:i] + (v,) + values[i + 1:]][0] != determination
                       for v in domain):
                    needs.append(name)
                    break
        return {**base, "determination": "indeterminate", "rule": None, "needs": sorted(needs)}
