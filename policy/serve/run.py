"""Running the service: uvicorn in this process, or several worker processes on one port (a
supervisor starts them; on Linux each listens on a socket of its own with SO_REUSEPORT, so the
kernel spreads connections evenly), each with its own decision log.

The socket is bound here, before any worker starts, so a busy port fails at once, `port` 0 takes
a free one, and the address is known to say on standard error (`listening on URL`). The tables
are loaded and validated before binding: tables that do not validate stop the service at start.
Beyond loopback the service needs a JWK Set to check clients' tokens; without one it refuses to
bind (and the command line says so first).

Several workers: the supervisor forwards SIGHUP (reload the tables) to each worker, stops them
all on SIGINT or SIGTERM, and starts a worker again if one dies.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import replace
from typing import Any

from ..errors import PolicyError, PolicyIOError
from .config import ServeConfig

_logger = logging.getLogger("policy.serve")


class BindRefused(PolicyError, PermissionError):
    """The service would listen beyond loopback with no way to check its clients."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("policy serve: %(levelname)s: %(message)s"))
    logger = logging.getLogger("policy.serve")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def bind(host: str, port: int, *, reuse_port: bool = False,
         listen: bool = True) -> socket.socket:
    """A socket bound to (host, port), listening unless `listen` is False. `reuse_port`: one of
    several sockets on the port (SO_REUSEPORT), among which the kernel spreads new connections
    evenly; one listening socket shared by several processes goes to whichever wakes first, and
    under load most connections end up with one worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = getattr(exc, "strerror", None) or exc
        raise PolicyIOError(f"cannot listen on {host}:{port}: {reason}") from None
    if listen:
        sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: Any, config: ServeConfig) -> Any:
    import importlib.util

    import uvicorn

    return uvicorn.Config(
        app, host=config.host, port=config.port, log_level="warning", access_log=False,
        lifespan="on", server_header=False, timeout_keep_alive=5,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11")


def serve(config: ServeConfig, *, announce: Any = None) -> None:
    """Serve until stopped. `announce(url, served)` is called once the socket listens (the
    command line prints it). PolicyError (bad tables, a refused bind) before anything listens."""
    from .app import Service, create_app
    from .snapshots import load_served

    if config.jwks is None and not is_loopback(config.host):
        raise BindRefused(f"{config.host} is beyond loopback and no client authentication is "
                          "configured")
    configure_logging()
    served = load_served(config.tables, config.policy)
    reuse_port = config.workers > 1 and hasattr(socket, "SO_REUSEPORT")
    # several workers: the port is reserved here (bound, not listening) and each worker listens
    # on a socket of its own on it
    sock = bind(config.host, config.port, reuse_port=reuse_port, listen=not reuse_port)
    port = sock.getsockname()[1]
    host = f"[{config.host}]" if ":" in config.host else config.host
    if announce is not None:
        announce(f"http://{host}:{port}", served)
    if config.workers <= 1:
        import uvicorn

        service = Service(config, served)
        uvicorn.Server(_uvicorn_config(create_app(service), config)).run(sockets=[sock])
        return
    _supervise(replace(config, port=port), sock, own_sockets=reuse_port)


def _worker(config: ServeConfig, sock: socket.socket | None) -> None:
    import uvicorn

    from .app import Service, create_app

    configure_logging()
    if sock is None:  # a socket of its own on the port (SO_REUSEPORT)
        sock = bind(config.host, config.port, reuse_port=True)
    try:
        service = Service(config)
    except PolicyError as exc:
        _logger.error("worker %s cannot start: %s", config.worker, exc)
        raise SystemExit(1) from None
    uvicorn.Server(_uvicorn_config(create_app(service), config)).run(sockets=[sock])


def _supervise(config: ServeConfig, sock: socket.socket, *, own_sockets: bool) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    workers: dict[int, Any] = {}
    started: dict[int, float] = {}
    stopping = False

    def start(index: int) -> None:
        process = context.Process(target=_worker, args=(config.for_worker(index),
                                                        None if own_sockets else sock),
                                  name=f"policy-serve-w{index}")
        process.start()
        workers[index], started[index] = process, time.monotonic()

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    def hangup(signum: int, frame: object) -> None:
        for process in workers.values():
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGHUP)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    signal.signal(signal.SIGHUP, hangup)
    for index in range(1, config.workers + 1):
        start(index)
    try:
        while not stopping:
            time.sleep(0.2)
            for index, process in list(workers.items()):
                if not process.is_alive() and not stopping:
                    if time.monotonic() - started[index] < 1.0:
                        time.sleep(1.0)  # a worker that cannot start is not restarted in a loop
                    _logger.warning("worker %d ended (exit %s); starting it again", index,
                                    process.exitcode)
                    start(index)
    finally:
        for process in workers.values():
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        for process in workers.values():
            process.join(timeout=15)
        sock.close()
