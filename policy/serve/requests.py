"""Reading a request body as the service takes it: JSON only, bounded in bytes and depth, and
strict in the ways a case file is on the command line (the same codes: a duplicate key is
DUPLICATE_KEY, a lone surrogate ENCODING, nesting deeper than the loader's limit TOO_DEEP, an
integer of more than 100 digits WRONG_TYPE); `NaN` and `Infinity`, which JSON does not have, are
malformed JSON. The time a body may take to arrive is bounded by the caller (`app`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

from ..escaping import lone_surrogate, shown
from .problems import RequestRefused

MAX_INT_DIGITS = 100  # as the YAML/JSON case-file loader (policy.yaml_loader)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def check_media_type(request: Request) -> None:
    """JSON bodies only: `application/json` or a `+json` type, UTF-8 if a charset is given."""
    media, _, params = request.headers.get("content-type", "").partition(";")
    media = media.strip().lower()
    if not (media == "application/json" or (media.startswith("application/")
                                              and media.endswith("+json"))):
        raise RequestRefused("unsupported-media-type",
                             f"the Content-Type is {shown(media or 'absent')}; send "
                             "application/json")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value.strip('"').lower() not in ("utf-8", "utf8"):
            raise RequestRefused("unsupported-media-type",
                                 f"the charset is {shown(value)}; JSON is UTF-8")


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, refused (413) as soon as it is known to be larger than `max_bytes`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise RequestRefused("body-too-large",
                             f"the body is {int(declared)} bytes; the limit is {max_bytes}")
    chunks: list[bytes] = []
    total = 0
    receive = request.receive  # (ASGI's messages as they come: Request.stream's generator,
    while True:                # for a body of one message, cost more than the parse)
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestRefused("request-timeout", "the client went away before its body "
                                                    "arrived")
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > max_bytes:
            raise RequestRefused("body-too-large",
                                 f"the body is more than {max_bytes} bytes, the limit")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks) if len(chunks) > 1 else chunk


class _Refused(ValueError):
    """Raised inside the JSON parser's hooks; carries the problem code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):  # some key twice: name the first
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused("DUPLICATE_KEY",
                               f"the key {shown(key)} is given twice in one object")
            seen.add(key)
    return found


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused("WRONG_TYPE", f"an integer of {digits} digits; numbers here have at most "
                                     f"{MAX_INT_DIGITS}")
    return int(text)


def _constant(name: str) -> float:
    raise _Refused("", f"{name} is not JSON (RFC 8259 has no such number)")


# One decoder for every request: its hooks hold no state (json.loads with hooks would build a
# new decoder on each call, twice the time of the parse itself).
_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_int=_integer,
                            parse_constant=_constant)


def _malformed(message: str, code: str = "") -> RequestRefused:
    """Malformed JSON; `code`: the package's problem code where one names it (the case-file
    loader's), else only the detail."""
    errors = [{"code": code, "detail": message}] if code else None
    return RequestRefused("malformed-json", message, errors=errors)


def parse_json(body: bytes, max_depth: int) -> Any:
    """The JSON document of `body`, or RequestRefused naming what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"the body is not UTF-8 (byte {exc.start})", "ENCODING") from None
    try:
        value = _DECODER.decode(text)
    except _Refused as exc:
        raise _malformed(str(exc), exc.code) from None
    except json.JSONDecodeError as exc:
        raise _malformed(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    # A document can only nest as deep as it has brackets, and only hold a lone surrogate if it
    # writes one as an escape (UTF-8 cannot carry one): most bodies need no walk at all.
    if (body.count(b"[") + body.count(b"{") > max_depth
            or _SURROGATE_ESCAPE.search(body) is not None):
        _walk(value, max_depth)
    return value


def _too_deep(max_depth: int) -> RequestRefused:
    message = f"the body nests deeper than {max_depth} levels"
    return RequestRefused("too-deep", message, errors=[{"code": "TOO_DEEP", "detail": message}])


def _walk(value: Any, max_depth: int) -> None:
    """Refuse nesting deeper than `max_depth` and any lone surrogate (keys included)."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        node, depth, pointer = stack.pop()
        if isinstance(node, (dict, list)):
            if depth >= max_depth:
                raise _too_deep(max_depth)
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, item in items:
                here = f"{pointer}/{_pointer_token(key)}"
                if isinstance(key, str) and lone_surrogate(key) is not None:
                    raise _surrogate(key, here)
                stack.append((item, depth + 1, here))
        elif isinstance(node, str) and lone_surrogate(node) is not None:
            raise _surrogate(node, pointer)


def _pointer_token(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _surrogate(text: str, pointer: str) -> RequestRefused:
    at = lone_surrogate(text) or 0
    message = (f"a lone surrogate \\u{ord(text[at]):04x} is not a character; write the text in "
               "UTF-8")
    return RequestRefused("malformed-json", message,
                          errors=[{"code": "ENCODING", "detail": message, "pointer": pointer}])


def members(body: Any, allowed: tuple[str, ...], where: str = "the body") -> dict[str, Any]:
    """`body` as an object holding only `allowed` members (each may be absent)."""
    if not isinstance(body, dict):
        raise RequestRefused("invalid-request", f"{where} must be a JSON object, not "
                                                f"{_json_kind(body)}")
    unknown = [key for key in body if key not in allowed]
    if unknown:
        errors = [{"code": "UNKNOWN_FIELD", "pointer": "/" + _pointer_token(key),
                   "detail": f"unknown member {shown(key)}; {where} takes "
                             f"{', '.join(allowed)}"} for key in unknown]
        raise RequestRefused("invalid-request", "; ".join(e["detail"] for e in errors),
                             errors=errors)
    return body


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def wrong_type(pointer: str, what: str, value: Any) -> RequestRefused:
    message = f"{pointer.lstrip('/')} must be {what}, not {_json_kind(value)}"
    return RequestRefused("invalid-request", message,
                          errors=[{"code": "WRONG_TYPE", "detail": message, "pointer": pointer}])
