"""The decision log: one JSON line per decision, durable before the decision is answered, each
line carrying the SHA-256 of the line before it (`prev`), so an edited, removed, inserted or
reordered line breaks the chain (`policy log verify`, module `log_verify`).

Durability, by group commit: a request's lines are chained and serialised in the event loop's
thread, and all the lines of one turn of the loop are appended with one write; one syncer thread
then calls `fdatasync` (the data and the file's new length; `fsync` where there is none) and
answers every request whose lines were written before the call began. A sync covers every
request that arrived while the previous one ran, so the cost per decision falls as the load
rises; `sync="line"` (one sync per line) is kept to measure the difference (benchmarks/serve.py).
Nothing but the sync leaves the loop's thread, so the log costs no thread hand-offs.

Beside the log, `FILE.head` names the last line synced (its `seq` and hash), rewritten in place
after each sync without an fsync of its own: it survives a killed process (the kernel keeps the
page) and may lag the log after a power cut, never lead it. It lets `verify` see lines removed
from the end, which no chain can show by itself.

Rotation by size: when the file reaches `max_bytes` it is renamed `FILE.000001` (then `.000002`,
...) and a new FILE continues the chain (its first `prev` is the last hash of the one before).
The file is created 0600 (decisions may hold health information) and locked: one writer per file,
so several workers write one log each. A line cut short by a crash (never answered: its request
waited for the fsync) is cut off when the log is opened again, and said so on standard error.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import logging
import os
import queue
import threading
from typing import Any

import orjson

from ..core.errors import PolicyIOError
from .log_chain import GENESIS, HEAD_SUFFIX, line_hash

TAIL_BYTES = 1 << 20  # the end of an existing log read to continue its chain
INPUT_MODES = ("hash", "full", "none")
_STOP = object()
HEAD_BYTES = 256  # FILE.head: one JSON object, padded to a fixed size
_logger = logging.getLogger("policy.serve")


def inputs_digest(inputs: Any) -> str:
    """SHA-256 of the inputs as canonical JSON: sorted keys, no spaces, UTF-8 (what
    `json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` gives,
    encoded): what a reviewer holding the inputs recomputes to prove a line is about them."""
    return hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()


def entry(decision: dict, *, decision_id: str, time: str, request_id: str, endpoint: str,
          snapshot: str, inputs: Any, input_mode: str, **extra: Any) -> dict:
    """A log line's content (before `seq` and `prev`, which the writer adds in order)."""
    revision = decision.get("revision")
    found = {"decision_id": decision_id, "time": time, "request_id": request_id,
             "endpoint": endpoint, "policy": decision.get("policy"), "snapshot": snapshot,
             "revision": revision["id"] if revision else None,
             "version": revision["version"] if revision else None,
             "rule": decision.get("rule"), "determination": decision.get("determination"),
             "as_of": decision.get("as_of"), "needs": decision.get("needs"), **extra}
    if input_mode == "full":
        found["inputs"] = inputs
    elif input_mode == "hash":
        found["inputs_sha256"] = inputs_digest(inputs)
    return found


class LogUnavailable(PolicyIOError):
    """A decision could not be made durable (the disk is full, the file cannot be written)."""


def rotated_path(path: str, number: int) -> str:
    return f"{path}.{number:06d}"


def rotated_files(path: str) -> list[str]:
    """The rotated files of the log at `path`, oldest first."""
    folder, name = os.path.split(os.path.abspath(path))
    found = []
    for other in os.listdir(folder or "."):
        suffix = other[len(name) + 1:]
        if other.startswith(name + ".") and len(suffix) == 6 and suffix.isdigit():
            found.append(os.path.join(folder, other))
    return sorted(found)


class DecisionLog:
    """The append-only, hash-chained, durable log of one process (see the module's docstring)."""

    def __init__(self, path: str, *, max_bytes: int = 64 << 20, sync: str = "group") -> None:
        if sync not in ("group", "line"):
            raise ValueError(f"sync must be 'group' or 'line', not {sync!r}")
        self.path, self.max_bytes, self.sync = os.path.abspath(path), max_bytes, sync
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()  # the syncer's: None, or _STOP
        self._syncer: threading.Thread | None = None
        self._fd = -1
        self._head_fd = -1
        self.seq, self.last_hash, self.size = 0, GENESIS, 0
        self.failed: OSError | None = None
        # lines serialised and not yet written (this loop iteration's), with their waiters
        self._buffer: list[bytes] = []
        self._waiting: list[tuple[Any, asyncio.Future]] = []
        self._flush_soon = False
        # written and durable: bytes since opened (every file); pending: the commits written and
        # not yet synced, in order, each (written after it, its last seq and hash, its waiters)
        self._written = self._durable = 0
        self._pending: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    # --- opening and closing ------------------------------------------------------------------
    def open(self) -> None:
        """Open (or create) the log, continue its chain, and start the syncer thread."""
        self._open_file()
        self._head_fd = os.open(self.path + HEAD_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
        self._syncer = threading.Thread(target=self._sync_run, name="decision-log-sync",
                                        daemon=True)
        self._syncer.start()

    def _open_file(self, *, continue_chain: bool = True) -> None:
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise PolicyIOError(f"{self.path}: cannot open the decision log: "
                                f"{exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise PolicyIOError(f"{self.path}: another process writes this decision log; give "
                                "each process its own") from None
        self._fd = fd
        if continue_chain:
            self._continue_chain()
        else:
            self.size = os.fstat(fd).st_size
        _fsync_folder(self.path)

    def _continue_chain(self) -> None:
        size = os.fstat(self._fd).st_size
        start = max(0, size - TAIL_BYTES)
        tail = os.pread(self._fd, size - start, start)
        complete = tail.rfind(b"\n") + 1
        if complete < len(tail):  # a line cut short by a crash: it was never answered
            os.ftruncate(self._fd, start + complete)
            _logger.warning("%s: cut off %d bytes of a line the last run did not finish "
                            "(never answered)", self.path, len(tail) - complete)
            tail, size = tail[:complete], start + complete
        self.size = size
        lines = tail.rstrip(b"\n").split(b"\n") if tail.strip() else []
        if not lines:
            self._continue_from_rotated()
            return
        last = lines[-1]
        try:
            seq = json.loads(last)["seq"]
            if type(seq) is not int:
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise PolicyIOError(f"{self.path}: the last line is not a decision-log line; check "
                                "the file (policy log verify) or start a new log") from None
        self.seq, self.last_hash = seq, line_hash(last)

    def _continue_from_rotated(self) -> None:
        """An empty current file continues the chain of the newest rotated one, if any."""
        older = rotated_files(self.path)
        if not older:
            return
        with open(older[-1], "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - TAIL_BYTES))
            lines = handle.read().rstrip(b"\n").split(b"\n")
        if lines and lines[-1]:
            self.seq, self.last_hash = json.loads(lines[-1])["seq"], line_hash(lines[-1])

    def close(self) -> None:
        """Write and sync what is waiting, stop the syncer and close the files (after the event
        loop has stopped taking requests)."""
        if self._buffer:
            self._flush()
        if self._syncer is not None:
            with self._lock:
                while self.failed is None and self._durable < self._written:
                    self._changed.wait()
            self._jobs.put(_STOP)
            self._syncer.join()
            self._syncer = None
        for fd in (self._fd, self._head_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._head_fd = -1

    # --- appending: in the event loop's thread ----------------------------------------------------
    async def append(self, entries: list[dict]) -> None:
        """Append `entries` (in order) and return once they are on disk; LogUnavailable if they
        cannot be written (the decisions must then not be answered).

        The lines are serialised and chained here, and written once per turn of the event loop
        (every request of that turn in one write); the syncer thread makes them durable and
        wakes the loop once per sync. Only the sync leaves the loop's thread: no thread hands the
        lines over, and the writes, in page cache, take microseconds."""
        if not entries:
            return
        if self.failed is not None:
            raise self._failure()
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        seq, last = self.seq, self.last_hash
        for content in entries:
            seq += 1
            line = orjson.dumps({"seq": seq, **content, "prev": last})
            last = line_hash(line)
            self._buffer.append(line + b"\n")
        self.seq, self.last_hash = seq, last
        self._waiting.append((loop, waiter))
        if self.sync == "line":
            self._flush()
        elif not self._flush_soon:
            self._flush_soon = True
            loop.call_soon(self._flush)
        await waiter

    def _flush(self) -> None:
        """Write the buffered lines and hand them to the syncer (`line`: a sync for each)."""
        self._flush_soon = False
        lines, self._buffer = self._buffer, []
        waiting, self._waiting = self._waiting, []
        if self.sync == "line":  # each line its own commit: (bytes, its seq, its hash)
            first = self.seq - len(lines) + 1
            commits = [(line, first + i, line_hash(line[:-1])) for i, line in enumerate(lines)]
        else:
            commits = [(b"".join(lines), self.seq, self.last_hash)]
        with self._lock:
            if self.failed is None:
                try:
                    for i, (chunk, seq, last) in enumerate(commits):
                        _write_all(self._fd, chunk)
                        self._written += len(chunk)
                        self.size += len(chunk)
                        answered = waiting if i == len(commits) - 1 else []
                        self._pending.append((self._written, seq, last, answered))
                        self._jobs.put(None)
                except OSError as exc:
                    self._fail(exc)
            if self.failed is not None:
                _wake(waiting, self._failure())

    # --- syncing: the syncer thread ---------------------------------------------------------------
    def _sync_run(self) -> None:
        """fdatasync, then answer every commit written before the call began (one wake-up of
        the event loop per sync); rotate the file between syncs when it is full."""
        while self._jobs.get() is not _STOP:
            with self._lock:
                if self.failed is not None or (self._durable >= self._written
                                               and self.sync != "line"):
                    continue  # an earlier sync covered it
                target, fd = self._written, self._fd
            try:
                _sync(fd)
                error = None
            except OSError as exc:
                error = exc
            with self._lock:
                if error is not None:
                    self._fail(error)
                elif target > self._durable or self.sync == "line":
                    self._durable = max(self._durable, target)
                    done = []
                    while self._pending and self._pending[0][0] <= self._durable:
                        done.append(self._pending.popleft())
                    if done:
                        self._head(done[-1][1], done[-1][2])
                        _wake([w for item in done for w in item[3]], None)
                    if self.size >= self.max_bytes and self._durable == self._written:
                        self._rotate()
                self._changed.notify_all()

    def _fail(self, exc: OSError) -> None:
        """Fail closed (under the lock): what reached the file is unknown, so no later line may
        continue the chain from memory (a restart continues it from disk); nothing waiting is
        answered."""
        if self.failed is None:
            self.failed = exc
            _logger.error("%s: cannot write the decision log: %s; no decision is answered "
                          "until the service is restarted", self.path, exc)
        pending, self._pending = list(self._pending), collections.deque()
        _wake([w for item in pending for w in item[3]], self._failure())
        self._changed.notify_all()

    def _failure(self) -> LogUnavailable:
        failed = self.failed
        return LogUnavailable("the decision log cannot be written: "
                              f"{getattr(failed, 'strerror', None) or failed}")

    def _head(self, seq: int, last: str) -> None:
        """Name the last durable line in FILE.head (under the lock): one write of a fixed-size
        record (padded), so no truncation is needed."""
        head = json.dumps({"file": os.path.basename(self.path), "seq": seq,
                           "hash": last}).encode("ascii").ljust(HEAD_BYTES - 1) + b"\n"
        try:
            os.pwrite(self._head_fd, head, 0)
        except OSError as exc:  # the log itself is durable; only the check of its end suffers
            _logger.warning("%s: cannot write the head: %s", self.path, exc)

    def _rotate(self) -> None:
        """(Under the lock, every line synced: the event loop cannot write meanwhile.)"""
        older = rotated_files(self.path)
        number = int(older[-1].rsplit(".", 1)[1]) + 1 if older else 1
        try:
            os.rename(self.path, rotated_path(self.path, number))
            os.close(self._fd)  # (the lock goes with the old file; the new one is locked)
            self._fd = -1
            # the chain runs on from memory, never re-read here: the event loop may be chaining
            # lines past the last one of the file being rotated as this runs
            self._open_file(continue_chain=False)
        except (OSError, PolicyIOError) as exc:
            self._fail(exc if isinstance(exc, OSError) else OSError(str(exc)))


def _wake(waiters: list[tuple[Any, asyncio.Future]], outcome: BaseException | None) -> None:
    """Settle the waiters' futures, with one wake-up of each event loop."""
    by_loop: dict[Any, list[asyncio.Future]] = {}
    for loop, waiter in waiters:
        by_loop.setdefault(loop, []).append(waiter)
    for loop, futures in by_loop.items():
        loop.call_soon_threadsafe(_settle, futures, outcome)


# fdatasync where there is one: it flushes the data and the new length (what an append changes)
# without the times, which nothing here reads
_sync = getattr(os, "fdatasync", os.fsync)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_folder(path: str) -> None:
    """Make the file's name durable too (its creation or a rename)."""
    try:
        folder = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)


def _settle(waiters: list[asyncio.Future], outcome: BaseException | None) -> None:
    for waiter in waiters:
        if not waiter.done():  # (a request that timed out no longer waits)
            if outcome is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(outcome)
