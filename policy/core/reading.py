"""The one bounded reader of untrusted files: tables, the source text, schemas, case files, cache
entries.

A path is opened without blocking and without following a final symbolic link, checked to be a
regular file (a FIFO would hang, `/dev/zero` never ends), and read up to a cap; a larger file is
refused before its content is read, with its real size. With `folder`, the file must also lie in
that folder itself: a symbolic link, or a path that resolves elsewhere, is refused unread, so the
content of a file that is not ours is never echoed in a message.
"""

from __future__ import annotations

import os
import stat

from .errors import DataError, PolicyIOError, Problem

MAX_BYTES = 1024 * 1024  # the largest table, source text, schema or case file read

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (5 ms of start-up)
if TYPE_CHECKING:
    from typing import Protocol

    class ByteStream(Protocol):
        """What `read_stream_bounded` reads: `sys.stdin.buffer` or any binary file object."""

        def read(self, size: int = -1, /) -> bytes: ...

try:  # POSIX
    _FLAG_NONBLOCK, _FLAG_NOFOLLOW = os.O_NONBLOCK, os.O_NOFOLLOW
except AttributeError:  # Windows: no FIFOs to wait on; links are refused by the check alone
    _FLAG_NONBLOCK = _FLAG_NOFOLLOW = 0


def _too_large(display: str, size: int | None, limit: int) -> DataError:
    found = f"is {size} bytes" if size is not None else f"holds more than {limit} bytes"
    return DataError(Problem(display, 1, 1, "FILE_TOO_LARGE",
                             f"the file {found}; the limit is {limit}"))


def confinement_problem(path: str | os.PathLike, folder: str | os.PathLike,
                        display: str | None = None) -> Problem | None:
    """A SYMLINK problem when `path` is a symbolic link or does not resolve to an entry of
    `folder` itself (after resolving the folder's own path); else None. Nothing is read."""
    path = os.fspath(path)
    display = display or path
    if os.path.islink(path):
        return Problem(display, 0, 0, "SYMLINK",
                       "is a symbolic link; tables, source and schemas must be regular files "
                       "in their folder (links are never followed)")
    parent, name = os.path.split(path)
    if name not in ("", ".", "..") and parent in (os.fspath(folder), os.fspath(folder).rstrip("/")):
        return None  # named as an entry of the folder, and not a link: nothing to resolve
    real_parent = os.path.dirname(os.path.realpath(path))
    if real_parent != os.path.realpath(folder):
        return Problem(display, 0, 0, "SYMLINK",
                       "resolves outside its folder; tables, source and schemas must be regular "
                       "files in their folder (links are never followed)")
    return None


def read_bounded(path: str | os.PathLike, limit: int, *, what: str = "file",
                 display: str | None = None, folder: str | os.PathLike | None = None) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Raises `PolicyIOError` (exit 4) when the file cannot be opened or read, or is not a regular
    file (a folder, FIFO, device or socket); `DataError` FILE_TOO_LARGE naming the real size when
    it is larger than `limit`; `DataError` SYMLINK when `folder` is given and the path is a
    symbolic link or resolves outside `folder`. `what` names the file in messages ("table").
    """
    path = os.fspath(path)
    display = display or path
    if folder is not None:
        problem = confinement_problem(path, folder, display)
        if problem is not None:
            raise DataError(problem)
    # non-blocking: opening a FIFO must not wait for a writer (checked and refused below)
    flags = os.O_RDONLY | _FLAG_NONBLOCK  # (Python's descriptors are not inherited)
    if folder is not None:
        flags |= _FLAG_NOFOLLOW  # a link swapped in after the check is refused too
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise cannot_read(display, exc, what) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise cannot_read(display, kind, what)
        if info.st_size > limit:
            raise _too_large(display, info.st_size, limit)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:  # a file that grows while read is still cut at the cap
            try:
                chunk = os.read(fd, min(limit + 1 - total, 1 << 20))
            except OSError as exc:
                raise cannot_read(display, exc, what) from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise _too_large(display, max(os.fstat(fd).st_size, total), limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def cannot_read(display: str, reason: BaseException | str, what: str = "") -> PolicyIOError:
    """The one wording of a read that failed: `NAME: cannot read[ the WHAT]: REASON` (an
    OSError's reason is its strerror)."""
    if isinstance(reason, BaseException):
        reason = getattr(reason, "strerror", None) or str(reason)
    return PolicyIOError(f"{display}: cannot read{f' the {what}' if what else ''}: {reason}")


def read_stream_bounded(stream: ByteStream | None, limit: int, *, what: str = "input",
                        display: str = "<stdin>") -> bytes:
    """At most `limit` bytes of a binary stream (standard input); `None` (a closed standard
    input) and read errors are a `PolicyIOError`; more than `limit` bytes a FILE_TOO_LARGE."""
    if stream is None:
        raise cannot_read(display, "standard input is closed", what)
    try:
        raw = stream.read(limit + 1)
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed
        raise cannot_read(display, exc, what) from None
    if len(raw) > limit:
        raise _too_large(display, None, limit)
    return raw
