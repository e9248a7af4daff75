"""The endpoints: the JSON API (`/v1/...`), health and readiness, the OpenAPI document, and the
HTTP side of the CDS Hooks services (`cdshooks` decides).

`POST /v1/evaluate` takes `{"as_of"?, "case"}` and answers what `policy evaluate --json` prints,
plus `decision_id` and `snapshot`; the case is checked by the package's own case check, so it is
refused (422, the same codes) where the command line refuses it. `POST /v1/batch` takes
`{"as_of"?, "cases": [...]}` and answers one result per case, in order: the decision, or the
case's problems. Every decision is in the decision log before its answer is sent.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import DataError
from . import cdshooks
from .decision_log import entry
from .problems import RequestRefused, case_errors, invalid_case, problem_response
from .requests import check_media_type, members, parse_json, read_body, wrong_type

if TYPE_CHECKING:
    from .app import Service
    from .snapshots import Served


class JSONResponse(Response):
    """A JSON body by orjson (compact UTF-8, as `json.dumps(..., ensure_ascii=False,
    separators=(",", ":"))` writes it, in a tenth of the time)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


async def read_json(service: Service, request: Request) -> Any:
    if request.scope["query_string"]:  # everything is in the body: a query is a mistake
        raise RequestRefused("invalid-request", "this resource takes no query parameters; "
                                                "send everything in the JSON body")
    check_media_type(request)
    body = await read_body(request, service.config.max_body)
    request.scope["policy.body_read"] = True
    return parse_json(body, service.config.max_depth)


def _log_entry(service: Service, decision: dict, *, decision_id: str, request_id: str,
               endpoint: str, served: Served, inputs: Any, **extra: Any) -> dict:
    return entry(decision, decision_id=decision_id, time=service.now(), request_id=request_id,
                 endpoint=endpoint, snapshot=served.digest, inputs=inputs,
                 input_mode=service.config.log_inputs, **extra)


async def evaluate(service: Service, request: Request, served: Served,
                   request_id: str) -> Response:
    body = members(await read_json(service, request), ("as_of", "case"))
    if "case" not in body:
        raise RequestRefused("invalid-request", "the body needs a case: {\"as_of\": DATE, "
                                                "\"case\": {FIELD: VALUE, ...}}",
                             errors=[{"code": "MISSING_KEY", "pointer": "/case",
                                      "detail": "case is required"}])
    case, as_of = body["case"], body.get("as_of")
    if not isinstance(case, dict):
        raise wrong_type("/case", "an object of fields", case)
    try:
        decision = served.policy.evaluate(case, as_of)
    except DataError as exc:
        raise invalid_case(exc) from None
    result = decision.to_json()
    decision_id = service.new_id()
    result["decision_id"], result["snapshot"] = decision_id, served.digest
    if service.log is not None:
        await service.record([_log_entry(service, result, decision_id=decision_id,
                                         request_id=request_id, endpoint="/v1/evaluate",
                                         served=served, inputs={"as_of": as_of, "case": case})])
    return JSONResponse(result)


async def batch(service: Service, request: Request, served: Served, request_id: str) -> Response:
    body = members(await read_json(service, request), ("as_of", "cases"))
    cases, as_of = body.get("cases"), body.get("as_of")
    if not isinstance(cases, list):
        raise wrong_type("/cases", "an array of cases", cases)
    if len(cases) > service.config.max_batch:
        raise RequestRefused("batch-too-long", f"{len(cases)} cases; the limit is "
                                               f"{service.config.max_batch} per request")
    if as_of is not None:  # a bad date is the whole request's problem, not each case's
        try:
            served.policy.evaluate({}, as_of)
        except DataError as exc:
            raise invalid_case(exc) from None
    results: list[dict] = []
    entries: list[dict] = []
    for index, case in enumerate(cases):
        if not isinstance(case, dict):
            message = "a case must be an object of fields"
            results.append({"index": index, "errors": [{"code": "WRONG_TYPE", "detail": message,
                                                        "pointer": f"/cases/{index}"}]})
            continue
        try:
            decision = served.policy.evaluate(case, as_of)
        except DataError as exc:
            found: dict[str, Any] = {"index": index}
            if isinstance(case.get("case_id"), str):
                found["case_id"] = case["case_id"]
            found["errors"] = case_errors(exc, f"/cases/{index}")
            results.append(found)
            continue
        decision_id = service.new_id()
        result = {"index": index, **decision.to_json(), "decision_id": decision_id,
                  "snapshot": served.digest}
        results.append(result)
        entries.append(_log_entry(service, result, decision_id=decision_id,
                                  request_id=request_id, endpoint="/v1/batch", served=served,
                                  inputs={"as_of": as_of, "case": case}, index=index))
    await service.record(entries)
    bad = len(results) - len(entries)
    return JSONResponse({"results": results, "bad": bad, "snapshot": served.digest})


