"""Git repositories for the tests that read tables at a git revision."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from repo_paths import ROOT

# git as the tests run it: an identity of its own, no signing (a user's settings may ask for it)
GIT = ["git", "-c", "user.name=Policy Test", "-c", "user.email=test@example.invalid",
       "-c", "commit.gpgsign=false"]


def committed_tables(repo: Path) -> Path:
    """`repo`, a new git repository holding the shipped tables and schemas in one commit."""
    shutil.copytree(ROOT / "tables", repo / "tables")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    subprocess.run([*GIT, "init", "-q", str(repo)], check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "tables"], cwd=repo, check=True)
    return repo
