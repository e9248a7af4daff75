"""The tables the service decides with, and their hot reload.

A `Served` is one snapshot: the policy's files read once (the package's `snapshot.read_snapshot`:
the bytes hashed are exactly the bytes validated and compiled), its `crd.yml`, and the digest of
all of them, which every response names. A request takes `Reloader.current` once and uses that
snapshot throughout; a reload builds a whole new one off the request path (a thread) and swaps the
one reference, so no request ever sees half of an edit.

The reloader polls the files' metadata (size, times, inode) every `interval` seconds, and reloads
at once on SIGHUP (`request_reload`). An edit that does not validate leaves the last good snapshot
serving: `pending` holds its problems (GET /readyz answers 503 listing them) and the service's
log says why. Validation takes about a second of CPU for the shipped tables, never on a request.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from ..api import Policy
from ..core.decision import INDETERMINATE, NO_POLICY
from ..core.errors import DataError, PolicyError, Problem
from ..core.policy_files import PolicyFiles, find_tables_dir, policy_files
from .crd_config import FILE_NAME as CRD_FILE
from .crd_config import CrdConfig, read_crd_config

if TYPE_CHECKING:
    from ..codesets.crosswalk import Crosswalk
    from ..validate import ValidatedPolicy

_logger = logging.getLogger("policy.serve")


@dataclass(frozen=True)
class Served:
    """One snapshot of the tables, immutable; `digest`: BLAKE2b-256 of every file's bytes (the
    package's snapshot digest of the tables, source text, policy.yml, codes.yml and schemas,
    then crd.yml)."""

    digest: str
    policy: Policy
    validated: ValidatedPolicy
    crd: CrdConfig | None
    crosswalk: Crosswalk | None  # None without codes.yml
    loaded_at: str
    files: PolicyFiles

    @property
    def policy_id(self) -> str:
        return self.policy.id

    def history(self) -> list[dict]:
        """`policy history --json`'s entries, without the server's own file paths."""
        return [{k: v for k, v in revision.history_entry().items() if k != "file"}
                for revision in self.validated.revisions]

    def labels(self) -> dict[str, str]:
        return {i.name: i.label for i in self.validated.definition.inputs}

    def meaning(self, determination: str) -> str:
        for d in self.validated.definition.determinations:
            if d.id == determination:
                return d.meaning
        return determination.replace("_", " ")


def load_served(tables: str | None, policy_id: str | None) -> Served:
    """Read, validate and compile the policy's tables; DataError (every problem) or
    PolicyIOError when they cannot be served."""
    from ..compiler import compile_policy
    from ..core.snapshot import read_snapshot
    from ..validate import load_and_validate

    files = policy_files(find_tables_dir(tables), policy_id)
    snapshot = read_snapshot(files)
    crd_raw = _read_optional(os.path.join(files.folder, CRD_FILE), files.folder)
    validated = load_and_validate(files, snapshot=snapshot)
    compiled = compile_policy(validated.revisions, validated.definition)
    definition = validated.definition
    crd = read_crd_config(files.folder, crd_raw, definition.vocabulary(),
                          (*definition.order(), INDETERMINATE, NO_POLICY))
    crosswalk = None
    if files.codes_file is not None:  # (validated above, from the same snapshot)
        from ..codesets.crosswalk import read_crosswalk

        crosswalk = read_crosswalk(snapshot, definition)
    digest = hashlib.blake2b(digest_size=32, person=b"fep-policy-serve")
    digest.update(snapshot.digest().encode("ascii"))
    digest.update(b"crd.yml:absent" if crd_raw is None else b"crd.yml:" + crd_raw)
    return Served(digest=digest.hexdigest(), policy=Policy(compiled), validated=validated,
                  crd=crd, crosswalk=crosswalk, loaded_at=_now(), files=files)


def _read_optional(path: str, folder: str) -> bytes | None:
    from ..core.policy_files import display_path
    from ..core.reading import MAX_BYTES, read_bounded

    if not os.path.lexists(path):
        return None
    return read_bounded(path, MAX_BYTES, what="CRD reading", display=display_path(path),
                        folder=folder)


def _now() -> str:
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _fingerprint(files: PolicyFiles) -> tuple:
    """What changes when any file of the policy changes: each file's (name, size, inode, mtime,
    ctime), the folder's listing included (a new or removed table)."""
    found = []
    for folder in (files.folder, files.schemas_dir):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            names = []
        for name in names:
            try:
                info = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            found.append((folder, name, info.st_size, info.st_ino, info.st_mtime_ns,
                          info.st_ctime_ns))
    return tuple(found)


class Reloader:
    """Holds the served snapshot and replaces it when the tables change (see the module)."""

    def __init__(self, served: Served, tables: str | None, policy_id: str | None,
                 interval: float = 2.0) -> None:
        self.current = served
        self.pending: list[Problem] | None = None  # problems of an edit that does not validate
        self.pending_error: str | None = None
        self._tables, self._policy_id, self.interval = tables, policy_id, interval
        self._seen = _fingerprint(served.files)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._forced = False  # SIGHUP: reload whatever the metadata say
        self._thread: threading.Thread | None = None
        self.reloads = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tables-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def request_reload(self) -> None:
        """Reload now, whatever the files' metadata say (SIGHUP); safe from a signal handler."""
        self._forced = True
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval if self.interval > 0 else None)
            self._wake.clear()
            if self._stop.is_set():
                return
            forced, self._forced = self._forced, False
            seen = _fingerprint(self.current.files)
            if forced or seen != self._seen:
                time.sleep(0.05)  # an editor's save is often two writes: read after both
                self._seen = _fingerprint(self.current.files)
                self.reload()

    def reload(self) -> bool:
        """Load the tables again; True when a new snapshot now serves."""
        try:
            served = load_served(self._tables, self._policy_id)
        except DataError as exc:
            self.pending, self.pending_error = list(exc.problems), None
            _logger.error("tables changed and do not validate; still serving snapshot %s:\n%s",
                          self.current.digest[:12], "\n".join(map(str, exc.problems)))
            return False
        except PolicyError as exc:
            self.pending, self.pending_error = [], str(exc)
            _logger.error("tables changed and cannot be read; still serving snapshot %s: %s",
                          self.current.digest[:12], exc)
            return False
        self.pending, self.pending_error = None, None
        if served.digest == self.current.digest:
            return False
        previous, self.current = self.current, served  # the one swap
        self.reloads += 1
        import gc

        gc.freeze()  # the new tables out of the collector's scans too (see app._freeze_heap)
        _logger.warning("tables reloaded: snapshot %s replaces %s", served.digest[:12],
                        previous.digest[:12])
        return True
