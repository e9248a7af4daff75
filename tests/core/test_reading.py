"""The one bounded reader (policy/core/reading.py) and the rule for symbolic links.

Each test here failed on 736a116: FIFOs hung, devices and huge sparse files were read whole or
reported as 1048577 bytes, symlinked tables were followed and their content echoed."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policy.core.errors import DataError, PolicyIOError
from policy.core.reading import read_bounded, read_stream_bounded

ROOT = Path(__file__).resolve().parent.parent.parent


def test_reads_a_regular_file_up_to_the_cap(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"x" * 10)
    assert read_bounded(path, 10, what="table") == b"x" * 10


def test_a_larger_file_is_refused_with_its_real_size_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:  # sparse: 5 GB that read whole would exhaust memory
        handle.truncate(5 * 10**9)
    started = time.monotonic()
    with pytest.raises(DataError) as caught:
        read_bounded(path, 1 << 20, what="table")
    assert time.monotonic() - started < 1
    (problem,) = caught.value.problems
    assert problem.code == "FILE_TOO_LARGE"
    assert "5000000000 bytes" in problem.message


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "2015-12.yaml"
    os.mkfifo(fifo)
    with pytest.raises(PolicyIOError, match="not a regular file"):
        read_bounded(fifo, 1 << 20, what="table")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused(device):
    with pytest.raises(PolicyIOError, match="not a regular file"):
        read_bounded(device, 1 << 20, what="table")


def test_a_folder_and_a_missing_file_are_io_errors(tmp_path):
    with pytest.raises(PolicyIOError, match="a folder"):
        read_bounded(tmp_path, 100, what="table")
    with pytest.raises(PolicyIOError, match="No such file"):
        read_bounded(tmp_path / "missing", 100, what="table")


def test_a_symlink_or_a_path_outside_the_folder_is_refused_unread(tmp_path):
    folder = tmp_path / "policy"
    folder.mkdir()
    secret = tmp_path / "secret.env"
    secret.write_text("TOKEN=hunter2\n")
    (folder / "link.yaml").symlink_to(secret)
    with pytest.raises(DataError) as caught:
        read_bounded(folder / "link.yaml", 100, what="table", folder=folder)
    assert caught.value.problems[0].code == "SYMLINK"
    assert "hunter2" not in str(caught.value)
    with pytest.raises(DataError, match="SYMLINK"):  # resolves outside, though not a link itself
        read_bounded(folder / ".." / "secret.env", 100, what="table", folder=folder)


def test_a_stream_is_bounded_and_a_closed_stdin_is_an_io_error():
    import io

    assert read_stream_bounded(io.BytesIO(b"abc"), 3) == b"abc"
    with pytest.raises(DataError, match="FILE_TOO_LARGE"):
        read_stream_bounded(io.BytesIO(b"abcd"), 3)
    with pytest.raises(PolicyIOError, match="closed"):
        read_stream_bounded(None, 3)


def _policy(*args, cwd, stdin=None, timeout=60, **kwargs):
    env = {**os.environ, "FEP_POLICY_CACHE_DIR": str(cwd / ".cache")}
    return subprocess.run([sys.executable, "-m", "policy", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=stdin, **kwargs)


def test_a_symlinked_table_is_refused_and_its_target_never_echoed(tables_copy):
    secret = tables_copy.parent / "credentials"
    secret.write_text("https://user:ghp_SECRET@github.com\n")
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    table.unlink()
    table.symlink_to(secret)
    for fmt in ("text", "json", "github"):
        result = _policy("validate", "--tables", tables_copy, "--format", fmt,
                         cwd=tables_copy.parent)
        assert result.returncode == 1, result
        assert "SYMLINK" in result.stdout
        assert "ghp_SECRET" not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_a_symlink_to_a_valid_table_outside_is_not_a_new_revision(tables_copy):
    outside = tables_copy.parent / "elsewhere.yaml"
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    outside.write_bytes(table.read_bytes())
    table.unlink()
    table.symlink_to(outside)
    result = _policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    assert result.returncode == 1 and "tables/fep-8.01.08/2015-12.yaml: SYMLINK:" in result.stdout


@pytest.mark.parametrize("name", ["source.md", "2015-12.yaml"])
def test_a_fifo_named_like_a_table_or_source_does_not_hang(tables_copy, name):
    path = tables_copy / "fep-8.01.08" / name
    path.unlink()
    os.mkfifo(path)
    result = _policy("validate", "--tables", tables_copy, cwd=tables_copy.parent, timeout=60)
    assert result.returncode == 4, result
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_an_oversized_source_reports_its_real_size(tables_copy):
    source = tables_copy / "fep-8.01.08" / "source.md"
    with open(source, "ab") as handle:
        handle.truncate(3 * 10**9)  # sparse
    result = _policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    assert result.returncode == 1, result
    assert "FILE_TOO_LARGE" in result.stdout and "3000000000 bytes" in result.stdout


def test_an_oversized_table_reports_its_real_size(tables_copy):
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    with open(table, "ab") as handle:
        handle.truncate(2 * 10**9)
    result = _policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    assert result.returncode == 1
    assert "FILE_TOO_LARGE" in result.stdout and "2000000000 bytes" in result.stdout


def test_a_case_file_that_is_a_fifo_or_device_is_refused(tmp_path):
    fifo = tmp_path / "case.json"
    os.mkfifo(fifo)
    for case in (fifo, "/dev/zero"):
        result = _policy("evaluate", "--as-of", "2020-01-01", "--case", case, cwd=tmp_path)
        assert result.returncode == 4, result
        assert "not a regular file" in result.stderr


@pytest.mark.parametrize("content", [
    "[1, 2",  # not JSON
    '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": 7}',  # not a schema
    '{"type": "object"}',  # not draft 2020-12
])
@pytest.mark.parametrize("name", ["revision", "policy"])
def test_a_malformed_schema_beside_the_tables_is_one_clean_line(tables_copy, content, name):
    (tables_copy.parent / "schemas" / f"{name}.schema.json").write_text(content)
    result = _policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    assert result.returncode == 4, result
    assert "cannot load schema" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_case_schema_is_not_read_by_validate(tables_copy):
    """The case schema is derived from policy.yml (for editors and other tools); validation
    reads the vocabulary from policy.yml, so a broken case schema cannot crash it."""
    (tables_copy.parent / "schemas" / "case.schema.json").write_text("[1, 2")
    result = _policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result
