"""The command line: parses arguments, calls the pure core, prints, and chooses the exit code.

Only this module and its grammar (`arguments`: help, --version, usage errors) print or exit.
Exit codes: 0 done, 1 invalid data (a case or a table), 2 usage, 3 a batch with bad lines, 4 I/O
or git errors, 70 an internal error, 130 interrupted.
"""

from __future__ import annotations

import os
import sys

from .errors import DataError, PolicyError, PolicyIOError, UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (5 ms of start-up)
if TYPE_CHECKING:  # only for the types: the modules load when a command needs them
    from argparse import Namespace
    from typing import Any, BinaryIO, Literal, NoReturn, TextIO

    from .cases import Where
    from .checks import ValidatedPolicy
    from .engine import CompiledPolicy
    from .errors import Problem
    from .tables import PolicyFiles


PROG = "policy"
NO_DATE_HINT = "give --as-of YYYY-MM-DD or a service_date in the case"


def _as_usage_error(exc: DataError) -> UsageError | None:
    """The library's problems that on the command line are a wrong or missing option: said
    with the option's name, as a usage error (exit 2); None for any other DataError."""
    from .cases import AS_OF

    if len(exc.problems) != 1:
        return None
    problem = exc.problems[0]
    if problem.file == AS_OF and problem.line == 0:  # from cases.as_of_day / cases.day_of
        if problem.code == "DATE_INVALID":
            return UsageError(f"--as-of: {problem.message}")
        if problem.code == "NO_DATE":
            return UsageError(f"no date to evaluate as of: {NO_DATE_HINT}")
    if problem.code in ("UNKNOWN_REVISION", "GIT_REV_REFUSED"):  # diff's A B, --rev, --against
        return UsageError(problem.message)
    if problem.code in ("UNKNOWN_FORMAT", "OUTPUT_IS_INPUT"):  # batch's INPUT, --format, --out
        return UsageError(f"{problem.file}: {problem.message}")
    if problem.code == "UNKNOWN_POLICY":
        return UsageError(f"{problem.file}: {problem.message}; choose one with --policy ID")
    return None


def _policy_files(args: Namespace) -> PolicyFiles:
    from .tables import find_tables_dir, policy_files

    return policy_files(find_tables_dir(args.tables), args.policy)


def _compiled(args: Namespace) -> CompiledPolicy:
    from .cache import compiled_policy, no_cache_reason

    reason = no_cache_reason()
    if reason is not None:  # (a command compiles once: said once)
        from .escaping import escape

        print(f"{PROG}: note: the compiled tables are not cached: {escape(reason)}",
              file=sys.stderr)
    return compiled_policy(_policy_files(args))


def _validated(args: Namespace, *, chain: bool = True) -> ValidatedPolicy:
    from .checks import load_and_validate

    return load_and_validate(_policy_files(args), chain=chain)


def _validated_at_rev(args: Namespace, git_rev: str, *,
                      chain: bool = True) -> ValidatedPolicy:
    """The policy as it was at git revision `git_rev` (validated like the working tree)."""
    from .checks import load_and_validate
    from .gitrev import tables_at
    from .tables import find_tables_dir, policy_files

    files = _policy_files(args)
    with tables_at(git_rev, find_tables_dir(args.tables), files.policy_id) as tables_dir:
        return load_and_validate(policy_files(tables_dir, files.policy_id), chain=chain)


def _out(text: str, *, escaped: bool = True) -> None:
    """Print a rendering; text renderings go through the one escaper line by line (they echo
    table and case text). JSON passes `escaped=False`: json.dumps escapes it already."""
    if escaped:
        from .escaping import escape

        text = "\n".join(map(escape, text.split("\n")))
    with _writing_stdout():
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


class _writing_stdout:
    """Turns a failed write to standard output (a full disk, a closed descriptor) into one
    PolicyIOError (exit 4); a closed pipe stays BrokenPipeError (the reader left: exit 0)."""

    def __enter__(self) -> _writing_stdout:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: object) -> Literal[False]:
        if isinstance(exc, OSError) and not isinstance(exc, (BrokenPipeError, PolicyError)):
            _discard_stdout()  # what is still buffered can never be written
            raise PolicyIOError(f"standard output: cannot write: {exc.strerror or exc}") from None
        return False


