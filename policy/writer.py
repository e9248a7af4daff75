"""The one place that writes files: a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .core.errors import PolicyIOError


def _as_if_created(handle: int) -> None:
    """Give a temporary file the mode a plain open() would (mkstemp makes it owner-only)."""
    os.fchmod(handle, 0o666 & ~_umask())


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the whole new one, never a
    part."""
    target = Path(path)
    _refuse_special(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                        dir=target.parent)
    except OSError as exc:
        raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    try:
        _as_if_created(handle)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temp, target)
    except BaseException as exc:  # includes KeyboardInterrupt: leave nothing half-written behind
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        raise


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file to stream into; it appears at `path` only when the block ends without error.

    On any exception (Ctrl-C included) the temporary file is removed and `path` is left as it was.
    Where the file system allows (Linux, O_TMPFILE), the file being written has no name at all
    until it is complete, so even `kill -9` leaves nothing behind; elsewhere it is a hidden
    `.NAME.PID.XXXX.tmp` beside the target, and a later run for the same target removes those
    whose process is gone.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    _refuse_special(target)
    _remove_stale_temporaries(target)
    unnamed = _unnamed_file(folder)
    if unnamed is not None:
        try:
            with os.fdopen(unnamed, "wb") as out:
                yield out
                out.flush()
                _link_unnamed(out.fileno(), target)
        except BaseException as exc:
            if isinstance(exc, OSError) and not isinstance(exc, PolicyIOError):
                raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
            raise
        return
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                        dir=folder)
    except OSError as exc:
        raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    try:
        _as_if_created(handle)
        with os.fdopen(handle, "wb") as out:
            yield out
        os.replace(temp, target)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, PolicyIOError):
            raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        raise


def _refuse_special(target: Path) -> None:
    """An existing target must be a regular file: renaming over `/dev/null`, a FIFO or a link to
    a device would replace it (as root, the system's /dev/null) instead of writing into it."""
    try:
        mode = os.stat(target).st_mode  # (follows a link: what it names must be a file too)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device or pipe)"
        raise PolicyIOError(f"{target}: cannot write: {kind}; name a new or regular file "
                            "(or leave the output to standard output)")


def _unnamed_file(folder: Path) -> int | None:
    """A descriptor of a new file without a name in `folder` (O_TMPFILE), or None where the
    system or file system has none."""
    flag = os.O_TMPFILE if hasattr(os, "O_TMPFILE") else None
    if flag is None or _linkat() is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o666 & ~_umask())
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EACCES, errno.EROFS, errno.ENOSPC, errno.EDQUOT):
            raise PolicyIOError(f"{folder / '?'}: cannot write: {exc.strerror}".replace(
                "/?:", ":")) from exc
        return None  # EOPNOTSUPP, EISDIR, EINVAL: no O_TMPFILE here, use a named file


def _link_unnamed(fd: int, target: Path) -> None:
    """Give the unnamed file its name: link it under a hidden name, then rename over the target
    (a rename replaces atomically; a link cannot). The hidden name lives for one rename."""
    temp = target.parent / f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    linkat = _linkat()
    if linkat is None:  # (only called where _unnamed_file found it)
        raise OSError(errno.ENOSYS, "linkat is not available", str(target))
    # linkat(AT_SYMLINK_FOLLOW) on the /proc link: os.link would link the symlink itself
    if linkat(_AT_FDCWD, f"/proc/self/fd/{fd}".encode(), _AT_FDCWD, os.fsencode(temp),
                 _AT_SYMLINK_FOLLOW) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(target))
    try:
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


_AT_FDCWD, _AT_SYMLINK_FOLLOW = -100, 0x400  # Linux values (O_TMPFILE is Linux only)


@functools.cache
def _linkat() -> Callable[..., int] | None:
    """libc's linkat, or None (looked up once, only where O_TMPFILE exists)."""
    try:
        function = ctypes.CDLL(None, use_errno=True).linkat
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                             ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return function


def _remove_stale_temporaries(target: Path) -> None:
    """Remove `.NAME.PID.*.tmp` files beside `target` left by runs that were killed (their
    process no longer exists)."""
    folder = target.parent if str(target.parent) else Path(".")
    prefix = f".{target.name}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return  # the write itself will report the folder
    for name in names:
        pid = name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            os.unlink(folder / name)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


FOLDER_MARK = ".written-by-policy"  # in a folder write_folder made: it may be replaced


def write_folder(path: str | os.PathLike[str], files: Mapping[str, bytes]) -> None:
    """Write a whole folder (relative path -> bytes) so that `path` holds the old folder or the
    whole new one, never a part: the files go into a hidden folder beside it, which then takes
    its place. An existing `path` is replaced only when it is empty or a folder this function
    wrote (it holds FOLDER_MARK): never a folder of other files."""
    target = Path(path)
    if os.path.lexists(target):
        if not target.is_dir() or target.is_symlink():
            raise PolicyIOError(f"{target}: cannot write: not a folder; name a new folder")
        if os.listdir(target) and not (target / FOLDER_MARK).is_file():
            raise PolicyIOError(f"{target}: cannot write: the folder holds other files; name a "
                                "new or empty folder")
    for relative in files:
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"not a relative path inside the folder: {relative!r}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                     dir=target.parent))
    except OSError as exc:
        raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    previous = target.parent / f"{temp.name}.previous"
    try:
        os.chmod(temp, 0o777 & ~_umask())  # mkdtemp makes it owner-only
        for relative, data in {**files, FOLDER_MARK: b""}.items():
            file = temp / relative
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
        if os.path.lexists(target):
            os.rename(target, previous)
        os.rename(temp, target)
    except BaseException as exc:  # includes KeyboardInterrupt: leave nothing half-written behind
        shutil.rmtree(temp, ignore_errors=True)
        if previous.exists() and not os.path.lexists(target):
            os.rename(previous, target)
        if isinstance(exc, OSError):
            raise PolicyIOError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _umask() -> int:
    """The process's umask (Python reads it only by setting it: set and put back at once)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask
