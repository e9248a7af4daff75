"""What every request of the service shares (`Service`): its configuration, the served tables and
their reloader, the decision log, the JWT verifier, and the deadlines of the requests running."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from .config import ServeConfig
from .decision_log import DecisionLog
from .snapshots import Reloader, Served, load_served


class Service:
    """What every request shares: configuration, the reloader (the served snapshot), the decision
    log and the JWT verifier. Built before the server binds, so bad tables stop it at start."""

    def __init__(self, config: ServeConfig, served: Served | None = None) -> None:
        self.config = config
        served = served or load_served(config.tables, config.policy)
        self.reloader = Reloader(served, config.tables, config.policy, config.reload_interval)
        self.deadlines = Deadlines(config.request_timeout)
        self.log = (DecisionLog(config.decision_log, max_bytes=config.log_max_bytes,
                                sync=config.log_sync) if config.decision_log else None)
        self.verifier = None
        if config.jwks is not None:
            from .jwt_auth import JwtVerifier, read_jwks

            audience = config.jwt_audience or f"http://{config.host}:{config.port}"
            self.verifier = JwtVerifier(read_jwks(config.jwks), list(config.jwt_issuers),
                                        audience)

    def start(self) -> None:
        if self.log is not None:
            self.log.open()
        _freeze_heap()
        self.reloader.start()

    def stop(self) -> None:
        self.reloader.stop()
        if self.log is not None:
            self.log.close()

    async def record(self, entries: list[dict]) -> None:
        """Make `entries` durable before the caller answers (no log: nothing to do)."""
        if self.log is not None:
            await self.log.append(entries)

    @staticmethod
    def new_id() -> str:
        """A random (version 4) UUID, as text: os.urandom and a format, a fifth of the time
        `str(uuid.uuid4())` takes, on every decision."""
        raw = bytearray(os.urandom(16))
        raw[6], raw[8] = raw[6] & 0x0F | 0x40, raw[8] & 0x3F | 0x80
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="microseconds").replace(
            "+00:00", "Z")


class Expired(Exception):
    """A request that ran past its deadline (`Deadlines`)."""


class Deadlines:
    """The time each request may take, kept by one task that looks twice a second and cancels a
    request past its deadline (which then answers 408 or 503). Not `asyncio.timeout` around each
    request: on uvloop its timer cost about 30 µs a request, a third of the whole request's time
    in the service (measured), where this costs a dict entry."""

    TICK = 0.25

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running: dict[asyncio.Task, float] = {}  # request -> its deadline (monotonic)
        self.expired: set[asyncio.Task] = set()

    @contextmanager
    def bounded(self) -> Any:
        task = asyncio.current_task()
        if task is None:  # (not in a task: nothing to cancel)
            yield
            return
        self.running[task] = time.monotonic() + self.seconds
        try:
            yield
        except asyncio.CancelledError:
            if task not in self.expired:
                raise  # a shutdown, or the client went away: not ours to answer
            task.uncancel()
            raise Expired from None
        finally:
            del self.running[task]
            self.expired.discard(task)

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.TICK)
            now = time.monotonic()
            for task, deadline in list(self.running.items()):
                if deadline <= now and task not in self.expired:
                    self.expired.add(task)
                    task.cancel()


def _freeze_heap() -> None:
    """Keep the objects alive now (the compiled tables, the imported modules) out of the cyclic
    garbage collector's scans: its collections, triggered by each request's allocations, went
    over all of them again and again (a fifth of a request's time, measured in-process). Frozen
    objects are still freed when nothing refers to them."""
    gc.freeze()
