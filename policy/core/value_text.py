"""How a case value is written as text: the one rendering of booleans.

A `FIELD=VALUE` word, a CSV cell, a message, a page and a URL all write booleans as true/false
(the case vocabulary's words), never Python's True/False.

    >>> value_text(True), value_text(False), value_text("T4a")
    ('true', 'false', 'T4a')
"""


def value_text(value: object) -> str:
    """`value` as text: true/false for booleans, anything else as str."""
    return "true" if value is True else "false" if value is False else str(value)
