"""`policy history`, the Python API, the timeline and the validated cache."""

import json
import marshal

import pytest

from policy import DataError, UsageError, cache, load_policy
from policy.core.timeline import revision_in_force

IDS = ("2011-12 2012-12 2013-12 2014-12 2015-12 2018-03 2018-09 2019-09 2020-09 2021-09 2022-09 "
       "2023-09")
VERSIONS = "1.0.0 2.0.0 2.1.0 2.2.0 2.3.0 3.0.0 3.1.0 3.2.0 3.3.0 3.4.0 3.5.0 3.6.0"
EFFECTIVE = ("2012-01-01 2013-01-01 2014-01-01 2015-01-01 2016-01-01 2018-04-01 2018-10-01 "
             "2019-10-01 2020-10-01 2021-10-01 2022-10-01 2023-10-01")


def test_history_json_lists_the_twelve_revisions(cli):
    code, out, _ = cli("history", "--json")
    assert code == 0
    entries = json.loads(out)
    assert [e["id"] for e in entries] == IDS.split()
    assert [e["version"] for e in entries] == VERSIONS.split()
    assert [e["effective_from"] for e in entries] == EFFECTIVE.split()
    assert [e["effective_from_basis"] for e in entries] == ["inferred"] * 11 + ["stated"]
    assert [e["approved"] for e in entries] == IDS.split()
    assert entries[0]["action"] == "New policy"
    assert "not medically necessary" in entries[1]["description"]
    for entry in entries:
        assert {"id", "version", "approved", "effective_from", "effective_from_basis", "action",
                "description"} <= set(entry)


def test_history_text(cli):
    code, out, _ = cli("history")
    assert code == 0 and len(out.splitlines()) == 13 and "2023-10-01  stated" in out


def test_validate_passes_on_the_shipped_tables(cli):
    code, out, _ = cli("validate")
    assert code == 0 and "12 revisions valid" in out


class _Rev:
    def __init__(self, day):
        self.effective_from = day


@pytest.mark.parametrize("day,expected", [
    ("2011-12-31", None), ("2012-01-01", 0), ("2012-12-31", 0), ("2013-01-01", 1),
    ("2099-01-01", 2)])
def test_revision_in_force_is_half_open(day, expected):
    revisions = [_Rev("2012-01-01"), _Rev("2013-01-01"), _Rev("2014-01-01")]
    found = revision_in_force(revisions, day)
    assert found is (None if expected is None else revisions[expected])


def test_api_returns_a_frozen_decision():
    iort = load_policy()
    decision = iort.evaluate({"cancer_site": "rectal", "margin_status": "positive",
                              "t_stage": "T4", "recurrent": False}, as_of="2014-06-30")
    assert decision.determination == "medically_necessary"
    assert decision.revision["id"] == "2013-12" and decision.rule == "rectal-margins-t4"
    with pytest.raises(AttributeError):
        decision.determination = "investigational"
    from datetime import date

    assert iort.evaluate({"cancer_site": "none"}, as_of=date(2020, 1, 1)).determination == \
        "not_addressed"


def test_api_errors_are_policy_errors_and_builtins():
    iort = load_policy()
    with pytest.raises(DataError) as caught:
        iort.evaluate({"cancer_site": "rectum"}, as_of="2020-01-01")
    assert isinstance(caught.value, ValueError)
    assert caught.value.problems[0].code == "UNKNOWN_VALUE"
    with pytest.raises(DataError, match="NO_DATE") as caught:
        iort.evaluate({"cancer_site": "rectal"})
    assert not isinstance(caught.value, UsageError)
    with pytest.raises(DataError, match="DATE_INVALID"):
        iort.evaluate({}, as_of="2020-02-30")
    assert iort.evaluate({"service_date": "2016-05-03", "cancer_site": "colon"}).revision[
        "id"] == "2015-12"


def test_a_table_broken_after_caching_is_never_evaluated(tables_copy, cli, monkeypatch):
    monkeypatch.chdir(tables_copy.parent)  # the nearest tables/ folder is the copy
    args = ["evaluate", "--as-of", "2016-05-03", "cancer_site=colon"]
    assert cli(*args)[0] == 0  # compiles and caches
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    table.write_text(table.read_text().replace("cancer_site: [none]", "cancer_site: []"))
    code, out, err = cli(*args)
    assert code == 1 and out == ""
    assert "UNREACHABLE_RULE" in err and "2015-12.yaml" in err


