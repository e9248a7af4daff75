"""A policy's files read once: the bytes that are hashed are exactly the bytes that are validated.

The compiled cache is keyed by a hash of the tables, the source text and the schemas. Hashing the files
and then reading them again to validate would leave a window in which an editor, `git checkout` or
rsync changes a table: the new tables' compiled form would be stored under the old tables' key, and
every later run with the old tables would answer from the other version. So every file is read once,
into a `Snapshot`, and both the key and the validation use its bytes.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import namedtuple

from .errors import PolicyIOError
from .tables import PolicyFiles, display_path

MAX_FILE_BYTES = 1024 * 1024  # the YAML loader's limit too; a larger file is refused there


def read_file(path: str) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes of a regular file (so an oversize file is seen as such).

    Opens without blocking, so a FIFO named like a table cannot hang the reader, and refuses
    anything that is not a regular file (a device such as /dev/zero, a folder).
    """
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise PolicyIOError(f"{display_path(path)}: cannot read: {exc.strerror or exc}") from exc
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise PolicyIOError(f"{display_path(path)}: cannot read: not a regular file")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(handle, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise PolicyIOError(f"{display_path(path)}: cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(handle)


class Snapshot(namedtuple("Snapshot", "files contents")):
    """`contents`: path -> the file's bytes, or the PolicyIOError reading it raised (reported where
    the file is used, as if it were read there)."""

    __slots__ = ()

    def read(self, path: str) -> bytes:
        found = self.contents[path]
        if isinstance(found, PolicyIOError):
            raise found
        return found

    def schema(self, name: str) -> tuple[str, bytes]:
        """(path, bytes) of `schemas/<name>.schema.json`."""
        path = os.path.join(self.files.schemas_dir, f"{name}.schema.json")
        if path not in self.contents:
            raise PolicyIOError(f"{display_path(path)}: cannot load schema: no such file")
        return path, self.read(path)

    def digest(self) -> str:
        """SHA-256 of every file's name and bytes (lengths included, so no two snapshots collide
        by shifting bytes from one file to the next)."""
        hashed = hashlib.sha256()
        for path, found in self.contents.items():
            data = b"<unreadable>" if isinstance(found, PolicyIOError) else found
            name = os.path.basename(path).encode("utf-8", "surrogateescape")
            hashed.update(b"%d:%s%d:" % (len(name), name, len(data)))
            hashed.update(data)
        return hashed.hexdigest()


def read_snapshot(files: PolicyFiles) -> Snapshot:
    """Read every file of a policy once (tables, source text, schemas)."""
    contents: dict[str, bytes | PolicyIOError] = {}
    for path in files.all_files():
        try:
            contents[path] = read_file(path)
        except PolicyIOError as exc:
            contents[path] = exc
    return Snapshot(files, contents)
