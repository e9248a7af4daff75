"""Validation problems for people and for CI: one line each (`FILE:LINE:COL: CODE: message`),
JSON, or GitHub Actions annotations (`policy validate --format`)."""

from __future__ import annotations

import json

from ..core.errors import Problem
from ..core.escaping import escape


def problems_text(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)

def problems_json(problems: list[Problem]) -> str:
    return json.dumps([p.as_json() for p in problems], indent=2)

def _github_escape(text: str, *, prop: bool = False) -> str:
    text = escape(text)  # control characters first: nothing can start a new workflow command
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text

def problems_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands: one `::error` annotation per problem."""
    return "\n".join(
        f"::error file={_github_escape(p.file, prop=True)},line={max(p.line, 1)},"
        f"col={max(p.col, 1)},title={_github_escape(p.code, prop=True)}::"
        f"{_github_escape(p.message)}" for p in problems)
