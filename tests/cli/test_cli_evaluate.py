"""`policy evaluate` as a reviewer uses it, and its catalogue of bad input."""

import json
import subprocess
import sys

import pytest

CASE = ["cancer_site=rectal", "margin_status=positive", "t_stage=T3", "recurrent=false"]


def test_contract_examples(cli):
    code, out, err = cli("evaluate", "--as-of", "2016-05-03", *CASE, "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["determination"] == "not_medically_necessary"
    assert result["revision"] == {"id": "2015-12", "version": "2.3.0",
                                  "effective_from": "2016-01-01",
                                  "effective_from_basis": "inferred"}
    assert result["rule"] == "rectal-margins-not-t4-not-recurrent"
    assert "not medically necessary" in result["source"]
    assert set(result) >= {"determination", "as_of", "policy", "revision", "rule", "needs",
                           "explanation", "source", "case_id"}

    code, out, _ = cli("evaluate", "--as-of", "2019-06-15", *CASE, "--json")
    assert json.loads(out)["determination"] == "investigational"

    code, out, _ = cli("evaluate", "--as-of", "2010-06-01", *CASE, "--json")
    result = json.loads(out)
    assert result["determination"] == "no_policy_in_force" and result["revision"] is None
    assert "2012-01-01" in result["explanation"]


@pytest.mark.parametrize("day", ["2012-01-01", "2013-01-01", "2016-05-03", "2018-04-01",
                                 "2019-06-15", "2023-10-01", "2030-12-31"])
def test_t4_is_medically_necessary_on_every_date_in_force(cli, day):
    words = [w.replace("T3", "T4") for w in CASE]
    code, out, _ = cli("evaluate", "--as-of", day, *words, "--json")
    assert code == 0 and json.loads(out)["determination"] == "medically_necessary"


def test_text_output_is_short_and_names_revision_rule_and_quote(cli):
    code, out, _ = cli("evaluate", "--as-of", "2016-05-03", *CASE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "not_medically_necessary"
    assert "2015-12 (version 2.3.0, effective 2016-01-01, inferred)" in out
    assert "rectal-margins-not-t4-not-recurrent" in out
    assert "(reconstructed, not in the source) Use of" in out  # never in quotation marks
    # what decided comes first; the notes on where the words come from (issue 25: as the JSON's
    # provenance_note and disclaimer_note) and the disclaimer follow
    assert "rectal-margins-not-t4-not-recurrent" in lines[4] and "statement" in lines[5]
    assert len(lines) < 35


def test_unknown_facts_are_named(cli):
    code, out, _ = cli("evaluate", "--as-of", "2020-01-01", "cancer_site=rectal", "t_stage=T4",
                       "--json")
    result = json.loads(out)
    assert code == 0 and result["determination"] == "indeterminate"
    assert result["needs"] == ["margin_status"] and result["rule"] is None
    code, out, _ = cli("evaluate", "--as-of", "2020-01-01", "cancer_site=rectal",
                       "margin_status=negative", "--json")
    assert json.loads(out)["determination"] == "investigational"


def test_2023_revision_explains_with_the_evidence_for_the_site(cli):
    code, out, _ = cli("evaluate", "--as-of", "2024-02-01", "cancer_site=pancreatic", "--json")
    result = json.loads(out)
    assert result["revision"]["effective_from_basis"] == "stated"
    assert result["evidence"].startswith("For individuals who have pancreatic cancer")


def test_case_file_and_words_override_it(cli, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("case_id: C-17\nservice_date: '2016-05-03'\ncancer_site: rectal\n"
                    "margin_status: positive\nt_stage: T3\nrecurrent: false\n")
    code, out, _ = cli("evaluate", "--case", case, "--json")
    result = json.loads(out)
    assert (result["determination"], result["as_of"], result["case_id"]) == (
        "not_medically_necessary", "2016-05-03", "C-17")
    code, out, _ = cli("evaluate", "--case", case, "recurrent=true", "--json")
    assert json.loads(out)["determination"] == "medically_necessary"
    code, out, _ = cli("evaluate", "--case", case, "--as-of", "2019-01-01", "--json")
    assert json.loads(out)["as_of"] == "2019-01-01"


def test_json_case_file(cli, tmp_path):
    case = tmp_path / "case.json"
    case.write_text('{"cancer_site": "rectal", "margin_status": "close", "t_stage": "T4b"}')
    code, out, _ = cli("evaluate", "--case", case, "--as-of", "2014-03-01", "--json")
    assert json.loads(out)["determination"] == "medically_necessary"


BAD = [
    # (name, args, stdin, exit code, text the one error line must contain)
    ("unknown field", ["--as-of", "2020-01-01", "cancr_site=rectal"], None, 1,
     "cancr_site=rectal: UNKNOWN_FIELD: unknown field 'cancr_site'"),
    ("unknown value", ["--as-of", "2020-01-01", "cancer_site=rectum"], None, 1,
     "did you mean 'rectal'?"),
    ("recurrent=maybe", ["--as-of", "2020-01-01", "recurrent=maybe"], None, 1,
     "recurrent=maybe: UNKNOWN_VALUE: recurrent cannot be 'maybe'; allowed: true, false"),
    ("impossible date", ["--as-of", "2023-02-30", "cancer_site=rectal"], None, 2,
     "'2023-02-30' is not a real calendar date"),
    ("compact date", ["--as-of", "20230101", "cancer_site=rectal"], None, 2,
     "is not a date in the form YYYY-MM-DD"),
    ("date with a time", ["--as-of", "2023-01-01T10:00", "cancer_site=rectal"], None, 2,
     "is not a date in the form YYYY-MM-DD"),
    ("date with a zone", ["--as-of", "2023-03-31T23:30-05:00"], None, 2,
     "is not a date in the form YYYY-MM-DD"),
    ("week date", ["--as-of", "2023-W01-1"], None, 2, "is not a date in the form YYYY-MM-DD"),
    ("no date at all", ["cancer_site=rectal"], None, 2, "no date to evaluate as of"),
    ("a word without =", ["--as-of", "2020-01-01", "rectal"], None, 2, "is not FIELD=VALUE"),
    ("malformed case file", ["--case", "-", "--as-of", "2020-01-01"], "cancer_site: [rectal\n", 1,
     "<stdin>:2:1: YAML_SYNTAX"),
    ("non-mapping case file", ["--case", "-", "--as-of", "2020-01-01"], "- rectal\n", 1,
     "<stdin>:1:1: NOT_A_MAPPING"),
    ("duplicate key in a case file", ["--case", "-", "--as-of", "2020-01-01"],
     "cancer_site: rectal\ncancer_site: colon\n", 1, "<stdin>:2:1: DUPLICATE_KEY"),
    ("a field given twice on the command line",
     ["--as-of", "2020-01-01", "cancer_site=rectal", "margin_status=positive", "t_stage=T4",
      "cancer_site=colon"], None, 1,
     "cancer_site=colon: DUPLICATE_KEY: field 'cancer_site' is given twice (cancer_site=rectal "
     "and cancer_site=colon)"),
    ("--as-of given twice", ["--as-of", "2020-01-01", "--as-of=2016-05-03", "cancer_site=rectal"],
     None, 2, "--as-of is given twice"),
    ("empty standard input", ["--case", "-", "--as-of", "2020-01-01"], "", 1,
     "<stdin>:1:1: EMPTY_FILE"),
    ("a yes where a boolean is due", ["--case", "-", "--as-of", "2020-01-01"],
     "recurrent: yes\n", 1, "<stdin>:1:12: UNKNOWN_VALUE"),
    ("an invalid service_date in a file", ["--case", "-"], "service_date: 2023-02-29\n", 1,
     "<stdin>:1:15: DATE_INVALID"),
    ("an alias in a case file", ["--case", "-", "--as-of", "2020-01-01"],
     "cancer_site: &a rectal\ncase_id: *a\n", 1, "ALIAS_FORBIDDEN"),
    ("a missing case file", ["--case", "/nonexistent/case.yaml", "--as-of", "2020-01-01"], None,
     4, "/nonexistent/case.yaml: cannot read"),
    ("an unknown option", ["--as-off", "2020-01-01"], None, 2, "unrecognized arguments"),
]


@pytest.mark.parametrize("name,args,stdin,exit_code,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_one_line_and_an_exit_code(name, args, stdin, exit_code, message):
    """Run as a real process: the exit code, exactly one line on stderr, no traceback."""
    result = subprocess.run([sys.executable, "-m", "policy", "evaluate", *args],
                            input=stdin if stdin is not None else "", capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == exit_code, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_several_bad_fields_are_all_reported(cli):
    code, _, err = cli("evaluate", "--as-of", "2020-01-01", "cancer_site=rectum", "t_stage=T9")
    assert code == 1 and len(err.splitlines()) == 2


def test_debug_shows_the_traceback_of_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "policy", "evaluate", "--debug",
                             "cancer_site=rectal"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Traceback" in result.stderr
