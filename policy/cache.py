"""Compiled policies cached by the content hash of everything that decides them.

The key covers the tables, the source text, the schemas and this package's own code, and an entry
is written only after the tables passed full validation; so evaluation never runs against a table
that fails validation, yet a warm call reads one small JSON file instead of parsing YAML and
importing jsonschema. Set FEP_POLICY_CACHE_DIR to choose the folder, or to an empty value to disable.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os

from .engine import CompiledPolicy, compile_policy
from .tables import PolicyFiles

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def cache_dir() -> str | None:
    configured = os.environ.get("FEP_POLICY_CACHE_DIR")
    if configured is not None:
        return configured or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fep-medical-policy")


def content_key(files: PolicyFiles) -> str:
    digest = hashlib.sha256()
    inputs = [*files.all_files(), *sorted(glob.glob(os.path.join(glob.escape(_PACKAGE), "*.py")))]
    for path in inputs:
        digest.update(os.path.basename(path).encode() + b"\0")
        try:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        except OSError:
            digest.update(b"<unreadable>")  # validation will report it
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def compiled_policy(files: PolicyFiles) -> CompiledPolicy:
    """The compiled form of a policy's tables; validates and compiles on a cache miss."""
    folder = cache_dir()
    entry = os.path.join(folder, f"{files.policy_id}-{content_key(files)}.json") if folder else None
    if entry is not None:
        try:
            with open(entry, "rb") as handle:
                return CompiledPolicy.from_json(json.loads(handle.read()))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing or unusable: rebuild below
    from .checks import load_and_validate  # heavy path: YAML, jsonschema

    compiled = compile_policy(load_and_validate(files).revisions)
    if entry is not None:
        from .errors import PolicyIOError
        from .writer import write_atomic

        try:
            write_atomic(entry, json.dumps(compiled.to_json(), separators=(",", ":")))
        except PolicyIOError:
            pass  # a read-only cache folder only costs speed
    return compiled
