"""How a decision log's lines are chained: what `policy serve` writes and `policy log verify`
checks (kept apart from the writer, so that verifying a log needs no serve extra)."""

from __future__ import annotations

import hashlib

GENESIS = "0" * 64  # the `prev` of the very first line
HEAD_SUFFIX = ".head"  # FILE.head names the last line made durable


def line_hash(line: bytes) -> str:
    """The hash a line is chained by: SHA-256 of its bytes without the newline."""
    return hashlib.sha256(line).hexdigest()
