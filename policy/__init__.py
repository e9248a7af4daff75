"""Medical policies as versioned YAML decision tables, one folder of tables per policy.

Public API: `load_policy`, `Policy`, `Decision`, `evaluate_arrow` (columnar, on pyarrow tables) and
the exceptions (`policy.core.errors`). Both `Policy.evaluate` and `evaluate_arrow` are safe to call
from any number of threads at once.
"""

from .api import Policy, load_policy
from .core.decision import Decision
from .core.errors import DataError, PolicyError, PolicyIOError, UsageError

TYPE_CHECKING = False  # (typing is not imported: the start-up of `policy evaluate`)
if TYPE_CHECKING:  # what __getattr__ below returns, for type checkers
    from .columnar import evaluate_arrow

__all__ = ["Decision", "DataError", "Policy", "PolicyError", "PolicyIOError", "UsageError",
           "evaluate_arrow", "load_policy"]


def __getattr__(name: str) -> object:
    # pyarrow is imported only by callers of the columnar API, not by every `policy evaluate`
    if name == "evaluate_arrow":
        from .columnar import evaluate_arrow

        return evaluate_arrow
    raise AttributeError(f"module 'policy' has no attribute {name!r}")
