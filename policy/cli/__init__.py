"""The command line: parses arguments, runs one command, prints, and chooses the exit code.

One grammar (`options`, argparse) and one module per command (`evaluate`, `validate`, `diff`,
`history`, `changelog`, `batch`, ...; `new-revision` is `new_revision`), each with `run(args) ->
exit code`; only this package prints or exits. Exit codes: 0 done, 1 invalid data (a case or a
table), 2 usage, 3 a batch with bad lines, 4 I/O or git errors, 70 an internal error, 130
interrupted.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

from ..core.errors import DataError, PolicyError, PolicyIOError, UsageError
from ..core.escaping import escape
from .options import parse_command_line
from .output import PROG, discard_stdout, writing_stdout
from .usage import as_usage_error

TYPE_CHECKING = False  # typing.TYPE_CHECKING without the import: on a warm evaluate's path
if TYPE_CHECKING:
    from argparse import Namespace
    from typing import Any


def _fields_help(args: Namespace) -> str:
    """Every case field with its allowed values (for `policy evaluate --help`)."""
    from ..present.text import fields_text
    from ..validate.validated_policy import read_definition
    from .loading import compiled, policy_files_of

    try:
        return fields_text(compiled(args).columns, read_definition(policy_files_of(args)))
    except PolicyError as exc:
        return f"case fields: cannot be listed: {exc}"


def main(argv: list[str] | None = None) -> int:
    """Run one command; as the process's own entry point (`argv` None), end the process too."""
    code = _main(argv)
    if argv is None and "pyarrow" in sys.modules:
        _end_process(code)
    return code


def _end_process(code: int) -> None:
    """Exit without the interpreter's shutdown. pyarrow's CSV reader, once it has called back into
    Python (the invalid-row handler) and then failed, can abort that shutdown ("terminate called
    without an active exception", exit 134, about one run in ten after an unreadable CSV). Every
    file this process writes is closed by now; the standard streams are flushed here."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = code or 4  # output lost on the way out: an I/O error, never a silent 0
    os._exit(code)


def _reported(exc: PolicyError) -> int:
    """Say an error on standard error, one line per problem; its exit code."""
    if isinstance(exc, DataError):
        exc = as_usage_error(exc) or exc
    # one line per problem; any other error is one line, whatever its text holds
    lines = ([str(p) for p in exc.problems] if isinstance(exc, DataError)
             else [escape(str(exc)) or type(exc).__name__])
    if isinstance(exc, UsageError):
        lines = [line if line.startswith(PROG) else f"{PROG}: {line}" for line in lines]
    for line in lines:
        print(line, file=sys.stderr)
    return exc.exit_code


def _each_policy(command: Any, args: Namespace, debug: bool) -> int:
    """`--all-policies`: the command once per policy of the tables folder; the worst exit code
    (a usage error stops at once: it would be the same for every policy)."""
    from ..core.policy_files import find_tables_dir, policy_ids

    if args.policy is not None:
        raise UsageError("give --policy ID or --all-policies, not both")
    if getattr(args, "format", None) == "json":
        raise UsageError("--all-policies prints one report per policy: use --format text or "
                         "github")
    if getattr(args, "out", None) is not None:
        raise UsageError("--all-policies writes each policy's own file: --out names one")
    ids = policy_ids(find_tables_dir(args.tables))
    if not ids:
        raise UsageError(f"no policy in the tables folder {find_tables_dir(args.tables)}")
    worst = 0
    for policy_id in ids:
        args.policy = policy_id
        try:
            code = command.run(args)
        except UsageError:
            raise
        except PolicyError as exc:
            if debug:
                raise
            code = _reported(exc)
        worst = max(worst, code)
    return worst


def _main(argv: list[str] | None) -> int:
    standalone = argv is None  # the process runs this one command (not a caller in-process)
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    if sys.stderr is None:  # started with 2>&-: messages are lost, exit codes are not
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    try:
        if sys.stdout is None:  # started with >&-
            raise PolicyIOError("standard output: cannot write: it is closed")
        args = parse_command_line(PROG, argv, fields_help=_fields_help)
        args.standalone = standalone
        # only the command run is loaded (`new-revision` is the module new_revision)
        command = import_module(f"{__name__}.{args.command.replace('-', '_')}")
        if getattr(args, "all_policies", False):
            code: int = _each_policy(command, args, debug)
        else:
            code = command.run(args)
        with writing_stdout():
            sys.stdout.flush()  # a full disk shows here, while it can still be reported
        return code
    except PolicyError as exc:
        if debug:
            raise
        return _reported(exc)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error worth a traceback
        discard_stdout()
        return 0
    except Exception as exc:  # a bug: one line unless --debug
        if debug:
            raise
        print(f"{PROG}: internal error: {type(exc).__name__}: {escape(str(exc)[:300])} "
              "(rerun with --debug)", file=sys.stderr)
        return 70
