"""Compiled policies cached by the hash of exactly the bytes they were validated and compiled from.

Trust model: an entry decides real claims, so it is used only if this user's own process wrote it
from the same bytes. The key is a BLAKE2b hash of the tables, source text and schemas as read once
(`snapshot`), and of this package's code (each module file's size, modification and change times:
an edit of the code, even one that keeps the size and the modification time, changes the key); an
entry is written only after those bytes passed full validation, and is sealed with keyed BLAKE2b
(a MAC, like HMAC) of its key and content under a per-user secret that lives outside the cache
folder (`$XDG_CONFIG_HOME/fep-medical-policy/cache-secret`, else under `~/.config`; created 0600
in a 0700 folder). The cache folder (`FEP_POLICY_CACHE_DIR`, else
`$XDG_CACHE_HOME/fep-medical-policy`, else `~/.cache/fep-medical-policy`) is created 0700, and a
folder or secret that is a link, is not this user's own, or that others can write, is not used.
An entry that is not a regular file, is too large, fails the seal, or whose shape is not exactly
what the loader expects is ignored and rebuilt. Set FEP_POLICY_CACHE_DIR to an empty value to turn
the cache off: every run then validates and compiles the tables itself. Without a usable home
(HOME unset with no passwd entry, empty, relative or /) and no absolute XDG folders, or with a
relative FEP_POLICY_CACHE_DIR, nothing is cached (`no_cache_reason` says why): nothing is ever
written relative to the working folder or at the root.

BLAKE2b and the constant-time comparison come from CPython's built-in modules, not `hashlib` and
`hmac`: those load OpenSSL, a few milliseconds of every `policy evaluate`. The content is
`CompiledPolicy.to_json()` in `marshal`'s format (the key names the interpreter's version), not
JSON, so a warm run needs no JSON parser: marshal reads only what the seal shows this user's own
process wrote, and the loader's shape check runs on it all the same.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys

try:  # built into CPython; hashlib's blake2b is this same type, imported with OpenSSL
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another interpreter
    from hashlib import blake2b
try:  # what hmac.compare_digest is when OpenSSL is absent: constant time
    from _operator import _compare_digest as compare_digest
except ImportError:  # pragma: no cover - another interpreter
    from hmac import compare_digest  # type: ignore[no-redef]

from .core.compiled import CompiledPolicy
from .core.policy_files import PolicyFiles
from .core.snapshot import Snapshot, read_snapshot

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:
    from typing import Any

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
MAX_ENTRY_BYTES = 16 * 1024 * 1024
ENTRY_SUFFIX = ".marshal"  # the seal, a newline, then `CompiledPolicy.to_json()` marshalled
_SECRET_HEX = 64  # 32 random bytes, as hex
# Entries kept when a new one is written (each about 0.05 MB): every edit of the tables or of the
# package files a new entry, so without a bound the folder grows by one per edit, forever.
KEEP_ENTRIES = 32


def _base_folder(under_home: str, *, variable: str) -> str | None:
    """An XDG base folder: `$variable` when it is absolute (the XDG specification ignores a
    relative one), else `under_home` in the user's home when that is an absolute folder other
    than the root; None when there is neither. Never a path relative to the working folder (with
    HOME unset and no passwd entry, expanduser gives "~") nor one at the root (HOME empty or /)."""
    configured = os.environ.get(variable, "")
    if os.path.isabs(configured):
        return configured
    home = os.path.expanduser("~")
    if not os.path.isabs(home) or os.path.dirname(home) == home:
        return None
    return os.path.join(home, under_home)


def cache_dir() -> str | None:
    """The cache folder; None when the cache is off or has no usable place (`no_cache_reason`)."""
    configured = os.environ.get("FEP_POLICY_CACHE_DIR")
    if configured is not None:
        return configured if os.path.isabs(configured) else None
    base = _base_folder(".cache", variable="XDG_CACHE_HOME")
    return None if base is None else os.path.join(base, "fep-medical-policy")


def secret_path() -> str | None:
    base = _base_folder(".config", variable="XDG_CONFIG_HOME")
    return None if base is None else os.path.join(base, "fep-medical-policy", "cache-secret")


def no_cache_reason() -> str | None:
    """Why compiled tables cannot be cached here, for a user who did not turn the cache off
    (FEP_POLICY_CACHE_DIR empty); None when they can be, or when it is off."""
    configured = os.environ.get("FEP_POLICY_CACHE_DIR")
    if configured == "":
        return None
    if configured is not None and not os.path.isabs(configured):
        return f"FEP_POLICY_CACHE_DIR is not an absolute folder ({configured!r})"
    if cache_dir() is None or secret_path() is None:
        return ("no usable home folder (HOME is unset, empty, relative or /); set "
                "FEP_POLICY_CACHE_DIR and XDG_CONFIG_HOME to absolute folders to cache them")
    return None


# This process's code digest, looked at once (a list, not functools.lru_cache: importing functools
# is a cost of every start-up). Threads racing to fill it append equal digests; [0] is used.
_code_seen: list[str | None] = []


def _code_digest() -> str | None:
    if not _code_seen:
        _code_seen.append(_digest_of_code())
    return _code_seen[0]


# The code that builds an entry: the layers at and below `validate` (docs/architecture.md: the
# import contract keeps them from importing the layers above), the compiler and this module.
ENTRY_CODE = ("core", "load", "codesets", "validate", "compiler.py", "cache.py")


def _digest_of_code() -> str | None:
    """The package code that builds an entry (ENTRY_CODE): a new version of the compiler never
    reads an old one's entries.

    Each module file is known by its path, size, inode and modification and change times (not its
    bytes: reading every module on every run cost more than the rest of the key). Any write to a
    file moves its change time, which no program can set back, so an edited module is never taken
    for the one an entry was built by. None (no caching) when no module file is found, as in a
    zipped or frozen package."""
    hashed = blake2b(digest_size=32, person=b"fep-policy-code")
    found = False
    for top in ENTRY_CODE:
        start = os.path.join(_PACKAGE, top)
        walked = os.walk(start) if not top.endswith(".py") else [(_PACKAGE, [], [top])]
        for folder, subfolders, names in walked:
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
            for name in sorted(n for n in names if n.endswith((".py", ".pyc"))):
                path = os.path.join(folder, name)
                try:
                    info = os.stat(path)
                except OSError:
                    return None
                relative = path[len(_PACKAGE):].encode("utf-8", "surrogateescape")
                hashed.update(b"%d:%s %d %d %d %d %d;" % (len(relative), relative, info.st_size,
                                                          info.st_ino, info.st_dev,
                                                          info.st_mtime_ns, info.st_ctime_ns))
                found = True
    return hashed.hexdigest() if found else None


def content_key(snapshot: Snapshot) -> str | None:
    """The key of a policy's compiled form: its id, its files' bytes, this package's code and the
    interpreter (None when the code cannot be identified: nothing is cached then)."""
    code = _code_digest()
    if code is None:
        return None
    material = f"{snapshot.files.policy_id}\0{snapshot.digest()}\0{code}\0{sys.version}"
    hashed = blake2b(material.encode("utf-8", "surrogateescape"), digest_size=32,
                     person=b"fep-policy-key")
    return hashed.hexdigest()


def _mine(status: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or status.st_uid == os.getuid()


def _private_folder(path: str) -> bool:
    """Create `path` 0700 if absent; True if it is a real folder of ours that no one else can
    write."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        status = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(status.st_mode) and _mine(status)
            and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _read_private(path: str, limit: int) -> bytes | None:
    """A regular file of ours in its folder, not a link, at most `limit` bytes; None otherwise."""
    from .core.errors import PolicyError
    from .core.reading import read_bounded

    try:
        if not _mine(os.lstat(path)):
            return None
        return read_bounded(path, limit, what="cache entry", folder=os.path.dirname(path))
    except (OSError, PolicyError):
        return None


