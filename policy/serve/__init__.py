"""`policy serve`: the decision service (a JSON API, CDS Hooks with Da Vinci CRD coverage
information, a hash-chained decision log, hot reload of the tables).

One concept per module: `app` (the ASGI application and its routes), `api` (the JSON API),
`requests` (reading a request body: size, depth, strict JSON), `problems` (RFC 9457 problem
details), `snapshots` (the served tables and their hot reload), `decision_log` and `log_verify`
(the durable, hash-chained log and its check), `crd_config` (the policy's `crd.yml`), `fhir`
(reading an order and its diagnoses), `cdshooks` (discovery and the hook services), `coverage`
(the CRD coverage-information extension), `cards` (the cards' words, from templates), `jwt_auth`
(CDS Hooks client JWTs), `openapi` (the OpenAPI document) and `run` (uvicorn, one process or
several workers).

Needs the `serve` extra (Starlette, uvicorn, PyJWT); the core install does not.
"""
