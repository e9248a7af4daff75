"""Which reader and writer a file takes, told by its suffix or named by the caller."""

from __future__ import annotations

import os

from ..errors import PolicyError

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                 ".pq": "parquet"}
OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet",
                  ".pq": "parquet"}


class BatchCallError(PolicyError, ValueError):
    """A batch run asked for what it cannot do: a format it cannot tell or does not know, an
    output that is its own input. The caller fixes the call (the command line names its
    options in its own message)."""

    exit_code = 2


def format_of(path: str, formats: dict[str, str], what: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in formats:
        raise BatchCallError(f"{path}: cannot tell the {what} format from the suffix '{suffix}'; "
                             "use " + ", ".join(sorted(formats)))
    return formats[suffix]
