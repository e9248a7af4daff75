"""Across revisions: ids unique, effective dates and versions strictly increasing, each version bump
the one its diff calls for (a changed determination is MAJOR); and, for `validate --against REV`,
published revisions neither removed nor changed in meaning without a MAJOR bump."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import semver

from ..compiler import complete_outcomes
from ..core.errors import Problem
from ..load.model import Revision
from ..load.yaml_loader import Loaded, read_yaml_file


def chain_problems(entries: list[tuple[Loaded, Revision]], sound: set[str]) -> list[Problem]:
    """Across revisions: unique ids, strictly increasing effective dates and versions."""
    problems: list[Problem] = []
    by_id: dict[str, Loaded] = {}
    for loaded, rev in entries:
        if rev.id in by_id:
            problems.append(loaded.problem(("revision", "id"), "DUPLICATE_REVISION",
                                           f"revision id '{rev.id}' is also used by "
                                           f"{by_id[rev.id].file}"))
        by_id.setdefault(rev.id, loaded)
    ordered = sorted(entries, key=lambda e: (e[1].id, e[1].file))
    for (prev_loaded, prev), (loaded, rev) in itertools.pairwise(ordered):
        if rev.effective_from <= prev.effective_from:
            same = "the same" if rev.effective_from == prev.effective_from else "an earlier"
            problems.append(loaded.problem(
                ("revision", "effective_from"), "EFFECTIVE_DATE_ORDER",
                f"{rev.id} has {same} effective_from ({rev.effective_from}) as {prev.id} in "
                f"{prev_loaded.file} ({prev.effective_from}); effective dates must strictly "
                "increase"))
        old_version = semver.Version.parse(prev.version)
        new_version = semver.Version.parse(rev.version)
        if new_version <= old_version:
            problems.append(loaded.problem(
                ("revision", "version"), "VERSION_ORDER",
                f"version {rev.version} of {rev.id} is not greater than {prev.version} of "
                f"{prev.id} in {prev_loaded.file}; versions must strictly increase with dates"))
            continue
        # the bump check decides every case under both tables, so both must be sound
        problem = (_bump_problem(prev_loaded, prev, loaded, rev, old_version, new_version)
                   if {prev.file, rev.file} <= sound else None)
        if problem:
            problems.append(problem)
    return problems


def _bump_problem(prev_loaded: Loaded, prev: Revision, loaded: Loaded, rev: Revision,
                  old_version: semver.Version, new_version: semver.Version) -> Problem | None:
    """A decision change needs a MAJOR bump; no decision change forbids one.

    The cases compared are those `prev` decides: a value `rev` introduces (`since` in
    policy.yml) makes cases that were invalid under `prev` decided under `rev`, which changes no
    decision anyone could have had, so on its own it calls for MINOR (docs/tables.md)."""
    columns = tuple((c.name, tuple(c.values)) for c in prev.columns)
    later = {c.name: c.values for c in rev.columns}
    if set(later) != {name for name, _ in columns} or any(
            not all(any(type(v) is type(w) and v == w for w in later[name]) for v in values)
            for name, values in columns):
        return None  # INPUT_DOMAIN already reports the difference (a value is never withdrawn)
    before, after = complete_outcomes(prev, columns), complete_outcomes(rev, columns)
    changed = sum(before[v][1] != after[v][1] for v in before)
    major_bump = new_version.major > old_version.major
    if changed and not major_bump:
        return loaded.problem(
            ("revision", "version"), "SEMVER_BUMP",
            f"{rev.id} version {rev.version} after {prev.version} ({prev_loaded.file}) is not a "
            f"MAJOR bump, but {changed} complete case(s) change determination; the diff calls for "
            f"MAJOR ({old_version.bump_major()})")
    if not changed and major_bump:
        return loaded.problem(
            ("revision", "version"), "SEMVER_BUMP",
            f"{rev.id} version {rev.version} after {prev.version} ({prev_loaded.file}) is a MAJOR "
            f"bump, but no determination changes; the diff calls for MINOR "
            f"({old_version.bump_minor()}) or PATCH ({old_version.bump_patch()})")
    return None


def published_problems(before: dict[str, Revision], after: dict[str, Revision],
                       diffs: Sequence[Mapping[str, Any]], rev: str) -> list[Problem]:
    """For `validate --against REV`: published revisions must not vanish, nor change decisions
    without a MAJOR bump of their own version."""

    problems: list[Problem] = []
    for gone in sorted(before.keys() - after.keys()):
        problems.append(Problem(f"{rev}:{Path(before[gone].file).name}", 0, 0, "REVISION_REMOVED",
            f"revision {gone} (version {before[gone].version}) exists at {rev} but not in the "
            "working tree; published revisions are never removed or renamed"))
    for diff in diffs:
        if not diff["decision_changes"]:
            continue
        old, new = before[diff["from"]["id"]], after[diff["to"]["id"]]
        if semver.Version.parse(new.version).major > semver.Version.parse(old.version).major:
            continue
        loaded = read_yaml_file(new.file, new.file)
        cases = sum(c["cases"] for c in diff["decision_changes"])
        problems.append(loaded.problem(
            ("revision", "version"), "PUBLISHED_CHANGED",
            f"revision {new.id} changes the determination of {cases} case(s) since {rev} but its "
            f"version {new.version} is not a MAJOR bump of {old.version}; "
            f"use {semver.Version.parse(old.version).bump_major()} or higher"))
    return problems
