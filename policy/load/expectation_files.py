"""A policy's expected outcomes: the YAML files of `tables/<policy-id>/expected/`, read safely and
checked by `schemas/expectations.schema.json` (every problem at its line).

What an expectation's values mean (a rule, a revision, a determination of the policy) is checked
against the compiled policy by `policy.compare.expectations`, which also runs them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..core.errors import DataError, Problem
from ..core.policy_files import PolicyFiles, bundled_schemas_dir, display_path
from ..core.reading import MAX_BYTES, read_bounded
from .schema import standalone_schema_problems
from .yaml_loader import KeyPath, Loaded, read_yaml_file

FOLDER = "expected"  # beside the revisions: tables/<policy-id>/expected/*.yaml
SCHEMA_FILE = "expectations.schema.json"


@dataclass(frozen=True)
class Expectation:
    """One expected outcome: the `index`-th item of a file's `expectations` list."""

    loaded: Loaded  # the file it comes from, with every value's position
    index: int
    data: dict[str, Any]

    @property
    def file(self) -> str:
        return self.loaded.file

    def path(self, *keys: str | int) -> KeyPath:
        return ("expectations", self.index, *keys)

    def line_of(self, key: str) -> int:
        """The line of this expectation's `key` (of the item itself when it has no such key)."""
        return self.loaded.where(self.path(key) if key in self.data else self.path())[0]

    def problem(self, keys: KeyPath, code: str, message: str, *, key: bool = False) -> Problem:
        return self.loaded.problem(self.path(*keys), code, message, key=key)


def expectation_paths(files: PolicyFiles) -> list[str]:
    """The policy's expectation files, sorted by name (hidden files left out)."""
    folder = os.path.join(files.folder, FOLDER)
    try:
        names = os.listdir(folder)
    except OSError:  # no folder: a policy without expected outcomes
        return []
    return [os.path.join(folder, name) for name in sorted(names)
            if name.endswith(".yaml") and not name.startswith(".")]


def _schema(files: PolicyFiles) -> tuple[str, bytes]:
    """The expectation schema beside the tables, else the one installed with the package (a
    policy repository's own schemas/ may predate it)."""
    path = os.path.join(files.schemas_dir, SCHEMA_FILE)
    if not os.path.lexists(path):
        path = os.path.join(bundled_schemas_dir(), SCHEMA_FILE)
    folder = os.path.dirname(path)
    return path, read_bounded(path, MAX_BYTES, what="schema", display=display_path(path),
                              folder=folder)


def read_expectations(files: PolicyFiles) -> tuple[list[Expectation], list[Problem]]:
    """Every expectation of the policy's files, and the problems of the files that are broken
    (a broken file contributes no expectation)."""
    paths = expectation_paths(files)
    if not paths:
        return [], []
    schema_path, schema = _schema(files)
    found: list[Expectation] = []
    problems: list[Problem] = []
    folder = os.path.dirname(paths[0])
    for path in paths:
        try:
            loaded = read_yaml_file(path, display_path(path), folder=folder,
                                    what="expectation file")
        except DataError as exc:
            problems += exc.problems
            continue
        found_here = standalone_schema_problems(loaded, schema_path, schema)
        if found_here:
            problems += found_here
            continue
        found += [Expectation(loaded, index, item)
                  for index, item in enumerate(loaded.data["expectations"])]
    return found, problems
