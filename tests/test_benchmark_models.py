"""The benchmark's comparison evaluators decide what `policy evaluate` decides.

`benchmarks/zen_model.py` generates a GoRules ZEN decision model (JDM) from the compiled tables; the
batch benchmark times it against ours and counts disagreements. These tests hold the generator to
the contract on a generated sample and, exhaustively, on every partial case at each revision
boundary (the first day of each revision, and on a fifth of them the day before it).
"""

import itertools
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from policy import load_policy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import workload  # noqa: E402  (benchmarks/ is not a package)
import zen_model  # noqa: E402

pytest.importorskip("zen", reason="zen-engine (GoRules ZEN) is in the test extra")

IORT = load_policy(ROOT / "tables")
COMPILED = IORT.compiled


def _ours(case: dict, day: str) -> dict:
    decision = IORT.evaluate(case, as_of=day)
    return {"determination": decision.determination,
            "revision": decision.revision["id"] if decision.revision else None,
            "rule": decision.rule, "needs": list(decision.needs)}


@pytest.fixture(scope="module")
def zen_evaluate():
    return zen_model.zen_evaluator(COMPILED)


def _disagreements(zen_evaluate, pairs):
    wrong = []
    for case, day in pairs:
        theirs = zen_model.zen_result(zen_evaluate(zen_model.zen_context(case, day)))
        ours = _ours(case, day)
        if theirs != ours:
            wrong.append((case, day, theirs, ours))
    return wrong


def test_generated_jdm_agrees_on_a_generated_sample(zen_evaluate):
    data = workload.generate(300, COMPILED.columns, seed=7)
    pairs = [(case, case["service_date"]) for case in workload.cases(data)]
    outcomes = {_ours(case, day)["determination"] for case, day in pairs}
    assert {"indeterminate", "no_policy_in_force", "medically_necessary"} <= outcomes  # a real mix
    assert _disagreements(zen_evaluate, pairs) == []


def test_generated_jdm_agrees_on_every_partial_case_at_every_boundary(zen_evaluate):
    names = [name for name, _ in COMPILED.columns]
    partials = [{n: v for n, v in zip(names, values, strict=True) if v is not None}
                for values in itertools.product(*([*vals, None] for _, vals in COMPILED.columns))]
    pairs = []
    for revision in COMPILED.revisions:
        first = date.fromisoformat(revision.effective_from)
        pairs += [(case, first.isoformat()) for case in partials]
        # the day before: the previous revision (or none); every 5th partial case keeps it fast
        pairs += [(case, (first - timedelta(days=1)).isoformat()) for case in partials[::5]]
    wrong = _disagreements(zen_evaluate, pairs)
    assert wrong == [], wrong[:5]


def test_jdm_is_generated_from_the_tables():
    jdm = zen_model.build_jdm(COMPILED)
    tables = [n for n in jdm["nodes"] if n["type"] == "decisionTableNode"]
    assert len(tables) == len(COMPILED.revisions) + 1  # one per revision and the no-policy branch
    switch = next(n for n in jdm["nodes"] if n["type"] == "switchNode")
    assert [s["condition"] for s in switch["content"]["statements"]][:-1] == [
        f'date(as_of) >= date("{r.effective_from}")' for r in reversed(COMPILED.revisions)]
    # every rule id of a revision that decides some case appears as an output of its table
    for revision in COMPILED.revisions:
        node = next(n for n in tables if n["id"] == f"rev-{revision.id}")
        rules = {row["out-rule"].strip('"') for row in node["content"]["rules"]}
        assert set(revision.rules) <= rules