def test_a_corrupt_cache_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("FEP_POLICY_CACHE_DIR", str(tmp_path))
    load_policy()
    [entry] = list(tmp_path.glob(f"*{cache.ENTRY_SUFFIX}"))
    entry.write_text("{not json")
    assert load_policy().evaluate({"cancer_site": "none"}, "2020-01-01").determination == \
        "not_addressed"
    from policy.core.compiled import FORMAT

    sealed = entry.read_bytes().partition(b"\n")  # the rebuilt entry: a seal, then the content
    assert len(sealed[0]) == 64 and marshal.loads(sealed[2])["format"] == FORMAT


def test_tables_are_found_in_the_nearest_parent(tables_copy, monkeypatch, cli):
    nested = tables_copy.parent / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    table = tables_copy / "fep-8.01.08" / "2023-09.yaml"
    table.write_text(table.read_text().replace("  version: 3.6.0", "  version: 3.7.0"))
    code, out, _ = cli("history", "--json")
    assert json.loads(out)[-1]["version"] == "3.7.0"


def test_unknown_policy_is_a_usage_error(cli):
    code, _, err = cli("history", "--policy", "fep-9.99.99")
    assert code == 2 and "unknown policy 'fep-9.99.99'" in err and "--policy ID" in err


def test_the_library_raises_no_usage_error_and_names_no_option(tables_copy):
    """Only the command line knows its options: the library's errors are DataError (with a
    code) and never say `--as-of` or `--policy`; the CLI adds those (tests above)."""
    from policy.core.cases import parse_words

    iort = load_policy(tables_copy)
    for call in (lambda: iort.evaluate({"cancer_site": "rectal"}),
                 lambda: iort.evaluate({}, as_of="2020-02-30"),
                 lambda: load_policy(tables_copy, policy="fep-9.99.99")):
        with pytest.raises(DataError) as caught:
            call()
        assert not isinstance(caught.value, UsageError)
        assert "--" not in str(caught.value)
    (tables_copy / "fep-0.00.00").mkdir()
    (tables_copy / "fep-0.00.00" / "2020-01.yaml").write_text("{}\n")
    with pytest.raises(DataError, match="UNKNOWN_POLICY") as caught:
        load_policy(tables_copy)
    assert "--" not in str(caught.value)
    with pytest.raises(ValueError) as caught:
        parse_words(["rectal"], iort.compiled.columns)
    assert not isinstance(caught.value, UsageError)


def test_two_policies_and_none_chosen_is_a_usage_error_naming_the_option(tables_copy, cli):
    (tables_copy / "fep-0.00.00").mkdir()
    (tables_copy / "fep-0.00.00" / "2020-01.yaml").write_text("{}\n")
    code, _, err = cli("history", "--tables", tables_copy)
    assert code == 2 and "found: fep-0.00.00, fep-8.01.08" in err and "--policy ID" in err


def test_the_policy_folder_holds_one_yaml_file_per_revision_and_nothing_else():
    """CONTRACT.md: tables/fep-8.01.08/<revision-id>.yaml, one complete revision per file; the
    policy's own definition is policy.yml, which no `*.yaml` glob takes for a revision."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent.parent / "tables" / "fep-8.01.08"
    assert sorted(p.stem for p in folder.glob("*.yaml")) == [
        "2011-12", "2012-12", "2013-12", "2014-12", "2015-12", "2018-03", "2018-09", "2019-09",
        "2020-09", "2021-09", "2022-09", "2023-09"]
    assert (folder / "policy.yml").is_file()


def test_a_batch_line_without_a_date_names_the_option_on_stderr_only(tmp_path, cli):
    """The result file carries the library's message (no option named); the command line's
    report of the bad line adds how to give a date."""
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"cancer_site": "colon"}\n')
    out = tmp_path / "out.jsonl"
    code, _, err = cli("batch", cases, "--out", out)
    assert code == 3
    error = json.loads(out.read_text())["error"]
    assert error.startswith("NO_DATE: ") and "--" not in error
    assert "NO_DATE" in err and "--as-of" in err


def test_no_module_but_the_command_line_raises_usage_error():
    """UsageError is the command line's (policy/cli/): a revision name that names nothing
    (policy.compare.diff) and a refused git revision (policy.load.git_revision) are the library's
    DataErrors with a code."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent.parent / "policy"
    raising = [f"{path.relative_to(package)}:{number}"
               for path in sorted(package.rglob("*.py"))
               if path.relative_to(package).parts[0] != "cli"
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"(?<!class )\bUsageError\(", line)]
    assert raising == []


