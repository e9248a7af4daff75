"""Which reader and writer a file takes, told by its suffix or named by the caller."""

from __future__ import annotations

import os

from ..core.errors import DataError, Problem

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                 ".pq": "parquet"}
OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet",
                  ".pq": "parquet"}


def call_error(place: str, code: str, message: str) -> DataError:
    """A batch run asked for what it cannot do (a format it cannot tell or does not know, an
    output that is its own input): a DataError with its code, like every mistake of a caller;
    the command line says it as a usage error."""
    return DataError(Problem(place, 0, 0, code, message))


def format_of(path: str, formats: dict[str, str], what: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in formats:
        raise call_error(path, "UNKNOWN_FORMAT", f"cannot tell the {what} format from the "
                         f"suffix '{suffix}'; use " + ", ".join(sorted(formats)))
    return formats[suffix]
