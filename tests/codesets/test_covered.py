"""The part of the code sets a crosswalk covers, as the Try a case page gets it
(policy/codesets/covered.py): the same standing as the engine's for every covered code on any day,
no code outside the crosswalk, and `page_reads` true exactly where the page can read a code."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy import load_policy
from policy.codesets import icd9cm, icd10cm
from policy.codesets.case_codes import crosswalk_of
from policy.codesets.check import ICD9, ICD10, read_code
from policy.codesets.covered import code_sets_for, covers, icd10_periods, page_reads


@pytest.fixture(scope="module")
def crosswalk():
    return crosswalk_of(load_policy().compiled)


@pytest.fixture(scope="module")
def exported(crosswalk):
    return code_sets_for(crosswalk)


def _status10(exported: dict, code: str, day: str) -> tuple:
    """The standing the page computes (docs/assets/try-codes.js `status10`), in Python."""
    sets = exported[ICD10]
    found = sets["codes"].get(code)
    at, below = (found[0], found[1]) if found else (sets["unknown"][code[0]], None)
    period = max(i for i, first in enumerate(sets["periods"]) if first <= day)
    flags, reading = sets["patterns"][at][period]
    release, exact, basis = sets["readings"][reading]
    billable, exists = bool(flags & 1), bool(flags & 2)
    spans = tuple(tuple(s) for s in sets["spans"][found[2]]) if found else ()
    return (billable, exists, bool(flags & 4), release, exact, basis,
            below if exists and not billable else None, spans)


def _engine10(code: str, day: str) -> tuple:
    s = icd10cm.status(code, day)
    return (s.billable, s.exists, s.known, s.release, s.exact, s.basis, s.below,
            s.billable_spans)


DAYS = st.dates(datetime.date(2015, 10, 1), datetime.date(2027, 12, 31)).map(
    lambda d: d.isoformat())


@settings(max_examples=300, deadline=None)
@given(data=st.data(), day=DAYS)
def test_the_export_gives_the_engines_standing_of_every_covered_code(exported, data, day):
    code = data.draw(st.sampled_from(sorted(exported[ICD10]["codes"])))
    assert _status10(exported, code, day) == _engine10(code, day)


@pytest.mark.parametrize(("code", "day"), [
    ("D481", "2023-09-30"), ("D481", "2023-10-01"), ("D4811", "2023-10-01"),
    ("D48110", "2023-09-30"), ("D48110", "2023-10-01"), ("C20", "2015-10-01"),
    ("C20", "2026-10-01"), ("C209", "2020-01-01"), ("Z85048", "2016-09-30")])
def test_the_export_on_the_edges(exported, code, day):
    assert _status10(exported, code, day) == _engine10(code, day)


def test_the_periods_cut_at_every_release_and_cited_year():
    periods = icd10_periods()
    assert periods[0] == "2015-10-01" and periods[-1] == "2026-10-01"
    assert {"2016-10-01", "2017-10-01", "2023-10-01", "2024-04-01"} <= set(periods)


def test_only_covered_codes_are_shipped_and_every_covered_one_is(exported, crosswalk):
    shipped10, shipped9 = set(exported[ICD10]["codes"]), set(exported[ICD9]["codes"])
    assert all(covers(crosswalk, ICD10, c) for c in shipped10)
    assert all(covers(crosswalk, ICD9, c) for c in shipped9)
    newest = icd10cm._load().newest
    assert {c for c in newest if covers(crosswalk, ICD10, c)} <= shipped10
    assert {c for c in icd9cm._load()[0] if covers(crosswalk, ICD9, c)} == shipped9
    assert {"C20", "D481", "D4811", "D48110", "Z85048"} <= shipped10 and "I10" not in shipped10
    assert {"1541", "V1006"} <= shipped9
    size = len(json.dumps(exported, separators=(",", ":")))
    assert size < 100_000, size  # tens of kilobytes, not the code sets' megabytes


@pytest.mark.parametrize(("text", "field", "day", "reads"), [
    ("C20", "diagnosis", "2023-10-01", True), ("c20", "diagnosis", "2015-09-30", True),
    ("154.1", "diagnosis", "2015-10-01", True), ("1541", "diagnosis", "2015-09-30", True),
    ("I10", "diagnosis", "2023-10-01", False), ("401.9", "diagnosis", "2015-09-30", False),
    ("V10.06", "diagnosis", "2023-10-01", False),  # an ICD-10-CM form the crosswalk lacks
    ("C 20", "diagnosis", "2023-10-01", True), ("", "diagnosis", "2023-10-01", True),
    ("C209", "diagnosis", "2023-10-01", True),  # covered by C20, unknown: the page knows
    ("99213", "procedure", "2023-10-01", True), ("x", "procedure", "2023-10-01", True)])
def test_page_reads(crosswalk, text, field, day, reads):
    assert page_reads(crosswalk, text, field, day) is reads
    if reads and field == "diagnosis":
        read_code(text, field, day)  # the engine reads it: no lookup outside the export


def test_without_a_crosswalk_nothing_is_shipped_and_only_forms_are_read():
    exported = code_sets_for(None)
    assert exported["has_crosswalk"] is False and exported[ICD10]["codes"] == {}
    assert exported[ICD9]["codes"] == []
    assert not page_reads(None, "C20", "diagnosis", "2023-10-01")
    assert page_reads(None, "C", "diagnosis", "2023-10-01")  # no code form: malformed
    assert page_reads(None, "77424", "procedure", "2023-10-01")
