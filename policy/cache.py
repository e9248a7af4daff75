"""Compiled policies cached by the hash of exactly the bytes they were validated and compiled from.

Trust model: an entry decides real claims, so it is used only if this user's own process wrote it
from the same bytes. The key is the SHA-256 of the tables, source text and schemas as read once
(`snapshot`), and of this package's code; an entry is written only after those bytes passed full
validation, and carries an HMAC-SHA256 of its key and content under a per-user secret that lives
outside the cache folder (`$XDG_CONFIG_HOME/fep-medical-policy/cache-secret`, else under
`~/.config`; created 0600 in a 0700 folder). The cache folder (`FEP_POLICY_CACHE_DIR`, else
`$XDG_CACHE_HOME/fep-medical-policy`, else `~/.cache/fep-medical-policy`) is created 0700, and a
folder or secret that is a link, is not this user's own, or that others can write, is not used.
An entry that is not a regular file, is too large, fails the HMAC, or whose shape is not exactly
what the loader expects is ignored and rebuilt. Set FEP_POLICY_CACHE_DIR to an empty value to turn
the cache off: every run then validates and compiles the tables itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from functools import lru_cache

from .engine import CompiledPolicy, compile_policy
from .snapshot import Snapshot, read_snapshot
from .tables import PolicyFiles

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
MAX_ENTRY_BYTES = 16 * 1024 * 1024
_SECRET_HEX = 64  # 32 random bytes, as hex


def cache_dir() -> str | None:
    configured = os.environ.get("FEP_POLICY_CACHE_DIR")
    if configured is not None:
        return configured or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fep-medical-policy")


def secret_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "fep-medical-policy", "cache-secret")


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """This package's own code: a new version of the compiler never reads an old one's entries."""
    hashed = hashlib.sha256()
    for folder, subfolders, names in os.walk(_PACKAGE):
        subfolders[:] = sorted(d for d in subfolders if d not in ("__pycache__", "_data"))
        for name in sorted(n for n in names if n.endswith(".py")):
            with open(os.path.join(folder, name), "rb") as handle:
                code = handle.read()
            hashed.update(b"%d:%s%d:" % (len(name), name.encode(), len(code)) + code)
    return hashed.hexdigest()


def content_key(snapshot: Snapshot) -> str:
    """The key of a policy's compiled form: its id, its files' bytes and this package's code."""
    material = f"{snapshot.files.policy_id}\0{snapshot.digest()}\0{_code_digest()}"
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


def _mine(status: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or status.st_uid == os.getuid()


def _private_folder(path: str) -> bool:
    """Create `path` 0700 if absent; True if it is a real folder of ours that no one else can write."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        status = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(status.st_mode) and _mine(status)
            and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _read_private(path: str, limit: int) -> bytes | None:
    """A regular file of ours in its folder, not a link, at most `limit` bytes; None otherwise."""
    from .errors import PolicyError
    from .reading import read_bounded

    try:
        if not _mine(os.lstat(path)):
            return None
        return read_bounded(path, limit, what="cache entry", folder=os.path.dirname(path))
    except (OSError, PolicyError):
        return None


def _secret() -> bytes | None:
    """This user's cache secret, created on first use; None when it cannot be had safely."""
    path = secret_path()
    if not _private_folder(os.path.dirname(path)):
        return None
    if not os.path.lexists(path):
        _create_secret(path)
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if status.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None  # readable or writable by others: anyone could forge entries
    data = _read_private(path, _SECRET_HEX)
    if data is None or len(data) != _SECRET_HEX:
        return None
    return data


def _create_secret(path: str) -> None:
    """Write a new secret 0600 and link it into place; a concurrent process may win the race."""
    temp = f"{path}.{os.getpid()}.tmp"
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         0o600)
        try:
            os.write(handle, os.urandom(_SECRET_HEX // 2).hex().encode())
            os.fsync(handle)
        finally:
            os.close(handle)
        os.link(temp, path)
    except OSError:
        pass  # exists already (another process made it), or no place for it: checked by caller
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass


def _seal(secret: bytes, key: str, payload: bytes) -> bytes:
    return hmac.new(secret, key.encode() + b"\n" + payload, hashlib.sha256).hexdigest().encode()


def _load_entry(path: str, secret: bytes, key: str) -> CompiledPolicy | None:
    data = _read_private(path, MAX_ENTRY_BYTES)
    if data is None:
        return None
    mac, _, payload = data.partition(b"\n")
    if not hmac.compare_digest(mac, _seal(secret, key, payload)):
        return None
    try:
        return CompiledPolicy.from_json(json.loads(payload))
    except (ValueError, RecursionError):  # from_json refuses any other shape with ValueError
        return None


def _store_entry(path: str, secret: bytes, key: str, compiled: CompiledPolicy) -> None:
    from .errors import PolicyIOError
    from .writer import write_atomic

    payload = json.dumps(compiled.to_json(), separators=(",", ":"), ensure_ascii=True)
    try:
        write_atomic(path, _seal(secret, key, payload.encode()).decode() + "\n" + payload)
    except PolicyIOError:
        pass  # a read-only cache folder only costs speed


def compiled_policy(files: PolicyFiles) -> CompiledPolicy:
    """The compiled form of a policy's tables; validates and compiles on a cache miss."""
    snapshot = read_snapshot(files)
    folder = cache_dir()
    secret = _secret() if folder and _private_folder(folder) else None
    entry = key = None
    if folder and secret:
        key = content_key(snapshot)
        entry = os.path.join(folder, f"{key}.json")
        found = _load_entry(entry, secret, key)
        if found is not None:
            return found
    from .checks import load_and_validate  # heavy path: YAML, jsonschema

    validated = load_and_validate(files, snapshot=snapshot)
    compiled = compile_policy(validated.revisions, validated.definition)
    if entry is not None and secret is not None and key is not None:
        _store_entry(entry, secret, key, compiled)
    return compiled
