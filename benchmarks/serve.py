"""Measure `policy serve`'s POST /v1/evaluate against the floor: a bare uvicorn endpoint that
reads the body and returns a constant JSON body, with the same load generator (Debian's `wrk`),
the same workers, on this machine, side by side in one run (interleaved repetitions, medians).
The floor's constant body is the service's own answer to the request (its bytes, and two headers
of the same size as the service's): both exchanges move the same bytes, so the ratio is the cost
of deciding, logging and checking, not of a bigger answer. A floor with a small constant body
(a hundred bytes) is measured too, for comparison.

    python benchmarks/serve.py [--workers 2] [--connections 32] [--duration 5] [--repeat 3]
                               [--check-goals]

Loopback only, bounded: every wrk run lasts `--duration` seconds, there are
repeat x 5 of them and three more at half rate; the servers are stopped (by their process ids)
and their files removed at the end, whatever happens. Needs the serve extra and `wrk`
(`apt-get install wrk`).

What is measured, each at `--connections` connections:
- floor: the bare uvicorn endpoint (uvloop, httptools, the same worker count), answering the
  service's own answer as a constant; floor, small body: the same with a hundred bytes;
- evaluate, no log: `policy serve` without a decision log;
- evaluate, group commit: with `--decision-log` (one fsync per group of waiting decisions: the
  default, and what the goals are about);
- evaluate, fsync per line: `--log-sync line`;
then /v1/evaluate with the group-commit log at half the highest rate it reached, paced by wrk's
`delay()` hook (wrk has no fixed-rate mode): p50 and p99 latency there, and the floor and the
service without a log paced to the same rate (what the machine itself gives, and what the log
adds). Goals: throughput at
least half the floor's, and p99 under 10 ms at half the maximum rate. `--check-goals` exits 1
when one is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY = ('{"as_of":"2020-01-01","case":{"cancer_site":"rectal","margin_status":"positive",'
        '"t_stage":"T4","recurrent":false}}')
SMALL = (b'{"determination":"medically_necessary","as_of":"2020-01-01",'
         b'"policy":"fep-8.01.08","rule":"rectal-margins-t4"}')
# the floor's body: the file the benchmark names (the service's own answer), else SMALL
_BODY_FILE = os.environ.get("SERVE_BENCH_FLOOR_BODY")
CONSTANT = Path(_BODY_FILE).read_bytes() if _BODY_FILE else SMALL
_HEADERS = [(b"content-type", b"application/json")]
if _BODY_FILE:  # the service's two headers too, so that both exchanges are the same size
    _HEADERS += [(b"x-request-id", b"0" * 21), (b"x-policy-snapshot", b"0" * 64)]
POST_SCRIPT = """wrk.method = "POST"
wrk.body = '%s'
wrk.headers["Content-Type"] = "application/json"
"""
PACED_SCRIPT = POST_SCRIPT + """
function delay()
  return %f
end
"""


async def floor_app(scope, receive, send):  # noqa: ANN001, ANN201  (a bare ASGI app)
    """The floor: read the body, answer a constant JSON body."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": CONSTANT})


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server ended at start (exit {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def start_floor(workers: int, folder: Path,
                body: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SERVE_BENCH_FLOOR_BODY": str(body)} if body else None
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "benchmarks"),
         "serve:floor_app", "--host", "127.0.0.1", "--port", str(port), "--workers",
         str(workers), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
         "--log-level", "warning"], cwd=folder, stdout=subprocess.DEVNULL, env=env,
        stderr=open(folder / f"floor-{port}.err", "wb"), start_new_session=True)
    wait_listening(port, process)
    return process, f"http://127.0.0.1:{port}/"


def start_service(workers: int, folder: Path, *options: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "policy", "serve", "--tables", str(ROOT / "tables"), "--port",
         str(port), "--workers", str(workers), *options], cwd=folder,
        stdout=subprocess.DEVNULL, stderr=open(folder / f"serve-{port}.err", "wb"),
        start_new_session=True)
    wait_listening(port, process)
    time.sleep(3.0 if workers > 1 else 0.2)  # every worker up (each loads the tables)
    return process, f"http://127.0.0.1:{port}/v1/evaluate"


