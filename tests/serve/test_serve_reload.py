"""Hot reload of `policy serve`: an edit of the tables is validated off the request path; an
invalid one leaves the last good snapshot serving while /readyz (503) and the service's log say
why; a valid one is swapped in whole, and every response names the snapshot that answered."""

from __future__ import annotations

import shutil
import signal
import threading
import time

import httpx
import pytest

from repo_paths import ROOT
from serve_process import Server

pytest.importorskip("starlette")

CASE = {"as_of": "2020-01-01", "case": {"cancer_site": "gastric"}}


def copy_tables(folder):
    shutil.copytree(ROOT / "tables", folder / "tables")
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    return folder / "tables" / "fep-8.01.08"


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the condition never held")


def test_an_invalid_edit_keeps_the_last_good_tables_and_a_valid_one_is_swapped_in(tmp_path):
    folder = copy_tables(tmp_path)
    table = folder / "2019-09.yaml"
    good = table.read_text(encoding="utf-8")
    with Server("--tables", str(tmp_path / "tables"), "--reload-interval", "0.2",
                "--decision-log", "d.jsonl", cwd=tmp_path) as server:
        first = server.client.get("/readyz").json()["snapshot"]
        statuses: list[int] = []
        stop = threading.Event()

        def load() -> None:  # requests all through the edits: none may fail
            with httpx.Client(base_url=server.url, timeout=10) as client:
                while not stop.is_set():
                    statuses.append(client.post("/v1/evaluate", json=CASE).status_code)

        background = threading.Thread(target=load)
        background.start()
        try:
            table.write_text(good.replace("then: investigational", "then: covered_maybe", 1),
                             encoding="utf-8")
            not_ready = wait_for(lambda: (r := server.client.get("/readyz")).status_code == 503
                                 and r)
            problem = not_ready.json()
            assert problem["type"].endswith(":tables-invalid")
            assert problem["snapshot"] == first
            assert any("2019-09.yaml" in p["file"] and p["code"] == "UNKNOWN_VALUE"
                       for p in problem["problems"])
            answer = server.post("/v1/evaluate", CASE)
            assert answer.status_code == 200 and answer.json()["snapshot"] == first
            assert answer.headers["x-policy-snapshot"] == first
            assert "do not validate; still serving snapshot" in server.stderr
            assert "2019-09.yaml" in server.stderr

            table.write_text(good, encoding="utf-8")  # undone: ready again, same snapshot
            wait_for(lambda: server.client.get("/readyz").status_code == 200)
            assert server.client.get("/readyz").json()["snapshot"] == first

            crd = folder / "crd.yml"  # a valid edit: the snapshot changes
            crd.write_text(crd.read_text(encoding="utf-8").replace(
                "card_source: FEP Medical Policy Manual, policy 8.01.08",
                "card_source: FEP Medical Policy Manual 8.01.08 (edited)"), encoding="utf-8")
            second = wait_for(lambda: (s := server.client.get("/readyz").json().get("snapshot"))
                              != first and s)
            answer = server.post("/v1/evaluate", CASE).json()
            assert answer["snapshot"] == second
        finally:
            stop.set()
            background.join(20)
        assert statuses and set(statuses) == {200}
    import json

    lines = (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()
    snapshots = {json.loads(line)["snapshot"] for line in lines}
    assert snapshots == {first, second}


def test_sighup_reloads_at_once(tmp_path):
    folder = copy_tables(tmp_path)
    with Server("--tables", str(tmp_path / "tables"), "--reload-interval", "0",
                cwd=tmp_path) as server:
        first = server.client.get("/readyz").json()["snapshot"]
        crd = folder / "crd.yml"
        crd.write_text(crd.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        time.sleep(0.5)
        assert server.client.get("/readyz").json()["snapshot"] == first  # no polling
        server.signal(signal.SIGHUP)
        second = wait_for(lambda: (s := server.client.get("/readyz").json()["snapshot"])
                          != first and s)
        assert server.post("/v1/evaluate", CASE).json()["snapshot"] == second
        crd.write_text("coverage: [", encoding="utf-8")  # crd.yml is checked too
        server.signal(signal.SIGHUP)
        problem = wait_for(lambda: (r := server.client.get("/readyz")).status_code == 503
                           and r.json())
        assert any(p["code"] == "YAML_SYNTAX" and p["file"].endswith("crd.yml")
                   for p in problem["problems"])
        assert server.post("/v1/evaluate", CASE).json()["snapshot"] == second