class _StdoutStream:
    """The binary standard output for `policy batch`, with write errors as `_writing_stdout`."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def write(self, data: bytes) -> int:
        with _writing_stdout():
            written = self.raw.write(data)
        return written

    def flush(self) -> None:
        with _writing_stdout():
            self.raw.flush()


def _discard_stdout() -> None:
    """Point descriptor 1 at the null device, so the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


# --- commands ------------------------------------------------------------------------------------

def cmd_evaluate(args: Namespace) -> int:
    from .api import Policy
    from .cases import WORDS, check_case, is_field_word, parse_words, read_case_file, value_text

    compiled = _compiled(args)
    raw: dict[str, object] = {}
    where: Where | None = None
    name = "case"
    if args.case is not None:
        raw, where, name = read_case_file(args.case)
    for word in args.fields:
        if not is_field_word(word):
            example = (f" (e.g. {compiled.columns[0][0]}={value_text(compiled.columns[0][1][0])})"
                       if compiled.columns else "")
            raise UsageError(f"'{word}' is not FIELD=VALUE{example}")
    word_case = parse_words(args.fields, compiled.columns)
    if word_case:  # words override the file; their problems are named by the word, not a line
        file_case = check_case({k: v for k, v in raw.items() if k not in word_case},
                               compiled.columns, where=where, file=name)
        case = {**file_case, **check_case(word_case, compiled.columns, file=WORDS)}
    else:
        case = check_case(raw, compiled.columns, where=where, file=name)
    decision = Policy(compiled).evaluate(case, args.as_of)
    if args.json:
        import json  # (not on the text path: a warm evaluate's start-up counts)

        _out(json.dumps(decision.to_json(), indent=2, ensure_ascii=False), escaped=False)
    else:
        from .render import decision_text

        _out(decision_text(decision))
    return 0


def _diffs_against(args: Namespace, git_rev: str,
                   validated: ValidatedPolicy) -> tuple[list[dict], list[Problem]]:
    """(diffs of every revision changed since git_rev, problems of published revisions)."""
    from .checks import published_problems
    from .diff import changed_revisions

    before = {r.id: r for r in _validated_at_rev(args, git_rev, chain=False).revisions}
    after = {r.id: r for r in validated.revisions}
    diffs = changed_revisions(before, after)
    return diffs, published_problems(before, after, diffs, git_rev)


def _table_problems(exc: DataError) -> list[Problem]:
    """The problems validate reports; a wrong option (an unknown policy, a refused git revision)
    is raised as the usage error it is on the command line."""
    usage = _as_usage_error(exc)
    if usage is not None:
        raise usage from None
    return exc.problems


def cmd_validate(args: Namespace) -> int:
    from .render import diff_text, problems_github, problems_json, problems_text

    problems, validated = [], None
    try:
        validated = _validated(args)
    except DataError as exc:
        problems += _table_problems(exc)
    if args.against is not None:
        try:  # the tables on their own may be sound even when the chain is not
            current = validated or _validated(args, chain=False)
            diffs, published = _diffs_against(args, args.against, current)
            problems += published
            if args.format == "text":
                for diff in diffs:
                    _out(diff_text(diff))
        except DataError as exc:
            problems += [p for p in _table_problems(exc) if p not in problems]
    if problems:
        render = {"text": problems_text, "json": problems_json, "github": problems_github}
        problems = sorted(problems)
        _out(render[args.format](problems), escaped=args.format != "json")
        files = len({p.file for p in problems})
        print(f"{PROG} validate: {len(problems)} problem(s) in {files} file(s)", file=sys.stderr)
        return 1
    assert validated is not None  # no problems: the tables loaded
    if args.format == "json":
        _out("[]", escaped=False)
    elif args.format == "text":
        revisions = validated.revisions
        _out(f"{validated.files.policy_id}: {len(revisions)} revisions valid "
             f"({revisions[0].id} .. {revisions[-1].id})")
    return 0


