"""`policy diff --rev` and `policy validate --against` on a real temporary git repository."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from git_repos import GIT, committed_tables

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def repo(tmp_path):
    return committed_tables(tmp_path)


def policy(repo: Path, *args: str):
    return subprocess.run([sys.executable, "-m", "policy", *args], cwd=repo, capture_output=True,
                          text=True, timeout=120)


def _edit(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / "tables" / "fep-8.01.08" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# The non-oncologic rule made investigational: it must then cite the statement that decides it.
NOT_ADDRESSED = "then: not_addressed\n      statement: none\n"
MADE_INVESTIGATIONAL = "then: investigational\n      statement: other-oncologic\n"


def _decide_non_oncologic_as_investigational(repo: Path) -> None:
    path = repo / "tables" / "fep-8.01.08" / "2023-09.yaml"
    text = path.read_text()
    assert NOT_ADDRESSED in text
    text = text.replace(NOT_ADDRESSED, MADE_INVESTIGATIONAL, 1)
    path.write_text("".join(line for line in text.splitlines(keepends=True)
                            if not line.lstrip().startswith("no_statement_reason:")))


def test_an_edited_rule_shows_in_diff_and_fails_against_until_a_major_bump(repo):
    _decide_non_oncologic_as_investigational(repo)
    result = policy(repo, "diff", "--rev", "HEAD", "--json")
    assert result.returncode == 0, result.stderr
    [diff] = json.loads(result.stdout)
    assert diff["from"]["id"] == diff["to"]["id"] == "2023-09"
    assert diff["decision_changes"] == [{"from": "not_addressed", "to": "investigational",
                                         "from_rule": "non-oncologic",
                                         "to_rule": "non-oncologic",
                                         "when": {"cancer_site": ["none"]}, "cases": 54}]
    assert any(t["path"] == "table.rules[id=non-oncologic].then" for t in diff["text_changes"])

    result = policy(repo, "validate", "--against", "HEAD")
    assert result.returncode == 1
    assert "PUBLISHED_CHANGED" in result.stdout and "SEMVER_BUMP" in result.stdout
    assert "tables/fep-8.01.08/2023-09.yaml:" in result.stdout
    assert "Traceback" not in result.stderr

    _edit(repo, "2023-09.yaml", "  version: 3.6.0", "  version: 3.7.0")  # MINOR: not enough
    result = policy(repo, "validate", "--against", "HEAD")
    assert result.returncode == 1 and "PUBLISHED_CHANGED" in result.stdout

    _edit(repo, "2023-09.yaml", "  version: 3.7.0", "  version: 4.0.0")
    result = policy(repo, "validate", "--against", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 decision change(s) covering 54 of the 810 complete cases" in result.stdout


def test_markdown_diff_for_a_pull_request(repo):
    _decide_non_oncologic_as_investigational(repo)
    result = policy(repo, "diff", "--rev", "HEAD", "--format", "markdown")
    assert result.returncode == 0 and "| not_addressed | investigational | 54 |" in result.stdout


def test_a_removed_revision_fails_against(repo):
    (repo / "tables" / "fep-8.01.08" / "2023-09.yaml").unlink()
    result = policy(repo, "validate", "--against", "HEAD")
    assert result.returncode == 1 and "HEAD:2023-09.yaml: REVISION_REMOVED" in result.stdout
    # a whole file's problem: no line, no column (killed mutants of issue 26: column 1 and -1)
    result = policy(repo, "validate", "--against", "HEAD", "--format", "json")
    removed = [p for p in json.loads(result.stdout) if p["code"] == "REVISION_REMOVED"]
    assert [(p["file"], p["line"], p["col"]) for p in removed] == [("HEAD:2023-09.yaml", 0, 0)]


def test_unchanged_tree_has_no_changes(repo):
    result = policy(repo, "diff", "--rev", "HEAD")
    assert result.returncode == 0 and result.stdout.strip() == "No revision changed."


@pytest.mark.parametrize("rev", ["--output=x", "-h", "HEAD\x00", "HEAD\nmain", ""])
def test_hostile_revisions_are_refused_and_write_nothing(repo, rev):
    before = sorted(p.name for p in repo.iterdir())
    try:
        result = policy(repo, "diff", f"--rev={rev}")
    except ValueError:  # the OS itself refuses a NUL in an argument
        return
    assert result.returncode == 2, result.stderr
    assert "refusing git revision" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in repo.iterdir()) == before
    assert not (repo / "x").exists()


def test_unknown_revision_and_not_a_repository(repo, tmp_path_factory):
    result = policy(repo, "diff", "--rev", "HEAD~5")
    assert result.returncode == 4 and "unknown git revision 'HEAD~5'" in result.stderr
    plain = tmp_path_factory.mktemp("plain")
    shutil.copytree(ROOT / "tables", plain / "tables")
    result = policy(plain, "validate", "--against", "HEAD")
    assert result.returncode == 4 and "not inside a git repository" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_shallow_clone_without_the_revision_says_so(repo, tmp_path):
    _edit(repo, "2022-09.yaml", "  version_note:", "  version_note:")  # no-op, keep history
    for n in range(2):
        (repo / f"f{n}").write_text(str(n))
        subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
        subprocess.run([*GIT, "commit", "-q", "-m", f"c{n}"], cwd=repo, check=True)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)],
                   check=True)
    result = policy(shallow, "diff", "--rev", "HEAD~2")
    assert result.returncode == 4 and "shallow" in result.stderr


# --- hostile revisions (issue 11) -----------------------------------------------------------------

def _commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", message], cwd=repo, check=True)


def _policy_with_private_tmp(repo: Path, tmp: Path, *args: str):
    """The command with its own temporary folder, so what it leaves there is its own."""
    import os

    tmp.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "policy", *args], cwd=repo, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp)})


def test_a_commit_without_tables_is_exit_4_naming_the_revision(repo, tmp_path_factory):
    empty = subprocess.run([*GIT, "commit-tree", "-m", "no tables",
                            subprocess.run(["git", "mktree"], input="", cwd=repo, text=True,
                                           capture_output=True, check=True).stdout.strip()],
                           cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    tmp = tmp_path_factory.mktemp("private-tmp")
    for args in (("diff", "--rev", empty), ("validate", "--against", empty)):
        result = _policy_with_private_tmp(repo, tmp, *args)
        assert result.returncode == 4, result
        assert f"git revision '{empty}'" in result.stderr and "has no tables" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert list(tmp.iterdir()) == []


def test_a_2_mb_blob_at_the_revision_leaves_no_temporary_folder(repo, tmp_path_factory):
    (repo / "tables" / "fep-8.01.08" / "2015-12.yaml").write_bytes(b"#" * (2 << 20))
    _commit(repo, "huge")
    subprocess.run([*GIT, "checkout", "-q", "HEAD~1", "--", "tables"], cwd=repo, check=True)
    tmp = tmp_path_factory.mktemp("private-tmp")
    result = _policy_with_private_tmp(repo, tmp, "diff", "--rev", "HEAD")
    assert result.returncode == 4 and "over the limit" in result.stderr, result
    assert list(tmp.iterdir()) == []


def test_a_symlinked_table_is_refused_at_a_revision_as_in_the_working_tree(repo):
    table = repo / "tables" / "fep-8.01.08" / "2015-12.yaml"
    outside = repo / "elsewhere.yaml"
    outside.write_bytes(table.read_bytes())
    table.unlink()
    table.symlink_to(Path("..") / ".." / "elsewhere.yaml")
    _commit(repo, "a symlinked table")
    working = policy(repo, "validate")
    assert working.returncode == 1 and "2015-12.yaml: SYMLINK:" in working.stdout, working
    at_rev = policy(repo, "diff", "--rev", "HEAD")
    assert at_rev.returncode == 1 and "2015-12.yaml: SYMLINK:" in at_rev.stderr, at_rev
    assert "Traceback" not in working.stderr + at_rev.stderr
