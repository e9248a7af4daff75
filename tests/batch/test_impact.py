"""`policy impact` (issue 23, item 5): a claim file under the tables at a git revision and under
the working tree, claim by claim. Every figure it reports is checked against two `policy batch`
runs of the same file, one under each side's tables, on planted edits."""

import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from policy.cache import compiled_policy
from policy.core.policy_files import policy_files
from repo_paths import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import workload  # noqa: E402  (benchmarks/ is not a package)
from impact import bump_to_major, git, move_t3_into_the_t4_branch  # noqa: E402  (benchmarks/)

POLICY = "fep-8.01.08"


@pytest.fixture
def repo(tables_copy) -> Path:
    """A policy repository with one commit, and a claim file (with some invalid claims)."""
    root = tables_copy.parent
    compiled = compiled_policy(policy_files(tables_copy, POLICY))
    data = workload.generate(3000, compiled.columns, seed=23)
    for i in range(0, 3000, 97):  # a value no revision accepts: invalid on both sides
        data["t_stage"][i] = "T9"
    workload.write_csv(data, root / "claims.csv")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "published")
    shutil.copytree(tables_copy, root / "published")  # HEAD's tables, for the batch runs
    return root


def batch_results(cli, tables: Path, claims: Path, out: Path) -> list[dict]:
    code, _, err = cli("batch", claims, "--tables", tables, "--out", out)
    assert code in (0, 3), err
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def expected_changes(before: list[dict], after: list[dict]) -> tuple[Counter, dict]:
    """(claims per (from, to, revision from, revision to), the changed claims' names in order)
    from two batch runs: an invalid claim (a result with `error`) has no determination."""
    counts: Counter = Counter()
    names: dict[tuple, list[str]] = {}
    for old, new in zip(before, after, strict=True):
        assert old["line"] == new["line"]
        was, becomes = old.get("determination"), new.get("determination")
        if was == becomes:
            continue
        key = (was, becomes, *((r or {}).get("id") for r in (old.get("revision"),
                                                            new.get("revision"))))
        counts[key] += 1
        names.setdefault(key, []).append(old.get("case_id") or f"line {old['line']}")
    return counts, names


LATER = ["2018-03", "2018-09", "2019-09", "2020-09", "2021-09", "2022-09", "2023-09"]


