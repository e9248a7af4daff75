"""The tables a command reads: its policy's files (`--tables`, `--policy`), compiled (from the
sealed cache when it can), validated, or validated as they were at a git revision."""

from __future__ import annotations

import sys

from ..cache import compiled_policy, no_cache_reason
from ..core.escaping import escape
from ..core.policy_files import find_tables_dir, policy_files
from .output import PROG

TYPE_CHECKING = False  # typing.TYPE_CHECKING without the import: on a warm evaluate's path
if TYPE_CHECKING:
    from argparse import Namespace

    from ..core.compiled import CompiledPolicy
    from ..core.policy_files import PolicyFiles
    from ..validate import ValidatedPolicy


def policy_files_of(args: Namespace) -> PolicyFiles:
    return policy_files(find_tables_dir(args.tables), args.policy)


def compiled(args: Namespace) -> CompiledPolicy:
    reason = no_cache_reason()
    if reason is not None:  # (a command compiles once: said once)
        print(f"{PROG}: note: the compiled tables are not cached: {escape(reason)}",
              file=sys.stderr)
    return compiled_policy(policy_files_of(args))


def compiled_at_rev(args: Namespace, git_rev: str) -> CompiledPolicy:
    """The policy as it was at git revision `git_rev`, compiled (from the sealed cache when the
    same bytes were compiled before)."""
    from ..load.git_revision import tables_at

    files = policy_files_of(args)
    with tables_at(git_rev, find_tables_dir(args.tables), files.policy_id) as tables_dir:
        return compiled_policy(policy_files(tables_dir, files.policy_id))


def validated(args: Namespace, *, chain: bool = True) -> ValidatedPolicy:
    from ..validate import load_and_validate

    return load_and_validate(policy_files_of(args), chain=chain)


def validated_at_rev(args: Namespace, git_rev: str, *,
                      chain: bool = True) -> ValidatedPolicy:
    """The policy as it was at git revision `git_rev` (validated like the working tree)."""
    from ..load.git_revision import tables_at
    from ..validate import load_and_validate

    files = policy_files_of(args)
    with tables_at(git_rev, find_tables_dir(args.tables), files.policy_id) as tables_dir:
        return load_and_validate(policy_files(tables_dir, files.policy_id), chain=chain)