def sync_latency(folder: Path, count: int = 300) -> tuple[float, float]:
    """(p50, p99) in ms of fdatasync after a 600-byte append, here: what durability costs on
    this disk, the least any decision's latency can be with the log."""
    path = folder / "sync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    found = []
    try:
        for _ in range(count):
            os.write(fd, b"x" * 599 + b"\n")
            started = time.perf_counter()
            getattr(os, "fdatasync", os.fsync)(fd)
            found.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    found.sort()
    return found[len(found) // 2], found[int(len(found) * 0.99) - 1]


def _answer(url: str) -> bytes:
    import urllib.request

    request = urllib.request.Request(url, data=BODY.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (its workers), then SIGKILL if need be."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, script: Path, connections: int, duration: int) -> dict[str, float]:
    threads = min(2, connections)
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(duration)}s", "--latency",
         "-s", str(script), url], capture_output=True, text=True, timeout=duration + 60)
    out = result.stdout
    if "Requests/sec" not in out:
        raise SystemExit(f"wrk failed (exit {result.returncode}): {result.stderr or out}")
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out,
                                                         re.M)}
    if set(percentiles) != {50, 99}:
        raise SystemExit(f"cannot read wrk's latency distribution:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {"rate": rate, "p50": percentiles[50], "p99": percentiles[99],
            "non2xx": float(errors.group(1)) if errors else 0.0,
            "socket_errors": 1.0 if socket_errors else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=5, help="seconds per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check-goals", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("benchmarks/serve.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    post = folder / "post.lua"
    post.write_text(POST_SCRIPT % BODY)
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        servers["evaluate, no log"] = start_service(args.workers, folder)
        answer = folder / "answer.json"  # the service's own answer, the floor's constant body
        answer.write_bytes(_answer(servers["evaluate, no log"][1]))
        servers["floor"] = start_floor(args.workers, folder, answer)
        servers["floor, small body"] = start_floor(args.workers, folder)
        servers["evaluate, group commit"] = start_service(
            args.workers, folder, "--decision-log", str(folder / "group.jsonl"))
        servers["evaluate, fsync per line"] = start_service(
            args.workers, folder, "--decision-log", str(folder / "line.jsonl"),
            "--log-sync", "line")
        results: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        for _, url in servers.values():  # warm up each (first requests, caches)
            run_wrk(url, post, args.connections, 2)
        for _ in range(args.repeat):
            for name, (_, url) in servers.items():
                results[name].append(run_wrk(url, post, args.connections, args.duration))
        medians = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                   for name, runs in results.items()}
        best = medians["evaluate, group commit"]["rate"]
        target = best / 2
        # wrk paces each connection: `delay()` ms between its requests
        interval_ms = max(args.connections / target * 1000 - medians[
            "evaluate, group commit"]["p50"], 0.0)
        paced = folder / "paced.lua"
        paced.write_text(PACED_SCRIPT % (BODY, interval_ms))
        half = run_wrk(servers["evaluate, group commit"][1], paced, args.connections,
                       args.duration)
        # the floor paced alike: what the machine itself gives at that rate (its own p99)
        floor_paced = folder / "floor-paced.lua"
        floor_paced.write_text(PACED_SCRIPT % (BODY, max(args.connections / target * 1000
                                                         - medians["floor"]["p50"], 0.0)))
        half_floor = run_wrk(servers["floor"][1], floor_paced, args.connections, args.duration)
        half_bare = run_wrk(servers["evaluate, no log"][1], paced, args.connections,
                            args.duration)
        sync_p50, sync_p99 = sync_latency(folder)
    finally:
        for process, _ in servers.values():
            stop(process)
        logged = sum(1 for name in ("group.jsonl", "line.jsonl")
                     for path in folder.glob(name.replace(".jsonl", "*.jsonl"))
                     for _ in path.open("rb"))
        shutil.rmtree(folder, ignore_errors=True)
    floor = medians["floor"]["rate"]
    print(f"policy serve /v1/evaluate against the floor: {args.workers} worker(s), "
          f"{args.connections} connections, wrk -t2, {args.duration:g} s x {args.repeat} "
          f"(medians), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'':28} {'requests/s':>11} {'/ floor':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7}")
    for name in ("floor", "floor, small body", "evaluate, no log", "evaluate, group commit",
                 "evaluate, fsync per line"):
        m = medians[name]
        print(f"{name:28} {m['rate']:11.0f} {m['rate'] / floor:8.2f} {m['p50']:8.2f} "
              f"{m['p99']:8.2f} {m['non2xx'] + m['socket_errors']:7.0f}")
    print(f"{'at half the maximum rate':28} {half['rate']:11.0f} {'':>8} {half['p50']:8.2f} "
          f"{half['p99']:8.2f} {half['non2xx'] + half['socket_errors']:7.0f}  "
          f"(target {target:.0f}/s)")
    print(f"{'the floor at that rate':28} {half_floor['rate']:11.0f} {'':>8} "
          f"{half_floor['p50']:8.2f} {half_floor['p99']:8.2f} "
          f"{half_floor['non2xx'] + half_floor['socket_errors']:7.0f}")
    print(f"{'evaluate, no log, that rate':28} {half_bare['rate']:11.0f} {'':>8} "
          f"{half_bare['p50']:8.2f} {half_bare['p99']:8.2f} "
          f"{half_bare['non2xx'] + half_bare['socket_errors']:7.0f}")
    print(f"the disk: fdatasync after a 600-byte append, 300 times: p50 {sync_p50:.1f} ms, "
          f"p99 {sync_p99:.1f} ms")
    group, line = medians["evaluate, group commit"], medians["evaluate, fsync per line"]
    bare = medians["evaluate, no log"]["rate"]
    print(f"decision log: group commit {group['rate'] / bare:.2f} times the throughput without "
          f"a log, fsync per line {line['rate'] / bare:.2f} ({logged} decisions logged in all)")
    goals = [("throughput >= half the floor's", group["rate"] >= floor / 2),
             ("p99 < 10 ms at half the maximum rate", half["p99"] < 10.0)]
    for goal, met in goals:
        print(f"goal: {goal}: {'met' if met else 'MISSED'}")
    errors = sum(m["non2xx"] + m["socket_errors"]
                 for m in (*medians.values(), half, half_floor, half_bare))
    if errors:
        print("some requests failed (non-2xx or socket errors): the figures are suspect")
    return 1 if args.check_goals and not all(met for _, met in goals) else 0


if __name__ == "__main__":
    raise SystemExit(main())
