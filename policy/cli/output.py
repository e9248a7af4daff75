"""What the command line writes to standard output, and under which name: every rendering goes
through the one escaper (JSON is escaped by json.dumps), and a failed write (a full disk, a closed
descriptor) is one PolicyIOError (exit 4), while a closed pipe is the reader leaving (exit 0)."""

from __future__ import annotations

import os
import sys

from ..core.errors import PolicyError, PolicyIOError
from ..core.escaping import escape

TYPE_CHECKING = False  # typing.TYPE_CHECKING without the import: on a warm evaluate's path
if TYPE_CHECKING:
    from typing import BinaryIO, Literal

PROG = "policy"


def out(text: str, *, escaped: bool = True) -> None:
    """Print a rendering; text renderings go through the one escaper line by line (they echo
    table and case text). JSON passes `escaped=False`: json.dumps escapes it already."""
    if escaped:
        text = "\n".join(map(escape, text.split("\n")))
    with writing_stdout():
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


class writing_stdout:
    """Turns a failed write to standard output (a full disk, a closed descriptor) into one
    PolicyIOError (exit 4); a closed pipe stays BrokenPipeError (the reader left: exit 0)."""

    def __enter__(self) -> writing_stdout:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: object) -> Literal[False]:
        if isinstance(exc, OSError) and not isinstance(exc, (BrokenPipeError, PolicyError)):
            discard_stdout()  # what is still buffered can never be written
            raise PolicyIOError(f"standard output: cannot write: {exc.strerror or exc}") from None
        return False


class StdoutStream:
    """The binary standard output for `policy batch`, with write errors as `writing_stdout`."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def write(self, data: bytes) -> int:
        with writing_stdout():
            written = self.raw.write(data)
        return written

    def flush(self) -> None:
        with writing_stdout():
            self.raw.flush()


def discard_stdout() -> None:
    """Point descriptor 1 at the null device, so the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
