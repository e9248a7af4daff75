"""CDS Hooks client authentication: the bearer JWT each request carries (CDS Hooks 2.0,
"Trusting CDS Clients"), verified with PyJWT against a JWK Set file.

A token is accepted when its signature verifies with the key its `kid` names in the JWK Set (an
asymmetric algorithm only: never `none` or a shared secret), its `iss` is one the service
trusts, its `aud` is the endpoint called (the configured public base URL + the request's path),
it has not expired (`exp`, with a small leeway) and says when it was issued (`iat`), its lifetime
is at most five minutes as CDS Hooks asks, and its `jti` was not seen before (replay). Seen `jti`s
are kept until their token expires, in this process only: behind several workers or instances a
replay to another one is not caught (docs/serve.md says how to keep one store).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import jwt

from ..errors import DataError, PolicyIOError, Problem
from .problems import RequestRefused

ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
LEEWAY_SECONDS = 30
MAX_LIFETIME_SECONDS = 300 + LEEWAY_SECONDS
MAX_SEEN = 100_000


def read_jwks(path: str) -> jwt.PyJWKSet:
    """The JWK Set at `path`; PolicyIOError if unreadable, DataError if it holds no usable key."""
    from ..reading import read_bounded

    raw = read_bounded(path, 1 << 20, what="JWK Set")
    try:
        keys = jwt.PyJWKSet.from_dict(json.loads(raw))
    except (ValueError, jwt.PyJWKError, jwt.PyJWKSetError) as exc:
        raise DataError(Problem(path, 0, 0, "SCHEMA", f"not a usable JWK Set: {exc}")) from None
    if any(not key.key_id for key in keys.keys):
        raise DataError(Problem(path, 0, 0, "MISSING_KEY", "every key of the JWK Set needs a "
                                                           "'kid' (tokens name their key by it)"))
    return keys


class JwtVerifier:
    """Verifies CDS Hooks client JWTs (see the module); thread-safe."""

    def __init__(self, keys: jwt.PyJWKSet, issuers: list[str], audience_base: str) -> None:
        if not issuers:
            raise PolicyIOError("no trusted issuer: a JWK Set without issuers would accept any")
        self.keys = {key.key_id: key for key in keys.keys}
        self.issuers = list(issuers)
        self.audience_base = audience_base.rstrip("/")
        self._seen: dict[str, float] = {}  # jti -> its token's expiry
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, path: str) -> dict[str, Any]:
        """The token's claims, or RequestRefused (401) saying why it is not accepted."""
        if not authorization or not authorization.startswith("Bearer "):
            raise _unauthorized("no bearer token (Authorization: Bearer <JWT>)")
        token = authorization[len("Bearer "):].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"not a JWT: {exc}") from None
        key = self.keys.get(header.get("kid")) if isinstance(header.get("kid"), str) else None
        if key is None:
            raise _unauthorized("the token's kid names no key of the configured JWK Set")
        audience = self.audience_base + path
        try:
            claims = jwt.decode(token, key=key, algorithms=ALGORITHMS, audience=audience,
                                issuer=self.issuers, leeway=LEEWAY_SECONDS,
                                options={"require": ["iss", "aud", "exp", "iat", "jti"]})
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"the token is not accepted: {exc}") from None
        jti, exp, iat = claims["jti"], claims["exp"], claims["iat"]
        if not isinstance(jti, str) or not jti:
            raise _unauthorized("the token's jti is not a string")
        if exp - iat > MAX_LIFETIME_SECONDS:
            raise _unauthorized("the token lives longer than five minutes")
        self._remember(jti, float(exp))
        return claims

    def _remember(self, jti: str, expires: float) -> None:
        now = time.time()
        with self._lock:
            if jti in self._seen and self._seen[jti] + LEEWAY_SECONDS >= now:
                raise _unauthorized("the token's jti was used before (a replay)")
            if len(self._seen) >= MAX_SEEN:
                self._seen = {k: v for k, v in self._seen.items() if v + LEEWAY_SECONDS >= now}
                if len(self._seen) >= MAX_SEEN:  # all still live: refuse rather than forget
                    raise _unauthorized("too many live tokens; try again shortly")
            self._seen[jti] = expires


def _unauthorized(detail: str) -> RequestRefused:
    return RequestRefused("unauthorized", detail,
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
