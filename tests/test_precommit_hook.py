"""The `policy-validate` pre-commit hook (.pre-commit-hooks.yaml), end to end.

Runs only where the `pre-commit` executable is available (it is not a test dependency): copies the
package, tables and schemas into a fresh git repository, breaks one table in its working tree and
runs `pre-commit try-repo` on it. pre-commit builds the package from pyproject.toml into a
virtualenv of its own (that needs a package index for setuptools and the dependencies), so a cold
run takes a while; PRE_COMMIT_HOME is a temporary folder, so every run is cold.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("pyproject.toml", "README.md", "policy", "tables", "schemas",
          ".pre-commit-hooks.yaml")
TABLE = Path("tables", "fep-8.01.08", "2015-12.yaml")
TIMEOUT = 600  # seconds: building the hook's virtualenv dominates
# set inside a git hook (e.g. when these tests run from one); they would point git at another repo
GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                     "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in GIT_LOCATION_VARS}
    env.pop("PRE_COMMIT", None)  # set when this test itself runs inside a pre-commit hook
    return {**env, **extra}


def _pre_commit() -> list[str] | None:
    """The command that runs pre-commit, or None when it is not installed."""
    found = shutil.which("pre-commit")
    if found:
        return [found]
    beside = Path(sys.executable).parent / ("pre-commit.exe" if os.name == "nt" else "pre-commit")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    return None


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=policy tests", "-c", "user.email=tests@example.invalid",
                    "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                   cwd=repo, env=_clean_env(), check=True, capture_output=True, text=True,
                   timeout=60)


def _repository_copy(tmp_path):
    """A fresh folder holding this repository's files that the hooks need (COPIED)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_data"))
        else:
            shutil.copy2(source, repo / name)
    return repo


def test_policy_validate_hook_reports_a_broken_table(tmp_path):
    pre_commit = _pre_commit()
    if pre_commit is None:
        pytest.skip("the pre-commit executable is not installed (not on PATH nor beside "
                    f"{sys.executable}); `pip install pre-commit` to run this test")
    if shutil.which("git") is None:
        pytest.skip("git is not installed; pre-commit needs it")

    repo = _repository_copy(tmp_path)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "-m", "policy repository under test")

    # Break a table in the working tree only: try-repo commits a local repository's uncommitted
    # changes into a shadow copy, and `policy validate` reads the tables of its working directory.
    table = repo / TABLE
    text = table.read_text(encoding="utf-8")
    assert "recurrent: [true]" in text
    table.write_text(text.replace("recurrent: [true]", "recurrent: [NO]", 1), encoding="utf-8")
    line = text[:text.index("recurrent: [true]")].count("\n") + 1

    env = _clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
                     FEP_POLICY_CACHE_DIR=str(tmp_path / "policy-cache"),
                     # try-repo commits in a shadow repository: an identity that needs no config
                     GIT_AUTHOR_NAME="policy tests", GIT_AUTHOR_EMAIL="tests@example.invalid",
                     GIT_COMMITTER_NAME="policy tests", GIT_COMMITTER_EMAIL="tests@example.invalid")
    result = subprocess.run([*pre_commit, "try-repo", str(repo), "policy-validate", "--all-files",
                             "--color", "never"],
                            cwd=repo, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "WRONG_TYPE" in output, output
    assert "2015-12.yaml" in output, output
    # one line per problem, FILE:LINE:COL: CODE: message
    assert any(row.startswith(f"{TABLE.as_posix()}:{line}:") and ": WRONG_TYPE: " in row
               for row in output.splitlines()), output


def test_every_hook_in_a_repository_with_two_policies(tmp_path):
    """Issue 23 item 6, through pre-commit itself: the three hooks pass in a repository holding
    two valid policies (before: policy validate exited 2 there), and fail on a broken table of
    either (tests/cli/test_hooks_several_policies.py runs the entries without pre-commit)."""
    pre_commit = _pre_commit()
    if pre_commit is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed; `pip install pre-commit` to run this test")
    repo = _repository_copy(tmp_path)
    shutil.copytree(ROOT / "tests" / "fixtures" / "example-policy" / "tables" / "demo-1.00.00",
                    repo / "tables" / "demo-1.00.00")
    env = _clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
                     FEP_POLICY_CACHE_DIR=str(tmp_path / "policy-cache"),
                     GIT_AUTHOR_NAME="policy tests", GIT_AUTHOR_EMAIL="tests@example.invalid",
                     GIT_COMMITTER_NAME="policy tests", GIT_COMMITTER_EMAIL="tests@example.invalid")
    subprocess.run([sys.executable, "-m", "policy", "changelog", "--all-policies"], cwd=repo,
                   env=env, check=True, capture_output=True, timeout=300)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "-m", "two policies")

    def try_repo() -> subprocess.CompletedProcess:
        return subprocess.run([*pre_commit, "try-repo", str(repo), "--all-files", "--color",
                               "never"], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)

    result = try_repo()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for name in ("policy validate", "policy test", "policy changelog --check"):
        assert any(row.startswith(name + ".") and row.endswith("Passed")
                   for row in output.splitlines()), output

    table = repo / "tables" / "demo-1.00.00" / "2021-01.yaml"
    text = table.read_text(encoding="utf-8")
    table.write_text(text.replace("night_riding: [true]", "night_riding: [NO]", 1),
                     encoding="utf-8")
    result = try_repo()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "tables/demo-1.00.00/2021-01.yaml:" in output and ": WRONG_TYPE: " in output, output
    assert sum(row.endswith("Failed") for row in output.splitlines()) == 3, output