# Complete edits (each passes `policy validate`, so `policy batch` runs on them): the newest
# revision alone, bumped to a MAJOR version; and every revision from 2018-03 on alike (2018-03 is
# a MAJOR bump already, and the ones after it still differ from it in nothing decided).
@pytest.mark.parametrize("edited,major", [(["2023-09"], "4.0.0"), (LATER, None)])
def test_impact_agrees_claim_by_claim_with_two_batch_runs(repo, cli, monkeypatch, edited, major):
    tables = repo / "tables"
    for revision in edited:
        move_t3_into_the_t4_branch(tables / POLICY / f"{revision}.yaml")
    if major:
        bump_to_major(tables / POLICY / f"{edited[-1]}.yaml", major)
    code, out, err = cli("validate", "--tables", tables)
    assert code == 0, out + err
    monkeypatch.chdir(repo)
    claims = repo / "claims.csv"
    before = batch_results(cli, repo / "published", claims, repo / "before.jsonl")
    after = batch_results(cli, tables, claims, repo / "after.jsonl")
    counts, names = expected_changes(before, after)
    assert counts, "the planted edit changes some claims"

    code, out, err = cli("impact", "--claims", claims, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["claims"] == len(before) == 3000
    assert report["changed"] == sum(counts.values())
    got = {(c["from"], c["to"], c["revision_from"], c["revision_to"]): c for c in report["changes"]}
    assert {key: c["count"] for key, c in got.items()} == dict(counts)
    for key, change in got.items():
        assert change["examples"] == names[key][:3]  # the first claims of each change, in order
    assert [c["count"] for c in report["changes"]] == sorted(
        (c["count"] for c in report["changes"]), reverse=True)


def test_an_unedited_working_tree_changes_nothing(repo, cli, monkeypatch):
    monkeypatch.chdir(repo)
    code, out, err = cli("impact", "--claims", repo / "claims.csv")
    assert code == 0, err
    assert out.startswith("0 of 3,000 claims are decided differently under the working tree "
                          "than under HEAD\n")


def test_markdown_names_each_change_for_a_pull_request(repo, cli, monkeypatch):
    move_t3_into_the_t4_branch(repo / "tables" / POLICY / "2023-09.yaml")
    monkeypatch.chdir(repo)
    code, out, err = cli("impact", "--claims", repo / "claims.csv", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("### Impact on ")
    assert "| investigational | medically_necessary |" in out
    assert "| from | to | claims | revision (from → to) | for example |" in out


def test_an_unknown_revision_is_an_io_error(repo, cli, monkeypatch):
    monkeypatch.chdir(repo)
    code, _, err = cli("impact", "--claims", repo / "claims.csv", "--against", "no-such-rev")
    assert code == 4, err
    assert len(err.splitlines()) == 1 and "no-such-rev" in err


def test_a_missing_claim_file_is_one_line(repo, cli, monkeypatch):
    monkeypatch.chdir(repo)
    code, _, err = cli("impact", "--claims", repo / "absent.csv")
    assert code == 4, err
    assert len(err.splitlines()) == 1 and "absent.csv" in err


def test_a_claim_file_with_its_own_columns_is_read_with_map_and_keep(repo, cli, monkeypatch):
    """The claims issue's --map and --keep, as `policy batch` takes them: the same figures as the
    file with the policy's own column names; an unread column is an error naming both options."""
    move_t3_into_the_t4_branch(repo / "tables" / POLICY / "2023-09.yaml")
    monkeypatch.chdir(repo)
    lines = (repo / "claims.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].replace("cancer_site", "site")
    own = repo / "own.csv"
    own.write_text("\n".join([header + ",member_id",
                              *(f"{line},M{i}" for i, line in enumerate(lines[1:]))]) + "\n",
                   encoding="utf-8")
    code, plain, err = cli("impact", "--claims", repo / "claims.csv", "--json")
    assert code == 0, err
    code, mapped, err = cli("impact", "--claims", own, "--map", "cancer_site=site",
                            "--keep", "member_id", "--json")
    assert code == 0, err
    assert {k: v for k, v in json.loads(mapped).items() if k != "claims_file"} == \
        {k: v for k, v in json.loads(plain).items() if k != "claims_file"}
    code, _, err = cli("impact", "--claims", own, "--map", "cancer_site=site")
    assert code == 1 and "member_id" in err and "--keep COLUMN" in err, err


def test_a_bad_as_of_date_is_a_usage_error_as_in_batch(repo, cli, monkeypatch):
    """Failed before: `impact --as-of 2016-02-30` exited 1 (the library's DATE_INVALID), where
    `batch` and `evaluate` say it is a usage error of --as-of (exit 2)."""
    monkeypatch.chdir(repo)
    code, _, err = cli("impact", "--claims", repo / "claims.csv", "--as-of", "2016-02-30")
    batch_code, _, batch_err = cli("batch", repo / "claims.csv", "--as-of", "2016-02-30")
    assert (code, err) == (batch_code, batch_err) == (2, err)
    assert err.startswith("policy: --as-of: '2016-02-30' is not a real calendar date")


def test_an_unbumped_edit_reads_coded_claims_by_the_crosswalk(repo, cli, monkeypatch):
    """An edit not yet bumped (the working tree fails validate's chain check) is compiled apart
    from the cache; that compilation left the crosswalk out, so every coded claim of the working
    tree was decided as if its codes named nothing (failed before: the unedited coded claim
    changed from medically_necessary to indeterminate)."""
    (repo / "coded.csv").write_text(
        "case_id,service_date,diagnosis,procedure,margin_status,t_stage\n"
        "K-1,2020-01-01,C20,77424,positive,T4\n", encoding="utf-8")
    move_t3_into_the_t4_branch(repo / "tables" / POLICY / "2023-09.yaml")  # not bumped
    monkeypatch.chdir(repo)
    code, out, err = cli("impact", "--claims", repo / "coded.csv", "--json")
    assert code == 0, err
    assert json.loads(out)["changed"] == 0
