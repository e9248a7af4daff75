"""A case file: YAML or JSON, from a file or standard input, read safely with positions."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..core.errors import DataError, Problem
from ..core.reading import read_bounded, read_stream_bounded
from .yaml_loader import MAX_BYTES, load_yaml

if TYPE_CHECKING:
    from ..core.cases import Where


def read_case_file(path: str) -> tuple[dict[str, object], Where, str]:
    """Load a YAML or JSON case file ('-' for standard input) safely; return data, where, name."""
    name = "<stdin>" if path == "-" else path
    if path == "-":
        raw = read_stream_bounded(getattr(sys.stdin, "buffer", None), MAX_BYTES,
                                  what="case file", display=name)
    else:
        raw = read_bounded(path, MAX_BYTES, what="case file", display=name)
    loaded = load_yaml(raw, name)
    if not isinstance(loaded.data, dict):
        kind = type(loaded.data).__name__
        raise DataError(Problem(name, 1, 1, "NOT_A_MAPPING",
                                f"a case file holds one mapping of fields (found {kind}), "
                                "e.g. {field: value, other_field: value}"))
    return loaded.data, loaded.where, name
