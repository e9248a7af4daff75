"""FEP Medical Policy 8.01.08 (Intraoperative Radiotherapy) as versioned YAML decision tables.

Public API: `load_policy`, `Policy`, `Decision`, and the exceptions in `policy.errors`.
"""

from .api import Policy, load_policy
from .engine import Decision
from .errors import DataError, PolicyError, PolicyIOError, UsageError

__all__ = ["Decision", "DataError", "Policy", "PolicyError", "PolicyIOError", "UsageError",
           "load_policy"]
