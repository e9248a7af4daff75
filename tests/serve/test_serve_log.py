"""The decision log of `policy serve`: one line per decision, durable before the answer,
hash-chained; `policy log verify` finds an edited, removed, inserted or reordered line (exit 1),
lines removed from the end (against the head file), and says when it cannot read (exit 4).
A server killed with SIGKILL under load leaves a log whose chain holds and which holds every
decision it answered."""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import signal
import threading
import time

import httpx
import pytest

from repo_paths import ROOT
from serve_process import Server

pytest.importorskip("starlette")

TABLES = str(ROOT / "tables")
CASE = {"as_of": "2020-01-01", "case": {"cancer_site": "rectal", "margin_status": "positive",
                                        "t_stage": "T4", "case_id": "c-1"}}
CONTRACT_KEYS = {"decision_id", "time", "snapshot", "revision", "rule", "determination"}


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """A log of 30 answered decisions (and the ids the server answered with)."""
    folder = tmp_path_factory.mktemp("log")
    with Server("--tables", TABLES, "--decision-log", "decisions.jsonl", cwd=folder) as server:
        ids = [server.post("/v1/evaluate", CASE).json()["decision_id"] for _ in range(25)]
        batch = server.post("/v1/batch", {"as_of": "2016-05-03", "cases": [
            {"cancer_site": c} for c in ("gastric", "breast", "none", "rectal", "colon")]})
        ids += [r["decision_id"] for r in batch.json()["results"]]
    return folder / "decisions.jsonl", ids


