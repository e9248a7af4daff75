import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "tables"
POLICY_DIR = TABLES / "fep-8.01.08"
sys.path.insert(0, str(Path(__file__).resolve().parent))


# Tests never read or write the user's cache of compiled tables, nor its secret. Set at import,
# before any test module is collected (some build a policy at module level).
_PRIVATE = tempfile.mkdtemp(prefix="policy-tests-")
os.environ["FEP_POLICY_CACHE_DIR"] = os.path.join(_PRIVATE, "cache")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_PRIVATE, "config")


def pytest_unconfigure(config):
    shutil.rmtree(_PRIVATE, ignore_errors=True)


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
