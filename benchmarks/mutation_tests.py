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

Killers first: a test that failed on an earlier mutant of the job is run first, alone, on each
new one (neighbouring mutants tend to fail the same test), so a mutant it kills costs that test,
not the tests before it in the ordinary order. A test becomes a killer only once it has passed
alone on the unmutated repository (PRISTINE, the run's listing copy, which is never mutated): a
test that passes only after the tests before it never kills a mutant by being run out of order.
A mutant the killers do not kill runs the groups of tests as before.

    python benchmarks/mutation_tests.py serve SOCKET PRISTINE  # in the copy, the test environment
    python benchmarks/mutation_tests.py run SOCKET FILE... [-- FILE...]
        # 0 when every group passes, else the exit code of the first pytest run that failed

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


# each pytest run stops at its first failure
PYTEST_OPTIONS = ["-x", "-q", "-p", "no:cacheprovider", "--no-header"]
KILLERS_KEPT = 8  # the most recent killers tried first (each costs its own time on a survivor)


def serve(path: str, pristine: str) -> None:
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
    killers: list[str] = []  # node ids, most recent first
    print("ready", flush=True)
    while True:
        connection, _ = listener.accept()
        with connection:
            request = json.loads(_read_line(connection))
            if request.get("stop"):
                return
            code = _judge(request["groups"], killers, connection, listener, pristine)
            try:
                connection.sendall(f"{code}\n".encode())
            except OSError:
                pass  # the client is gone (killed for taking too long)


def _judge(groups: list[list[str]], killers: list[str], connection: socket.socket,
           listener: socket.socket, pristine: str) -> int:
    """One mutant: the killers alone, then each group in order; the first failure's exit code."""
    if killers:
        code, _, gone = _pytest([*PYTEST_OPTIONS, *killers], connection, listener)
        if gone or code in (1, 2):  # a test failed, or the mutated package did not import
            return 1 if gone else code
    for files in groups:
        code, failed, gone = _pytest([*PYTEST_OPTIONS, *files], connection, listener)
        if gone:
            return 1
        if code != 0:
            if code == 1 and failed and failed not in killers and _passes_alone(
                    failed, connection, listener, pristine):
                killers.insert(0, failed)
                del killers[KILLERS_KEPT:]
            return code
    return 0


def _passes_alone(node: str, connection: socket.socket, listener: socket.socket,
                  pristine: str) -> bool:
    code, _, _ = _pytest([*PYTEST_OPTIONS, node], connection, listener, root=pristine)
    return code == 0


def _pytest(args: list[str], connection: socket.socket, listener: socket.socket,
            root: str | None = None) -> tuple[int, str | None, bool]:
    """pytest in a forked child (in `root` instead of the copy, if given): its exit code, the
    node id of the test that failed (if one did), and whether the client hung up meanwhile."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        listener.close()
        connection.close()
        os.close(read_end)
        _child(args, write_end, root)
    os.close(write_end)
    code, gone = _wait(child, connection)
    # what the child wrote is in the pipe by now; a process the tests forked may hold the other
    # end open still, so the read must not wait for its end
    os.set_blocking(read_end, False)
    try:
        written = os.read(read_end, 65536)
    except BlockingIOError:
        written = b""
    finally:
        os.close(read_end)
    failed = written.decode(errors="replace").split("\n")[0] or None
    return code, failed, gone


def _child(args: list[str], failures: int, root: str | None) -> None:
    """Run pytest in the forked child, in its own process group (killed whole on a timeout);
    the node id of a failed test is written to `failures`."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if root is not None:  # the unmutated repository: its package, for the tests' processes too
        copy = os.getcwd()
        os.chdir(root)
        sys.path[:] = [root if entry == copy else entry for entry in sys.path]
        os.environ["PYTHONPATH"] = root
    code = 1
    try:
        import pytest

        class Failures:
            @staticmethod
            def pytest_runtest_logreport(report: object) -> None:
                if getattr(report, "failed", False):
                    os.write(failures, getattr(report, "nodeid", "").encode() + b"\n")

        code = int(pytest.main(args, plugins=[Failures()]))
    finally:
        os._exit(code)


def _wait(child: int, connection: socket.socket) -> tuple[int, bool]:
    """The child's exit code; if the client hangs up first, the child's group is killed (and
    the client is gone)."""
    import selectors

    watch = selectors.DefaultSelector()
    watch.register(connection, selectors.EVENT_READ)
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return (os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1), False
        if watch.select(timeout=0.2):  # the client closed its end: it was killed
            try:
                os.killpg(child, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(child, 0)
            return 1, True


def _read_line(connection: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


def run(path: str, args: list[str]) -> int:
    """The verdict on the mutant in the working folder: the server's, else (the server is gone:
    stopped, or killed with the run) fresh pytest runs'. Never a failure to reach the server:
    cosmic-ray counts any exit but 0 as a killed mutant, so a dead server would otherwise kill
    every mutant left."""
    groups: list[list[str]] = [[]]
    for arg in args:
        if arg == "--":
            groups.append([])
        else:
            groups[-1].append(arg)
    groups = [g for g in groups if g]
    answer = ""
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)
        client.sendall((json.dumps({"groups": groups}) + "\n").encode())
        answer = _read_line(client).strip()
    except OSError:
        pass
    if answer:
        return int(answer)
    print("mutation_tests: no answer from the test server; running pytest alone", file=sys.stderr)
    return _run_alone(groups)


def _run_alone(groups: list[list[str]]) -> int:
    """Each group in a fresh pytest process, in order: the first failure's exit code, else 0."""
    import subprocess

    for files in groups:
        code = subprocess.run([sys.executable, "-m", "pytest", *PYTEST_OPTIONS, *files],
                              check=False).returncode
        if code != 0:
            return code
    return 0


def stop(path: str) -> None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall(b'{"stop": true}\n')


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
