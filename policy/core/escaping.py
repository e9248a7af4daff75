"""The one escaper of echoed text: values, field names, file names and dates from untrusted input.

A raw newline in an echoed value would forge a second output line (`policy: all good`), an ESC
sequence would reach the terminal, and a file name holding `\\n::warning ...` would inject a GitHub
workflow command. Every control character (C0, DEL, C1), the Unicode line and paragraph separators,
the bidirectional overrides, and lone surrogates (which no UTF-8 output can carry) are written
repr-style (`\\n`, `\\x1b`, `\\u202e`, `\\ud800`); all other text is left as it is. JSON output is
safe by construction (json.dumps escapes them itself).
"""

from __future__ import annotations

from .value_text import value_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:
    import re

# C0 and C1 controls and DEL; line/paragraph separators; bidi embeddings, overrides and isolates;
# surrogates (only lone ones can occur in a str). None of them is printable (str.isprintable).
UNSAFE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in `text` (no UTF-8 output can carry one), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # strict UTF-8 refuses surrogates and nothing else
        return exc.start
    return None


def escape(text: str) -> str:
    """`text` with every unsafe character written repr-style; one line, whatever the input."""
    if text.isprintable():  # the usual case: nothing to do (and no `re`: start-up time)
        return text
    import re

    return re.sub(UNSAFE, _escaped, text)


def shown(value: object, limit: int = 120) -> str:
    """A value as a message quotes it: 'text' (escaped, cut to `limit` characters with the full
    length named), true/false for booleans, numbers cut the same way. Keeps messages linear in
    the input: no value is echoed at more than a bounded length."""
    if value is True or value is False:
        return value_text(value)
    if isinstance(value, str):
        text, quote = value, "'"
    else:
        try:
            text, quote = repr(value), ""
        except ValueError:  # int too large for its decimal form
            if not isinstance(value, int):
                raise
            return f"<an integer of about {value.bit_length() * 0.30103:.0f} digits>"
    if len(text) > limit:
        return f"{quote}{escape(text[:limit])}...{quote} ({len(text)} characters)"
    return f"{quote}{escape(text)}{quote}"
