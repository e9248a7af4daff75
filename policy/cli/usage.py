"""The library's errors that are, on the command line, a wrong or missing option: said with the
option's name, as a usage error (exit 2)."""

from __future__ import annotations

from ..core.errors import AsOfError, DataError, UsageError

NO_DATE_HINT = "give --as-of YYYY-MM-DD or a service_date in the case"


def as_usage_error(exc: DataError) -> UsageError | None:
    """The library's problems that on the command line are a wrong or missing option: said
    with the option's name, as a usage error (exit 2); None for any other DataError."""
    if len(exc.problems) != 1:
        return None
    problem = exc.problems[0]
    if isinstance(exc, AsOfError):  # from cases.as_of_day / cases.day_of
        if problem.code == "DATE_INVALID":
            return UsageError(f"--as-of: {problem.message}")
        if problem.code == "NO_DATE":
            return UsageError(f"no date to evaluate as of: {NO_DATE_HINT}")
    if problem.code in ("UNKNOWN_REVISION", "GIT_REV_REFUSED"):  # diff's A B, --rev, --against
        return UsageError(problem.message)
    if problem.code in ("UNKNOWN_FORMAT", "OUTPUT_IS_INPUT"):  # batch's INPUT, --format, --out
        return UsageError(f"{problem.file}: {problem.message}")
    if problem.code == "UNKNOWN_POLICY":
        return UsageError(f"{problem.file}: {problem.message}; choose one with --policy ID")
    return None
