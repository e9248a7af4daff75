"""One batch run: read chunks ahead, decide each with the columnar core, write behind, in order."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pyarrow as pa

from ..columnar import ColumnarPolicy, Keyed, for_policy, row_errors
from ..columnar import kernels as pc
from ..columnar.column_map import column_map
from ..core.errors import DataError, OutOfMemory, PolicyError
from ..core.memory_limits import Budget, limits, out_of_memory
from .csv_reader import read_csv
from .formats import INPUT_FORMATS, OUTPUT_FORMATS, call_error, format_of
from .inputs import display
from .jsonl_reader import read_jsonl
from .parquet_reader import read_parquet
from .pipeline import InOrder, prefetched
from .records import BadLine, Chunk, Summary
from .writers import CsvWriter, JsonLinesWriter, ParquetWriter, Sink, Writer

READERS: dict[str, Callable[..., Iterator[Chunk]]] = {  # (path, columnar[, column map])
    "csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
WRITERS: dict[str, Callable[..., Writer]] = {
    "jsonl": JsonLinesWriter, "csv": CsvWriter, "parquet": ParquetWriter}


def use_reusing_memory_pool() -> None:
    """For a process that does one batch run (the `policy batch` command, never a library caller,
    whose process is its own), after `limits.before_pyarrow`: Arrow memory comes from pyarrow's
    default pool, mimalloc, told there to keep freed pages for a second and reuse them; under a
    memory limit from the C library's malloc, with the address space kept small
    (`_small_address_space`), so that the limit goes to the data.

    Until issue 20 the process switched to pyarrow's jemalloc pool, for the same reuse of
    pages: mimalloc as configured by default hands freed pages back within milliseconds, so
    each block faulted in fresh pages for the kernel to zero. But under `ulimit -v` jemalloc ran
    out as signals (SIGSEGV, SIGABRT, exit 127: "background thread creation failed") where
    mimalloc raises ArrowMemoryError, and on a file of junk (large buffers freed every block) it
    faulted in a page a row: 2,000,000 junk rows took 8.5 CPU-s against 5.4 with mimalloc kept
    for a second, and a clean file of 1,000,000 rows 0.68 against 0.62 (docs/batch.md)."""
    if limits():
        _small_address_space()


def _small_address_space() -> None:
    """Less address space reserved for nothing, under a limit that counts it: glibc gives each
    thread that allocates an arena of 64 MiB of address space (up to 8 per core), and Arrow's
    I/O pool starts up to 8 threads of 8 MiB stacks; two of each serve a run."""
    pa.set_io_thread_count(2)
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-8, 2)  # M_ARENA_MAX (glibc's malloc.h); elsewhere there is no such call
    except (OSError, AttributeError):
        pass


def run_batch(path: str, policy: Any, *, out: str | None = None, as_of: str | None = None,
              stdout: Sink | None = None, on_bad: Callable[[int, str], None] | None = None,
              on_bad_lines: Callable[[pa.Array, pa.Array], None] | None = None,
              on_progress: Callable[[float, int], None] | None = None,
              input_format: str | None = None, columns: object = None) -> Summary:
    """Evaluate every case of the file at `path` ('-': standard input); write results to `out`
    (atomically) or to the binary stream `stdout` as JSON Lines. `input_format` (csv, jsonl,
    parquet) is needed for standard input or a name without a known suffix; else the suffix
    tells. `on_bad(line, "CODE: message")` hears each bad line in order; `on_bad_lines(lines,
    errors)` the same a chunk at a time, as Arrow arrays (int64, and each line's problems:
    `columnar.row_errors`); `on_progress(fraction
    read, rows so far)` after each chunk. `columns` reads a claim file's own column names
    ({field: column or [columns], "keep": [columns]}: `columnar.column_map`); kept columns
    follow each result's members, as text.

    On a fatal error (a file-level DataError, an I/O error of the input, an interrupt) results
    already streamed to `stdout` stay, and the stream ends with one line
    `{"fatal": "CODE: message"}` before the error is raised; `out` is never left behind."""
    from ..writer import atomic_output

    columnar = for_policy(policy)
    plan = column_map(columns, columnar.columns)
    reader, text_cells = reader_for(path, input_format)
    kind = format_of(out, OUTPUT_FORMATS, "output") if out else "jsonl"
    if as_of is not None:
        columnar.check_as_of(as_of)
    if out is not None and path != "-" and os.path.exists(out) and os.path.exists(path) and \
            os.path.samefile(out, path):
        raise call_error(out, "OUTPUT_IS_INPUT", "the output would overwrite the input")
    with contextlib.ExitStack() as stack:
        handle = stdout if out is None else stack.enter_context(atomic_output(out))
        if handle is None:
            raise TypeError("run_batch needs `out` or a binary `stdout` stream")
        budget = Budget(display(path))
        writer = None
        try:
            budget.check()
            chunks = reader(path, columnar, plan) if plan else reader(path, columnar)
            first = next(chunks, None)  # the header read: whether the input has codes
            coded = first.coded if first is not None else reader is read_jsonl
            try:
                writer = WRITERS[kind](handle, columnar, keep=plan.keep, codes=coded)
            except BaseException:
                # a reader's generator: its file closed now, not when collected
                chunks.close()  # type: ignore[attr-defined]
                raise
            return _run(_starting_with(first, chunks), writer, columnar, as_of,
                        text_cells=text_cells, on_bad=on_bad,
                        on_bad_lines=on_bad_lines, on_progress=on_progress,
                        budget=budget)
        except BaseException as exc:
            if writer is not None:
                writer.abandon()  # before the output file closes: nothing may write to it later
            if not isinstance(exc, PolicyError) and out_of_memory(exc):
                exc = OutOfMemory(display(path), f"out of memory: {_reason(exc)}")
            if out is None and isinstance(exc, (PolicyError, KeyboardInterrupt)):
                _fatal_line(handle, exc)
            if isinstance(exc, OutOfMemory):
                raise exc from None
            raise


def _starting_with(first: Chunk | None, rest: Iterator[Chunk]) -> Generator[Chunk, None, None]:
    """`first` (when there is one), then the chunks of `rest` (a reader's generator, closed
    with this one: its files are closed by the thread that reads it)."""
    try:
        if first is not None:
            yield first
        yield from rest
    finally:
        close = getattr(rest, "close", None)
        if close is not None:
            close()


def reader_for(path: str, input_format: str | None
               ) -> tuple[Callable[..., Iterator[Chunk]], bool]:
    """The reader of the file at `path` ('-': standard input): by `input_format` (csv, jsonl,
    parquet) when given, else by the name's suffix; and whether its cells are text (CSV's are:
    "true" is a word there, not a boolean)."""
    if input_format is not None:
        if input_format not in set(INPUT_FORMATS.values()):
            raise call_error("input_format", "UNKNOWN_FORMAT", f"unknown input format "
                             f"{input_format!r}; use csv, jsonl or parquet")
        reader = READERS[input_format]
    elif path == "-":
        raise call_error("<stdin>", "UNKNOWN_FORMAT", "standard input has no suffix to tell its "
                         "format: name its format (csv, jsonl or parquet)")
    else:
        reader = READERS[format_of(path, INPUT_FORMATS, "input")]
    return reader, reader is read_csv


# `escaping.UNSAFE` for Arrow's regular expressions (RE2): no surrogates, which no Arrow string
# (valid UTF-8) can hold
_UNSAFE_IN_UTF8 = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def bad_lines_text(file: str, lines: pa.Array, errors: pa.Array,
                   no_date_hint: str) -> memoryview:
    """The report of bad lines, one per line: `FILE:LINE: CODE: message` (a NO_DATE message
    followed by ` (no_date_hint)`), each escaped (`escaping.escape`) as one line, as UTF-8.
    `file` is escaped already. Built by Arrow kernels: a file of junk has a bad line a row."""
    from ..core.escaping import escape

    messages = row_errors.texts(row_errors.with_hint(errors, "NO_DATE", f" ({no_date_hint})"))
    unsafe = pc.fill_null(pc.match_substring_regex(messages, _UNSAFE_IN_UTF8), False)
    if pc.any(unsafe).as_py():
        messages = pc.replace_with_mask(messages, unsafe, pa.array(
            [escape(text) for text in pc.filter(messages, unsafe).to_pylist()], pa.string()))
    text = pc.binary_join_element_wise(f"{file}:", pc.cast(lines, pa.string()), ": ", messages,
                                       "\n", "")
    if not len(text):
        return memoryview(b"")
    ends = pa.Array.from_buffers(pa.int32(), len(text) + 1, [None, text.buffers()[1]],
                                 offset=text.offset)  # the texts lie end to end: one slice
    return memoryview(text.buffers()[2])[ends[0].as_py():ends[len(text)].as_py()]


def _reason(exc: BaseException) -> str:
    """An out-of-memory error's own words, on one line ("MemoryError" when it has none)."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _fatal_line(handle: Sink, exc: BaseException) -> None:
    """The last line of a JSON Lines stream cut short by a fatal error: {"fatal": "CODE:
    message"}, with the "line" and "col" of the file's first problem when it has them."""
    where = {}
    if isinstance(exc, DataError):
        text = "; ".join(f"{p.code}: {p.message}" for p in exc.problems[:10])
        first = exc.problems[0] if exc.problems else None
        if first is not None and first.line > 0:
            where = {"line": first.line, **({"col": first.col} if first.col > 0 else {})}
    elif isinstance(exc, OutOfMemory):
        text = f"{exc.problem.code}: {exc.problem.message}"
    elif isinstance(exc, KeyboardInterrupt):
        text = "INTERRUPTED: the run was interrupted"
    else:
        text = str(exc)
    try:
        handle.write((json.dumps({"fatal": text, **where}) + "\n").encode())
        handle.flush()
    except (OSError, PolicyError):
        pass  # standard output itself failed: the exit code and standard error still tell


