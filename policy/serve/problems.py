"""RFC 9457 problem details: every refused request gets a 4xx with an `application/problem+json`
body that names the problem (a fault of the service's own, a 5xx), and never a stack trace.

A problem's `type` is a tag URI (RFC 4151: an identifier, not a page to fetch) ending in the
problem's kind, e.g. `tag:fep-medical-policy,2025:invalid-case`; docs/serve.md lists every kind.
Problems of the case itself carry the package's own codes (`UNKNOWN_FIELD`, `DATE_INVALID`, ...)
in `errors`, each with a JSON pointer to the member it is about where one is known.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ..cases import AS_OF
from ..errors import DataError, PolicyError

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:fep-medical-policy,2025:"

# kind -> (status, title): the one list of what a request can be refused for
KINDS = {
    "malformed-json": (400, "The body is not one well-formed JSON document"),
    "too-deep": (400, "The JSON body nests deeper than the service accepts"),
    "body-too-large": (413, "The body is larger than the service accepts"),
    "unsupported-media-type": (415, "The body must be JSON (Content-Type: application/json)"),
    "invalid-request": (422, "The request's members are not what this endpoint takes"),
    "invalid-case": (422, "The case or its date is invalid"),
    "batch-too-long": (422, "The batch holds more cases than the service accepts"),
    "invalid-hook-request": (422, "The CDS Hooks request is not one this service can read"),
    "request-timeout": (408, "The request took longer than the service allows"),
    "unauthorized": (401, "A valid bearer token (JWT) is required"),
    "not-found": (404, "No such resource"),
    "method-not-allowed": (405, "The method is not allowed on this resource"),
    "tables-invalid": (503, "An edit of the tables is invalid; the last valid tables still serve"),
    "log-unavailable": (503, "The decision could not be written to the decision log"),
    "internal-error": (500, "The service failed on this request (a fault of its own)"),
}


class RequestRefused(PolicyError, ValueError):
    """A request the service answers with a problem (`kind`: a key of KINDS)."""

    def __init__(self, kind: str, detail: str, *, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"undocumented problem kind {kind!r}")
        super().__init__(detail)
        self.kind, self.detail, self.errors = kind, detail, errors
        self.headers, self.extra = headers or {}, extra

    @property
    def status(self) -> int:
        return KINDS[self.kind][0]

    def body(self, request_id: str | None = None, instance: str | None = None) -> dict:
        found: dict[str, Any] = {"type": TYPE_PREFIX + self.kind, "title": KINDS[self.kind][1],
                                 "status": self.status, "detail": self.detail}
        if instance is not None:
            found["instance"] = instance
        if self.errors is not None:
            found["errors"] = self.errors
        found.update(self.extra)
        if request_id is not None:
            found["request_id"] = request_id
        return found


def problem_response(refused: RequestRefused, request_id: str | None = None,
                     instance: str | None = None) -> Response:
    """The problem as a response (`request_id`: named in the body; the app's wrapper adds it
    to every problem it sends)."""
    # ASCII JSON: an echoed lone surrogate (which no UTF-8 can carry) stays an escape
    content = json.dumps(refused.body(request_id, instance), ensure_ascii=True,
                         separators=(",", ":")).encode("ascii")
    return Response(content, status_code=refused.status, media_type=MEDIA_TYPE,
                    headers=dict(refused.headers))


def case_errors(exc: DataError, pointer: str) -> list[dict]:
    """The problems of a refused case as problem-detail errors: the package's code, its message,
    and a JSON pointer (`/as_of` for the date, else `pointer`, the case's own place)."""
    return [{"code": p.code, "detail": p.message,
             "pointer": "/" + AS_OF if p.file == AS_OF else pointer} for p in exc.problems]


def invalid_case(exc: DataError, pointer: str = "/case") -> RequestRefused:
    errors = case_errors(exc, pointer)
    return RequestRefused("invalid-case", "; ".join(e["detail"] for e in errors), errors=errors)
