"""`policy batch`: every case of a claim file decided, one result per line, in order."""

from __future__ import annotations

import os
import signal
import sys
import time
from argparse import Namespace
from typing import TYPE_CHECKING, NoReturn, TextIO

from ..core.cases import as_of_day
from ..core.errors import DataError, OutOfMemory, PolicyError, Problem, UsageError
from ..core.escaping import escape
from . import loading
from .output import StdoutStream
from .usage import NO_DATE_HINT

if TYPE_CHECKING:
    from ..core.compiled import CompiledPolicy


def run(args: Namespace) -> int:
    """`policy batch`; running out of memory anywhere in it (importing pyarrow under `ulimit -v`
    included) is one OUT_OF_MEMORY line and exit 4, never an internal error."""
    from ..core.memory_limits import out_of_memory  # (no pyarrow: its import may fail too)

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
    if args.standalone:
        without_pandas()
        # numpy, which pyarrow imports, starts OpenBLAS threads that spin on the CPU for a while
        # (about 0.04 s of a 1M-row run); batch never calls BLAS
        blas_threads = "OPENBLAS_NUM_THREADS"  # (an environment variable, not a problem code)
        os.environ.setdefault(blas_threads, "1")
        from ..core.memory_limits import before_pyarrow

        before_pyarrow()
    # pyarrow loads here, after the lines above (they must come before it)
    from ..batch import bad_lines_text, run_batch, summary_text, use_reusing_memory_pool

    if args.standalone:
        use_reusing_memory_pool()  # (the process is this one run's)
    if args.as_of is not None:
        as_of_day(args.as_of)  # a bad date stops the run before any input is read
    compiled = loading.compiled(args)
    if args.input == "-" and args.input_format is None:
        raise UsageError("standard input has no suffix to tell its format: give --format csv, "
                         "jsonl or parquet")

    name = escape("<stdin>" if args.input == "-" else args.input)  # (escaping is per character)
    columns = column_options(args, compiled)

    def on_bad_lines(lines: object, errors: object) -> None:  # a chunk's, at once
        text = bad_lines_text(name, lines, with_option_hints(errors), NO_DATE_HINT)
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
    progress = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        summary = run_batch(args.input, compiled, out=args.out, as_of=args.as_of,
                            stdout=StdoutStream(sys.stdout.buffer),
                            on_bad_lines=on_bad_lines,
                            on_progress=progress.update if progress else None,
                            input_format=args.input_format, columns=columns)
    except DataError as exc:  # a column the map does not read: name the two options
        raise DataError([option_hints(problem) for problem in exc.problems]) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if progress:
            progress.clear()
    sys.stderr.write(summary_text(summary, args.out) + "\n")
    return 3 if summary.bad else 0


# an unknown column may be a claim file's own: the two options that read it (the library's
# UNKNOWN_FIELD messages name no options)
UNKNOWN_COLUMN = "unknown field"
OPTIONS_HINT = ("; a column of other data can be read as a field with --map FIELD=COLUMN or "
                "carried into the results with --keep COLUMN")


def option_hints(problem: Problem) -> Problem:
    if problem.code == "UNKNOWN_FIELD" and problem.message.startswith(UNKNOWN_COLUMN):
        return problem._replace(message=problem.message + OPTIONS_HINT)
    return problem


def with_option_hints(errors: object) -> object:
    """Bad lines' problems (`columnar.row_errors`) with the options named after an unknown
    column's message."""
    from ..columnar import row_errors

    return row_errors.with_hint(errors, "UNKNOWN_FIELD", OPTIONS_HINT,
                                starting=UNKNOWN_COLUMN)


def column_options(args: Namespace, compiled: CompiledPolicy) -> dict[str, object] | None:
    """The column map of the --map and --keep options, checked against the policy's fields
    before any input is read (a map naming no field is a usage error)."""
    columns = _columns(args.maps, args.keeps)
    if columns is not None:
        from ..columnar.column_map import column_map

        try:
            column_map(columns, compiled.columns)
        except DataError as exc:
            raise UsageError("; ".join(f"--map/--keep: {p.message}" for p in exc.problems)) \
                from None
    return columns


def _columns(maps: list[str], keeps: list[str]) -> dict[str, object] | None:
    """The column map of --map FIELD=COLUMN[,COLUMN...] and --keep COLUMN options."""
    if not maps and not keeps:
        return None
    columns: dict[str, object] = {}
    for word in maps:
        field, sep, names = word.partition("=")
        if not sep or not field or not names or "" in names.split(","):
            raise UsageError(f"--map {escape(word)}: expected FIELD=COLUMN or "
                             "FIELD=COLUMN,COLUMN,... (diagnosis=dx1,dx2)")
        if field in columns:
            raise UsageError(f"--map {escape(field)}=... is given twice")
        parts = names.split(",")
        columns[field] = parts if len(parts) > 1 else parts[0]
    if keeps:
        columns["keep"] = list(keeps)
    return columns


def without_pandas() -> None:
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


class ProgressBar:
    """A one-line bar on a terminal's standard error, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
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
