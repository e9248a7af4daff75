"""The exception hierarchy and the `Problem` record that validation collects.

Every error the package raises derives from `PolicyError`; each subclass also inherits the builtin it
behaves like, so callers that know nothing of this package can still catch `ValueError` or `OSError`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a position (1-based line and column; 0 when unknown)."""

    file: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # no position: a command-line word, a whole folder
            return f"{self.file}: {self.code}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.code}: {self.message}"

    def as_json(self) -> dict:
        return {"file": self.file, "line": self.line, "col": self.col, "code": self.code,
                "message": self.message}


class PolicyError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1


class DataError(PolicyError, ValueError):
    """Input data (a table, a case, a case file) is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = sorted(problems) if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(PolicyError, ValueError):
    """The command was called wrongly (a missing date, an unknown revision name, a bad option)."""

    exit_code = 2


class PolicyIOError(PolicyError, OSError):
    """A file could not be read or written, or git could not answer."""

    exit_code = 4