def _run(chunks: Iterator[Chunk], writer: Writer, columnar: ColumnarPolicy, as_of: str | None,
         *, text_cells: bool, on_bad: Callable[[int, str], None] | None,
         on_bad_lines: Callable[[pa.Array, pa.Array], None] | None,
         on_progress: Callable[[float, int], None] | None, budget: Budget) -> Summary:
    started = time.perf_counter()
    rows = bad_rows = 0
    counts: Counter[str] = Counter()
    with InOrder() as later:  # results are formatted and written while the next chunk is decided
        for chunk in prefetched(chunks):  # type: ignore[arg-type]
            budget.check()
            keyed = lines = None
            if chunk.cases is not None and chunk.cases.num_rows:
                keyed = columnar.evaluate_keyed(chunk.cases, as_of=as_of, text_cells=text_cells,
                                                checked_utf8=chunk.utf8_checked,
                                                codes_json=writer.writes_codes)
                if chunk.kept is not None:
                    keyed = keyed._replace(kept=chunk.kept)
                lines = chunk.lines
            if chunk.bad:
                keyed, lines = _with_bad_lines(keyed, lines, chunk.bad)
            if keyed is None or lines is None:
                continue
            error = keyed.error
            if error.null_count < len(error):
                failed = pc.is_valid(error)
                bad_rows += len(error) - error.null_count
                if on_bad_lines is not None:
                    on_bad_lines(pc.filter(lines, failed), pc.filter(error, failed))
                if on_bad is not None:
                    texts = row_errors.texts(pc.filter(error, failed)).to_pylist()
                    for line, message in zip(pc.filter(lines, failed).to_pylist(), texts,
                                             strict=True):
                        on_bad(line, message)
            counts.update(columnar.determination_counts(keyed.gid))
            rows += len(lines)
            later.submit(writer.write, lines, keyed, chunk.no_quotes)
            if on_progress is not None:
                on_progress(chunk.done, rows)
        later.submit(writer.close)
    return Summary(rows, bad_rows, time.perf_counter() - started, dict(counts))