def cmd_diff(args: Namespace) -> int:
    from .diff import changed_revisions, diff_revisions, resolve
    from .render import diff_markdown, diff_text

    names = args.revisions
    if len(names) not in (0, 2) or (not names and args.rev is None):
        raise UsageError("give two revisions (ids, versions or dates): policy diff A B, "
                         "or --rev REV [A B]")
    # Each table must be valid; the chain checks (semver bumps) are validate's job, so a diff can
    # show an edit whose version is not bumped yet.
    validated = _validated(args, chain=False)
    new = validated.revisions
    old = _validated_at_rev(args, args.rev, chain=False).revisions if args.rev is not None else new
    if names:
        diffs = [diff_revisions(resolve(old, names[0]), resolve(new, names[1]))]
    else:  # every revision that differs between REV and the working tree
        before, after = {r.id: r for r in old}, {r.id: r for r in new}
        diffs = changed_revisions(before, after)
        for gone in sorted(before.keys() - after.keys()):
            print(f"{PROG} diff: revision {gone} was removed or renamed since {args.rev}",
                  file=sys.stderr)
        for added in sorted(after.keys() - before.keys()):
            print(f"{PROG} diff: revision {added} is new since {args.rev}", file=sys.stderr)
    if args.json:
        import json

        _out(json.dumps(diffs[0] if names else diffs, indent=2, ensure_ascii=False), escaped=False)
    elif args.format == "markdown":
        inputs = validated.definition.inputs
        _out("\n".join(diff_markdown(d, inputs) for d in diffs) or "No revision changed.")
    else:
        _out("\n\n".join(diff_text(d) for d in diffs) or "No revision changed.")
    return 0


def cmd_history(args: Namespace) -> int:
    from .render import history_text

    entries = [revision.history_entry() for revision in _validated(args).revisions]
    if args.json:
        import json

        _out(json.dumps(entries, indent=2, ensure_ascii=False), escaped=False)
    else:
        _out(history_text(entries))
    return 0


def cmd_changelog(args: Namespace) -> int:
    from .changelog import FILE_NAME, changelog_markdown
    from .escaping import escape
    from .reading import read_bounded
    from .tables import display_path

    files = _policy_files(args)
    if args.out is not None:
        target = args.out
    else:  # beside the tables/ folder: the root of the policy repository
        tables_dir = os.path.dirname(os.path.abspath(files.folder))
        if tables_dir.startswith(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data")):
            raise UsageError("the tables are the ones installed with the package: run this in a "
                             "policy repository, or give --out FILE")
        target = os.path.join(os.path.dirname(tables_dir), FILE_NAME)
    validated = _validated(args)
    revisions = validated.revisions
    text = changelog_markdown(revisions, validated.definition)
    name = display_path(target)
    expected = text.encode("utf-8")
    # bounded, regular files only (a FIFO would wait for a writer); one byte more than the
    # generated text is enough to tell that it differs
    current: bytes | None = None
    if os.path.lexists(target):
        try:
            current = read_bounded(target, len(expected) + 1, what="changelog", display=name)
        except DataError:  # FILE_TOO_LARGE: longer than the generated text, so out of date
            current = b""
    if current == expected:
        _out(f"{name} is up to date ({len(revisions)} revisions)")
        return 0
    if args.check:
        state = "missing" if current is None else "out of date with the tables"
        print(f"{PROG} changelog: {escape(name)} is {state}; run `policy changelog` to "
              "regenerate it", file=sys.stderr)
        return 1
    from .writer import write_atomic

    write_atomic(target, text)
    _out(f"wrote {name} ({len(revisions)} revisions)")
    return 0


def cmd_batch(args: Namespace) -> int:
    """`policy batch`; running out of memory anywhere in it (importing pyarrow under `ulimit -v`
    included) is one OUT_OF_MEMORY line and exit 4, never an internal error."""
    from .errors import OutOfMemory
    from .limits import out_of_memory

    try:
        return _batch(args)
    except PolicyError:
        raise
    except Exception as exc:
        if out_of_memory(exc):
            name = "<stdin>" if args.input == "-" else args.input
            raise OutOfMemory(name, f"out of memory: {type(exc).__name__}") from None
        raise


def _batch(args: Namespace) -> int:
    import signal

    if args.standalone:
        _without_pandas()
        # numpy, which pyarrow imports, starts OpenBLAS threads that spin on the CPU for a while
        # (about 0.04 s of a 1M-row run); batch never calls BLAS
        blas_threads = "OPENBLAS_NUM_THREADS"  # (an environment variable, not a problem code)
        os.environ.setdefault(blas_threads, "1")
        from .limits import before_pyarrow

        before_pyarrow()
    from .batch import bad_lines_text, run_batch, summary_text, use_reusing_memory_pool
    from .cases import as_of_day
    from .escaping import escape

    if args.standalone:
        use_reusing_memory_pool()  # (the process is this one run's)
    if args.as_of is not None:
        as_of_day(args.as_of)  # a bad date stops the run before any input is read
    compiled = _compiled(args)
    if args.input == "-" and args.input_format is None:
        raise UsageError("standard input has no suffix to tell its format: give --format csv, "
                         "jsonl or parquet")

    name = escape("<stdin>" if args.input == "-" else args.input)  # (escaping is per character)

    def on_bad_lines(lines: object, messages: object) -> None:  # a chunk's, at once
        text = bad_lines_text(name, lines, messages, NO_DATE_HINT)
        raw = getattr(sys.stderr, "buffer", None)
        sys.stderr.flush()
        if raw is not None:
            raw.write(text)
            raw.flush()
        else:  # a text stream only (an embedding program's)
            sys.stderr.write(str(text, "utf-8"))

    def on_terminate(signum: int, frame: object) -> NoReturn:
        raise KeyboardInterrupt  # `kill`, a closed terminal: unwind like Ctrl-C, so no output
                                 # file is left

    hangup = signal.SIGHUP if hasattr(signal, "SIGHUP") else None  # (none on Windows)
    previous = {sig: signal.signal(sig, on_terminate)
                for sig in (signal.SIGTERM, hangup) if sig is not None}
    progress = _ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        summary = run_batch(args.input, compiled, out=args.out, as_of=args.as_of,
                            stdout=_StdoutStream(sys.stdout.buffer),
                            on_bad_lines=on_bad_lines,
                            on_progress=progress.update if progress else None,
                            input_format=args.input_format)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if progress:
            progress.clear()
    sys.stderr.write(summary_text(summary, args.out) + "\n")
    return 3 if summary.bad else 0


def _without_pandas() -> None:
    """pyarrow probes for pandas at its first conversion of Python values and imports it when it
    is installed: about a third of a second that `policy batch` never uses. In a process started
    for one command (never in-process callers, which may want pandas), the probe is told pandas
    is absent."""

    class NoPandas:  # a meta path finder (importlib.abc would cost an import of its own)
        @staticmethod
        def find_spec(name: str, path: object = None, target: object = None) -> None:
            if name == "pandas" or name.startswith("pandas."):
                raise ModuleNotFoundError("pandas is not used by policy batch", name=name)
            return None

    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, NoPandas())


