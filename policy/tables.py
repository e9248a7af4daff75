"""Where the tables are: the folder of one folder per policy, and the files of one policy.

Search order (as git finds `.git`): `--tables DIR`; else a `tables/` folder in the current directory or
its nearest parent that has one; else the tables installed with the package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import PolicyIOError, UsageError

_PACKAGE = Path(__file__).resolve().parent
SOURCE_FILE = "source.md"


def _bundled(kind: str) -> Path:
    installed = _PACKAGE / "_data" / kind  # a wheel install carries the data inside the package
    return installed if installed.is_dir() else _PACKAGE.parent / kind  # a source checkout


def find_tables_dir(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Path:
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise PolicyIOError(f"{path}: no such tables folder")
        return path
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "tables"
        if candidate.is_dir():
            return candidate
    return _bundled("tables")


def schemas_dir_for(tables_dir: Path) -> Path:
    """The repository's own schemas beside its tables, else the installed ones."""
    beside = tables_dir.resolve().parent / "schemas"
    if (beside / "revision.schema.json").is_file() and (beside / "case.schema.json").is_file():
        return beside
    return _bundled("schemas")


def display_path(path: Path) -> str:
    """A path as a user would type it: relative to the current directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class PolicyFiles:
    policy_id: str
    folder: Path
    revision_files: tuple[Path, ...]  # sorted by name, i.e. by revision id
    source_file: Path
    schemas_dir: Path

    def all_files(self) -> list[Path]:
        schema_files = sorted(self.schemas_dir.glob("*.schema.json"))
        return [*self.revision_files, self.source_file, *schema_files]


def policy_files(tables_dir: Path, policy_id: str | None = None) -> PolicyFiles:
    try:
        policies = sorted(p.name for p in tables_dir.iterdir()
                          if p.is_dir() and any(p.glob("*.yaml")))
    except OSError as exc:
        raise PolicyIOError(f"{tables_dir}: cannot list: {exc.strerror or exc}") from exc
    if policy_id is None:
        if len(policies) != 1:
            found = ", ".join(policies) or "none"
            raise UsageError(f"{display_path(tables_dir)}: choose a policy with --policy ID "
                             f"(found: {found})")
        policy_id = policies[0]
    elif policy_id not in policies:
        raise UsageError(f"unknown policy '{policy_id}'; available: {', '.join(policies) or 'none'}")
    folder = tables_dir / policy_id
    return PolicyFiles(policy_id=policy_id, folder=folder,
                       revision_files=tuple(sorted(folder.glob("*.yaml"))),
                       source_file=folder / SOURCE_FILE, schemas_dir=schemas_dir_for(tables_dir))
