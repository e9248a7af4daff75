"""The pre-commit hooks (.pre-commit-hooks.yaml) in a repository holding two policies (issue 23
item 6). Each hook's `entry` is run as pre-commit runs it: without file names, in the root of the
repository. Before, `policy validate` exited 2 there (no policy chosen, and not exactly one
present) and no hook ran `policy test` or `policy changelog --check`.

tests/test_precommit_hook.py runs the same through `pre-commit try-repo` where pre-commit is
installed; these run everywhere.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policy.load.yaml_loader import load_yaml

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = Path(__file__).parent.parent / "fixtures" / "example-policy" / "tables" / "demo-1.00.00"
HOOKS = {hook["id"]: hook for hook in
         load_yaml((ROOT / ".pre-commit-hooks.yaml").read_bytes(), ".pre-commit-hooks.yaml").data}
POLICIES = ("demo-1.00.00", "fep-8.01.08")


def _policy_command() -> list[str]:
    script = Path(sys.executable).parent / "policy"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "policy"]


def run_hook(repo: Path, hook_id: str) -> subprocess.CompletedProcess:
    words = shlex.split(HOOKS[hook_id]["entry"])
    assert words[0] == "policy"
    return subprocess.run([*_policy_command(), *words[1:]], cwd=repo, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "FEP_POLICY_CACHE_DIR": str(repo / ".cache")})


@pytest.fixture
def two_policies(tmp_path) -> Path:
    """A policy repository with the shipped policy and the example one, changelogs current."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "tables" / "fep-8.01.08", repo / "tables" / "fep-8.01.08")
    shutil.copytree(EXAMPLE, repo / "tables" / "demo-1.00.00")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    made = subprocess.run([*_policy_command(), "changelog", "--all-policies"], cwd=repo,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in repo.glob("CHANGELOG*.md")) == [
        f"CHANGELOG-{policy}.md" for policy in POLICIES]
    return repo


def test_the_hooks_are_validate_test_and_changelog_over_every_policy():
    assert set(HOOKS) == {"policy-validate", "policy-test", "policy-changelog"}
    for hook in HOOKS.values():
        assert "--all-policies" in hook["entry"] and hook["pass_filenames"] is False
    assert HOOKS["policy-test"]["entry"].startswith("policy test")
    assert HOOKS["policy-changelog"]["entry"].startswith("policy changelog --check")


def test_every_hook_passes_in_a_repository_with_two_valid_policies(two_policies):
    for hook_id in HOOKS:
        result = run_hook(two_policies, hook_id)
        assert result.returncode == 0, (hook_id, result.stdout, result.stderr)
    out = run_hook(two_policies, "policy-validate").stdout
    assert "demo-1.00.00: 3 revisions valid" in out and "fep-8.01.08: 12 revisions valid" in out
    out = run_hook(two_policies, "policy-test").stdout
    assert "demo-1.00.00: 15 expected outcomes hold" in out
    assert "fep-8.01.08: 224 expected outcomes hold" in out


@pytest.mark.parametrize("policy,table,old,new", [
    ("fep-8.01.08", "2015-12.yaml", "recurrent: [true]", "recurrent: [NO]"),
    ("demo-1.00.00", "2021-01.yaml", "night_riding: [true]", "night_riding: [NO]"),
])
def test_a_broken_table_of_either_policy_fails_the_hooks_at_its_line(two_policies, policy, table,
                                                                    old, new):
    path = two_policies / "tables" / policy / table
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1
    for hook_id in HOOKS:
        result = run_hook(two_policies, hook_id)
        assert result.returncode == 1, (hook_id, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
    result = run_hook(two_policies, "policy-validate")
    assert any(row.startswith(f"tables/{policy}/{table}:{line}:") and ": WRONG_TYPE: " in row
               for row in result.stdout.splitlines()), result.stdout
    other = next(p for p in POLICIES if p != policy)
    assert f"{other}: " in result.stdout  # the other policy is still checked and reported


def test_a_failing_expectation_or_a_stale_changelog_fails_its_hook(two_policies):
    outcomes = two_policies / "tables" / "demo-1.00.00" / "expected" / "outcomes.yaml"
    text = outcomes.read_text(encoding="utf-8")
    outcomes.write_text(text.replace("determination: referred", "determination: approved", 1),
                        encoding="utf-8")
    result = run_hook(two_policies, "policy-test")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(
        "tables/demo-1.00.00/expected/outcomes.yaml:")
    assert "fep-8.01.08: 224 expected outcomes hold" in result.stdout
    assert run_hook(two_policies, "policy-validate").returncode == 0  # a valid file, failing
    changelog = two_policies / "CHANGELOG-fep-8.01.08.md"
    changelog.write_text(changelog.read_text() + "an edit by hand\n")
    result = run_hook(two_policies, "policy-changelog")
    assert result.returncode == 1 and "CHANGELOG-fep-8.01.08.md is out of date" in result.stderr


@pytest.mark.parametrize("words,message", [
    (["validate", "--all-policies", "--policy", "fep-8.01.08"], "not both"),
    (["validate", "--all-policies", "--format", "json"], "one report per policy"),
    (["changelog", "--all-policies", "--out", "x.md"], "--out names one"),
])
def test_all_policies_refuses_what_names_one(two_policies, words, message):
    result = subprocess.run([*_policy_command(), *words], cwd=two_policies, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not (two_policies / "x.md").exists()
