"""The per-case API's fast path (`engine.DecisionMemo`) against the full path it stands in for.

`Policy.evaluate` answers a valid case from a template built once per (revision, partial case);
everything else takes the full path (`cases.check_case`, `dates.check_date`,
`CompiledPolicy.evaluate`). Here both paths decide the same inputs and must give equal Decisions,
field by field and in `to_json()` key order, and the same errors.
"""

import copy
import json
import pickle
import threading
from datetime import date, datetime
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from policy import DataError, PolicyError, load_policy
from policy.codesets.case_codes import evaluate_with_codes
from policy.core.cases import check_case
from policy.core.dates import check_date
from policy.core.decision import Decision
from policy.core.decision_memo import DecisionMemo
from policy.core.errors import AsOfError
from repo_paths import TABLES

IORT = load_policy(TABLES)
COLUMNS = dict(IORT.compiled.columns)


def full_path(case, as_of=None):
    """What `Policy.evaluate` did before the templates: the reference for the fast path."""
    clean = check_case(case, IORT.compiled.columns)
    day = as_of.isoformat() if isinstance(as_of, date) else as_of
    if day is None:
        day = clean.get("service_date")
        if day is None:
            raise AsOfError([])
    else:
        try:
            check_date(day)
        except ValueError as exc:
            raise AsOfError([]) from exc
    if clean.get("diagnosis") is not None or clean.get("procedure") is not None:
        return evaluate_with_codes(IORT.compiled, clean, day)  # codes: never the fast path's
    return IORT.compiled.evaluate(clean, day)


def outcome(function, case, as_of):
    try:
        decision = function(case, as_of)
    except PolicyError as exc:
        return type(exc).__name__
    assert isinstance(decision, Decision)
    return tuple(decision), json.dumps(decision.to_json())


odd_values = st.sampled_from(["", "Rectal", "T5", 1, 0, 1.0, "true", ("rectal",), b"x"])


def _maybe(values):  # mostly a good value, sometimes unknown, now and then a bad one
    return st.one_of(st.none(), st.sampled_from(list(values)), st.sampled_from(list(values)),
                     odd_values)


days = st.one_of(st.dates(date(2010, 1, 1), date(2030, 12, 31)).map(date.isoformat),
                 st.sampled_from(["2023-02-30", "20230101", "2023-1-5", "", "2023-10-01"]))
# text that UTF-8 cannot carry (a lone surrogate), which no output could write
lone_surrogates = st.sampled_from(["\ud800", "a\udfff", "\udced\udca0\udc80"])
cases = st.fixed_dictionaries(
    {name: _maybe(values) for name, values in COLUMNS.items()},
    optional={"case_id": st.one_of(st.none(), st.text(max_size=5), st.integers(), lone_surrogates),
              "service_date": st.one_of(st.none(), days),
              # a misspelt field, also with a null value (the fast path skipped nulls unread)
              "bogus": st.one_of(st.just("x"), st.none()),
              # codes (issue 22): valid, invalid, of the other system, empty, not strings
              "diagnosis": st.one_of(st.none(), st.sampled_from(
                  ["C20", "154.1", "C20,C18.7", "D48.1", "Z85.048", "", 1541]),
                  st.just(["C18.7"]), st.just([])),
              "procedure": st.one_of(st.none(), st.sampled_from(["77424", "99213", "x"])),
              "margin_stauts": st.none(), 1: st.none()})


@seed(20261126)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases, as_of=st.one_of(st.none(), days, st.dates(date(2010, 1, 1), date(2030, 1, 1))))
def test_fast_path_equals_full_path(case, as_of):
    assert outcome(IORT.evaluate, case, as_of) == outcome(full_path, case, as_of)


@pytest.mark.parametrize("case,as_of", [
    ({"cancer_site": "rectal", "recurrent": 1}, "2020-01-01"),  # 1 == True, but not a boolean
    ({"cancer_site": "rectal", "recurrent": 1.0}, "2020-01-01"),
    ({"cancer_site": "colon", "case_id": 7}, "2020-01-01"),
    ({"cancer_site": ["rectal"]}, "2020-01-01"),  # unhashable
    ({"cancer_site": "colon"}, datetime(2020, 1, 1, 12)),  # a datetime is no date
    ({"cancer_site": "colon"}, 20200101),
    ({"cancer_site": "colon", "service_date": "2020-02-30"}, "2020-01-01"),  # checked anyway
    ({"cancer_site": "colon", "service_date": date(2020, 1, 1)}, None),
    ({"cancer_site": "colon"}, None),
    ({"cancer_site": "colon", "service_date": "2011-06-01"}, None),  # before the first revision
    (MappingProxyType({"cancer_site": "colon"}), "2020-01-01"),  # not a dict
])
def test_edges_fall_back_to_the_full_path(case, as_of):
    assert outcome(IORT.evaluate, case, as_of) == outcome(full_path, case, as_of)


def codes(function, case, as_of=None):
    """The problem codes a path refuses a case with, or "decided"."""
    try:
        function(case, as_of)
    except DataError as exc:
        return sorted({problem.code for problem in exc.problems})
    return "decided"