async def revisions(service: Service, request: Request, served: Served,
                    request_id: str) -> Response:
    _no_query(request)
    return JSONResponse(served.history())


async def revision(service: Service, request: Request, served: Served,
                   request_id: str) -> Response:
    _no_query(request)
    wanted = request.path_params["id"]
    for found, listed in zip(served.validated.revisions, served.history(), strict=True):
        if found.id == wanted:
            return JSONResponse({**listed, "document": _thawed(found.data)})
    raise RequestRefused("not-found", f"no revision {wanted[:40]!r}; GET /v1/revisions lists "
                                      "them")


async def history(service: Service, request: Request, served: Served,
                  request_id: str) -> Response:
    params = request.query_params
    unknown = [key for key in params if key != "as_of"]
    if unknown or len(params.getlist("as_of")) > 1:
        raise RequestRefused("invalid-request", "the only query parameter is as_of, given once")
    if "as_of" not in params:
        return JSONResponse(served.history())
    try:
        in_force = served.policy.evaluate({}, params["as_of"]).revision
    except DataError as exc:
        raise invalid_case(exc) from None
    entries = {e["id"]: e for e in served.history()}
    return JSONResponse(entries[in_force["id"]] if in_force else None)


def _no_query(request: Request) -> None:
    if request.query_params:
        raise RequestRefused("invalid-request", "this resource takes no query parameters")


def _thawed(value: Any) -> Any:
    """A frozen table (MappingProxyType, tuples) as plain JSON values."""
    if isinstance(value, (dict, MappingProxyType)):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thawed(v) for v in value]
    return value


async def not_found(service: Service, request: Request, served: Served,
                    request_id: str) -> Response:
    raise RequestRefused("not-found", f"nothing is at {request.url.path[:200]}")


async def healthz(service: Service, request: Request, served: Served,
                  request_id: str) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(service: Service, request: Request, served: Served,
                 request_id: str) -> Response:
    reloader = service.reloader
    log = service.log
    if log is not None and log.failed is not None:
        return problem_response(RequestRefused("log-unavailable", str(log.failed),
                                               snapshot=served.digest))
    if reloader.pending is not None:
        problems = [p.as_json() for p in reloader.pending]
        detail = reloader.pending_error or f"{len(problems)} problem(s) in the edited tables"
        return problem_response(RequestRefused("tables-invalid", detail, problems=problems,
                                               snapshot=served.digest))
    return JSONResponse({"status": "ready", "policy": served.policy_id,
                         "snapshot": served.digest, "loaded_at": served.loaded_at,
                         "reloads": reloader.reloads})


async def openapi(service: Service, request: Request, served: Served,
                  request_id: str) -> Response:
    from importlib.metadata import PackageNotFoundError, version

    from .openapi import document

    try:
        found = version("fep-medical-policy")
    except PackageNotFoundError:
        found = "unknown"
    return JSONResponse(document(served.policy_id, served.policy.compiled.title,
                                 served.policy.compiled.columns, found))


async def cds_discovery(service: Service, request: Request, served: Served,
                        request_id: str) -> Response:
    return JSONResponse(cdshooks.discovery(served))


async def cds_service(service: Service, request: Request, served: Served,
                      request_id: str) -> Response:
    name = request.path_params["id"]
    hook = cdshooks.hook_of(served, name)
    if hook is None:
        raise RequestRefused("not-found", f"no CDS service {name[:60]!r}; GET /cds-services "
                                          "lists them")
    body = await read_json(service, request)
    today = service.now()[:10]
    response, decided = cdshooks.answer(served, hook, body, new_id=service.new_id, today=today,
                                        site_url=service.config.site_url)
    hook_instance = body.get("hookInstance")
    entries = []
    for one in decided:
        decision = one.decision or {"policy": served.policy_id, "determination": None,
                                    "needs": ["service_date"]}
        inputs = {"as_of": one.facts.service_date, "case": one.case,
                  "codes": one.facts.codes_json()}
        entries.append(_log_entry(service, decision, decision_id=one.decision_id,
                                  request_id=request_id, endpoint=f"/cds-services/{name}",
                                  served=served, inputs=inputs, hook_instance=hook_instance,
                                  order=one.facts.reference, covered=one.covered,
                                  coverage_assertion_id=one.decision_id
                                  if one.covered else None))
    await service.record(entries)
    return JSONResponse(response)
