"""Hostile input, round 3 (issue 20, items 7 to 10): Parquet files that crashed `policy batch` or
exhausted memory, a run under `ulimit -v`, a per-case API that decided what the command line
refuses, and junk that cost two orders of magnitude more than good rows.

Each test failed on 74629ea (the commit before these fixes), as its docstring says; the
property tests of the bulk checks are in tests/batch/test_bulk_messages.py."""

import io
import json
import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from policy import DataError, load_policy
from policy.batch import run_batch
from policy.columnar import evaluate_arrow
from policy.core.errors import CODES, OutOfMemory, PolicyError

ROOT = Path(__file__).resolve().parent.parent
IORT = load_policy(ROOT / "tables")
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 130}


def policy(*args, cwd, preexec_fn=None, input=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "policy", *map(str, args)], cwd=cwd,
                          capture_output=True, input=input, timeout=timeout,
                          preexec_fn=preexec_fn)


def one_line(result, exit_code: int, code: str) -> str:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == exit_code, (result.returncode, err[-2000:])
    assert len(err.splitlines()) == 1 and f": {code}: " in err, err[-2000:]
    assert "Traceback" not in err
    return err


# --- item 7: Parquet inputs that exited 70 -------------------------------------------------------

def test_an_all_null_parquet_column_is_unknown(tmp_path):
    """Failed before: pandas writes an empty service_date column as Arrow type null, and
    `policy batch` exited 70 (TypeError: object of type 'NoneType' has no len())."""
    source = tmp_path / "claims.parquet"
    pq.write_table(pa.table({"case_id": ["a", "b"], "service_date": pa.nulls(2),
                             "cancer_site": ["rectal", "colon"], "t_stage": pa.nulls(2)}), source)
    assert pq.read_schema(source).field("service_date").type == pa.null()
    result = policy("batch", source, "--as-of", "2020-01-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["determination"] for row in rows] == ["indeterminate", "investigational"]
    assert rows[0]["as_of"] == "2020-01-01" and rows[0]["needs"] == ["margin_status", "recurrent",
                                                                      "t_stage"]
    result = policy("batch", source, "--out", tmp_path / "out.csv", cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 3, err  # every value null: no date, as for an empty cell
    assert err.count(": NO_DATE: ") == 2 and "Traceback" not in err


@pytest.mark.parametrize("column", [pa.nulls(3), pa.nulls(3, pa.string()),
                                    pa.DictionaryArray.from_arrays(
                                        pa.array([0, None, 0], pa.int32()), pa.nulls(1)),
                                    pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int32()),
                                                                   pa.array([None, "2020-01-01"]))])
def test_evaluate_arrow_takes_null_columns_as_unknown(column):
    """Failed before (TypeError from `evaluate_arrow`) for a column of Arrow type null, and for
    a dictionary holding a null: a null is unknown, for service_date no date."""
    table = pa.table({"case_id": pa.nulls(3), "service_date": column, "cancer_site": pa.nulls(3),
                      "recurrent": pa.nulls(3)})
    result = evaluate_arrow(table, IORT)
    for day, error in zip(column.to_pylist(), result.column("error").to_pylist(), strict=True):
        assert (error is None) == (day is not None)
        assert day is not None or error.startswith("NO_DATE: ")
    decided = evaluate_arrow(table, IORT, as_of="2020-01-01")
    assert decided.column("error").null_count == 3
    assert set(decided.column("determination").to_pylist()) == {"indeterminate"}


def dictionary_bomb(path: Path, column: str, *, arrow_schema: bool) -> None:
    """A Parquet file of 200,000 rows of one 1 MiB value, stored once in the column chunk's
    dictionary: under 50 KB of file (about 1 KB with zstd) for 200 GB of text."""
    rows = 200_000
    values = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), rows),
                                            pa.array(["x" * (1 << 20)]))
    pq.write_table(pa.table({column: values}), path, store_schema=arrow_schema)


