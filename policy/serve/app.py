"""The ASGI application (Starlette): routes, the one wrapper every endpoint runs in, and the
service's state (the served tables, the decision log, the JWT verifier).

The wrapper gives every request an id (`X-Request-Id`: the client's, if it is a short token,
else a new one), names the snapshot that answered (`X-Policy-Snapshot`, on every response),
checks the bearer JWT where one is required, bounds the request's time (a body still arriving
when time is up is a 408; a decision that cannot be logged in time, a 503), and turns every
refusal into a problem (RFC 9457). Anything else that escapes is a fault of the service: logged
with its traceback on the service's standard error, answered 500 without one.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from ..escaping import escape
from . import api
from .config import ServeConfig
from .decision_log import DecisionLog, LogUnavailable
from .problems import MEDIA_TYPE, RequestRefused, problem_response
from .snapshots import Reloader, Served, load_served

_logger = logging.getLogger("policy.serve")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
Handler = Callable[["Service", Request, Served, str], Awaitable[Response]]


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


_PROCESS = os.urandom(8).hex()  # request ids: this process's random prefix and a count
_counter = itertools.count(1)


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
    import gc

    gc.freeze()


def request_id_of(request: Request) -> str:
    """The client's X-Request-Id when it is a short plain token, else a new id (unique across
    processes by the random prefix; `next` on a count is atomic under the GIL)."""
    for name, value in request.scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(given):
                return given
            break
    return f"{_PROCESS}-{next(_counter)}"


def endpoint(handler: Handler, *, methods: tuple[str, ...],
             protected: bool) -> Callable[[Request], Awaitable[Response]]:
    """`handler` as a Starlette endpoint, in the one wrapper (see the module)."""

    async def run(request: Request) -> Response:
        service: Service = request.scope["policy.service"]
        served = service.reloader.current  # this request's snapshot, throughout
        request_id = request_id_of(request)
        request.scope["policy.body_read"] = False
        try:
            if request.method not in methods:
                raise RequestRefused("method-not-allowed", f"{request.method} is not allowed on "
                                     f"{request.scope['path'][:200]}",
                                     headers={"Allow": ", ".join(methods)})
            if protected and service.verifier is not None:
                service.verifier.verify(request.headers.get("authorization"),
                                        request.scope["path"])
            with service.deadlines.bounded():
                response = await handler(service, request, served, request_id)
        except RequestRefused as refused:
            response = problem_response(refused, None, request.scope["path"][:200])
        except LogUnavailable as exc:
            response = problem_response(RequestRefused("log-unavailable", str(exc)), None)
        except Expired:
            body_read = request.scope["policy.body_read"]
            kind = "log-unavailable" if body_read else "request-timeout"
            detail = (f"the decision was not durable within {service.config.request_timeout} s"
                      if body_read else
                      f"the request took longer than {service.config.request_timeout} s")
            response = problem_response(RequestRefused(kind, detail), None)
        except Exception:  # a fault of the service's own: never a traceback to the client
            _logger.exception("request %s to %s failed", request_id,
                              escape(request.scope["path"][:200]))
            response = problem_response(RequestRefused(
                "internal-error", f"the service failed on this request; its log names request "
                                  f"{request_id}"), None)
        if response.media_type == MEDIA_TYPE:  # a problem names its request in its body too
            body = bytes(response.body)
            response.body = body[:-1] + b',"request_id":"' + request_id.encode() + b'"}'
            response.headers["content-length"] = str(len(response.body))
        response.raw_headers += [(b"x-request-id", request_id.encode("ascii")),
                                 (b"x-policy-snapshot", served.digest.encode("ascii"))]
        return response

    return run


def create_app(service: Service) -> Router:
    """The application serving `service` (started and stopped with its lifespan): Starlette's
    router alone, without the application's middleware stack (a quarter of the time of a
    request); this wrapper does what that stack would (problems for 404 and 405 included)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        service.start()
        _on_hangup(service)
        watcher = asyncio.create_task(service.deadlines.watch())
        try:
            yield
        finally:
            watcher.cancel()
            service.stop()

    get, post = ("GET", "HEAD"), ("POST",)
    routes = [
        Route("/v1/evaluate", endpoint(api.evaluate, methods=post, protected=True)),
        Route("/cds-services/{id}", endpoint(api.cds_service, methods=post, protected=True)),
        Route("/v1/batch", endpoint(api.batch, methods=post, protected=True)),
        Route("/healthz", endpoint(api.healthz, methods=get, protected=False)),
        Route("/readyz", endpoint(api.readyz, methods=get, protected=False)),
        Route("/openapi.json", endpoint(api.openapi, methods=get, protected=False)),
        Route("/v1/revisions", endpoint(api.revisions, methods=get, protected=True)),
        Route("/v1/revisions/{id}", endpoint(api.revision, methods=get, protected=True)),
        Route("/v1/history", endpoint(api.history, methods=get, protected=True)),
        Route("/cds-services", endpoint(api.cds_discovery, methods=get, protected=True)),
    ]
    for route in routes:
        route.methods = None  # every method reaches the wrapper, which answers 405 itself
    every_method = tuple("GET HEAD POST PUT PATCH DELETE OPTIONS".split())
    not_found = endpoint(api.not_found, methods=every_method, protected=False)

    async def default(scope: Any, receive: Any, send: Any) -> None:
        response = await not_found(Request(scope, receive))
        await response(scope, receive, send)

    router = Router(routes=routes, default=default, lifespan=lifespan)
    # The decision endpoints skip the router's matching and its per-request layers (Starlette's
    # request_response and exception wrappers around every send): the same wrapper and handler,
    # called directly, answer /v1/evaluate in about 60 % of the time (measured with wrk, one
    # worker: 19,000 to 22,000 requests a second against 12,000 to 14,000).
    direct = {route.path: route.endpoint for route in routes
              if route.path in ("/v1/evaluate", "/v1/batch")}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["policy.service"] = service
        run = direct.get(scope["path"]) if scope["type"] == "http" else None
        if run is None:
            await router(scope, receive, send)
            return
        response = await run(Request(scope, receive, send))
        await response(scope, receive, send)

    return app  # type: ignore[return-value]


def _on_hangup(service: Service) -> None:
    """SIGHUP reloads the tables (main thread only: where signals can be handled)."""
    if not hasattr(signal, "SIGHUP"):
        return
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP,
                                                      service.reloader.request_reload)
    except (NotImplementedError, RuntimeError, ValueError):
        pass

