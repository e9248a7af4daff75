"""`policy new-revision --source FILE` (issue 23, item 2): the next revision from a new source
document, end to end in a fresh copy of the tables. The 2024 text used here is INVENTED (see
tests/invented_source.py): the 2023 text with one made-up Policy History row. Each test failed
before the command existed (exit 2: an unknown command)."""

import hashlib
import itertools
import json
from pathlib import Path

import pytest
import semver

from invented_source import INVENTED_DESCRIPTION, write_invented
from policy.compare.new_revision import read_bump
from policy.compiler import compile_policy
from policy.core.policy_files import policy_files
from policy.present.site import build_site
from policy.validate import load_and_validate
from repo_paths import POLICY_DIR
from shipped import shipped_validated
from sitebuild import mkdocs_build


def _digests(folder: Path) -> dict[str, str]:
    # every file of the policy's folder, its expected outcomes (expected/*.yaml) included
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _kind(old: str, new: str) -> str:
    before, after = semver.Version.parse(old), semver.Version.parse(new)
    return ("MAJOR" if after.major > before.major else
            "MINOR" if after.minor > before.minor else "PATCH")


def test_the_reading_of_a_row_gives_every_published_revision_its_bump():
    """The project's reading of the Policy History words, applied to each published row, gives
    the bump that revision has (2012-12 and 2018-03 MAJOR, the others MINOR)."""
    revisions = shipped_validated().revisions
    read = {rev.id: read_bump(rev.history["description"]).kind for rev in revisions[1:]}
    actual = {rev.id: _kind(prev.version, rev.version)
              for prev, rev in itertools.pairwise(revisions)}
    assert read == actual
    assert {k for k, v in read.items() if v == "MAJOR"} == {"2012-12", "2018-03"}
    assert read_bump("Coding update.") == ("MINOR", "")  # said nothing: MINOR, flagged a guess
    assert read_bump("Editorial changes only.").kind == "PATCH"


