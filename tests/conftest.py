import shutil
from pathlib import Path

import pytest

from repo_paths import ROOT, TABLES

# The cache and its secret are redirected by the conftest.py at the top of the repository, which
# pytest imports before anything here is collected.


@pytest.fixture
def tables_copy(tmp_path) -> Path:
    """A writable copy of the shipped tables and schemas, laid out like a policy repository."""
    shutil.copytree(TABLES, tmp_path / "tables")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path / "tables"


@pytest.fixture
def cli(capsys):
    """Run the command line in-process: returns (exit code, stdout, stderr)."""
    from policy.cli import main

    def run(*args: str):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
