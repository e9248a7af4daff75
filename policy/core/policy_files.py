"""Where the tables are: the folder of one folder per policy, and the files of one policy.

Search order (as git finds `.git`): `--tables DIR`; else a `tables/` folder in the current
directory or its nearest parent that has one; else the tables installed with the package.
(os.path, not pathlib, and a listing, not glob: this runs at every start-up, and those imports
cost more than the lookup.)
"""

from __future__ import annotations

import os

from .errors import DataError, PolicyIOError, Problem
from .escaping import shown
from .record import Record

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # policy/
SOURCE_FILE = "source.md"  # the source document a revision cites unless it names another
# A policy's source documents: source.md and source-<anything>.md (`policy new-revision` adds
# source-<revision id>.md); each is among the files the compiled cache is keyed by.
SOURCE_PREFIX, SOURCE_SUFFIX = "source-", ".md"
DEFINITION_FILE = "policy.yml"  # the policy's own file (policy/load/definition.py), not a revision
CODES_FILE = "codes.yml"  # its crosswalk of codes (policy/codesets/crosswalk.py), optional


def _entries_ending(folder: str, suffix: str) -> list[str]:
    """The paths of `folder`'s entries named `*<suffix>`, hidden ones left out, sorted by name:
    what `glob.glob(escaped folder + "/*" + suffix)` gives (an unreadable folder has none)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [os.path.join(folder, name) for name in sorted(names)
            if name.endswith(suffix) and not name.startswith(".")]


def installed_data_folder() -> str:
    """Where a wheel carries the tables and schemas: policy/_data/."""
    return os.path.join(_PACKAGE, "_data")


def _bundled(kind: str) -> str:
    installed = os.path.join(_PACKAGE, "_data", kind)  # a wheel carries the data in the package
    return installed if os.path.isdir(installed) else os.path.join(os.path.dirname(_PACKAGE), kind)


def find_tables_dir(explicit: str | os.PathLike | None = None, cwd: str | None = None) -> str:
    if explicit is not None:
        path = os.fspath(explicit)
        if not os.path.isdir(path):
            raise PolicyIOError(f"{path}: no such tables folder")
        return path
    here = os.path.abspath(cwd or os.getcwd())
    while True:
        candidate = os.path.join(here, "tables")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return _bundled("tables")
        here = parent


def bundled_schemas_dir() -> str:
    """The schemas installed with the package (the source tree's schemas/ when run from it)."""
    return _bundled("schemas")


def schemas_dir_for(tables_dir: str) -> str:
    """The repository's own schemas beside its tables, else the installed ones."""
    beside = os.path.join(os.path.dirname(os.path.abspath(tables_dir)), "schemas")
    # a link counts as present, so it is refused (SYMLINK), never silently replaced
    if all(os.path.isfile(os.path.join(beside, f"{n}.schema.json"))
           or os.path.islink(os.path.join(beside, f"{n}.schema.json"))
           for n in ("revision", "policy")):
        return beside
    return _bundled("schemas")


def display_path(path: str | os.PathLike) -> str:
    """A path as a user would type it: relative to the current directory when inside it."""
    path = os.fspath(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


class PolicyFiles(Record):
    """The files of one policy; `revision_files` sorted by name, i.e. by revision id;
    `definition_file`: its policy.yml; `codes_file`: its crosswalk of codes, None without one;
    `source_files`: its other source documents (source-*.md), sorted by name; `source_file`, the
    default one, is read whether or not it exists (a missing one is reported where it is used)."""

    __slots__ = ()
    policy_id: str
    folder: str
    revision_files: tuple[str, ...]
    source_file: str
    definition_file: str
    schemas_dir: str
    codes_file: str | None = None
    source_files: tuple[str, ...] = ()

    def all_files(self) -> list[str]:
        schema_files = _entries_ending(self.schemas_dir, ".schema.json")
        crosswalk = [self.codes_file] if self.codes_file is not None else []
        return [*self.revision_files, self.source_file, *self.source_files,
                self.definition_file, *crosswalk, *schema_files]


def _revision_files(folder: str) -> list[str]:
    return [path for path in _entries_ending(folder, ".yaml")
            if os.path.basename(path) != DEFINITION_FILE]


def policy_ids(tables_dir: str) -> list[str]:
    """The ids of the policies in a tables folder (its folders holding revision files), sorted."""
    try:
        entries = sorted(os.listdir(tables_dir))
    except OSError as exc:
        raise PolicyIOError(f"{tables_dir}: cannot list: {exc.strerror or exc}") from exc
    return [name for name in entries if os.path.isdir(os.path.join(tables_dir, name))
            and _revision_files(os.path.join(tables_dir, name))]


def policy_files(tables_dir: str, policy_id: str | None = None) -> PolicyFiles:
    policies = policy_ids(tables_dir)
    if policy_id is None:
        if len(policies) != 1:
            raise DataError(Problem(display_path(tables_dir), 0, 0, "UNKNOWN_POLICY",
                                    f"no policy chosen, and not exactly one present "
                                    f"(found: {', '.join(policies) or 'none'})"))
        policy_id = policies[0]
    elif policy_id not in policies:
        raise DataError(Problem(display_path(tables_dir), 0, 0, "UNKNOWN_POLICY",
                                f"unknown policy {shown(policy_id)}; available: "
                                f"{', '.join(policies) or 'none'}"))
    folder = os.path.join(tables_dir, policy_id)
    codes = os.path.join(folder, CODES_FILE)
    return PolicyFiles(policy_id=policy_id, folder=folder,
                       revision_files=tuple(_revision_files(folder)),
                       source_file=os.path.join(folder, SOURCE_FILE),
                       definition_file=os.path.join(folder, DEFINITION_FILE),
                       schemas_dir=schemas_dir_for(tables_dir),
                       # a link counts as present, so it is refused (SYMLINK), never skipped
                       codes_file=codes if os.path.lexists(codes) else None,
                       source_files=tuple(
                           path for path in _entries_ending(folder, SOURCE_SUFFIX)
                           if os.path.basename(path).startswith(SOURCE_PREFIX)))