def lines_of(path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_each_answered_decision_is_one_line_with_the_contract_keys(logged, cli):
    path, ids = logged
    records = [json.loads(line) for line in lines_of(path)]
    assert [r["decision_id"] for r in records] == ids
    assert all(CONTRACT_KEYS <= set(r) for r in records)
    assert [r["seq"] for r in records] == list(range(1, 31))
    first = records[0]
    assert (first["revision"], first["rule"], first["determination"]) == (
        "2019-09", "rectal-margins-t4", "medically_necessary")
    assert "inputs" not in first  # the default: only their hash (health information)
    canonical = json.dumps({"as_of": CASE["as_of"], "case": CASE["case"]}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=True)
    assert first["inputs_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert path.stat().st_mode & 0o077 == 0  # decisions may hold health information
    code, out, _ = cli("log", "verify", path)
    assert code == 0 and "30 decision(s)" in out


def _tampered(tmp_path, logged, edit) -> tuple[int, str]:
    path, _ = logged
    copy = tmp_path / "decisions.jsonl"
    shutil.copy(path, copy)
    shutil.copy(str(path) + ".head", str(copy) + ".head")
    lines = lines_of(copy)
    copy.write_bytes(b"".join(edit(lines)))
    return copy


def test_an_edited_line_breaks_the_chain_at_the_next(tmp_path, logged, cli):
    def edit(lines):
        lines[9] = lines[9].replace(b'"medically_necessary"', b'"investigational"')
        return lines

    code, out, err = cli("log", "verify", _tampered(tmp_path, logged, edit))
    assert code == 1 and "decisions.jsonl:11:1: CHAIN_BROKEN" in err


def test_a_removed_line_is_found(tmp_path, logged, cli):
    code, _, err = cli("log", "verify", _tampered(tmp_path, logged,
                                                   lambda lines: lines[:12] + lines[13:]))
    assert code == 1 and "decisions.jsonl:13:1: CHAIN_BROKEN" in err and "seq 14 follows" in err


def test_reordered_lines_are_found(tmp_path, logged, cli):
    def swap(lines):
        lines[4], lines[5] = lines[5], lines[4]
        return lines

    code, _, err = cli("log", "verify", _tampered(tmp_path, logged, swap))
    assert code == 1 and "decisions.jsonl:5:1: CHAIN_BROKEN" in err


def test_lines_removed_from_the_end_show_against_the_head(tmp_path, logged, cli):
    code, _, err = cli("log", "verify", _tampered(tmp_path, logged, lambda lines: lines[:-2]))
    assert code == 1 and "LOG_TRUNCATED" in err and "seq 28" in err and "seq 30" in err


def test_a_line_that_is_no_log_line_is_malformed(tmp_path, logged, cli):
    def garble(lines):
        lines[2] = b"not json\n"
        return lines

    code, _, err = cli("log", "verify", _tampered(tmp_path, logged, garble))
    assert code == 1 and "decisions.jsonl:3:1: MALFORMED_LINE" in err


def test_an_unreadable_log_is_exit_4(tmp_path, cli):
    code, _, err = cli("log", "verify", tmp_path / "missing.jsonl")
    assert code == 4 and "cannot read" in err


@pytest.mark.parametrize("mode, key", [("full", "inputs"), ("none", None)])
def test_inputs_are_logged_as_the_option_says(tmp_path, mode, key):
    with Server("--tables", TABLES, "--decision-log", "d.jsonl", "--log-inputs", mode,
                cwd=tmp_path) as server:
        server.post("/v1/evaluate", CASE)
    record = json.loads((tmp_path / "d.jsonl").read_text())
    assert "inputs_sha256" not in record
    if key is None:
        assert "inputs" not in record
    else:
        assert record["inputs"] == {"as_of": CASE["as_of"], "case": CASE["case"]}


def test_the_log_rotates_by_size_and_the_chain_runs_on(tmp_path, cli):
    with Server("--tables", TABLES, "--decision-log", "d.jsonl", "--log-max-bytes", "3000",
                cwd=tmp_path) as server:
        for _ in range(20):
            assert server.post("/v1/evaluate", CASE).status_code == 200
    rotated = sorted(tmp_path.glob("d.jsonl.0*"))
    assert len(rotated) >= 3 and all(p.stat().st_size >= 3000 for p in rotated)
    code, out, _ = cli("log", "verify", *rotated, tmp_path / "d.jsonl")
    assert code == 0 and "20 decision(s)" in out
    code, _, err = cli("log", "verify", *rotated[1:], tmp_path / "d.jsonl")
    assert code == 0  # a later file alone: its first line's prev cannot be checked
    code, _, err = cli("log", "verify", rotated[1], rotated[0], tmp_path / "d.jsonl")
    assert code == 1 and "CHAIN_BROKEN" in err


def test_killed_under_load_every_answered_decision_is_in_an_intact_log(tmp_path, cli):
    server = Server("--tables", TABLES, "--decision-log", "d.jsonl", cwd=tmp_path)
    answered: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.post("/v1/evaluate", json=CASE)
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 200:
                    answered.append(response.json()["decision_id"])

    threads = [threading.Thread(target=load) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        server.signal(signal.SIGKILL)
        server.process.wait(10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
        server.close()
    assert len(answered) > 50
    from policy.serve.log_verify import verify

    code, out, _ = cli("log", "verify", tmp_path / "d.jsonl")
    assert code == 0, out
    logged = set(verify([str(tmp_path / "d.jsonl")]).decision_ids)
    assert set(answered) <= logged
    # started again on the same log, it continues the chain
    with Server("--tables", TABLES, "--decision-log", "d.jsonl", cwd=tmp_path) as again:
        assert again.post("/v1/evaluate", CASE).status_code == 200
    code, out, _ = cli("log", "verify", tmp_path / "d.jsonl")
    assert code == 0 and f"seq {len(logged) + 1}" in out


def _limit_file_size() -> None:
    # the log cannot grow past 8 KiB: a write beyond it fails (EFBIG; Python ignores SIGXFSZ)
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))


def test_a_decision_that_cannot_be_logged_is_not_answered(tmp_path, cli):
    with Server("--tables", TABLES, "--decision-log", "d.jsonl", cwd=tmp_path,
                preexec_fn=_limit_file_size) as server:
        statuses = [server.post("/v1/evaluate", CASE) for _ in range(30)]
        answered = [r.json()["decision_id"] for r in statuses if r.status_code == 200]
        refused = [r for r in statuses if r.status_code != 200]
        assert refused and all(r.status_code == 503 for r in refused)
        assert refused[0].json()["type"].endswith(":log-unavailable")
        assert server.client.get("/readyz").status_code == 503
    from policy.serve.log_verify import verify

    assert set(answered) <= set(verify([str(tmp_path / "d.jsonl")]).decision_ids)


def test_several_workers_write_one_log_each(tmp_path, cli):
    with Server("--tables", TABLES, "--decision-log", "d.jsonl", "--workers", "2",
                cwd=tmp_path) as server:
        answered = set()
        for _ in range(40):  # a new connection each: the kernel hands them to either worker
            with httpx.Client(base_url=server.url, timeout=10) as client:
                answered.add(client.post("/v1/evaluate", json=CASE).json()["decision_id"])
    logs = sorted(tmp_path.glob("d-w*.jsonl"))
    assert [p.name for p in logs] == ["d-w1.jsonl", "d-w2.jsonl"]
    from policy.serve.log_verify import verify

    logged = set()
    for log in logs:
        code, _, _ = cli("log", "verify", log)
        assert code == 0
        logged |= set(verify([str(log)]).decision_ids)
    assert logged == answered and len(answered) == 40