class _ProgressBar:
    """A one-line bar on a terminal's standard error, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        import time

        self.stream, self.clock, self.last = stream, time.monotonic, 0.0

    def update(self, fraction: float, rows: int) -> None:
        now = self.clock()
        if now - self.last >= 0.1:
            self.last = now
            filled = int(30 * min(max(fraction, 0.0), 1.0))
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:6.1%} "
                              f"{rows:,} rows")
            self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r" + " " * 60 + "\r")


def _serve_number(name: str, text: str, kind: type, least: float) -> Any:
    """An option's number, in ASCII digits (int() would take other scripts' digits too)."""
    from .escaping import shown

    try:
        if not text.isascii():
            raise ValueError
        value = kind(text)
        if value != value or value in (float("inf"), float("-inf")) or value < least:
            raise ValueError
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise UsageError(f"{name} must be {what} of at least {least:g}, not {shown(text)}") \
            from None
    return value


def cmd_serve(args: Namespace) -> int:
    """`policy serve`: runs until stopped (SIGINT or SIGTERM)."""
    try:
        from .serve.config import ServeConfig
        from .serve.run import is_loopback, serve
    except ImportError as exc:
        raise UsageError(f"policy serve needs the serve extra ({exc.name} is not installed): "
                         "pip install 'fep-medical-policy[serve]'") from None
    issuers = [i.strip() for i in (args.jwt_issuer or "").split(",") if i.strip()]
    if args.jwks is None and not is_loopback(args.host):
        raise UsageError(f"--host {args.host} is beyond loopback: give --jwks FILE and "
                         "--jwt-issuer ISS so that clients' tokens are checked, or listen on "
                         "127.0.0.1")
    if args.jwks is not None and not issuers:
        raise UsageError("--jwks needs --jwt-issuer ISS[,ISS...] (the issuers to trust)")
    for name, value, allowed in (("--log-inputs", args.log_inputs, ("hash", "full", "none")),
                                 ("--log-sync", args.log_sync, ("group", "line"))):
        if value not in allowed:
            raise UsageError(f"{name} is one of {', '.join(allowed)}, not '{value}'")
    port = _serve_number("--port", args.port, int, 0)
    if port > 65535:
        raise UsageError(f"--port {port} is not a port (0 to 65535; 0: a free one)")
    config = ServeConfig(
        tables=args.tables, policy=args.policy, host=args.host, port=port,
        decision_log=args.decision_log, log_inputs=args.log_inputs,
        log_max_bytes=_serve_number("--log-max-bytes", args.log_max_bytes, int, 1),
        log_sync=args.log_sync, jwks=args.jwks, jwt_issuers=tuple(issuers),
        jwt_audience=args.jwt_audience,
        workers=_serve_number("--workers", args.workers, int, 1),
        reload_interval=_serve_number("--reload-interval", args.reload_interval, float, 0),
        max_body=_serve_number("--max-body", args.max_body, int, 1),
        max_batch=_serve_number("--max-batch", args.max_batch, int, 1),
        request_timeout=_serve_number("--request-timeout", args.request_timeout, float, 0.001),
        site_url=args.site_url)

    def announce(url: str, served: object) -> None:
        from .escaping import escape

        print(escape(f"{PROG} serve: {served.policy_id} (snapshot "  # type: ignore[attr-defined]
                     f"{served.digest[:12]}) listening on {url}"),  # type: ignore[attr-defined]
              file=sys.stderr, flush=True)

    serve(config, announce=announce)
    return 0


def cmd_log(args: Namespace) -> int:
    """`policy log verify FILE...`: 0 the chain holds, 1 it is broken (one line per problem),
    4 a file cannot be read."""
    if args.action != "verify" or not args.files:
        raise UsageError("give the log's files: policy log verify FILE... (rotated files first)")
    from .serve.log_verify import verify

    found = verify(args.files)
    for note in found.notes:
        from .escaping import escape

        print(f"{PROG} log: note: {escape(note)}", file=sys.stderr)
    _out(f"{len(args.files)} file(s), {found.lines} decision(s): the chain holds"
         + (f" (seq {found.seq})" if found.seq is not None else ""))
    return 0


COMMANDS = {"evaluate": cmd_evaluate, "validate": cmd_validate, "batch": cmd_batch,
            "diff": cmd_diff, "history": cmd_history, "changelog": cmd_changelog,
            "serve": cmd_serve, "log": cmd_log}


def _parsed(argv: list[str]) -> Namespace:
    """The command line's arguments (argparse: `arguments.parse_command_line`)."""
    from .arguments import parse_command_line

    return parse_command_line(PROG, argv, fields_help=_fields_help)


