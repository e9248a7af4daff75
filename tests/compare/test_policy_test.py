"""`policy test` (issue 23 item 1): a policy's expected outcomes (tables/<policy>/expected/*.yaml)
against what its tables decide. Before it there was no such command (`policy test` was a usage
error): every test here failed on the old code."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from git_repos import GIT

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = Path(__file__).parent.parent / "fixtures" / "example-policy"
EXPECTED = Path("tables", "fep-8.01.08", "expected")
FAILURE = re.compile(r"^(?P<file>[^:]+):(?P<line>[0-9]+): expected (?P<expected>.+), "
                     r"got (?P<got>.+) \(rule (?P<rule>\S+), revision (?P<revision>\S+)\)$")

# A valid edit of 2014-12 that changes its meaning: rectal cancer with positive or close margins
# and a T3 lesion moves from "outside the criterion" (and the recurrence branch) to the T4 branch.
T3_AS_T4 = [("t_stage: [T4, T4a, T4b]", "t_stage: [T3, T4, T4a, T4b]", 1),
            ("t_stage: [TX, T0, Tis, T1, T2, T3]", "t_stage: [TX, T0, Tis, T1, T2]", 2)]


def _edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace `old` (which must be there) and return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    line = text[:text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


@pytest.fixture
def repo(tables_copy, monkeypatch) -> Path:
    monkeypatch.chdir(tables_copy.parent)
    return tables_copy.parent


def test_the_shipped_expectations_hold(repo, cli):
    code, out, err = cli("test")
    assert (code, err) == (0, ""), out
    count = sum(path.read_text().count("\n  - name:") for path in (repo / EXPECTED).glob("*.yaml"))
    assert count > 200
    assert out.strip() == (f"fep-8.01.08: {count} expected outcomes hold under the tables "
                           f"(4 file(s) in {EXPECTED.as_posix()})")


def test_the_shipped_expectations_pin_every_rule_of_every_revision_and_both_sides_of_each_date():
    """What the shipped files cover, read from them: each rule of each revision; each revision's
    first day and the day before it; omitted facts."""
    from policy import load_policy
    from policy.load.yaml_loader import load_yaml

    items = [item for path in sorted((ROOT / EXPECTED).glob("*.yaml"))
             for item in load_yaml(path.read_bytes(), path.name).data["expectations"]]
    compiled = load_policy().compiled
    pinned = {(item.get("revision"), item.get("rule")) for item in items}
    assert {(r.id, rule) for r in compiled.revisions for rule in r.rules} <= pinned
    days = {item.get("as_of") for item in items}
    from datetime import date, timedelta

    for revision in compiled.revisions:
        first = date.fromisoformat(revision.effective_from)
        assert {str(first), str(first - timedelta(days=1))} <= days, revision.id
    assert any(item["determination"] == "indeterminate" and item.get("needs") for item in items)
    assert any(item["determination"] == "no_policy_in_force" for item in items)


def test_a_wrong_expectation_fails_at_its_line(repo, cli):
    path = repo / EXPECTED / "rules.yaml"
    line = _edit(path, "    determination: not_addressed", "    determination: investigational")
    code, out, err = cli("test")
    assert code == 1
    assert out.splitlines() == [
        f"{EXPECTED.as_posix()}/rules.yaml:{line}: expected investigational, got not_addressed "
        "(rule non-oncologic, revision 2011-12)"]
    assert err.strip() == ("policy test: 1 of 224 expected outcome(s) of fep-8.01.08 do not hold "
                           "under the tables")


@pytest.mark.parametrize("old,new,expected", [
    ("    rule: rectal-margins-t4", "    rule: rectal-margins-recurrent",
     "expected rule rectal-margins-recurrent, got rule rectal-margins-t4 "
     "(rule rectal-margins-t4, revision 2011-12)"),
    ('    revision: "2011-12"', '    revision: "2012-12"',
     "expected revision 2012-12, got revision 2011-12 (rule rectal-margins-t4, revision 2011-12)"),
])
def test_a_wrong_rule_or_revision_fails_at_its_line(repo, cli, old, new, expected):
    line = _edit(repo / EXPECTED / "rules.yaml", old, new)
    code, out, _ = cli("test")
    assert code == 1
    assert out.splitlines() == [f"{EXPECTED.as_posix()}/rules.yaml:{line}: {expected}"]


def test_wrong_needs_fail_at_their_line(repo, cli):
    path = repo / EXPECTED / "unknown-facts.yaml"
    line = _edit(path, "    needs: [margin_status, recurrent, t_stage]",
                 "    needs: [margin_status]")
    code, out, _ = cli("test")
    assert code == 1
    assert out.splitlines() == [
        f"{EXPECTED.as_posix()}/unknown-facts.yaml:{line}: expected needs margin_status, got needs "
        "margin_status, recurrent, t_stage (rule none, revision 2011-12)"]


def test_a_table_edit_makes_the_shipped_expectations_fail(repo, cli):
    table = repo / "tables" / "fep-8.01.08" / "2014-12.yaml"
    for old, new, count in T3_AS_T4:
        _edit(table, old, new, count)
    code, out, _ = cli("validate", "--tables", "tables")  # each table is valid: only the chain
    assert {row.split(": ")[1] for row in out.splitlines()} == {"SEMVER_BUMP"}
    code, out, err = cli("test")
    assert code == 1
    failures = [FAILURE.match(row) for row in out.splitlines()]
    assert all(failures) and len(failures) >= 3, out
    assert {m["revision"] for m in failures} == {"2014-12"}
    assert {m["rule"] for m in failures} == {"rectal-margins-t4"}
    # one in each file that pins rectal cancer in 2014-12, each at the line of its determination
    assert {Path(m["file"]).name for m in failures} >= {"rules.yaml", "rectal-criterion.yaml",
                                                       "unknown-facts.yaml"}
    for m in failures:
        text = (repo / m["file"]).read_text().splitlines()
        assert text[int(m["line"]) - 1].strip().startswith(("determination:", "rule:")), m[0]


def test_a_broken_expectation_file_is_reported_like_validate(repo, cli):
    line = _edit(repo / EXPECTED / "dates.yaml", "    determination: no_policy_in_force",
                 "    determination: no_policy")
    code, out, err = cli("test")
    assert code == 1
    assert out.startswith(f"{EXPECTED.as_posix()}/dates.yaml:{line}:20: "
                          "EXPECTATION_UNKNOWN_DETERMINATION: 'no_policy' is not a determination")
    assert "Traceback" not in err


def test_a_policy_without_expectations_passes_and_says_so(repo, cli):
    shutil.rmtree(repo / EXPECTED)
    code, out, err = cli("test")
    assert code == 0 and out == ""
    assert err.strip() == ("policy test: fep-8.01.08 has no expected outcomes "
                           f"({EXPECTED.as_posix()}/*.yaml)")


def test_tables_option_and_the_example_policy(tmp_path, cli, monkeypatch):
    shutil.copytree(EXAMPLE / "tables", tmp_path / "tables")
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("test", "--tables", "tables")
    assert code == 0 and out.startswith("demo-1.00.00: 15 expected outcomes hold")
    table = tmp_path / "tables" / "demo-1.00.00" / "2021-01.yaml"
    _edit(table, "      then: referred\n      statement: electronic-referred",
          "      then: declined\n      statement: declined")
    code, out, _ = cli("test", "--tables", "tables")
    assert code == 1
    rows = out.splitlines()
    assert rows and all(FAILURE.match(row) for row in rows)
    assert any(": expected referred, got declined (rule electronic-at-night, revision 2021-01)"
               in row for row in rows), rows


def _git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, timeout=60)


def test_rev_decides_with_the_tables_at_a_git_revision(repo, cli):
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "tables")
    table = repo / "tables" / "fep-8.01.08" / "2014-12.yaml"
    for old, new, count in T3_AS_T4:
        _edit(table, old, new, count)
    code, _, _ = cli("test")
    assert code == 1  # the working tree's tables break the expectations
    code, out, err = cli("test", "--rev", "HEAD")
    assert (code, err) == (0, "")
    assert out.startswith("fep-8.01.08: 224 expected outcomes hold under the tables at HEAD")
    # the expectations are the working tree's: one written for the edit fails at HEAD
    line = _edit(repo / EXPECTED / "dates.yaml",
                 "    case: {cancer_site: colon}\n    determination: not_medically_necessary",
                 "    case: {cancer_site: colon}\n    determination: not_addressed") + 1
    code, out, _ = cli("test", "--rev", "HEAD")
    assert code == 1 and out.startswith(f"{EXPECTED.as_posix()}/dates.yaml:{line}: expected "
                                        "not_addressed, got not_medically_necessary")
    code, _, err = cli("test", "--rev", "no-such-branch")
    assert code == 4 and "unknown git revision 'no-such-branch'" in err
    code, _, err = cli("test", "--rev", "--help")
    assert code == 2


def test_after_a_new_revision_the_expectations_name_the_one_edge_it_moves(repo, tmp_path, cli):
    """policy new-revision (an invented 2024-09 revision) changes no published decision: of the
    shipped expectations only the one pinning the last revision in force no longer holds."""
    from invented_source import write_invented

    code, _, err = cli("new-revision", "--source", write_invented(tmp_path))
    assert code == 0, err
    code, out, _ = cli("test")
    assert code == 1
    [row] = out.splitlines()
    found = FAILURE.match(row)
    assert found and Path(found["file"]).name == "dates.yaml"
    assert (found["expected"], found["got"]) == ("revision 2023-09", "revision 2024-09")
    line = (repo / found["file"]).read_text().splitlines()[int(found["line"]) - 1]
    assert line.strip() == 'revision: "2023-09"'


CODED = """about: Claims as they come, codes read by the policy's crosswalk.
expectations:
  - name: "a rectal cancer named by its ICD-10-CM code, with an IORT procedure code"
    as_of: "2020-01-01"
    case: {diagnosis: C20, procedure: "77424", margin_status: positive, t_stage: T4}
    determination: medically_necessary
    rule: rectal-margins-t4
    revision: "2019-09"
    needs: []
"""


@pytest.mark.parametrize("command", ["test", "validate"])
def test_coded_expectations_are_decided_by_the_crosswalk(cli, tables_copy, command):
    """`policy test` compiled the tables without the crosswalk, so a coded expectation was
    decided as if its codes named nothing (failed before: indeterminate); `policy validate`,
    which checks the same files, is held to it too."""
    (tables_copy / "fep-8.01.08" / "expected" / "coded.yaml").write_text(CODED, encoding="utf-8")
    code, out, err = cli("--tables", tables_copy, command)
    assert code == 0, out + err
