"""`policy serve`: the decision service (`policy.serve`), until stopped (SIGINT or SIGTERM)."""

from __future__ import annotations

import sys
from argparse import Namespace
from typing import Any

from ..core.errors import UsageError
from ..core.escaping import escape, shown
from .output import PROG


def _number(name: str, text: str, kind: type, least: float) -> Any:
    """An option's number, in ASCII digits (int() would take other scripts' digits too)."""
    try:
        if not text.isascii():
            raise ValueError
        value = kind(text)
        if value != value or value in (float("inf"), float("-inf")) or value < least:
            raise ValueError
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise UsageError(f"{name} must be {what} of at least {least:g}, not {shown(text)}") \
            from None
    return value


def run(args: Namespace) -> int:
    try:  # (the serve extra: the core install does without it)
        from ..serve.config import ServeConfig
        from ..serve.run import is_loopback, serve
    except ImportError as exc:
        raise UsageError(f"policy serve needs the serve extra ({exc.name} is not installed): "
                         "pip install 'fep-medical-policy[serve]'") from None
    issuers = [i.strip() for i in (args.jwt_issuer or "").split(",") if i.strip()]
    if args.jwks is None and not is_loopback(args.host):
        raise UsageError(f"--host {args.host} is beyond loopback: give --jwks FILE and "
                         "--jwt-issuer ISS so that clients' tokens are checked, or listen on "
                         "127.0.0.1")
    if args.jwks is not None and not issuers:
        raise UsageError("--jwks needs --jwt-issuer ISS[,ISS...] (the issuers to trust)")
    for name, value, allowed in (("--log-inputs", args.log_inputs, ("hash", "full", "none")),
                                 ("--log-sync", args.log_sync, ("group", "line"))):
        if value not in allowed:
            raise UsageError(f"{name} is one of {', '.join(allowed)}, not '{value}'")
    port = _number("--port", args.port, int, 0)
    if port > 65535:
        raise UsageError(f"--port {port} is not a port (0 to 65535; 0: a free one)")
    config = ServeConfig(
        tables=args.tables, policy=args.policy, host=args.host, port=port,
        decision_log=args.decision_log, log_inputs=args.log_inputs,
        log_max_bytes=_number("--log-max-bytes", args.log_max_bytes, int, 1),
        log_sync=args.log_sync, jwks=args.jwks, jwt_issuers=tuple(issuers),
        jwt_audience=args.jwt_audience,
        workers=_number("--workers", args.workers, int, 1),
        reload_interval=_number("--reload-interval", args.reload_interval, float, 0),
        max_body=_number("--max-body", args.max_body, int, 1),
        max_batch=_number("--max-batch", args.max_batch, int, 1),
        request_timeout=_number("--request-timeout", args.request_timeout, float, 0.001),
        site_url=args.site_url)

    def announce(url: str, served: Any) -> None:
        print(escape(f"{PROG} serve: {served.policy_id} (snapshot {served.digest[:12]}) "
                     f"listening on {url}"), file=sys.stderr, flush=True)

    serve(config, announce=announce)
    return 0
