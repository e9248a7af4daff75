"""The shipped policy (tables/fep-8.01.08), loaded and validated once for every test that reads it.

Nothing is loaded when a test module is imported: the first call loads (through the cache, which
the repository's conftest.py has made private to the test run), later calls share the result.
"""

from __future__ import annotations

from functools import cache

from policy import Policy, load_policy
from policy.core.policy_files import policy_files
from policy.validate import ValidatedPolicy, load_and_validate
from repo_paths import TABLES


@cache
def shipped_policy() -> Policy:
    return load_policy(TABLES)


@cache
def shipped_validated() -> ValidatedPolicy:
    return load_and_validate(policy_files(str(TABLES)))
