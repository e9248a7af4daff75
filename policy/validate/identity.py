"""The identity of one revision: its file is named by its id, its policy id is its folder's, it is
effective after its approval month, and a stated effective date is the source's while an inferred
one follows the rule (the first day of the month after approval)."""

from __future__ import annotations

from pathlib import Path

from ..core.dates import first_of_next_month
from ..core.errors import Problem
from ..core.policy_files import PolicyFiles
from ..load.model import Revision
from ..load.source import SourceText
from ..load.yaml_loader import Loaded


def effective_problems(loaded: Loaded, rev: Revision, source: SourceText) -> list[Problem]:
    """A stated date is the one the source states, for the revision the source is, and that
    revision's date is marked stated; an inferred one follows the documented rule (first day of
    the month after approval) or says why not."""
    at = ("revision", "effective_from")
    stated, rows = source.stated_effective_date(), source.history_rows()
    latest = rows[-1][0] if rows else None
    if (rev.effective_from_basis == "inferred" and rev.history["date"] == latest
            and source.stated_date_after(rev.approved)):
        return [loaded.problem(
            ("revision", "effective_from_basis"), "EFFECTIVE_STATED_MARKED_INFERRED",
            f"effective_from_basis is inferred, but the source states the effective date of its "
            f"own revision ({latest}): {stated}; mark it stated (with that date)")]
    if rev.effective_from_basis == "stated":
        if rev.history["date"] != latest:
            return [loaded.problem(
                ("revision", "effective_from_basis"), "EFFECTIVE_NOT_STATED",
                f"effective_from is marked stated, but the source states a date only for its own "
                f"revision ({latest or 'none'}), not for {rev.history['date']}; mark it inferred")]
        if rev.effective_from != stated:
            return [loaded.problem(at, "EFFECTIVE_NOT_STATED",
                                   f"effective_from {rev.effective_from} is marked stated, but the "
                                   f"source states {stated or 'no date'}")]
        return []
    expected = first_of_next_month(rev.approved)
    if rev.effective_from != expected and "effective_from_deviation" not in loaded.data["revision"]:
        return [loaded.problem(at, "EFFECTIVE_NOT_INFERRED",
                               f"effective_from {rev.effective_from} is marked inferred, but the "
                               f"rule (the first day of the month after approval {rev.approved}) "
                               f"gives {expected}; use it, or give effective_from_deviation saying "
                               "why")]
    return []


def revision_problems(loaded: Loaded, rev: Revision, files: PolicyFiles,
                       path: Path) -> list[Problem]:
    problems: list[Problem] = []
    if path.stem != rev.id:
        problems.append(loaded.problem(("revision", "id"), "FILE_NAME_MISMATCH",
                                       f"revision id '{rev.id}' does not match the file name "
                                       f"'{path.name}'; name the file {rev.id}.yaml"))
    if rev.policy_id != files.policy_id:
        problems.append(loaded.problem(("policy", "id"), "POLICY_MISMATCH",
                                       f"policy id '{rev.policy_id}' does not match its folder "
                                       f"'{files.policy_id}'"))
    earliest = first_of_next_month(rev.approved)
    if rev.effective_from < earliest:
        problems.append(loaded.problem(
            ("revision", "effective_from"), "EFFECTIVE_BEFORE_APPROVAL",
            f"effective_from {rev.effective_from} is not after the approval month "
            f"{rev.approved}; the earliest is {earliest}"))
    return problems
