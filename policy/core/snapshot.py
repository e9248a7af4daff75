"""A policy's files read once: the bytes that are hashed are exactly the bytes that are validated.

The compiled cache is keyed by a hash (BLAKE2b) of the tables, the source text and the schemas.
Hashing the files and then reading them again to validate would leave a window in which an
editor, `git checkout` or rsync changes a table: the new tables' compiled form would be stored
under the old tables' key, and every later run with the old tables would answer from the other
version. So every file is read once, into a `Snapshot`, and both the key and the validation use
its bytes.
"""

from __future__ import annotations

import os

from .errors import PolicyError, PolicyIOError
from .policy_files import PolicyFiles, display_path
from .reading import MAX_BYTES, read_bounded  # (not via yaml_loader: a warm evaluate needs no YAML)
from .record import Record

try:  # built into CPython; `hashlib` would load OpenSSL too, on every `policy evaluate`
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another interpreter
    from hashlib import blake2b


class Snapshot(Record):
    """`contents`: path -> the file's bytes, or the PolicyError reading it raised (reported where
    the file is used, as if it were read there)."""

    __slots__ = ()
    files: PolicyFiles
    contents: dict[str, bytes | PolicyError]

    def read(self, path: str) -> bytes:
        found = self.contents[path]
        if isinstance(found, PolicyError):
            raise found
        return found

    def schema(self, name: str) -> tuple[str, bytes]:
        """(path, bytes) of `schemas/<name>.schema.json`."""
        path = os.path.join(self.files.schemas_dir, f"{name}.schema.json")
        if path not in self.contents:
            raise PolicyIOError(f"{display_path(path)}: cannot load schema: no such file")
        return path, self.read(path)

    def digest(self) -> str:
        """BLAKE2b (256 bits) of every file's name and bytes (lengths included, so no two
        snapshots collide by shifting bytes from one file to the next)."""
        hashed = blake2b(digest_size=32, person=b"fep-policy-files")
        for path, found in self.contents.items():
            data = b"<unreadable>" if isinstance(found, PolicyError) else found
            name = os.path.basename(path).encode("utf-8", "surrogateescape")
            hashed.update(b"%d:%s%d:" % (len(name), name, len(data)))
            hashed.update(data)
        return hashed.hexdigest()


def read_snapshot(files: PolicyFiles) -> Snapshot:
    """Read every file of a policy once (tables, source text, policy.yml, codes.yml, schemas), each
    bounded, regular and confined to its folder (`reading.read_bounded`)."""
    contents: dict[str, bytes | PolicyError] = {}
    for path in files.all_files():
        if path in files.revision_files:
            what, folder = "table", files.folder
        elif path == files.source_file or path in files.source_files:
            what, folder = "source text", files.folder
        elif path == files.definition_file:
            what, folder = "policy definition", files.folder
        elif path == files.codes_file:
            what, folder = "crosswalk of codes", files.folder
        else:
            what, folder = "schema", files.schemas_dir
        try:
            contents[path] = read_bounded(path, MAX_BYTES, what=what, display=display_path(path),
                                          folder=folder)
        except PolicyError as exc:
            contents[path] = exc
    return Snapshot(files, contents)
