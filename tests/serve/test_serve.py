"""`policy serve`, the JSON API: a real server process on 127.0.0.1 driven over HTTP (httpx).

The API answers what `policy evaluate --json` prints for every golden case (plus `decision_id`
and `snapshot`), refuses a bad request with a 4xx problem (RFC 9457) naming what the command
line names for the same input, and never answers a client's input with a 5xx.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.load.yaml_loader import load_yaml
from repo_paths import ROOT
from serve_process import Server

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

GOLDEN = ROOT / "tests" / "golden"
PROBLEM = "application/problem+json"


def golden_cases() -> list[dict]:
    found = []
    for path in sorted(GOLDEN.glob("*.yaml")):
        found += load_yaml(path.read_bytes(), path.name).data
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    with Server("--tables", str(ROOT / "tables"), "--decision-log", "decisions.jsonl",
                "--request-timeout", "2", "--max-batch", "500", cwd=folder) as running:
        running.folder = folder
        yield running


def cli_json(cli, tmp_path: Path, case: dict, as_of: str | None) -> tuple[int, str, str]:
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case), encoding="utf-8")
    args = ["evaluate", "--tables", ROOT / "tables", "--case", case_file, "--json"]
    return cli(*args, *(["--as-of", as_of] if as_of is not None else []))


def test_every_golden_case_agrees_with_policy_evaluate_json(server, cli, tmp_path):
    snapshot = server.client.get("/readyz").json()["snapshot"]
    cases = golden_cases()
    assert len(cases) > 250
    for entry in cases:
        code, out, _ = cli_json(cli, tmp_path, entry["case"], entry["as_of"])
        assert code == 0
        response = server.post("/v1/evaluate", {"as_of": entry["as_of"], "case": entry["case"]})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer.pop("snapshot") == snapshot == response.headers["x-policy-snapshot"]
        assert answer.pop("decision_id")
        assert answer == json.loads(out), entry["name"]


def test_a_batch_answers_each_golden_case_as_evaluate_does(server):
    cases = golden_cases()
    singles = [server.post("/v1/evaluate", {"as_of": e["as_of"], "case": e["case"]}).json()
               for e in cases[:40]]
    # one as_of for the whole batch: each case's own date goes in its service_date instead
    batch = [{**e["case"], "service_date": e["as_of"]} for e in cases[:40]]
    response = server.post("/v1/batch", {"cases": batch})
    assert response.status_code == 200
    body = response.json()
    assert body["bad"] == 0 and len(body["results"]) == 40
    for index, (result, single) in enumerate(zip(body["results"], singles, strict=True)):
        assert result.pop("index") == index
        for key in ("decision_id", "snapshot", "case"):
            result.pop(key), single.pop(key)
        assert result == single


def test_a_batch_reports_each_bad_case_and_decides_the_others(server):
    response = server.post("/v1/batch", {"as_of": "2020-01-01", "cases": [
        {"cancer_site": "rectal"}, {"cancer_site": "kidney"}, "not a case",
        {"case_id": "x-9", "recurrent": "true"}]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["determination"] == "indeterminate"
    assert [e["code"] for e in results[1]["errors"]] == ["UNKNOWN_VALUE"]
    assert results[1]["errors"][0]["pointer"] == "/cases/1"
    assert [e["code"] for e in results[2]["errors"]] == ["WRONG_TYPE"]
    assert results[3]["case_id"] == "x-9" and results[3]["errors"][0]["code"] == "WRONG_TYPE"
    assert response.json()["bad"] == 3


def _problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith(":" + kind) and body["status"] == status
    assert body["title"] and body["detail"] and body["request_id"]
    assert "Traceback" not in response.text
    return body


# (the raw body, what the problem is, the package's code the CLI gives the same input, if any)
BAD_BODIES = [
    (b'{"as_of": "2020-01-01", "case": {', "malformed-json", None),
    (b'{"as_of": "2020-01-01", "case": {"cancer_site": NaN}}', "malformed-json", None),
    (b'{"case": {"cancer_site": "rectal", "cancer_site": "colon"}}', "malformed-json",
     "DUPLICATE_KEY"),
    (b'{"case": {"case_id": "\\ud800"}}', "malformed-json", "ENCODING"),
    (b'{"case": {"\\udfff": 1}}', "malformed-json", "ENCODING"),
    (b'{"case": {"case_id": "\xff"}}', "malformed-json", "ENCODING"),
    (b'{"case": {"t_stage": ' + b"9" * 200 + b"}}", "malformed-json", "WRONG_TYPE"),
    (b'{"case": {"case_id": ' + b"[" * 40 + b"]" * 40 + b"}}", "too-deep", "TOO_DEEP"),
    (b"[" * 100_000, "too-deep", "TOO_DEEP"),
    (b'{"as_of": "2020-01-01", "cases": []}', "invalid-request", "UNKNOWN_FIELD"),
    (b'{"as_of": "2020-01-01", "case": []}', "invalid-request", "WRONG_TYPE"),
    (b'[]', "invalid-request", None),
    (b'{"as_of": "2020-01-01"}', "invalid-request", "MISSING_KEY"),
]


@pytest.mark.parametrize("body, kind, code", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_a_bad_body_is_a_4xx_problem_naming_it(server, body, kind, code):
    response = server.client.post("/v1/evaluate", content=body,
                                  headers={"content-type": "application/json"})
    status = 400 if kind in ("malformed-json", "too-deep") else 422
    problem = _problem(response, status, kind)
    if code is not None:
        assert code in [e["code"] for e in problem["errors"]]
    assert response.headers["x-policy-snapshot"]


# Cases the command line refuses (exit 1): the API refuses them with the same codes.
BAD_CASES = [
    ({"cancr_site": "rectal"}, "2020-01-01", "UNKNOWN_FIELD"),
    ({"cancer_site": "kidney"}, "2020-01-01", "UNKNOWN_VALUE"),
    ({"recurrent": "true"}, "2020-01-01", "WRONG_TYPE"),
    ({"recurrent": 1}, "2020-01-01", "UNKNOWN_VALUE"),
    ({"case_id": 12}, "2020-01-01", "WRONG_TYPE"),
    ({"service_date": "2023-02-30"}, None, "DATE_INVALID"),
    ({"service_date": "20230101"}, None, "DATE_INVALID"),
    ({"cancer_site": "rectal"}, "2023-W01-1", "DATE_INVALID"),
    ({"cancer_site": "rectal"}, "2023-03-31T23:30-05:00", "DATE_INVALID"),
    ({"cancer_site": "rectal"}, "2023-1-5", "DATE_INVALID"),
    ({"cancer_site": "rectal"}, None, "NO_DATE"),
]


@pytest.mark.parametrize("case, as_of, code", BAD_CASES, ids=[c for *_, c in BAD_CASES])
def test_a_case_the_command_line_refuses_is_refused_with_its_code(server, cli, tmp_path, case,
                                                                   as_of, code):
    exit_code, _, err = cli_json(cli, tmp_path, case, as_of)
    assert exit_code in (1, 2) and (code in err or "--as-of" in err)
    body = {"case": case} if as_of is None else {"as_of": as_of, "case": case}
    problem = _problem(server.post("/v1/evaluate", body), 422, "invalid-case")
    assert [e["code"] for e in problem["errors"]] == [code]


def test_the_media_type_and_size_are_checked(server):
    _problem(server.client.post("/v1/evaluate", content=b"{}"), 415, "unsupported-media-type")
    _problem(server.client.post("/v1/evaluate", content=b"{}",
                                headers={"content-type": "application/json; charset=latin-1"}),
             415, "unsupported-media-type")
    big = b'{"case": {"case_id": "' + b"x" * (2 << 20) + b'"}}'
    _problem(server.client.post("/v1/evaluate", content=big,
                                headers={"content-type": "application/json"}),
             413, "body-too-large")
    many = {"cases": [{}] * 501}
    _problem(server.post("/v1/batch", many), 422, "batch-too-long")


def test_unknown_paths_and_methods_are_problems(server):
    _problem(server.client.get("/v2/evaluate"), 404, "not-found")
    _problem(server.client.get("/v1/evaluate"), 405, "method-not-allowed")
    _problem(server.client.get("/v1/revisions/1999-01"), 404, "not-found")
    _problem(server.client.get("/v1/history", params={"at": "2020-01-01"}), 422,
             "invalid-request")
    _problem(server.post("/v1/evaluate?as_of=2020-01-01", {"case": {}}), 422,
             "invalid-request")


def test_a_body_that_arrives_too_slowly_is_a_408(server):
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100\r\n\r\n{\"case\":")
        started = time.monotonic()
        reply = conn.recv(65536).decode("latin-1")
    assert reply.startswith("HTTP/1.1 408"), reply
    assert PROBLEM in reply and time.monotonic() - started < 8


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20)
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["as_of", "case", "cancer_site",
                                                       "service_date", "recurrent", "x"])
                                      | st.text(max_size=5), inner, max_size=4),
                    max_leaves=12))
def test_no_client_input_gets_a_5xx(server, body):
    for path in ("/v1/evaluate", "/v1/batch", "/cds-services/fep-8.01.08-order-sign"):
        response = server.post(path, body)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"] == PROBLEM


def test_revisions_history_and_the_openapi_document(server, cli):
    revisions = server.client.get("/v1/revisions").json()
    code, out, _ = cli("history", "--tables", ROOT / "tables", "--json")
    expected = [{k: v for k, v in entry.items() if k != "file"} for entry in json.loads(out)]
    assert revisions == expected
    one = server.client.get("/v1/revisions/2018-03").json()
    assert one["version"] == "3.0.0" and one["document"]["revision"]["id"] == "2018-03"
    assert server.client.get("/v1/history", params={"as_of": "2018-09-30"}).json()["id"] \
        == "2018-03"
    assert server.client.get("/v1/history", params={"as_of": "1999-01-01"}).json() is None
    _problem(server.client.get("/v1/history", params={"as_of": "2018-02-30"}), 422,
             "invalid-case")
    document = server.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/evaluate", "/v1/batch", "/v1/revisions", "/v1/revisions/{id}", "/v1/history",
            "/healthz", "/readyz", "/cds-services", "/cds-services/{id}"} <= set(
        document["paths"])
    case = document["components"]["schemas"]["Case"]
    assert "rectal" in case["properties"]["cancer_site"]["enum"]


def test_health_and_readiness(server):
    assert server.client.get("/healthz").json() == {"status": "ok"}
    ready = server.client.get("/readyz").json()
    assert ready["status"] == "ready" and len(ready["snapshot"]) == 64


def test_the_request_id_is_echoed_when_it_is_a_plain_token(server):
    response = server.client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    for odd in ("a b", "x" * 200, "<script>"):
        response = server.client.get("/healthz", headers={"x-request-id": odd})
        assert response.headers["x-request-id"] != odd


def test_beyond_loopback_without_a_jwks_it_refuses_to_start(cli):
    code, _, err = cli("serve", "--host", "0.0.0.0", "--tables", ROOT / "tables")
    assert code == 2 and "--jwks" in err and "beyond loopback" in err
    code, _, err = cli("serve", "--host", "example.org", "--tables", ROOT / "tables")
    assert code == 2


def test_a_wrong_option_or_a_busy_port_is_one_line_and_its_exit_code(cli, tmp_path):
    code, _, err = cli("serve", "--port", "99999", "--tables", ROOT / "tables")
    assert code == 2 and "--port 99999" in err
    code, _, err = cli("serve", "--port", "0", "--port", "1", "--tables", ROOT / "tables")
    assert code == 2 and "--port is given twice" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = cli("serve", "--port", port, "--tables", ROOT / "tables")
    assert code == 4 and f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_tables_that_do_not_validate_stop_it_at_start(tables_copy, tmp_path):
    table = tables_copy / "fep-8.01.08" / "2018-03.yaml"
    table.write_text(table.read_text().replace("version: 3.0.0", "version: [3"))
    with pytest.raises(RuntimeError, match=r"2018-03.yaml:\d+:\d+: YAML_SYNTAX"):
        Server("--tables", str(tables_copy), cwd=tmp_path, timeout=30)
