"""A policy's crosswalk of codes (codes.yml) and what a case's codes decide by it.

The rule (policy/codesets/resolve.py): codes naming one site set it; an explicit site that
disagrees makes the case invalid; codes naming different sites, or none, leave it unknown (never
`none`); procedure codes given and none governed: not_applicable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.codesets.check import read_codes
from policy.codesets.crosswalk import read_crosswalk
from policy.codesets.resolve import resolve_codes
from policy.core.errors import InvalidCodeError
from policy.core.policy_files import policy_files
from policy.core.snapshot import read_snapshot
from policy.validate.validated_policy import load_definition

ROOT = Path(__file__).resolve().parent.parent.parent
FILES = policy_files(str(ROOT / "tables"), "fep-8.01.08")
SNAPSHOT = read_snapshot(FILES)
DEFINITION = load_definition(SNAPSHOT, (SNAPSHOT.schema("revision"), SNAPSHOT.schema("policy")))
CROSSWALK = read_crosswalk(SNAPSHOT, DEFINITION)


def resolve(day, case_value=None, **codes):
    return resolve_codes(read_codes(codes, day), CROSSWALK, case_value)


def test_the_shipped_crosswalk_is_sound_and_every_entry_is_the_projects_reading():
    assert CROSSWALK is not None and CROSSWALK.field == "cancer_site"
    assert {entry.provenance for entry in CROSSWALK.entries} == {"project_reading"}
    assert all(entry.note for entry in CROSSWALK.entries)
    values = {entry.value for entry in CROSSWALK.entries if entry.kind == "names"}
    assert values <= set(DEFINITION.vocabulary()["cancer_site"]) and "none" not in values


@pytest.mark.parametrize(("day", "code"), [("2015-09-30", "154.1"), ("2015-10-01", "C20"),
                                          ("2020-02-03", "c20"), ("2014-01-02", "1541")])
def test_a_code_naming_one_site_sets_it(day, code):
    found = resolve(day, diagnosis=code)
    assert (found.value, found.naming, found.problems) == ("rectal", "one", ())
    assert found.readings[0].names == {"cancer_site": "rectal"}


def test_an_explicit_site_that_agrees_stands_and_one_that_disagrees_is_invalid():
    assert resolve("2016-05-03", "rectal", diagnosis="C20").problems == ()
    found = resolve("2016-05-03", "colon", diagnosis="C20,Z85.048")
    assert [p.code for p in found.problems] == ["CODE_CONTRADICTS_CASE"]
    message = found.problems[0].message
    assert "cancer_site=colon" in message and "C20 names cancer_site=rectal" in message
    with pytest.raises(InvalidCodeError):
        found.raise_if_invalid()


def test_codes_naming_two_sites_leave_it_unknown_and_say_which_named_what():
    found = resolve("2016-05-03", diagnosis="C20,C18.7")
    assert (found.value, found.naming) == (None, "several")
    assert found.named == (("rectal", ("C20",)), ("colon", ("C18.7",)))
    assert resolve("2016-05-03", "colon", diagnosis="C20,C18.7").value == "colon"
    assert resolve("2016-05-03", "gastric", diagnosis="C20,C18.7").problems[0].code == \
        "CODE_CONTRADICTS_CASE"


@pytest.mark.parametrize(("day", "codes"), [("2016-05-03", "Z85.048"), ("2016-05-03", "C19"),
                                           ("2023-09-30", "D48.1"), ("2014-05-03", "154.0"),
                                           ("2016-05-03", "I10")])
def test_codes_naming_nothing_leave_it_unknown_never_none(day, codes):
    found = resolve(day, diagnosis=codes)
    assert (found.value, found.naming, found.problems) == (None, "none", ())
    assert all(reading.names is None for reading in found.readings)
    assert resolve(day, "rectal", diagnosis=codes).value == "rectal"


def test_desmoid_codes_name_fibromatosis_from_2023_10_01():
    assert resolve("2023-10-01", diagnosis="D48.110").value == "fibromatosis"
    found = resolve("2023-10-01", diagnosis="D48.1")
    assert found.problems[0].code == "CODE_NOT_VALID_ON_DATE"


@pytest.mark.parametrize(("procedure", "not_applicable", "governed"), [
    ("77424", False, ("77424",)), ("99213,77425", False, ("77425",)),
    ("99213", True, ()), ("19294", True, ()), ("G0101,0735T", True, ())])
def test_procedure_codes_with_and_without_a_governed_code(procedure, not_applicable, governed):
    found = resolve("2020-01-01", procedure=procedure)
    assert (found.not_applicable, found.governed, found.problems) == (not_applicable, governed,
                                                                      ())


def test_no_procedure_code_decides_nothing_about_applicability():
    assert resolve("2020-01-01", diagnosis="C20").not_applicable is None
    assert resolve_codes(read_codes({"procedure": "99213"}, "2020-01-01"), None).not_applicable \
        is None


def test_invalid_codes_make_the_case_invalid_each_with_its_problem():
    found = resolve("2015-09-30", diagnosis="C20,154.1", procedure="77424-26")
    assert sorted(p.code for p in found.problems) == ["CODE_MALFORMED", "CODE_WRONG_SYSTEM"]
    assert found.value == "rectal"  # what the valid code named, for the explanation


def test_a_governed_code_outside_its_cited_window_is_not_valid_that_day():
    from policy.codesets.crosswalk import Crosswalk

    dated = tuple(entry._replace(valid_from="2022-01-01") if entry.kind == "governed" else entry
                  for entry in CROSSWALK.entries)
    found = resolve_codes(read_codes({"procedure": "77424"}, "2021-12-31"),
                          Crosswalk(CROSSWALK.file, CROSSWALK.field, dated))
    assert [p.code for p in found.problems] == ["CODE_NOT_VALID_ON_DATE"]
    assert "2021-12-31" in found.problems[0].message


SITE_CODES = st.sampled_from(["C20", "C18.7", "C16.9", "C25.0", "C50.911", "C71.9", "C64.1",
                              "Z85.048", "C19", "I10", "C49.A0"])


@settings(max_examples=100, deadline=None)
@given(codes=st.lists(SITE_CODES, min_size=1, max_size=5), data=st.data())
def test_the_order_of_the_codes_does_not_change_what_they_decide(codes, data):
    shuffled = data.draw(st.permutations(codes))
    one, other = (resolve("2020-01-01", diagnosis=",".join(c)) for c in (codes, shuffled))
    assert (one.value, one.naming, dict(one.named).keys()) == (
        other.value, other.naming, dict(other.named).keys())
    assert one.value is None or one.naming == "one"
    assert one.value != "none"
