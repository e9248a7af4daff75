"""Published meaning is frozen (issue 23, item 3): a value added to an input (a made-up cancer site
`skin`) changes nothing a published revision decides unless the change says how earlier revisions
read it, and then `validate --against` and `diff --rev` report it as a change of published
revisions.

The frozen way: policy.yml gives the value `since: "2024-09"`, and only a new (made-up) revision
2024-09, written by `policy new-revision` from an INVENTED 2024 text (tests/invented_source.py),
lists it. The unfrozen way: the value is added to every published table.

Each test failed on the old code: `since` was an unknown key of policy.yml (UNKNOWN_KEY, exit 1),
every revision had to list every value of policy.yml (INPUT_DOMAIN), and a value added to published
tables made `diff --rev HEAD` and `validate --against HEAD` report no decision change.
"""

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from frozen_values import (
    PUBLISHED,
    SKIN_MESSAGE,
    add_skin_frozen,
    add_skin_to_policy_yml,
    add_skin_to_table,
    digests,
    policy,
    replace_once,
)
from git_repos import committed_tables
from policy import evaluate_arrow, load_policy
from policy.core.compiled import CompiledPolicy
from policy.core.decision_memo import DecisionMemo
from policy.core.errors import DataError
from policy.core.policy_files import policy_files
from policy.present.site.fields import fields_page
from policy.present.site.matrix import matrix_cells, matrix_page
from policy.present.site.try_page import try_data, try_page
from policy.validate import load_and_validate
from repo_paths import ROOT
from try_reference import expected


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository holding the shipped tables, committed (HEAD: the published revisions)."""
    return committed_tables(tmp_path / "repo")


def test_a_value_added_the_frozen_way_leaves_published_revisions_as_they_were(repo, tmp_path):
    """No published file changes; validate and validate --against HEAD pass (2024-09 a MINOR
    bump: no decision a published revision gives changes); skin as of 2014 is still an invalid
    case (exit 1, one line: the value, the revision in force, the one that introduces it), and as
    of the new revision it is decided; the diff 2023-09 -> 2024-09 shows invalid -> its
    determination; the shipped expectations still hold."""
    folder = repo / "tables" / "fep-8.01.08"
    published = digests(folder, [*PUBLISHED, "source.md"])
    add_skin_frozen(repo, tmp_path / "documents")
    assert digests(folder, [*PUBLISHED, "source.md"]) == published

    result = policy(repo, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 revisions valid (2011-12 .. 2024-09)" in result.stdout
    result = policy(repo, "validate", "--against", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr

    result = policy(repo, "evaluate", "--as-of", "2014-06-01", "cancer_site=skin")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [f"cancer_site=skin: UNKNOWN_VALUE: {SKIN_MESSAGE}"]
    result = policy(repo, "evaluate", "--as-of", "2024-11-01", "cancer_site=skin", "--json")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert (decision["determination"], decision["revision"]["id"], decision["rule"]) == (
        "investigational", "2024-09", "other-oncologic-sites")

    help_text = " ".join(policy(repo, "evaluate", "--help").stdout.split())  # (wrapped)
    assert ("skin: (the project's reading) Skin cancer (a value INVENTED for a test). (a value "
            "from revision 2024-09 on)") in help_text

    result = policy(repo, "diff", "2023-09", "2024-09", "--json")
    diff = json.loads(result.stdout)
    assert diff["complete_cases"] == 864  # 16 sites now: the union of both revisions' values
    assert diff["decision_changes"] == [{
        "from": "invalid", "to": "investigational", "from_rule": None,
        "to_rule": "other-oncologic-sites", "when": {"cancer_site": ["skin"]}, "cases": 54}]
    # the shipped expectations hold, but the one the analyst updates with a new revision: the
    # revision in force far in the future
    replace_once(folder / "expected" / "dates.yaml",
             '    as_of: "2099-12-31"\n    case: {cancer_site: colon}\n'
             '    determination: investigational\n    rule: other-oncologic-sites\n'
             '    revision: "2023-09"',
             '    as_of: "2099-12-31"\n    case: {cancer_site: colon}\n'
             '    determination: investigational\n    rule: other-oncologic-sites\n'
             '    revision: "2024-09"')
    result = policy(repo, "test")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_value_added_to_published_tables_is_a_change_of_published_revisions(repo):
    """skin added to policy.yml and to every published table (saying how each earlier revision
    reads it): each table is valid, but `diff --rev HEAD --json` shows invalid ->
    investigational for the skin cases of every revision, and `validate --against HEAD` fails
    with PUBLISHED_CHANGED for each (no MAJOR bump). On the old code both reported nothing."""
    folder = repo / "tables" / "fep-8.01.08"
    add_skin_to_policy_yml(folder, '      skin:\n        basis: reading\n'
                                    '        text: "Skin cancer (INVENTED for a test)."\n')
    for name in PUBLISHED:
        add_skin_to_table(folder / name)
    assert policy(repo, "validate").returncode == 0

    result = policy(repo, "diff", "--rev", "HEAD", "--json")
    assert result.returncode == 0, result.stderr
    diffs = json.loads(result.stdout)
    assert [d["to"]["id"] for d in diffs] == [n.removesuffix(".yaml") for n in PUBLISHED]
    for diff in diffs:
        assert [(c["from"], c["from_rule"], c["when"], c["cases"])
                for c in diff["decision_changes"]] == [
            ("invalid", None, {"cancer_site": ["skin"]}, 54)], diff["to"]["id"]

    result = policy(repo, "validate", "--against", "HEAD")
    assert result.returncode == 1
    changed = [line for line in result.stdout.splitlines() if ": PUBLISHED_CHANGED: " in line]
    assert [line.split(":")[0] for line in changed] == [
        f"tables/fep-8.01.08/{name}" for name in PUBLISHED]
    assert "changes the determination of 54 case(s) since HEAD" in changed[0]
    assert "Traceback" not in result.stderr


@pytest.fixture
def frozen(tmp_path) -> Path:
    """A policy repository (no git) with skin added the frozen way."""
    root = tmp_path / "root"
    shutil.copytree(ROOT / "tables", root / "tables")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    return add_skin_frozen(root, tmp_path / "documents")


def test_the_columnar_core_gives_the_per_case_error(frozen):
    """A row using skin under a revision that does not know it is a bad row whose error is the
    per-case API's ("CODE: message"); under 2024-09, and before the first revision, it is decided
    as the per-case API decides it. A row of the first revision's period (2012) is checked too
    (killed mutant of issue 26: the columnar check of unknown values from the second revision
    on)."""
    shipped = load_policy(frozen.parent)
    rows = [("skin", "2014-06-01"), ("skin", "2024-11-01"), ("skin", "2001-01-01"),
            ("rectal", "2014-06-01"), ("skin", "2024-09-30"), ("skin", "2012-06-01")]
    table = pa.table({"cancer_site": [s for s, _ in rows], "service_date": [d for _, d in rows],
                      "case_id": [str(i) for i in range(len(rows))]})
    results = evaluate_arrow(table, shipped).to_pylist()
    for (site, day), got in zip(rows, results, strict=True):
        try:
            decision = shipped.evaluate({"cancer_site": site}, day)
        except DataError as exc:
            assert got["error"] == "; ".join(f"{p.code}: {p.message}" for p in exc.problems)
            assert got["determination"] is None
        else:
            assert got["error"] is None and got["determination"] == decision.determination
    for _ in range(2):  # the per-case memo never keeps such a case as decided
        with pytest.raises(DataError, match="the value is new in revision 2024-09") as caught:
            shipped.evaluate({"cancer_site": "skin"}, "2014-06-01")
        # a case given as a mapping has no file: no position (killed mutant: line -1)
        assert caught.value.problems[0][:4] == ("case", 0, 0, "UNKNOWN_VALUE")
    # adding skin the frozen way changes no decision of a case without it (killed mutant: the
    # compiler's `not_known and any(...)` as `or`, every case of an old revision not known)
    published = load_policy(ROOT / "tables")
    for case in ({"cancer_site": "rectal"}, {"cancer_site": "colon", "margin_status": "positive",
                                             "t_stage": "T4", "recurrent": False}, {}):
        for day in ("2014-06-01", "2020-01-01", "2024-09-30"):
            assert shipped.evaluate(case, day).to_json() == published.evaluate(case, day).to_json()
    # a case its revision in force knows is answered by the per-case API's memo there too
    # (killed mutants: the memo's check of unknown values turned around, or `and` as `or`)
    memo = DecisionMemo(shipped.compiled)
    for _ in range(2):
        assert memo.decide({"cancer_site": "rectal"}, "2014-06-01") == shipped.evaluate(
            {"cancer_site": "rectal"}, "2014-06-01")
    # the compiled cache keeps which values each revision knows
    cached = CompiledPolicy.from_json(shipped.compiled.to_json())
    assert [r.unknown for r in cached.revisions] == [(("cancer_site", ("skin",)),)] * 12 + [()]
    late = SKIN_MESSAGE.replace("2013-12", "2023-09")  # the day before 2024-09 is in force
    first = SKIN_MESSAGE.replace("2013-12", "2011-12")
    assert [r["error"] for r in results] == [f"UNKNOWN_VALUE: {SKIN_MESSAGE}", None, None, None,
                                             f"UNKNOWN_VALUE: {late}", f"UNKNOWN_VALUE: {first}"]


def test_a_published_revision_never_lists_a_value_introduced_after_it(frozen):
    """INPUT_DOMAIN names the value and the revision that introduces it."""
    add_skin_to_table(frozen / "2015-12.yaml")
    with pytest.raises(DataError) as raised:
        load_policy(frozen.parent)
    [problem] = [p for p in raised.value.problems if p.code == "INPUT_DOMAIN"]
    assert problem.file.endswith("2015-12.yaml")
    assert "'skin' is not known before revision '2024-09' (its since in " in problem.message
    assert problem.message.endswith("fep-8.01.08/policy.yml), so 2015-12 may not list it")


def test_the_try_page_and_the_matrix_say_a_revision_does_not_know_the_value(frozen):
    """The Try page's data names skin as a value 2013-12 does not know (with the engine's
    message), and its reference agrees: a problem of cancer_site as of 2014, a decision as of
    2024-11; the matrix's skin row says so under each revision before 2024-09, and the Case
    fields page says from which revision on the value is known."""
    shipped = load_policy(frozen.parent)
    data = try_data(shipped.compiled)
    by_id = {r["id"]: r for r in data["revisions"]}
    assert by_id["2013-12"]["not_known"] == [["cancer_site", "skin", SKIN_MESSAGE]]
    assert by_id["2024-09"]["not_known"] == []
    assert expected("as_of=2014-06-01&cancer_site=skin", shipped).problems == "cancer_site"
    assert expected("as_of=2024-11-01&cancer_site=skin", shipped).decision["rule"] == (
        "other-oncologic-sites")

    definition = load_and_validate(policy_files(frozen.parent)).definition
    [(_, _, cells)] = [row for row in matrix_cells(shipped.compiled, definition)
                       if row[1] == {"cancer_site": "skin"}]
    assert [cell is None for cell in cells] == [True] * 12 + [False]
    page = matrix_page(shipped.compiled, [], definition)
    assert "not a value of this revision" in page
    assert "A value from revision 2024-09 on" in fields_page(shipped.compiled, definition)
    page = try_page(shipped.compiled, lambda rev: f"{rev}.md", definition=definition)
    assert "A value from revision 2024-09 on" in page and SKIN_MESSAGE in page  # (its data)