def _secret() -> bytes | None:
    """This user's cache secret, created on first use; None when it cannot be had safely."""
    path = secret_path()
    if path is None or not _private_folder(os.path.dirname(path)):
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
    """Keyed BLAKE2b (a MAC by design: no HMAC construction needed) of the key and the content."""
    sealed = blake2b(key.encode() + b"\n" + payload, digest_size=32, key=secret,
                     person=b"fep-policy-seal")
    return sealed.hexdigest().encode()


def _load_entry(path: str, secret: bytes, key: str) -> CompiledPolicy | None:
    data = _read_private(path, MAX_ENTRY_BYTES)
    if data is None:
        return None
    mac, _, payload = data.partition(b"\n")
    if not compare_digest(mac, _seal(secret, key, payload)):
        return None
    try:  # (only bytes this user's own process sealed reach marshal, and it is checked anyway)
        return CompiledPolicy.from_json(marshal.loads(payload))
    except (ValueError, EOFError, TypeError, RecursionError):  # from_json: ValueError
        return None


def _one_copy_of_each_string(value: object, seen: dict[str, str]) -> Any:
    """`value` with each run of equal strings made one object, which marshal then writes once:
    the revisions repeat most of their words, and the entry (read on every warm run) halves."""
    if type(value) is str:
        return seen.setdefault(value, value)
    if type(value) is list:
        return [_one_copy_of_each_string(item, seen) for item in value]
    if type(value) is dict:
        return {_one_copy_of_each_string(k, seen): _one_copy_of_each_string(v, seen)
                for k, v in value.items()}
    return value


