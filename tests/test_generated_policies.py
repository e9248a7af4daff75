"""Properties over generated policies: every path that decides agrees with the reference walk of
the YAML rules, on tables of any shape, not only the shipped ones.

Each example is a whole policy drawn by `generated_policies.policies()` (random inputs, values,
rules, hit policies, statements, evidence, revisions and effective dates), written as files and
loaded through the real `policy validate` path. Then, for partial cases on the days around every
effective date (and others), these agree with `reference_evaluator.ReferenceEvaluator`:

- the per-case API (`Policy.evaluate`): determination, revision, rule, rules, needs, possible,
  source and provenance, evidence and its scope, and the case as given;
- the Arrow core (`evaluate_arrow`), with input columns absent, all null, or typed, row by row;
- a batch run (`run_batch`) of the same cases as CSV and as JSON Lines, line by line;
- the diff of each revision from the one before: its boxes are exactly the complete cases whose
  determination changed, each with the rules and determinations of both sides.

The ordinary run draws 25 policies (a fixed seed: the same ones every run); `-m slow` draws
`GENERATED_POLICIES` (default 400) more, unseeded.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from generated_policies import POLICY_ID, policies, write_policy
from reference_evaluator import ReferenceEvaluator

COMPARED = ("determination", "rule", "rules", "needs", "possible", "source", "provenance",
            "provenance_note", "evidence", "evidence_scope")


def _days(spec: dict) -> list[str]:
    """The day before the first revision and far before it, each effective date and the day
    before it, and the day after the last one and far after it."""
    days = set()
    for table in spec["revisions"]:
        start = date.fromisoformat(table["revision"]["effective_from"])
        days |= {start, start - timedelta(days=1), start + timedelta(days=17)}
    first = date.fromisoformat(spec["revisions"][0]["revision"]["effective_from"])
    days |= {first - timedelta(days=4000), date(2099, 12, 31)}
    return sorted(d.isoformat() for d in days)


@st.composite
def _partial_cases(draw, inputs: list[dict]) -> list[dict]:
    def one(values):
        return st.one_of(st.none(), st.sampled_from(values))

    cases = draw(st.lists(st.fixed_dictionaries({i["name"]: one(i["values"]) for i in inputs}),
                          min_size=1, max_size=12))
    cases.append({i["name"]: None for i in inputs})  # nothing known
    cases.append({i["name"]: i["values"][-1] for i in inputs})  # everything known
    return cases


def _expected(reference: ReferenceEvaluator, case: dict, day: str) -> dict:
    return reference.evaluate({k: v for k, v in case.items() if v is not None}, day)


def _check_policy(spec: dict, cases: list[dict], folder: Path) -> None:
    from policy import load_policy
    from policy.cli import main
    from policy.core.policy_files import policy_files
    from policy.validate import load_and_validate

    tables = write_policy(spec, folder)
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
        assert main(["validate", "--tables", str(tables)]) == 0, shown.getvalue()
    policy = load_policy(tables)
    reference = ReferenceEvaluator(tables / POLICY_ID)
    first = spec["revisions"][0]["table"]["inputs"]
    # the columns (and so the order of a decision's case) are the first revision's
    assert policy.compiled.columns == tuple((i["name"], tuple(i["values"])) for i in first)
    # the compiled form survives the cache's JSON (a one-column policy, a one-value input...)
    from policy.core.compiled import CompiledPolicy

    assert CompiledPolicy.from_json(json.loads(json.dumps(policy.compiled.to_json()))) == \
        policy.compiled
    days = _days(spec)
    rows = [(case, day) for case in cases for day in days]

    # the per-case API
    for case, day in rows:
        decision = policy.evaluate(case, as_of=day)
        expected = _expected(reference, case, day)
        got = decision.to_json()
        assert {k: got[k] for k in COMPARED} == {k: expected[k] for k in COMPARED}, (case, day)
        assert (got["revision"] or {}).get("id") == expected["revision"], (case, day)
        known = [(name, case[name]) for name, _ in policy.compiled.columns
                 if case.get(name) is not None]
        assert list(got["case"].items()) == known

    # the Arrow core: each input column typed, absent when nothing is known, or all null
    columns = {"case_id": pa.array([f"c{n}" for n in range(len(rows))]),
               "service_date": pa.array([day for _, day in rows])}
    for position, (name, values) in enumerate(policy.compiled.columns):
        cells = [case.get(name) for case, _ in rows]
        if all(cell is None for cell in cells):
            if position % 2:  # alternately left out and given as a column of nulls
                columns[name] = pa.nulls(len(rows))
            continue
        columns[name] = pa.array(cells, pa.bool_() if isinstance(values[0], bool) else pa.string())
    from policy.columnar import evaluate_arrow

    results = evaluate_arrow(pa.table(columns), policy).to_pylist()
    for (case, day), result in zip(rows, results, strict=True):
        expected = _expected(reference, case, day)
        assert result["error"] is None
        assert {"determination": result["determination"], "revision": result["revision"],
                "rule": result["rule"], "needs": result["needs"] or [],
                "source": result["source"], "provenance": result["provenance"]} == {
            k: expected[k] for k in ("determination", "revision", "rule", "needs", "source",
                                     "provenance")}, (case, day)

    # batch runs of the same cases, as CSV text cells and as JSON Lines
    from policy.batch import run_batch

    names = [name for name, _ in policy.compiled.columns]
    csv_path, jsonl_path = folder / "cases.csv", folder / "cases.jsonl"

    def cell(value: object) -> str:
        return "" if value is None else json.dumps(value) if isinstance(value, bool) else str(value)

    csv_path.write_text("\n".join([",".join(["case_id", "service_date", *names])] + [
        ",".join([f"c{n}", day, *(cell(case.get(name)) for name in names)])
        for n, (case, day) in enumerate(rows)]) + "\n", encoding="utf-8")
    jsonl_path.write_text("".join(
        json.dumps({"case_id": f"c{n}", "service_date": day, **case}) + "\n"
        for n, (case, day) in enumerate(rows)), encoding="utf-8")
    for path in (csv_path, jsonl_path):
        out = folder / f"{path.stem}-{path.suffix[1:]}.out.jsonl"
        summary = run_batch(str(path), policy, out=str(out))
        assert (summary.rows, summary.bad) == (len(rows), 0)
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        for n, ((case, day), line) in enumerate(zip(rows, lines, strict=True)):
            assert line.pop("line") == (n + 2 if path.suffix == ".csv" else n + 1)
            assert line == policy.evaluate({**case, "case_id": f"c{n}"}, as_of=day).to_json()

    # the diff of each revision from the one before
    from policy.compare.diff import diff_revisions

    validated = load_and_validate(policy_files(str(tables)))
    canonical = [(name, list(values)) for name, values in policy.compiled.columns]
    for old, new in itertools.pairwise(validated.revisions):
        diff = diff_revisions(old, new)
        before = ReferenceEvaluator.complete_outcomes(old.data, canonical)
        after = ReferenceEvaluator.complete_outcomes(new.data, canonical)
        changed = {values for values in before if before[values][0] != after[values][0]}
        covered: set[tuple] = set()
        for box in diff["decision_changes"]:
            allowed = [box["when"].get(name, values) for name, values in canonical]
            inside = set(itertools.product(*allowed))
            assert box["cases"] == len(inside)
            assert not inside & covered, "boxes overlap"
            covered |= inside
            for values in inside:
                assert (box["from"], box["from_rule"]) == before[values]
                assert (box["to"], box["to_rule"]) == after[values]
        assert covered == changed
        assert diff["complete_cases"] == len(before)


@seed(20240229)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=policies(), data=st.data())
def test_generated_policies_agree_with_the_reference_evaluator(spec, data):
    cases = data.draw(_partial_cases(spec["definition"]["inputs"]))
    with tempfile.TemporaryDirectory() as scratch:
        _check_policy(spec, cases, Path(scratch))


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("GENERATED_POLICIES", "400")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=policies(), data=st.data())
def test_generated_policies_agree_with_the_reference_evaluator_long_run(spec, data):
    cases = data.draw(_partial_cases(spec["definition"]["inputs"]))
    with tempfile.TemporaryDirectory() as scratch:
        _check_policy(spec, cases, Path(scratch))