@pytest.mark.parametrize("case,code", [
    ({"margin_stauts": None}, "UNKNOWN_FIELD"),
    ({"margin_stauts": None, "cancer_site": "colon"}, "UNKNOWN_FIELD"),
    ({1: None}, "UNKNOWN_FIELD"),
    ({"case_id": "\ud800"}, "ENCODING"),
    ({"case_id": "claim \udcff", "cancer_site": "colon"}, "ENCODING"),
    ({"diagnosis": "C20"}, "CODE_WRONG_SYSTEM"),  # ICD-10-CM on 2015-09-30 (issue 22)
    ({"diagnosis": "C20", "cancer_site": "colon"}, "CODE_WRONG_SYSTEM"),
    ({"diagnosis": ["154.1"], "cancer_site": "colon"}, "CODE_CONTRADICTS_CASE"),
    ({"procedure": 77424}, "WRONG_TYPE"),
    ({"diagnosis": None, "margin_stauts": "close"}, "UNKNOWN_FIELD"),
])
def test_the_fast_path_refuses_what_the_full_path_refuses(case, code):
    """Issue 20, item 9: failed before the fix. The fast path skipped None values before looking
    at their names, so `{"margin_stauts": None}` was decided; and it took any str as case_id, so
    `{"case_id": "\ud800"}` was decided and then could not be written as UTF-8."""
    day = "2015-09-30" if "CODE" in code else "2020-01-01"
    assert codes(IORT.evaluate, case, day) == [code]
    assert codes(full_path, case, day) == [code]
    assert IORT.evaluate({"case_id": "caf\u00e9 \U0001f600", "margin_status": None},
                         "2020-01-01").case_id == "caf\u00e9 \U0001f600"


def test_a_decision_shares_nothing_that_can_be_changed():
    one = IORT.evaluate({"cancer_site": "rectal", "margin_status": "positive"}, "2020-01-01")
    two = IORT.evaluate({"cancer_site": "rectal", "margin_status": "positive"}, "2020-01-01")
    assert one.revision is two.revision and one.case is two.case  # built once, shared
    for mapping in (one.revision, one.case):
        with pytest.raises(TypeError):
            mapping["id"] = "x"
        with pytest.raises(TypeError):
            mapping.update(x=1)
        with pytest.raises(TypeError):
            mapping.pop("id", None)
    assert one.revision["id"] == "2019-09" and dict(one.case) == {"cancer_site": "rectal",
                                                                  "margin_status": "positive"}
    assert pickle.loads(pickle.dumps(one)) == one and copy.deepcopy(one) == one


def test_templates_built_in_threads_agree():
    templates = DecisionMemo(IORT.compiled)
    work = [({"cancer_site": site, "t_stage": "T4"}, f"20{year}-03-0{day}")
            for site in COLUMNS["cancer_site"] for year in range(10, 25) for day in (1, 2)]
    results: dict[int, list] = {}

    def run(k):
        results[k] = [templates.decide(case, day) for case, day in work]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [full_path(case, day) for case, day in work]
    assert all(results[k] == expected for k in range(4))


def test_the_compiled_cache_round_trips(tmp_path, monkeypatch):
    """A warm load reads the cache entry instead of validating the YAML again: the compiled
    policy's JSON is exactly what `from_json` takes back."""
    from policy.core.compiled import CompiledPolicy

    data = json.loads(json.dumps(IORT.compiled.to_json()))
    assert CompiledPolicy.from_json(data) == IORT.compiled
    monkeypatch.setenv("FEP_POLICY_CACHE_DIR", str(tmp_path))
    load_policy(TABLES)  # validates, compiles and writes the entry
    import policy.validate

    def no_validation(*args, **kwargs):
        raise AssertionError("validated again: the cache entry was not used")

    monkeypatch.setattr(policy.validate, "load_and_validate", no_validation)
    assert load_policy(TABLES).compiled == IORT.compiled


@pytest.mark.parametrize("service_date, as_of", [
    ("2020-01-01", None), ("2020-01-01", "2016-05-03"),  # checked even when as_of overrides it
    ("2011-06-01", None),  # before the first revision
])
def test_a_case_with_a_service_date_is_answered_by_the_memo(service_date, as_of):
    """The fast path answers a case dated by its service_date, on a day it has not seen before
    too (killed mutant: `position is None and ...` as `or`, which sent every such case down the
    full path, each call deciding it again)."""
    memo = DecisionMemo(IORT.compiled)
    case = {"cancer_site": "colon", "service_date": service_date}
    for _ in range(2):
        decided = memo.decide(case, as_of)
        assert decided is not None
        assert decided == full_path(case, as_of)


@pytest.mark.parametrize("case_id", ["claim 1", "claim é", "クレーム"])
def test_a_case_id_of_any_letters_is_answered_by_the_memo(case_id):
    """Killed mutant: `value.isascii() or lone_surrogate(value) is None` as `and`, which sent a
    case id with a letter outside ASCII down the full path."""
    memo = DecisionMemo(IORT.compiled)
    case = {"cancer_site": "colon", "case_id": case_id}
    for _ in range(2):
        decided = memo.decide(case, "2020-01-01")
        assert decided is not None
        assert decided == full_path(case, "2020-01-01")
