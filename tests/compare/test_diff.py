"""`policy diff` by meaning and by text, and its properties."""

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.compare.diff import diff_revisions, resolve
from shipped import shipped_policy, shipped_validated

REVISIONS = shipped_validated().revisions  # (validation only: the strategies below sample them)


def _covered(changes):
    """Every complete case inside the boxes, as value tuples (fields not listed: any value)."""
    columns = shipped_policy().compiled.columns
    cells = []
    for change in changes:
        sets = [change["when"].get(name, list(values)) for name, values in columns]
        cells += [(change["from"], change["to"], cell) for cell in itertools.product(*sets)]
    return cells


def _differing(a, b):
    columns = shipped_policy().compiled.columns
    names = [n for n, _ in columns]
    out = []
    for values in itertools.product(*(v for _, v in columns)):
        case = dict(zip(names, values, strict=True))
        was = shipped_policy().evaluate(case, a.effective_from).determination
        now = shipped_policy().evaluate(case, b.effective_from).determination
        if was != now:
            out.append((was, now, values))
    return out


def test_2011_to_2012_flips_exactly_the_other_oncologic_cases(cli):
    code, out, _ = cli("diff", "2011-12", "2012-12", "--json")
    diff = json.loads(out)
    assert code == 0 and diff["from"]["id"] == "2011-12" and diff["to"]["id"] == "2012-12"
    assert {(c["from"], c["to"]) for c in diff["decision_changes"]} == {
        ("investigational", "not_medically_necessary")}
    assert len(diff["decision_changes"]) <= 3
    covered = {cell for _, _, cell in _covered(diff["decision_changes"])}
    # exactly the oncologic complete cases outside the rectal criterion
    expected = set()
    columns = shipped_policy().compiled.columns
    for site, margin, stage, recurrent in itertools.product(*(v for _, v in columns)):
        mn = site == "rectal" and margin in ("positive", "close") and (
            stage in ("T4", "T4a", "T4b") or recurrent)
        if site != "none" and not mn:
            expected.add((site, margin, stage, recurrent))
    assert covered == expected
    assert sum(c["cases"] for c in diff["decision_changes"]) == len(expected) == 732


def test_2015_to_2018_is_the_reverse(cli):
    forward = json.loads(cli("diff", "2011-12", "2012-12", "--json")[1])
    back = json.loads(cli("diff", "2015-12", "2018-03", "--json")[1])
    assert [(c["from"], c["to"], c["when"], c["cases"]) for c in back["decision_changes"]] == [
        ("not_medically_necessary", "investigational", c["when"], c["cases"])
        for c in forward["decision_changes"]]


def test_a_minor_revision_changes_text_only(cli):
    diff = json.loads(cli("diff", "2013-12", "2014-12", "--json")[1])
    assert diff["decision_changes"] == []
    paths = {t["path"] for t in diff["text_changes"]}
    assert {"revision.history.description", "revision.version", "revision.effective_from"} <= paths


def test_dates_resolve_to_the_revision_in_force(cli):
    assert cli("diff", "2016-05-03", "2019-06-15", "--json")[1] == \
        cli("diff", "2015-12", "2018-09", "--json")[1]
    assert cli("diff", "2.3.0", "3.1.0", "--json")[1] == \
        cli("diff", "2015-12", "2018-09", "--json")[1]


def test_summary_and_markdown(cli):
    code, out, _ = cli("diff", "2011-12", "2012-12")
    assert out.splitlines()[0].startswith(
        "2011-12 (1.0.0) -> 2012-12 (2.0.0): 3 decision change(s) "
        "covering 732 of the 810 complete cases")
    code, out, _ = cli("diff", "2011-12", "2012-12", "--format", "markdown")
    assert "| investigational | not_medically_necessary | 702 |" in out


@pytest.mark.parametrize("args,message", [
    (["2011-12"], "give two revisions"),
    (["2011-12", "2099-99"], "is not a revision id, version or date"),
    (["2010-01-01", "2012-12"], "no revision is in force on 2010-01-01"),
])
def test_bad_revision_names_are_usage_errors(cli, args, message):
    code, out, err = cli("diff", *args)
    assert code == 2 and out == "" and message in err


pairs = st.tuples(st.sampled_from(REVISIONS), st.sampled_from(REVISIONS))


@settings(max_examples=25, deadline=None)
@given(pair=pairs)
def test_diff_properties(pair):
    a, b = pair
    forward, backward = diff_revisions(a, b), diff_revisions(b, a)
    if a is b:
        assert forward["decision_changes"] == [] and forward["text_changes"] == []
    assert sorted((c["to"], c["from"], json.dumps(c["when"]), c["cases"])
                  for c in backward["decision_changes"]) == sorted(
        (c["from"], c["to"], json.dumps(c["when"]), c["cases"])
        for c in forward["decision_changes"])
    assert sorted(_covered(forward["decision_changes"])) == sorted(_differing(a, b))
    assert sum(c["cases"] for c in forward["decision_changes"]) == len(_differing(a, b))
    assert [(t["path"], t["new"], t["old"]) for t in backward["text_changes"]] == [
        (t["path"], t["old"], t["new"]) for t in forward["text_changes"]] or \
        sorted(t["path"] for t in backward["text_changes"]) == sorted(
            t["path"] for t in forward["text_changes"])


def test_resolve_by_id_version_and_date():
    assert resolve(REVISIONS, "2018-03").version == "3.0.0"
    assert resolve(REVISIONS, "3.0.0").id == "2018-03"
    assert resolve(REVISIONS, "2018-03-31").id == "2015-12"
