"""Opening an input file: a named file, standard input ('-') or a pipe; never a device."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from io import BufferedReader
from typing import BinaryIO

from ..core.errors import PolicyIOError
from ..core.reading import cannot_read

BLOCK_BYTES = 4 << 20  # read size: about 100,000 claim rows, a few tens of MB in memory at a time


def display(path: str) -> str:
    """The input's name in messages."""
    return "<stdin>" if path == "-" else path


def open_input(path: str) -> BufferedReader:
    """The input opened for reading ('-': standard input, which stays open afterwards). A named
    device (/dev/zero, a disk) is refused: it may never end; pipes and standard input are read."""
    import stat

    try:
        if path == "-":
            return os.fdopen(os.dup(0), "rb")
        handle = open(path, "rb")
        mode = os.fstat(handle.fileno()).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            handle.close()
            raise cannot_read(path, "a device, not a file or pipe")
        return handle
    except PolicyIOError:
        raise
    except OSError as exc:
        reason = "standard input is closed" if path == "-" else exc.strerror or exc
        raise cannot_read(display(path), reason) from exc


@contextlib.contextmanager
def seekable(path: str) -> Iterator[str]:
    """`path` itself when it is a regular file; else (standard input '-', a pipe, a device) a
    path to an unnamed temporary copy, gone when the block ends (or the process is killed)."""
    import shutil
    import stat

    if path != "-":
        try:
            if stat.S_ISREG(os.stat(path).st_mode):
                yield path
                return
        except OSError as exc:
            raise cannot_read(path, exc) from exc
    with open_input(path) as source, scratch_file() as (copy, copy_path):
        try:
            shutil.copyfileobj(source, copy, BLOCK_BYTES)
            copy.flush()
        except OSError as exc:
            raise cannot_read(path, exc) from exc
        yield copy_path


@contextlib.contextmanager
def scratch_file() -> Iterator[tuple[BinaryIO, str]]:
    """(binary file, a path that opens it) for a temporary copy: an unnamed file (O_TMPFILE
    where the system has it), opened again through /proc, so a killed run leaves nothing;
    without /proc a named temporary file, removed when the block ends."""
    import tempfile

    with tempfile.TemporaryFile(prefix="policy-input-") as copy:
        if os.path.exists(f"/proc/self/fd/{copy.fileno()}"):
            yield copy, f"/proc/self/fd/{copy.fileno()}"
            return
    with tempfile.NamedTemporaryFile(prefix="policy-input-") as named:
        yield named, named.name  # type: ignore[misc]