def _fields_help(args: Namespace) -> str:
    """Every case field with its allowed values (for `policy evaluate --help`)."""
    from .render import fields_text

    try:
        return fields_text(_compiled(args).columns)
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


def _main(argv: list[str] | None) -> int:
    standalone = argv is None  # the process runs this one command (not a caller in-process)
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    if sys.stderr is None:  # started with 2>&-: messages are lost, exit codes are not
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    try:
        if sys.stdout is None:  # started with >&-
            raise PolicyIOError("standard output: cannot write: it is closed")
        args = _parsed(argv)
        args.standalone = standalone
        code = COMMANDS[args.command](args)
        with _writing_stdout():
            sys.stdout.flush()  # a full disk shows here, while it can still be reported
        return code
    except PolicyError as exc:
        if debug:
            raise
        from .escaping import escape

        if isinstance(exc, DataError):
            exc = _as_usage_error(exc) or exc

        # one line per problem; any other error is one line, whatever its text holds
        lines = ([str(p) for p in exc.problems] if isinstance(exc, DataError)
                 else [escape(str(exc)) or type(exc).__name__])
        if isinstance(exc, UsageError):
            lines = [line if line.startswith(PROG) else f"{PROG}: {line}" for line in lines]
        for line in lines:
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error worth a traceback
        _discard_stdout()
        return 0
    except Exception as exc:  # a bug: one line unless --debug
        if debug:
            raise
        from .escaping import escape

        print(f"{PROG}: internal error: {type(exc).__name__}: {escape(str(exc)[:300])} "
              "(rerun with --debug)", file=sys.stderr)
        return 70