@pytest.mark.parametrize("column", ["case_id", "cancer_site"])
@pytest.mark.parametrize("arrow_schema", [True, False])
def test_a_parquet_file_that_decodes_to_200_gb_is_refused(tmp_path, column, arrow_schema):
    """Failed before: exit 70, "ArrowMemoryError: malloc of size 68719476736 failed" (or with
    a dictionary type stored, 200,000 bad lines of a 1 MiB value each). Now one line naming the
    file, DECODED_TOO_LARGE, exit 1, and nothing at the output path."""
    source = tmp_path / "bomb.parquet"
    dictionary_bomb(source, column, arrow_schema=arrow_schema)
    assert source.stat().st_size < 60_000
    out = tmp_path / "results.csv"
    err = one_line(policy("batch", source, "--out", out, "--as-of", "2020-01-01",
                          cwd=tmp_path), 1, "DECODED_TOO_LARGE")
    assert err.startswith(f"{source}: DECODED_TOO_LARGE: rows 1 to 65,536 decode to ")
    assert not out.exists() and list(tmp_path.iterdir()) == [source]
    result = policy("batch", source, "--as-of", "2020-01-01", cwd=tmp_path)  # to standard output
    assert result.returncode == 1
    assert json.loads(result.stdout)["fatal"].startswith("DECODED_TOO_LARGE: rows 1 to 65,536")


def test_a_row_group_whose_pages_decompress_too_far_is_refused_from_its_footer(tmp_path,
                                                                             monkeypatch):
    """A compressed page of one value repeated (no dictionary): the footer says how far its
    pages decompress, and the file is refused before a page is read. (The bound is lowered here
    so that the file stays small: 64 KiB of text per 65,536 rows.)"""
    from policy.batch import parquet_reader

    monkeypatch.setattr(parquet_reader, "MAX_TEXT_BYTES", 64 << 10)
    source = tmp_path / "pages.parquet"
    pq.write_table(pa.table({"case_id": ["y" * 1000] * 100}), source, use_dictionary=False,
                   compression="zstd")
    with pytest.raises(DataError) as caught:
        run_batch(str(source), IORT, stdout=io.BytesIO(), as_of="2020-01-01")
    [problem] = caught.value.problems
    assert problem.code == "DECODED_TOO_LARGE" and problem.file == str(source)
    assert problem.message.startswith("row group 1 (rows 1 to 100) decompresses to ")


def test_wide_parquet_rows_are_read_in_bounded_chunks_with_the_same_results(tmp_path,
                                                                           monkeypatch):
    """Rows whose dictionary values could be long are measured, read a few rows a chunk (here
    at most 4 KiB of text a chunk) and give the results they give when read whole."""
    from policy.batch import parquet_reader

    rng = random.Random(3)
    sites = list(dict(IORT.compiled.columns)["cancer_site"]) + ["junk"]
    ids = [f"id-{i}-" + "w" * rng.choice([0, 10, 900, 3000]) for i in range(300)]
    table = pa.table({"case_id": pa.array(ids).dictionary_encode(),
                      "service_date": [f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-1{i % 10}"
                                       for i in range(300)],
                      "cancer_site": [rng.choice(sites) for _ in range(300)]})
    source = tmp_path / "wide.parquet"
    pq.write_table(table, source)
    whole = io.BytesIO()
    run_batch(str(source), IORT, stdout=whole)
    monkeypatch.setattr(parquet_reader, "CHUNK_TEXT_BYTES", 4096)
    monkeypatch.setattr(parquet_reader, "MAX_TEXT_BYTES", 1 << 20)  # the footer check passes;
    chunks = []                                                      # the dictionaries do not
    original = parquet_reader._measured_chunks

    def counted(*args):
        for chunk in original(*args):
            chunks.append(chunk.cases.num_rows)
            yield chunk

    monkeypatch.setattr(parquet_reader, "_measured_chunks", counted)
    measured = io.BytesIO()
    run_batch(str(source), IORT, stdout=measured)
    assert len(chunks) > 10 and sum(chunks) == 300
    assert measured.getvalue() == whole.getvalue()


