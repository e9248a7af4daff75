import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "tables"
POLICY_DIR = TABLES / "fep-8.01.08"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Tests never read or write the user's cache of compiled tables."""
    os.environ["FEP_POLICY_CACHE_DIR"] = str(tmp_path_factory.mktemp("policy-cache"))
    yield


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
