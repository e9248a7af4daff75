"""How case values are written as text: the one rendering of booleans.

A `FIELD=VALUE` word, a CSV cell, a message, a page and a URL all write booleans as true/false
(the case vocabulary's words), never Python's True/False.

    >>> value_text(True), value_text(False), value_text("T4a")
    ('true', 'false', 'T4a')
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without the import: the warm path's (core/__init__)
if TYPE_CHECKING:
    from collections.abc import Iterable


def value_text(value: object) -> str:
    """`value` as text: true/false for booleans, anything else as str."""
    return "true" if value is True else "false" if value is False else str(value)


def values_text(values: Iterable[object]) -> str:
    """Values as on the command line, comma-separated."""
    return ", ".join(map(value_text, values))