def test_the_new_codes_are_documented():
    assert {"DECODED_TOO_LARGE", "OUT_OF_MEMORY"} <= set(CODES)
    assert "exit 1" in CODES["DECODED_TOO_LARGE"] and "exit 4" in CODES["OUT_OF_MEMORY"]


# --- item 8: out of memory under an address-space limit ------------------------------------------

@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory) -> Path:
    """200,000 claim rows (about 9 MB of CSV)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import workload

    path = tmp_path_factory.mktemp("limits") / "claims.csv"
    workload.write_csv(workload.generate(200_000, IORT.compiled.columns, seed=5), path)
    return path


def limited(kind: int, megabytes: int):
    def apply() -> None:
        resource.setrlimit(kind, (megabytes << 20, megabytes << 20))
    return apply


@pytest.mark.parametrize("kind,megabytes", [
    (resource.RLIMIT_AS, 300), (resource.RLIMIT_AS, 400), (resource.RLIMIT_AS, 500),
    (resource.RLIMIT_AS, 600), (resource.RLIMIT_AS, 700), (resource.RLIMIT_AS, 1200),
    (resource.RLIMIT_DATA, 200), (resource.RLIMIT_DATA, 400)],
    ids=lambda value: str(value))
@pytest.mark.parametrize("suffix", ["csv", "parquet", "jsonl"])
def test_under_a_memory_limit_a_run_ends_cleanly(tmp_path, claims_csv, kind, megabytes, suffix):
    """Failed before: under `ulimit -v` of 300 to 700 MB (RLIMIT_AS) `policy batch` with the
    jemalloc pool died by SIGSEGV or SIGABRT, exited 127 ("background thread creation failed",
    "cannot allocate memory for thread-local data") or 70 (ArrowMemoryError, "can't start new
    thread"). Now it either succeeds or says OUT_OF_MEMORY on one line, exit 4, and leaves
    nothing at the output path."""
    out = tmp_path / f"results.{suffix}"
    result = policy("batch", claims_csv, "--out", out, cwd=tmp_path,
                    preexec_fn=limited(kind, megabytes))
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode in (0, 4), (result.returncode, err[-2000:])
    if result.returncode == 4:
        one_line(result, 4, "OUT_OF_MEMORY")
        assert "out of memory" in err and not out.exists()
        assert [p.name for p in tmp_path.iterdir()] == []
    else:
        assert err.startswith("200,000 rows, 0 bad") and out.exists()


@pytest.mark.parametrize("limit,pool", [(4 << 30, "system"), (None, "mimalloc")])
def test_a_batch_process_never_allocates_from_jemalloc(tmp_path, limit, pool):
    """The jemalloc pool turned allocation failures into signals (and faulted in a page a row
    on junk): a batch process allocates from mimalloc, keeping freed pages for a second, or
    under a limit from the C library's malloc (`limits.before_pyarrow`)."""
    script = ("import resource, os, sys\n"
              f"if {limit}: resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
              "from policy.core.memory_limits import before_pyarrow; before_pyarrow()\n"
              "import pyarrow as pa; from policy.batch import use_reusing_memory_pool\n"
              "use_reusing_memory_pool(); print(pa.default_memory_pool().backend_name,"
              " os.environ.get('MIMALLOC_PURGE_DELAY'))")
    env = {k: v for k, v in os.environ.items()
           if k not in ("ARROW_DEFAULT_MEMORY_POOL", "MIMALLOC_PURGE_DELAY")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, check=True)
    assert result.stdout.split() == [pool, "None" if limit else "1000"]


def test_memory_errors_anywhere_in_a_run_are_out_of_memory(tmp_path, monkeypatch):
    """Failed before: a MemoryError (or pyarrow's ArrowMemoryError, or a thread that could not
    start) escaped `run_batch` as itself, and the command line called it an internal error
    (exit 70). Now it is OutOfMemory: a PolicyError that is also a MemoryError, exit 4, naming
    the input; the output file is not left behind."""
    import policy.batch.run as run

    source = tmp_path / "claims.csv"
    source.write_text("case_id,cancer_site\nA,colon\n")
    for failure in (MemoryError(), pa.ArrowMemoryError("malloc of size 4096 failed"),
                    RuntimeError("can't start new thread")):
        def failing(path, columnar, failure=failure):
            raise failure
            yield  # a generator, as the readers are

        monkeypatch.setitem(run.READERS, "csv", failing)
        out = tmp_path / "results.csv"
        with pytest.raises(OutOfMemory) as caught:
            run_batch(str(source), IORT, out=str(out), as_of="2020-01-01")
        assert isinstance(caught.value, MemoryError) and isinstance(caught.value, PolicyError)
        assert caught.value.exit_code == 4 and not out.exists()
        assert str(caught.value).startswith(f"{source}: OUT_OF_MEMORY: out of memory")
    monkeypatch.setitem(run.READERS, "csv", lambda path, columnar: (_ for _ in ()).throw(
        RuntimeError("something else")))
    with pytest.raises(RuntimeError, match="something else"):  # not every error is memory
        run_batch(str(source), IORT, stdout=io.BytesIO(), as_of="2020-01-01")


def test_what_counts_as_out_of_memory():
    from policy.core.memory_limits import out_of_memory

    assert out_of_memory(MemoryError()) and out_of_memory(pa.ArrowMemoryError("x"))
    assert out_of_memory(RuntimeError("can't start new thread"))
    assert out_of_memory(pa.ArrowException("Unknown error: Failed to launch worker thread: "
                                           "Resource temporarily unavailable"))
    try:
        try:
            raise ImportError("libcrypto.so.3: failed to map segment from shared object")
        except ImportError as exc:
            raise ImportError("The pyarrow installation is not built with support for the "
                              "Parquet file format") from exc
    except ImportError as wrapped:
        assert out_of_memory(wrapped)
    assert not out_of_memory(RuntimeError("boom")) and not out_of_memory(ValueError("x"))


# --- item 9: one check for every path -------------------------------------------------------------

def codes_of(function) -> list[str]:
    try:
        function()
    except DataError as exc:
        return sorted({problem.code for problem in exc.problems})
    return ["decided"]


def test_every_path_refuses_a_misspelt_field_with_a_null_value(tmp_path):
    """Failed before: `Policy.evaluate({"margin_stauts": None}, ...)` was decided (the fast
    path skipped None values before it looked at their names), where the command line, the
    batch readers and `evaluate_arrow` say UNKNOWN_FIELD."""
    assert codes_of(lambda: IORT.evaluate({"margin_stauts": None}, "2020-01-01")) == \
        ["UNKNOWN_FIELD"]
    assert codes_of(lambda: evaluate_arrow(pa.table({"margin_stauts": pa.nulls(1)}), IORT,
                                           as_of="2020-01-01")) == ["UNKNOWN_FIELD"]
    result = policy("evaluate", "--as-of", "2020-01-01", "margin_stauts=", cwd=tmp_path)
    one_line(result, 1, "UNKNOWN_FIELD")
    lines = tmp_path / "claims.jsonl"
    lines.write_text('{"margin_stauts": null, "service_date": "2020-01-01"}\n')
    result = policy("batch", lines, cwd=tmp_path)
    assert result.returncode == 3
    assert json.loads(result.stdout)["error"].startswith("UNKNOWN_FIELD: ")
    table = tmp_path / "claims.csv"
    table.write_text("margin_stauts,service_date\n,2020-01-01\n")
    one_line(policy("batch", table, cwd=tmp_path), 1, "UNKNOWN_FIELD")
    parquet = tmp_path / "claims.parquet"
    pq.write_table(pa.table({"margin_stauts": pa.nulls(1), "service_date": ["2020-01-01"]}),
                   parquet)
    one_line(policy("batch", parquet, cwd=tmp_path), 1, "UNKNOWN_FIELD")


def test_every_path_refuses_a_case_id_that_utf8_cannot_carry(tmp_path):
    """Failed before: `Policy.evaluate({"case_id": "\\ud800"}, ...)` was decided, and then the
    decision could not be written (UnicodeEncodeError); the command line and the JSON Lines
    reader say ENCODING, and Arrow data cannot hold one (invalid UTF-8 is ENCODING too)."""
    assert codes_of(lambda: IORT.evaluate({"case_id": "\ud800"}, "2020-01-01")) == ["ENCODING"]
    assert codes_of(lambda: IORT.evaluate({"case_id": "ok \udcff", "cancer_site": "colon"},
                                          "2020-01-01")) == ["ENCODING"]
    result = subprocess.run([sys.executable, "-m", "policy", "evaluate", "--as-of", "2020-01-01",
                             b"case_id=\xed\xa0\x80"], cwd=tmp_path, capture_output=True)
    one_line(result, 1, "ENCODING")
    lines = tmp_path / "claims.jsonl"
    lines.write_text('{"case_id": "\\ud800", "service_date": "2020-01-01"}\n')
    result = policy("batch", lines, cwd=tmp_path)
    assert result.returncode == 3
    assert json.loads(result.stdout)["error"].startswith("ENCODING: case_id holds a lone")
    data = b"\xed\xa0\x80"  # a surrogate in UTF-8's form: not UTF-8
    invalid = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(
        (0).to_bytes(4, "little") + len(data).to_bytes(4, "little")), pa.py_buffer(data)])
    assert codes_of(lambda: evaluate_arrow(pa.table({"case_id": invalid}), IORT,
                                           as_of="2020-01-01")) == ["ENCODING"]


