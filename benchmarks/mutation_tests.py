"""The test runs of benchmarks/mutation.py: a server that forks a pytest run per request, and the
client that cosmic-ray calls as its test command.

Starting a fresh Python for each of a thousand mutants spent most of each killed mutant's time
importing pytest, Hypothesis, pyarrow and the YAML and schema libraries. The server imports those
once, never the package or the tests; each request forks a child that runs pytest in-process, so
the child imports the package (the mutated module included) fresh from the copy on disk, as a new
process would. The client sends its arguments, waits, and exits with pytest's exit code; when
cosmic-ray kills a client that ran out of time, the server kills the child's process group.
Measured here (2 cores shared with other work): collecting the tests every module runs first took
1.9 s of CPU in a fresh process and 1.2 s in a child of the server, three runs each.

    python benchmarks/mutation_tests.py serve SOCKET      # in the copy, with the test environment
    python benchmarks/mutation_tests.py run SOCKET ARG...  # exit code of `pytest ARG...`

The client imports nothing but the standard library's socket and json (it starts in milliseconds).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

# not Hypothesis: a pytest plugin imported before pytest starts is not assertion-rewritten, which
# pytest warns of (and the test configuration makes warnings errors)
PRELOADED = ("pytest", "_pytest.python", "_pytest.doctest", "pyarrow", "pyarrow.compute",
             "pyarrow.csv", "pyarrow.json", "pyarrow.parquet", "yaml", "jsonschema", "jinja2",
             "semver", "git", "difflib")


def serve(path: str) -> None:
    import importlib

    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    assert not any(name == "policy" or name.startswith(("policy.", "tests.", "test_"))
                   for name in sys.modules), "the server must not import the package or tests"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        with connection:
            request = json.loads(_read_line(connection))
            if request.get("stop"):
                return
            child = os.fork()
            if child == 0:
                listener.close()
                connection.close()
                _child(request["args"])
            code = _wait(child, connection)
            try:
                connection.sendall(f"{code}\n".encode())
            except OSError:
                pass  # the client is gone (killed for taking too long)


def _child(args: list[str]) -> None:
    """Run pytest in the forked child, in its own process group (killed whole on a timeout)."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    code = 1
    try:
        import pytest

        code = int(pytest.main(args))
    finally:
        os._exit(code)


def _wait(child: int, connection: socket.socket) -> int:
    """The child's exit code; if the client hangs up first, the child's group is killed."""
    import selectors

    watch = selectors.DefaultSelector()
    watch.register(connection, selectors.EVENT_READ)
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1
        if watch.select(timeout=0.2):  # the client closed its end: it was killed
            try:
                os.killpg(child, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(child, 0)
            return 1


def _read_line(connection: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


def run(path: str, args: list[str]) -> int:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall((json.dumps({"args": args}) + "\n").encode())
    answer = _read_line(client).strip()
    return int(answer) if answer else 1


def stop(path: str) -> None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall(b'{"stop": true}\n')


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
