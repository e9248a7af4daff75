"""Hypothesis properties: the compiled engine agrees with the reference walk of the YAML rules."""

import itertools
import os
from datetime import date
from functools import cache

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from reference_evaluator import ReferenceEvaluator
from repo_paths import POLICY_DIR
from shipped import shipped_policy  # loaded when the first test runs, not at collection


@cache
def _reference():
    return ReferenceEvaluator(POLICY_DIR)


def _columns():
    return dict(shipped_policy().compiled.columns)


def _maybe(values):
    return st.one_of(st.none(), st.sampled_from(list(values)))


cases = st.deferred(lambda: st.fixed_dictionaries(
    {name: _maybe(values) for name, values in _columns().items()}).map(
    lambda case: {k: v for k, v in case.items() if v is not None}))
days = st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 12, 31)).map(
    lambda d: d.isoformat())


def _agree(case, day):
    fast = shipped_policy().evaluate(case, as_of=day)
    slow = _reference().evaluate(case, day)
    assert fast.determination == slow["determination"], (case, day)
    assert (fast.revision or {}).get("id") == slow["revision"]
    assert fast.rule == slow["rule"]
    assert list(fast.needs) == slow["needs"]


@seed(20231001)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases, day=days)
def test_engine_agrees_with_reference_evaluator(case, day):
    _agree(case, day)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "20000")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=cases, day=days)
def test_engine_agrees_with_reference_evaluator_long_run(case, day):
    _agree(case, day)


def test_every_partial_case_of_every_revision_agrees():
    """Exhaustive, not sampled: all 1,920 partial cases on the first day of each revision."""
    columns = _columns()
    names = list(columns)
    for revision in shipped_policy().revisions:
        for values in itertools.product(*([*vals, None] for vals in columns.values())):
            case = {n: v for n, v in zip(names, values, strict=True) if v is not None}
            _agree(case, revision.effective_from)


@given(case=cases, day=days)
@settings(max_examples=200, deadline=None)
def test_an_omitted_field_that_is_not_needed_cannot_change_the_outcome(case, day):
    iort = shipped_policy()
    decision = iort.evaluate(case, as_of=day)
    if decision.determination in ("indeterminate", "no_policy_in_force"):
        return
    for name, values in _columns().items():
        if name not in case:
            for value in values:
                assert iort.evaluate({**case, name: value}, as_of=day).determination == \
                    decision.determination
