"""The OpenAPI 3.1 document of the service (GET /openapi.json), its case schema built from the
served policy's own inputs (so a policy with other inputs documents those)."""

from __future__ import annotations

from typing import Any

from .problems import MEDIA_TYPE

_JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(status): {"description": "a problem (RFC 9457)",
                          "content": {MEDIA_TYPE: {"schema": _ref("Problem")}}}
            for status in statuses}


def case_schema(columns: tuple) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "case_id": {"type": ["string", "null"]},
        "service_date": {"type": ["string", "null"], "format": "date"}}
    for name, values in columns:
        if isinstance(values[0], bool):
            properties[name] = {"type": ["boolean", "null"]}
        else:
            properties[name] = {"enum": [*values, None]}
    for name in ("diagnosis", "procedure"):  # codes (core.cases.CODE_FIELDS: docs/codes.md)
        properties[name] = {"anyOf": [{"type": ["string", "null"]},
                                      {"type": "array", "items": {"type": "string"}}]}
    return {"type": "object", "additionalProperties": False, "properties": properties}


def document(policy_id: str, title: str, columns: tuple, version: str) -> dict[str, Any]:
    decision = {"type": "object", "required": [
        "determination", "as_of", "policy", "revision", "rule", "needs", "explanation", "source",
        "provenance", "disclaimer", "case_id", "decision_id", "snapshot"],
        "properties": {"determination": {"type": "string"}, "as_of": {"type": "string"},
                       "policy": {"type": "string"}, "revision": {"type": ["object", "null"]},
                       "rule": {"type": ["string", "null"]},
                       "needs": {"type": "array", "items": {"type": "string"}},
                       "decision_id": {"type": "string"}, "snapshot": {"type": "string"}}}
    problem = {"type": "object", "required": ["type", "title", "status"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "errors": {"type": "array"},
        "request_id": {"type": "string"}}}
    date_param = {"name": "as_of", "in": "query", "required": False,
                  "schema": {"type": "string", "format": "date"}}
    evaluate_body = {"type": "object", "additionalProperties": False, "required": ["case"],
                     "properties": {"as_of": {"type": "string", "format": "date"},
                                    "case": _ref("Case")}}
    batch_body = {"type": "object", "additionalProperties": False, "required": ["cases"],
                  "properties": {"as_of": {"type": "string", "format": "date"},
                                 "cases": {"type": "array", "items": _ref("Case")}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"policy serve: {policy_id} ({title})", "version": version},
        "paths": {
            "/v1/evaluate": {"post": {
                "operationId": "evaluate",
                "requestBody": {"required": True,
                                "content": {_JSON: {"schema": evaluate_body}}},
                "responses": {"200": _json(_ref("Decision"), "the decision"),
                              **_problems(400, 401, 408, 413, 415, 422, 503)}}},
            "/v1/batch": {"post": {
                "operationId": "batch",
                "requestBody": {"required": True, "content": {_JSON: {"schema": batch_body}}},
                "responses": {"200": _json({"type": "object", "properties": {
                    "results": {"type": "array"}, "bad": {"type": "integer"},
                    "snapshot": {"type": "string"}}}, "one result per case, in order"),
                    **_problems(400, 401, 408, 413, 415, 422, 503)}}},
            "/v1/revisions": {"get": {"operationId": "revisions", "responses": {
                "200": _json({"type": "array"}, "every revision, oldest first"),
                **_problems(401)}}},
            "/v1/revisions/{id}": {"get": {
                "operationId": "revision",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object"}, "one revision, whole"),
                              **_problems(401, 404)}}},
            "/v1/history": {"get": {
                "operationId": "history", "parameters": [date_param],
                "responses": {"200": _json({}, "every revision; with as_of, the one in force "
                                               "(null before the first)"),
                              **_problems(401, 422)}}},
            "/healthz": {"get": {"operationId": "healthz",
                                 "responses": {"200": {"description": "the process runs"}}}},
            "/readyz": {"get": {"operationId": "readyz", "responses": {
                "200": {"description": "valid tables are served"}, **_problems(503)}}},
            "/cds-services": {"get": {"operationId": "cdsDiscovery", "responses": {
                "200": {"description": "CDS Hooks discovery"}, **_problems(401)}}},
            "/cds-services/{id}": {"post": {
                "operationId": "cdsService",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "CDS Hooks cards and system actions"},
                              **_problems(400, 401, 404, 408, 413, 415, 422, 503)}}},
        },
        "components": {"schemas": {"Case": case_schema(columns), "Decision": decision,
                                   "Problem": problem}},
    }
