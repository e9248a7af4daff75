"""The one place that writes files: a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import PolicyIOError


def _as_if_created(handle: int) -> None:
    """Give a temporary file the mode a plain open() would (mkstemp makes it owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(handle, 0o666 & ~umask)


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the whole new one, never a part."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
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
def atomic_output(path: str | os.PathLike):
    """A binary file to stream into; it appears at `path` only when the block ends without error.

    On any exception (Ctrl-C included) the temporary file is removed and `path` is left as it was.
    """
    target = Path(path)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent if str(target.parent) else ".")
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