# --- item 10: junk costs about what good rows cost -----------------------------------------------

def test_a_file_of_junk_gives_the_same_bytes_through_the_bulk_and_per_value_checks(
        tmp_path, monkeypatch, capsys):
    """The bulk checks (policy/columnar/bulk.py) write what the per-value path wrote, byte for
    byte, in every output format and on standard error (benchmarks/junk.py measures the time:
    about 183 s for 2,000,000 junk values before, a small multiple of a clean file now)."""
    from policy.cli import main
    from policy.columnar import inputs

    rng = random.Random(11)
    sites = list(dict(IORT.compiled.columns)["cancer_site"])
    rows = ["case_id,service_date,cancer_site,t_stage"]
    for i in range(3000):
        site = rng.choice([f"{rng.getrandbits(32):x}", rng.choice(sites) + rng.choice("xyz1 "),
                           f"j{i}é", f"=cmd|{i}", 'say "x",' + str(i), rng.choice(sites),
                           " " + rng.choice(sites).upper(), "w" * rng.randint(90, 130)])
        day = rng.choice(["2020-01-01", f"day-{i}", f"2020-13-{i % 30:02d}", "20200101"])
        stage = rng.choice(["T4", "t4", f"T{i}", ""])
        rows.append(f'{i},{day},"{site.replace(chr(34), chr(34) * 2)}",{stage}')
    source = tmp_path / "junk.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outputs = {}
    for bulk_min in (0, 10**9):
        monkeypatch.setattr(inputs, "BULK_MIN", bulk_min)
        for suffix in ("csv", "jsonl"):
            out = tmp_path / f"out-{bulk_min}.{suffix}"
            code = main(["batch", str(source), "--out", str(out)])
            assert code == 3
            err = capsys.readouterr().err.splitlines()
            assert len(err) > 2500 and err[-1].startswith("3,000 rows, ")
            outputs[bulk_min, suffix] = out.read_bytes(), err[:-1]  # (the summary times)
    assert outputs[0, "csv"] == outputs[10**9, "csv"]
    assert outputs[0, "jsonl"] == outputs[10**9, "jsonl"]
