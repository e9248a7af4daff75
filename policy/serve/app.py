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
import logging
import re
import signal
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import api
from .config import ServeConfig
from .decision_log import DecisionLog, LogUnavailable
from .problems import RequestRefused, problem_response
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
        return str(uuid.uuid4())

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="microseconds").replace(
            "+00:00", "Z")


def request_id_of(request: Request) -> str:
    """The client's X-Request-Id when it is a short plain token, else a new id."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def endpoint(handler: Handler, *, protected: bool) -> Callable[[Request], Awaitable[Response]]:
    """`handler` as a Starlette endpoint, in the one wrapper (see the module)."""

    async def run(request: Request) -> Response:
        service: Service = request.app.state.service
        served = service.reloader.current  # this request's snapshot, throughout
        request_id = request_id_of(request)
        request.state.body_read = False
        try:
            if protected and service.verifier is not None:
                service.verifier.verify(request.headers.get("authorization"), request.url.path)
            async with asyncio.timeout(service.config.request_timeout):
                response = await handler(service, request, served, request_id)
        except RequestRefused as refused:
            response = problem_response(refused, request_id, request.url.path)
        except LogUnavailable as exc:
            response = problem_response(RequestRefused("log-unavailable", str(exc)), request_id)
        except TimeoutError:
            kind = "log-unavailable" if request.state.body_read else "request-timeout"
            detail = (f"the decision was not durable within {service.config.request_timeout} s"
                      if request.state.body_read else
                      f"the request took longer than {service.config.request_timeout} s")
            response = problem_response(RequestRefused(kind, detail), request_id)
        except Exception:  # a fault of the service's own: never a traceback to the client
            _logger.exception("request %s to %s failed", request_id, request.url.path)
            response = problem_response(RequestRefused(
                "internal-error", f"the service failed on this request; its log names request "
                                  f"{request_id}"), request_id)
        response.headers["X-Request-Id"] = request_id
        response.headers["X-Policy-Snapshot"] = served.digest
        return response

    return run


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    kind = "method-not-allowed" if status == 405 else "not-found"
    headers = dict(getattr(exc, "headers", None) or {})
    detail = (f"{request.method} is not allowed on {request.url.path}" if status == 405
              else f"nothing is at {request.url.path}")
    response = problem_response(RequestRefused(kind, detail, headers=headers),
                                request_id_of(request), request.url.path)
    service = getattr(request.app.state, "service", None)
    if service is not None:
        response.headers["X-Policy-Snapshot"] = service.reloader.current.digest
    return response


def create_app(service: Service) -> Starlette:
    """The application serving `service` (started and stopped with the app's lifespan)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        service.start()
        _on_hangup(service)
        try:
            yield
        finally:
            service.stop()

    routes = [
        Route("/healthz", endpoint(api.healthz, protected=False), methods=["GET"]),
        Route("/readyz", endpoint(api.readyz, protected=False), methods=["GET"]),
        Route("/openapi.json", endpoint(api.openapi, protected=False), methods=["GET"]),
        Route("/v1/evaluate", endpoint(api.evaluate, protected=True), methods=["POST"]),
        Route("/v1/batch", endpoint(api.batch, protected=True), methods=["POST"]),
        Route("/v1/revisions", endpoint(api.revisions, protected=True), methods=["GET"]),
        Route("/v1/revisions/{id}", endpoint(api.revision, protected=True), methods=["GET"]),
        Route("/v1/history", endpoint(api.history, protected=True), methods=["GET"]),
        Route("/cds-services", endpoint(api.cds_discovery, protected=True), methods=["GET"]),
        Route("/cds-services/{id}", endpoint(api.cds_service, protected=True),
              methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: _not_found})
    app.state.service = service
    return app


def _on_hangup(service: Service) -> None:
    """SIGHUP reloads the tables (main thread only: where signals can be handled)."""
    if not hasattr(signal, "SIGHUP"):
        return
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP,
                                                      service.reloader.request_reload)
    except (NotImplementedError, RuntimeError, ValueError):
        pass

