"""`policy serve` as a real process on 127.0.0.1 for the tests (tests/test_serve*.py).

The server is started with `--port 0` and reads its port from the line it prints when it
listens, so no two test runs race for a port. Each server is stopped by its own process id.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:[0-9]+)")


class Server:
    """A running `python -m policy serve ...`; `url` its base address, `client` an httpx client
    for it, `stderr` what it has printed so far."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None,
                 timeout: float = 60.0,
                 preexec_fn: Callable[[], object] | None = None) -> None:
        self.err_path = cwd / f"serve-{time.monotonic_ns()}.err"
        self._err = open(self.err_path, "wb")
        environment = {**os.environ, **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "policy", "serve", "--port", "0", *args], cwd=cwd,
            env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._err, preexec_fn=preexec_fn)
        deadline = time.monotonic() + timeout
        while True:
            found = LISTENING.search(self.stderr)
            if found:
                self.url = found.group(1)
                break
            if self.process.poll() is not None:
                self.close()
                raise RuntimeError(f"policy serve ended (exit {self.process.returncode}):\n"
                                   f"{self.stderr}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"policy serve did not listen in {timeout} s:\n{self.stderr}")
            time.sleep(0.05)
        self.client = httpx.Client(base_url=self.url, timeout=30.0)
        self._wait_ready(deadline)

    def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"policy serve did not answer /healthz:\n{self.stderr}")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def post(self, path: str, body: object, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, json=body, **kwargs)

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait; SIGKILL if it does not end in time. The exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.close()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.close()

    def close(self) -> None:
        if hasattr(self, "client"):
            self.client.close()
        self._err.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