def _store_entry(path: str, secret: bytes, key: str, compiled: CompiledPolicy) -> None:
    from .core.errors import PolicyIOError
    from .writer import atomic_output

    payload = marshal.dumps(_one_copy_of_each_string(compiled.to_json(), {}))
    try:
        with atomic_output(path) as out:
            out.write(_seal(secret, key, payload) + b"\n" + payload)
    except (PolicyIOError, OSError):
        pass  # a read-only cache folder only costs speed


def compiled_policy(files: PolicyFiles) -> CompiledPolicy:
    """The compiled form of a policy's tables; validates and compiles on a cache miss."""
    snapshot = read_snapshot(files)
    folder = cache_dir()
    secret = _secret() if folder and _private_folder(folder) else None
    entry = key = None
    if folder and secret:
        key = content_key(snapshot)
    if folder and secret and key:
        entry = os.path.join(folder, f"{key}{ENTRY_SUFFIX}")
        found = _load_entry(entry, secret, key)
        if found is not None:
            return found
    from .compiler import compile_policy
    from .validate import load_and_validate  # heavy path: YAML, jsonschema

    validated = load_and_validate(files, snapshot=snapshot)
    compiled = compile_policy(validated.revisions, validated.definition,
                              validated.crosswalk)
    if entry is not None and secret is not None and key is not None:
        _store_entry(entry, secret, key, compiled)
        _prune(os.path.dirname(entry), keep=os.path.basename(entry))
    return compiled


def _prune(folder: str, keep: str) -> None:
    """Remove all but the `KEEP_ENTRIES` newest entries of the folder (`keep`, just written,
    always stays). Only regular files of ours named as entries are touched; a file another
    process is reading stays readable until it closes it, and one it was about to open is a miss
    (a rebuild), never a wrong answer."""
    import re

    entry_name = re.compile(rf"[0-9a-f]{{64}}{re.escape(ENTRY_SUFFIX)}")
    found: list[tuple[int, str]] = []
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                if item.name == keep or not entry_name.fullmatch(item.name):
                    continue
                status = item.stat(follow_symlinks=False)
                if stat.S_ISREG(status.st_mode) and _mine(status):
                    found.append((status.st_mtime_ns, item.name))
    except OSError:
        return
    for _, name in sorted(found, reverse=True)[KEEP_ENTRIES - 1:]:
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass  # removed by a concurrent run, or not ours to remove: only space
