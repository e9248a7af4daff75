"""Where the repository's own files are, for tests and their helpers."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "tables"
POLICY_DIR = TABLES / "fep-8.01.08"  # the shipped policy's folder