def test_a_revision_name_or_git_revision_that_names_nothing_is_a_data_error():
    from policy.compare.diff import resolve
    from policy.core.policy_files import find_tables_dir, policy_files
    from policy.load.git_revision import check_rev
    from policy.validate import load_and_validate

    revisions = load_and_validate(policy_files(find_tables_dir(None))).revisions
    for name, code in (("2099-99", "UNKNOWN_REVISION"), ("2010-01-01", "UNKNOWN_REVISION")):
        with pytest.raises(DataError, match=code) as caught:
            resolve(revisions, name)
        assert not isinstance(caught.value, UsageError) and "--" not in str(caught.value)
    for rev in ("", "--output=x", "a\nb"):
        with pytest.raises(DataError, match="GIT_REV_REFUSED") as caught:
            check_rev(rev)
        assert not isinstance(caught.value, UsageError)


@pytest.mark.parametrize("arguments", [
    ("--policy", "fep-9.99.99", "validate"),
    ("validate", "--against=--output=x"),
    ("validate", "--against="),
])
def test_validate_keeps_a_wrong_option_a_usage_error(tables_copy, cli, arguments):
    """validate collects the tables' problems; an unknown policy or a refused git revision is
    the command line's mistake (exit 2, one line), not a problem of the tables (exit 1)."""
    code, out, err = cli("--tables", tables_copy, *arguments)
    assert (code, out) == (2, "") and err.count("\n") == 1 and err.startswith("policy")


def test_a_batch_call_it_cannot_do_is_a_data_error_with_a_code(tmp_path, cli):
    """One mechanism for the caller's mistakes: like a revision that names nothing, a batch
    format that cannot be told and an output that is its own input are DataErrors with a
    documented code; the command line says them as usage errors (exit 2), in the same words."""
    from policy.batch import run_batch

    policy = load_policy()
    claims = tmp_path / "claims.txt"
    claims.write_text("case_id\n")
    csv = tmp_path / "claims.csv"
    csv.write_text("case_id,service_date\n")
    calls = [(dict(path=str(claims)), "UNKNOWN_FORMAT", "cannot tell the input format"),
             (dict(path=str(csv), input_format="xlsx"), "UNKNOWN_FORMAT", "unknown input format"),
             (dict(path="-"), "UNKNOWN_FORMAT", "standard input has no suffix"),
             (dict(path=str(csv), out=str(tmp_path / "r.xlsx")), "UNKNOWN_FORMAT",
              "cannot tell the output format"),
             (dict(path=str(csv), out=str(csv)), "OUTPUT_IS_INPUT", "would overwrite the input")]
    for call, code, words in calls:
        with pytest.raises(DataError) as caught:
            run_batch(policy=policy.compiled, **call)
        (problem,) = caught.value.problems
        assert problem.code == code and words in problem.message
        assert not isinstance(caught.value, UsageError) and "--" not in str(caught.value)
    status, out, err = cli("batch", str(claims))
    assert status == 2 and err == (f"policy: {claims}: cannot tell the input format from the "
                                   "suffix '.txt'; use .csv, .jsonl, .ndjson, .parquet, .pq\n")
    status, out, err = cli("batch", str(csv), "--out", str(csv))
    assert status == 2 and err == f"policy: {csv}: the output would overwrite the input\n"
    assert csv.read_text() == "case_id,service_date\n"


# `policy history --as-of DATE` (issue 23 item 4): refused as an unknown option before.
@pytest.mark.parametrize("day,expected", [
    ("2015-10-01", "2014-12"),  # the question: not 2015-12 (approved then, in force 2016)
    ("2012-01-01", "2011-12"), ("2015-12-31", "2014-12"), ("2016-01-01", "2015-12"),
    ("2023-09-30", "2022-09"), ("2023-10-01", "2023-09"), ("2099-12-31", "2023-09")])
def test_history_as_of_names_the_revision_in_force(cli, day, expected):
    code, out, _ = cli("history", "--as-of", day, "--json")
    assert code == 0
    entry = json.loads(out)
    assert entry["id"] == expected
    code, listed, _ = cli("history", "--json")  # its object, as `history --json` lists it
    assert entry == next(e for e in json.loads(listed) if e["id"] == expected)
    code, text, _ = cli("history", "--as-of", day)
    assert code == 0 and len(text.splitlines()) == 2 and text.splitlines()[1].startswith(expected)


def test_history_as_of_before_the_first_revision_is_null(cli):
    code, out, _ = cli("history", "--as-of", "2011-12-31", "--json")
    assert code == 0 and json.loads(out) is None
    code, out, _ = cli("history", "--as-of", "2011-12-31")
    assert code == 0 and "No revision of fep-8.01.08 is in force on 2011-12-31" in out
    assert "2012-01-01" in out


@pytest.mark.parametrize("day", ["2015-02-30", "20151001", "2015-10", "2015-W40-4", ""])
def test_history_as_of_takes_only_a_real_date(cli, day):
    code, out, err = cli("history", "--as-of", day, "--json")
    assert code == 2 and out == "" and err.startswith("policy: --as-of: ")
    assert len(err.splitlines()) == 1