def summary_text(summary: Summary, out: str | None) -> str:
    """The closing line of `policy batch`: rows, bad lines, time, counts per determination."""
    counts = ", ".join(f"{name} {count:,}" for name, count in sorted(
        summary.determinations.items(), key=lambda item: (-item[1], item[0])))
    rate = summary.rows / summary.seconds if summary.seconds > 0 else 0.0
    where = f" -> {out}" if out else ""
    return (f"{summary.rows:,} rows, {summary.bad:,} bad, {summary.seconds:.2f} s "
            f"({rate:,.0f} rows/s){where}" + (f"; {counts}" if counts else ""))


def _with_bad_lines(keyed: Keyed | None, lines: pa.Array | None,
                    bad: list[BadLine]) -> tuple[Keyed, pa.Array]:
    """Merge lines that did not parse into a chunk's keyed results, in line order (the rare
    path: a ragged CSV row, a malformed JSON line)."""
    n = len(bad)
    failed_lines = pa.array([entry.line for entry in bad], pa.int64())
    case_ids = pa.array([entry.case_id for entry in bad], pa.string())
    failed = Keyed(gid=pa.nulls(n, pa.int32()), code=pa.nulls(n, pa.int64()), case_id=case_ids,
                   as_of=pa.nulls(n, pa.string()),
                   error=row_errors.of_pairs([entry.problems for entry in bad]),
                   before_first=None, no_policy_days=[], no_policy_index=None)
    names = sorted({name for entry in bad for name in (entry.kept or {})})
    if names:
        failed = failed._replace(kept=pa.RecordBatch.from_arrays(
            [pa.array([(entry.kept or {}).get(name) for entry in bad], pa.string())
             for name in names], names=names))
    if keyed is None or lines is None:
        return failed._replace(as_of=pc.dictionary_encode(failed.as_of)), failed_lines
    if keyed.kept is None and failed.kept is not None:  # the good rows' kept values: none read
        keyed = keyed._replace(kept=pa.RecordBatch.from_arrays(
            [pa.nulls(len(lines), pa.string()) for _ in names], names=names))
    order = pc.sort_indices(pa.concat_arrays([lines, failed_lines]))
    good_rows = len(lines)

    def merged(good: Any, failed_values: pa.Array | None = None) -> pa.Array:
        if isinstance(good, pa.Scalar):
            good = pa.repeat(good, good_rows)
        if pa.types.is_dictionary(good.type):
            good = pc.cast(good, good.type.value_type)
        rest = (pa.nulls(n, good.type) if failed_values is None
                else pc.cast(failed_values, good.type))
        return pc.take(pa.concat_arrays([good, rest]), order)

    kept = keyed.kept
    if kept is not None:  # a bad line's kept values where they were read, else null
        kept = pa.RecordBatch.from_arrays(
            [merged(pc.cast(c, pa.string()) if not pa.types.is_dictionary(c.type) else c,
                    pa.array([(entry.kept or {}).get(name) for entry in bad], pa.string()))
             for name, c in zip(kept.schema.names, kept.columns, strict=True)],
            names=kept.schema.names)
    def merged_text(values: pa.Array | None) -> pa.Array | None:  # null on the bad lines
        if values is None:
            return None
        if pa.types.is_dictionary(values.type):  # kept a dictionary: its texts are made once
            indices = pc.take(pa.concat_arrays(
                [values.indices, pa.nulls(n, values.indices.type)]), order)
            return pa.DictionaryArray.from_arrays(indices, values.dictionary)
        return merged(values)

    return Keyed(
        codes=merged_text(keyed.codes), said=merged_text(keyed.said),
        not_applicable_text=merged_text(keyed.not_applicable_text),
        gid=merged(keyed.gid), code=merged(keyed.code), kept=kept,
        case_id=merged(keyed.case_id, case_ids),
        as_of=pc.dictionary_encode(merged(keyed.as_of)),
        error=pc.take(pa.concat_arrays([keyed.error, failed.error]), order),
        before_first=None if keyed.before_first is None else merged(keyed.before_first),
        no_policy_days=keyed.no_policy_days,
        no_policy_index=None if keyed.no_policy_index is None
        else merged(keyed.no_policy_index)), pc.take(pa.concat_arrays([lines, failed_lines]),
                                                     order)