def test_an_invented_2024_09_revision_end_to_end(tables_copy, tmp_path, cli, monkeypatch):
    """new-revision, then validate, diff, history, evaluate, changelog, the site's pages and the
    site built by mkdocs all show 2024-09; no published file changes."""
    monkeypatch.chdir(tmp_path)
    folder = tables_copy / "fep-8.01.08"
    published = _digests(folder)
    document = write_invented(tmp_path)
    code, out, err = cli("new-revision", "--source", document)
    assert code == 0, err
    assert "wrote tables/fep-8.01.08/2024-09.yaml: revision 2024-09, version 3.7.0" in out
    assert "the new revision is valid" in out and "Review before committing:" in out
    after = _digests(folder)
    assert {name: after[name] for name in published} == published  # nothing published changed
    assert set(after) - set(published) == {"2024-09.yaml", "source-2024-09.md"}
    assert (folder / "source-2024-09.md").read_bytes() == document.read_bytes()
    table = (folder / "2024-09.yaml").read_text(encoding="utf-8")
    assert "  source: source-2024-09.md" in table
    assert json.dumps(INVENTED_DESCRIPTION) in table  # the row, verbatim

    code, out, err = cli("validate")
    assert (code, out.strip()) == (0, "fep-8.01.08: 13 revisions valid (2011-12 .. 2024-09)"), err
    code, out, _ = cli("diff", "2023-09", "2024-09", "--json")
    diff = json.loads(out)
    assert code == 0 and diff["to"]["id"] == "2024-09" and diff["decision_changes"] == []
    code, out, _ = cli("history", "--json")
    last = json.loads(out)[-1]
    assert (last["id"], last["version"], last["effective_from"], last["effective_from_basis"]) == (
        "2024-09", "3.7.0", "2024-10-01", "stated")
    assert last["literature_review_through"] == "2024-05-31"
    assert last["source"] == "source-2024-09.md"
    assert {entry["source"] for entry in json.loads(out)[:-1]} == {"source.md"}
    code, out, _ = cli("evaluate", "--as-of", "2024-10-01", "cancer_site=gastric", "--json")
    assert json.loads(out)["revision"]["id"] == "2024-09"
    code, out, _ = cli("evaluate", "--as-of", "2024-09-30", "cancer_site=gastric", "--json")
    assert json.loads(out)["revision"]["id"] == "2023-09"
    code, out, _ = cli("changelog")
    assert (code, out.strip()) == (0, "wrote CHANGELOG.md (13 revisions)")
    assert "2024-09" in (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")

    validated = load_and_validate(policy_files(str(tables_copy)))
    site = build_site(validated, compile_policy(validated.revisions, validated.definition))
    assert {"revisions/2024-09.md", "changes/2023-09-to-2024-09.md"} <= set(site.pages)
    assert "2024-09" in site.pages["timeline.md"]
    assert "revisions/2024-09.md" in json.dumps(site.nav)
    built = tmp_path / "site"
    result = mkdocs_build(built, tables=tables_copy)  # the site as `mkdocs build --strict` makes it
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2024-09" in (built / "revisions" / "2024-09" / "index.html").read_text(encoding="utf-8")
    assert (built / "changes" / "2023-09-to-2024-09" / "index.html").is_file()

    code, _, err = cli("new-revision", "--source", document)  # made once
    assert code == 1 and err.count("\n") == 1 and ": NO_NEWER_HISTORY: " in err
    assert _digests(folder) == after


def test_a_date_the_document_does_not_state_for_its_row_is_inferred(tables_copy, tmp_path, cli,
                                                                     monkeypatch):
    """The 2023 effective date left in the invented text is not the 2024 row's: the rule
    applies (the first day of the month after approval), marked inferred, and it validates."""
    monkeypatch.chdir(tmp_path)
    document = write_invented(tmp_path, stated=None)
    code, out, err = cli("new-revision", "--source", document)
    assert code == 0 and "effective 2024-10-01 (inferred)" in out, err
    assert "not after this row's approval month" in out and "the new revision is valid" in out
    table = (tables_copy / "fep-8.01.08" / "2024-09.yaml").read_text(encoding="utf-8")
    assert "effective_from_basis: inferred" in table
    assert "(approved September 2023, effective October 1, 2023)" in table  # the project's rule
    document = write_invented(tmp_path, "none-stated.md", stated="")
    (tables_copy / "fep-8.01.08" / "2024-09.yaml").unlink()
    (tables_copy / "fep-8.01.08" / "source-2024-09.md").unlink()
    code, out, err = cli("new-revision", "--source", document)
    assert code == 0 and "The source gives only the approval month (September 2024" in out, err


def test_a_row_that_changes_a_statement_is_major_and_asks_for_the_table(tables_copy, tmp_path,
                                                                          cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    document = write_invented(tmp_path, description="Policy updated with literature review. "
                              "Policy statements unchanged except statement regarding breast "
                              "cancer changed to medically necessary.")
    code, out, err = cli("new-revision", "--source", document)
    assert code == 0, err
    assert "version 4.0.0 (MAJOR after 3.6.0)" in out and "'unchanged except'" in out
    assert "edit them (validate reports SEMVER_BUMP" in out
    assert ": SEMVER_BUMP: " in out  # what validate says until the table says what changed
    assert cli("validate")[0] == 1


@pytest.mark.parametrize("case", ["no newer row", "no rows", "copy exists", "not utf-8"])
def test_a_document_that_cannot_make_a_revision_is_one_line_and_writes_nothing(
        case, tables_copy, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tables_copy / "fep-8.01.08"
    document = write_invented(tmp_path)
    expected = {"no newer row": "NO_NEWER_HISTORY", "no rows": "NO_NEWER_HISTORY",
                "copy exists": "REVISION_EXISTS", "not utf-8": "ENCODING"}[case]
    if case == "no newer row":
        document.write_bytes((POLICY_DIR / "source.md").read_bytes())
    elif case == "no rows":
        document.write_text("# A text without a Policy History\n", encoding="utf-8")
    elif case == "copy exists":
        (folder / "source-2024-09.md").write_text("another document\n", encoding="utf-8")
    else:
        document.write_bytes(b"\xff" + document.read_bytes())
    before = _digests(folder)
    code, out, err = cli("new-revision", "--source", document)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and f": {expected}: " in err and "Traceback" not in err
    assert _digests(folder) == before


def test_the_document_already_in_the_folder_is_cited_not_copied(tables_copy, cli, monkeypatch):
    monkeypatch.chdir(tables_copy.parent)
    document = write_invented(tables_copy / "fep-8.01.08", "source-2024-09.md")
    code, out, err = cli("new-revision", "--source", document)
    assert code == 0 and "copied" not in out and "the new revision is valid" in out, err


def test_a_missing_document_is_an_io_error(tables_copy, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("new-revision", "--source", tmp_path / "absent.md")
    assert (code, out) == (4, "") and err.count("\n") == 1 and "absent.md" in err


def test_the_installed_tables_are_refused(tables_copy, tmp_path, cli, monkeypatch):
    """The tables installed with the package are never written to (here a copy stands for them,
    so that nothing of the repository is at risk)."""
    import policy.cli.new_revision as command

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(command, "installed_data_folder", lambda: str(tables_copy.parent))
    before = _digests(tables_copy / "fep-8.01.08")
    code, _, err = cli("new-revision", "--tables", tables_copy, "--source",
                       write_invented(tmp_path))
    assert code == 2 and "installed with the package" in err
    assert _digests(tables_copy / "fep-8.01.08") == before


def test_without_a_source_it_is_a_usage_error(tables_copy, cli):
    code, out, err = cli("new-revision", "--tables", tables_copy)
    assert (code, out) == (2, "") and err.count("\n") == 1 and "--source FILE" in err


def test_validate_against_git_sees_no_published_revision_changed(tables_copy, tmp_path, cli,
                                                                  monkeypatch):
    """In a policy repository: the new revision (and its source) pass `validate --against` the
    commit before it, uncommitted and committed (the source is read at the git revision too)."""
    import subprocess

    git = ["git", "-c", "user.name=Policy Test", "-c", "user.email=test@example.invalid",
           "-c", "commit.gpgsign=false"]
    repo = tables_copy.parent
    monkeypatch.chdir(repo)
    subprocess.run([*git, "init", "-q", "."], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "tables"], check=True)
    document = write_invented(tmp_path)  # (beside tables/: committed with them, harmlessly)
    assert cli("new-revision", "--source", document)[0] == 0
    code, out, err = cli("validate", "--against", "HEAD")
    assert code == 0, out + err
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "2024-09"], check=True)
    code, out, err = cli("validate", "--against", "HEAD~1")
    assert code == 0 and "13 revisions valid" in out, out + err
    code, out, err = cli("validate", "--against", "HEAD")
    assert code == 0, out + err


def test_a_second_new_source_builds_on_the_first(tables_copy, tmp_path, cli, monkeypatch):
    """2024-09 from the invented 2024 text, then 2025-09 from an invented 2025 text (the 2024 one
    and one more made-up row, no stated date for it): each cites its own source."""
    monkeypatch.chdir(tmp_path)
    first = write_invented(tmp_path)
    assert cli("new-revision", "--source", first)[0] == 0
    text = first.read_text(encoding="utf-8")
    row_2024 = "September 2024\tReplace policy\t" + INVENTED_DESCRIPTION + "\n"
    second = tmp_path / "fep-8.01.08-2025-INVENTED.md"
    second.write_text(text.replace(row_2024, row_2024 + "September 2025\tReplace policy\tPolicy "
                                   "updated with literature review through June 2, 2025; "
                                   "references added. Policy statements unchanged.\n"),
                      encoding="utf-8")
    code, out, err = cli("new-revision", "--source", second)
    assert code == 0 and "version 3.8.0 (MINOR after 3.7.0), effective 2025-10-01 (inferred)" in out
    assert "since source-2024-09.md (the source of 2024-09)" in out
    assert "the new revision is valid" in out, out + err
    code, out, _ = cli("history", "--json")
    assert [(e["id"], e["source"]) for e in json.loads(out)[-3:]] == [
        ("2023-09", "source.md"), ("2024-09", "source-2024-09.md"),
        ("2025-09", "source-2025-09.md")]
