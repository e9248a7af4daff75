"""Hostile input on every surface: one clean line, a documented exit code, bounded, escaped.

Each test failed on 736a116 (issue 11); the fuzzing campaign (tests/test_fuzz_corpus.py,
benchmarks/fuzz.py) keeps the same property for generated inputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policy.core.escaping import escape, shown

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 130}


def policy(*args, cwd, stdin=None, input=None, timeout=120, env=None, **kwargs):
    env = {**os.environ, **(env or {})}  # the session's private cache (conftest)
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([sys.executable, "-m", "policy", *map(str, args)], cwd=cwd, env=env,
                          timeout=timeout, stdin=stdin, input=input, **streams)


def clean(result, exit_code: int, *, lines: int | None = 1) -> str:
    """The result exited with `exit_code` and wrote `lines` lines to stderr, no traceback."""
    err = result.stderr.decode("utf-8")
    assert result.returncode == exit_code, (result.returncode, err[-2000:])
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
    if lines is not None:
        assert len(err.splitlines()) == lines, err[-2000:]
    return err


# --- one escaper ----------------------------------------------------------------------------------

def test_the_escaper_writes_controls_repr_style_and_leaves_text_alone():
    assert escape("rectal, Tis — ünïcode") == "rectal, Tis — ünïcode"
    assert escape("a\nb\r\x1b]0;t\x07\x7f\x85\u2028\u202e\ud800") == \
        "a\\nb\\r\\x1b]0;t\\x07\\x7f\\x85\\u2028\\u202e\\ud800"
    assert "\n" not in shown("x\n" * 10**6) and len(shown("x" * 10**6)) < 200
    assert "digits" in shown(10**5000 if False else int("9" * 4000) ** 2)


FORGED = "x\npolicy: all good, exit 0\x1b]0;pwned\x07"


def test_a_word_cannot_forge_a_line_or_reach_the_terminal(tmp_path):
    result = policy("evaluate", "--as-of", "2020-01-01", f"cancer_site={FORGED}", cwd=tmp_path)
    err = clean(result, 1)
    assert "\x1b" not in err and "\\x1b]0;pwned\\x07" in err
    result = policy("evaluate", "--as-of", "2020-01-01", f"not-a-word{FORGED}", cwd=tmp_path)
    assert "\x1b" not in clean(result, 2)


def test_a_case_id_is_escaped_in_the_text_decision(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"case_id": FORGED, "cancer_site": "gastric"}))
    result = policy("evaluate", "--as-of", "2020-01-01", "--case", case, cwd=tmp_path)
    clean(result, 0, lines=0)
    out = result.stdout.decode()
    assert "\x1b" not in out and "\npolicy: all good" not in out and "\\npolicy: all good" in out
    result = policy("evaluate", "--as-of", "2020-01-01", "--case", case, "--json", cwd=tmp_path)
    assert json.loads(result.stdout)["case_id"] == FORGED  # JSON: escaped by construction


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_a_table_file_name_cannot_inject_a_workflow_command(tables_copy, fmt):
    folder = tables_copy / "fep-8.01.08"
    (folder / "2015-12.yaml").rename(folder / "2015-12\n::warning file=x::injected.yaml")
    result = policy("validate", "--tables", tables_copy, "--format", fmt, cwd=tables_copy.parent)
    assert result.returncode == 1
    out = result.stdout.decode()
    assert not any(line.startswith("::warning") for line in out.splitlines()), out
    assert "2015-12\\n::warning" in out or "2015-12\\n%3A%3Awarning" in out


def test_batch_line_errors_are_escaped_on_stderr_and_in_json(tmp_path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps({"cancer_site": FORGED}) + "\n")
    result = policy("batch", claims, "--as-of", "2020-01-01", cwd=tmp_path)
    err = clean(result, 3, lines=2)  # the bad line, the summary
    assert "\x1b" not in err
    assert "'x\\npolicy: all good, exit 0\\x1b]0;pwned\\x07'" in json.loads(
        result.stdout.splitlines()[0])["error"]


# --- unbounded work -------------------------------------------------------------------------------

def test_unknown_keys_give_output_linear_in_the_input(tables_copy):
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    text = table.read_text()
    sizes = {}
    for n in (1000, 4000):
        table.write_text(text.replace("policy:\n", "policy:\n" + "".join(
            f"  key{i}: 1\n" for i in range(n)), 1))
        result = policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
        assert result.returncode == 1
        sizes[n] = len(result.stdout)
        assert sizes[n] < 400 * n  # on 736a116: every problem listed every key (n * n)
    assert sizes[4000] < 5 * sizes[1000]


# --- crashes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("content", ['{"case_id": "\\ud800", "cancer_site": "rectal"}',
                                     '{"cancer_site": "\\udfff"}', '{"\\ud800": 1}',
                                     '{"case_id": "a", "cancer_site": "rectal", "x": '
                                     + "7" * 5000 + "}"])
def test_a_case_file_with_a_lone_surrogate_or_a_huge_integer_is_invalid(tmp_path, content):
    case = tmp_path / "case.json"
    case.write_text(content)
    for args in ((), ("--json",)):
        clean(policy("evaluate", "--as-of", "2020-01-01", "--case", case, *args, cwd=tmp_path), 1)


def test_one_bad_json_line_is_that_lines_error_and_the_rest_is_decided(tmp_path):
    claims = tmp_path / "claims.jsonl"
    lines = ['{"case_id": "a", "cancer_site": "gastric"}', '{"case_id": "\\ud800"}',
             '{"cancer_site": "\\ud800"}', '{"case_id": "b", "x": ' + "1" * 5000 + "}",
             '{"case_id": "c", "cancer_site": "gastric"}']
    claims.write_text("\n".join(lines) + "\n")
    result = policy("batch", claims, "--as-of", "2020-01-01", cwd=tmp_path)
    clean(result, 3, lines=4)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in out] == [1, 2, 3, 4, 5]
    assert [("error" in r) for r in out] == [False, True, True, True, False]


def test_a_table_with_a_5000_digit_integer_is_a_problem_at_its_line(tables_copy):
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    table.write_text(table.read_text().replace("policy:\n",
                                               "policy:\n  big: " + "9" * 5000 + "\n", 1))
    result = policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    clean(result, 1)
    assert "2015-12.yaml:7:8: WRONG_TYPE: an integer of 5000 digits" in result.stdout.decode()


def test_the_api_refuses_a_non_mapping_case_with_a_type_error():
    from policy import load_policy

    iort = load_policy()
    for bad in (None, "cancer_site=rectal", ["cancer_site"], 7):
        with pytest.raises(TypeError, match="mapping"):
            iort.evaluate(bad, as_of="2020-01-01")


def test_a_string_where_a_boolean_is_required_says_so():
    from policy import load_policy
    from policy.core.errors import DataError

    with pytest.raises(DataError, match="the string 'true' where a boolean is required"):
        load_policy().evaluate({"recurrent": "true"}, as_of="2020-01-01")


# --- standard streams -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [("history",), ("validate", "--format", "json"),
                                  ("evaluate", "--as-of", "2020-01-01", "--json"),
                                  ("batch", "CLAIMS", "--as-of", "2020-01-01")])
def test_a_full_or_closed_standard_output_is_one_line_and_exit_4(tmp_path, args):
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"cancer_site": "gastric"}\n' * 10)
    args = [str(claims) if a == "CLAIMS" else a for a in args]
    with open("/dev/full", "wb") as full:
        err = clean(policy(*args, cwd=tmp_path, stdout=full), 4, lines=None)
    assert err.splitlines()[-1] == "standard output: cannot write: No space left on device"
    import shlex

    command = " ".join(map(shlex.quote, [sys.executable, "-m", "policy", *args]))
    closed = subprocess.run(["sh", "-c", command + " >&-"], cwd=tmp_path, stderr=subprocess.PIPE,
                            timeout=120)  # started with standard output closed
    assert closed.returncode == 4
    assert closed.stderr.decode().splitlines()[-1] == "standard output: cannot write: it is closed"


@pytest.mark.parametrize("args", [("evaluate", "--as-of", "2020-01-01", "--case", "-"),
                                  ("batch", "-", "--format", "jsonl", "--as-of", "2020-01-01")])
def test_a_closed_standard_input_is_one_line_and_exit_4(tmp_path, args):
    import shlex

    command = " ".join(map(shlex.quote, [sys.executable, "-m", "policy", *args]))
    result = subprocess.run(["sh", "-c", command + " <&-"], cwd=tmp_path, capture_output=True,
                            timeout=120)  # started with standard input closed
    err = clean(result, 4)
    assert "<stdin>: cannot read" in err and "closed" in err


# --- batch: pipes, standard input, long cells, fatal errors ---------------------------------------

CSV = ("case_id,cancer_site,service_date\na,gastric,2020-01-01\n\"b\",rectal,2020-01-01\n"
       "c,bogus,2020-01-01\n")
JSONL = ('{"case_id": "a", "cancer_site": "gastric", "service_date": "2020-01-01"}\n'
         '{"case_id": "b", "cancer_site": "bogus", "service_date": "2020-01-01"}\n')


@pytest.mark.parametrize("fmt, text, lines", [("csv", CSV, [2, 3, 4]), ("jsonl", JSONL, [1, 2])])
def test_standard_input_is_read_with_format(tmp_path, fmt, text, lines):
    result = policy("batch", "-", "--format", fmt, cwd=tmp_path, input=text.encode())
    err = clean(result, 3, lines=2)
    assert err.startswith("<stdin>:")
    assert [json.loads(r)["line"] for r in result.stdout.splitlines()] == lines
    clean(policy("batch", "-", cwd=tmp_path, input=text.encode()), 2)  # no format: usage


@pytest.mark.parametrize("fmt, text, lines", [("csv", CSV, [2, 3, 4]), ("jsonl", JSONL, [1, 2])])
def test_a_named_pipe_is_read(tmp_path, fmt, text, lines):
    import threading

    pipe = tmp_path / f"claims.{fmt}"
    os.mkfifo(pipe)

    def feed():
        with open(pipe, "w") as handle:
            handle.write(text)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    result = policy("batch", pipe, cwd=tmp_path, timeout=60)
    feeder.join(5)
    clean(result, 3, lines=2)
    assert [json.loads(r)["line"] for r in result.stdout.splitlines()] == lines


@pytest.mark.parametrize("cell", ["x" * (9 << 20), '"' + "y\n" * (5 << 20) + '"'])
def test_a_csv_cell_of_9_mib_is_that_lines_error(tmp_path, cell):
    rows = ["case_id,cancer_site,service_date"]
    rows += [f"a{i},gastric,2020-01-01" for i in range(5)]
    rows += [f"big,{cell},2020-01-01"]
    rows += [f"b{i},rectal,2020-01-01" for i in range(5)]
    claims = tmp_path / "claims.csv"
    claims.write_text("\n".join(rows) + "\n")
    result = policy("batch", claims, cwd=tmp_path)
    clean(result, 3, lines=2)
    out = [json.loads(r) for r in result.stdout.splitlines()]
    assert len(out) == 11 and out[5]["line"] == 7 and out[5]["error"].startswith("LINE_TOO_LONG")
    spanned = cell.count("\n")
    assert [r["line"] for r in out[6:]] == [8 + spanned + i for i in range(5)]
    assert all("error" not in r for r in out[:5] + out[6:])


def test_a_fatal_error_ends_the_standard_output_stream_with_one_fatal_line(tmp_path):
    rows = ["case_id,cancer_site"] + [f"c{i},rectal" for i in range(200_000)]
    claims = tmp_path / "claims.csv"
    claims.write_bytes(("\n".join(rows) + "\n").encode() + b"x,\xff\n")
    result = policy("batch", claims, "--as-of", "2020-01-01", cwd=tmp_path)
    clean(result, 1)
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["fatal"].startswith("ENCODING:")
    assert (last["line"], last["col"]) == (200_002, 3)  # where, as on standard error


def test_parquet_output_on_an_error_path_says_nothing_more(tmp_path):
    rows = ["case_id,cancer_site"] + [f"c{i},rectal" for i in range(200_000)]
    claims = tmp_path / "claims.csv"
    claims.write_bytes(("\n".join(rows) + "\n").encode() + b"x,\xff\n")
    result = policy("batch", claims, "--as-of", "2020-01-01", "--out", tmp_path / "r.parquet",
                    cwd=tmp_path)
    clean(result, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.csv"]


def test_stale_temporaries_of_the_same_output_are_removed(tmp_path):
    from policy.writer import atomic_output

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".r.jsonl.{gone}.abcd1234.tmp"
    stale.write_text("half")
    other = tmp_path / f".other.jsonl.{gone}.abcd1234.tmp"
    other.write_text("not ours")
    with atomic_output(tmp_path / "r.jsonl") as out:
        out.write(b"done\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "r.jsonl"]


def test_a_parquet_string_view_column_is_accepted(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"case_id": pa.array(["a", "b"], pa.string_view()),
                      "cancer_site": pa.array(["gastric", "bogus"], pa.string_view()),
                      "service_date": pa.array(["2020-01-01", "2020-01-01"], pa.string_view())})
    pq.write_table(table, tmp_path / "claims.parquet")
    result = policy("batch", tmp_path / "claims.parquet", cwd=tmp_path)
    clean(result, 3, lines=2)
    out = [json.loads(r) for r in result.stdout.splitlines()]
    assert out[0]["determination"] == "investigational" and out[1]["error"].startswith("UNKNOWN")


def test_evaluate_arrow_takes_a_date_like_policy_evaluate():
    import datetime

    import pyarrow as pa

    from policy import evaluate_arrow, load_policy

    iort = load_policy()
    cases = pa.table({"cancer_site": ["gastric"]})
    by_date = evaluate_arrow(cases, iort, as_of=datetime.date(2020, 1, 1))
    by_text = evaluate_arrow(cases, iort, as_of="2020-01-01")
    assert by_date.equals(by_text)
    assert iort.evaluate({"cancer_site": "gastric"}, as_of=datetime.date(2020, 1, 1)).revision[
        "id"] == by_date.column("revision")[0].as_py()


# --- found by the fuzzing campaign ----------------------------------------------------------------

def test_a_control_character_in_a_table_is_an_encoding_problem_at_its_line(tables_copy):
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    table.write_text(table.read_text().replace("  title: ", "  title: \x0e", 1))
    result = policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    clean(result, 1)
    assert ": ENCODING: character '\\x0e' is not allowed in YAML" in result.stdout.decode()


def test_a_control_character_in_a_case_file_is_an_encoding_problem(tmp_path):
    case = tmp_path / "case.json"
    case.write_text('{"cancer_site": "\x02rectal"}')
    err = clean(policy("evaluate", "--as-of", "2020-01-01", "--case", case, cwd=tmp_path), 1)
    assert "ENCODING" in err


def test_a_csv_header_that_is_not_utf8_is_one_line(tmp_path):
    claims = tmp_path / "claims.csv"
    claims.write_bytes(b"case_id,canc\x98er_site\na,rectal\n")
    err = clean(policy("batch", claims, "--as-of", "2020-01-01", cwd=tmp_path), 1)
    assert "ENCODING: the header is not UTF-8" in err


@pytest.mark.parametrize("row, column", [(b"b\xcf\xcf,x", 2), (b"b,rec\xcftal,2020-01-01,9", 6)])
def test_a_ragged_csv_row_that_is_not_utf8_is_one_line_naming_it(tmp_path, row, column):
    """pyarrow's hand-over of a refused row decodes its text strictly: invalid UTF-8 there raised
    inside the reader's callback ("Exception ignored", a traceback on stderr) and the file was
    refused as MALFORMED_LINE at line 0."""
    claims = tmp_path / "claims.csv"
    claims.write_bytes(b"case_id,cancer_site,service_date\na,rectal,2020-01-01\n" + row + b"\n")
    result = policy("batch", claims, "--as-of", "2020-01-01", cwd=tmp_path)
    err = clean(result, 1)
    assert f"claims.csv:3:{column}: ENCODING: not UTF-8 (byte 0xcf)" in err, err
    assert [json.loads(r) for r in result.stdout.splitlines()] == [
        {"fatal": "ENCODING: not UTF-8 (byte 0xcf)", "line": 3, "col": column}]


def test_invalid_utf8_in_a_csv_is_found_before_any_result_and_names_its_line(tmp_path):
    claims = tmp_path / "claims.csv"
    rows = ["case_id,cancer_site,service_date"] + [f"c{i},rectal,2020-01-01" for i in range(9)]
    claims.write_bytes("\r\n".join(rows).encode() + b'\r\n"x\ny",g\xc3\xa9,2020\xe2\x82\r\n')
    result = policy("batch", claims, "--as-of", "2020-01-01", cwd=tmp_path)
    err = clean(result, 1)
    assert "claims.csv:12:11: ENCODING: not UTF-8 (byte 0xe2)" in err, err
    assert len(result.stdout.splitlines()) == 1


# --- what a careful tester tries next -------------------------------------------------------------

def test_a_folder_where_a_file_is_expected_is_one_line_exit_4(tmp_path):
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "out.jsonl").mkdir()
    (tmp_path / "claims.jsonl").write_text('{"cancer_site": "gastric"}\n')
    err = clean(policy("evaluate", "--as-of", "2020-01-01", "--case", "folder.json",
                       cwd=tmp_path), 4)
    assert "a folder" in err
    assert "Is a directory" in clean(policy("batch", "folder.csv", cwd=tmp_path), 4)
    assert "a folder" in clean(policy("batch", "claims.jsonl", "--as-of", "2020-01-01",
                                            "--out", "out.jsonl", cwd=tmp_path), 4)


def test_a_device_is_never_read_as_a_claim_file(tmp_path):
    for fmt in ("csv", "jsonl", "parquet"):
        result = policy("batch", "/dev/zero", "--format", fmt, cwd=tmp_path, timeout=30)
        assert "a device" in clean(result, 4)


def test_a_byte_order_mark_is_accepted_everywhere(tmp_path):
    bom = b"\xef\xbb\xbf"
    (tmp_path / "case.json").write_bytes(bom + b'{"cancer_site": "gastric"}')
    (tmp_path / "claims.csv").write_bytes(bom + b"case_id,cancer_site\na,gastric\n")
    (tmp_path / "claims.jsonl").write_bytes(bom + b'{"cancer_site": "gastric"}\n')
    clean(policy("evaluate", "--as-of", "2020-01-01", "--case", "case.json", cwd=tmp_path), 0,
          lines=0)
    for name in ("claims.csv", "claims.jsonl"):
        result = policy("batch", name, "--as-of", "2020-01-01", cwd=tmp_path)
        clean(result, 0)
        assert json.loads(result.stdout)["determination"] == "investigational"


def test_nul_bytes_and_deep_nesting_are_that_lines_error(tmp_path):
    lines = ['{"cancer_site": "gas\x00tric"}', "[" * 100_000 + "]" * 100_000,
             '{"a":' * 50_000 + "1" + "}" * 50_000, '{"cancer_site": "gastric"}']
    (tmp_path / "claims.jsonl").write_text("\n".join(lines) + "\n")
    result = policy("batch", "claims.jsonl", "--as-of", "2020-01-01", cwd=tmp_path)
    clean(result, 3, lines=4)
    out = [json.loads(r) for r in result.stdout.splitlines()]
    assert [("error" in r) for r in out] == [True, True, True, False]
    (tmp_path / "case.yaml").write_bytes(b"cancer_site: gas\x00tric\n")
    assert "NUL" in clean(policy("evaluate", "--as-of", "2020-01-01", "--case", "case.yaml",
                                 cwd=tmp_path), 1)
    (tmp_path / "deep.json").write_text("[" * 5000 + "]" * 5000)
    assert "TOO_DEEP" in clean(policy("evaluate", "--as-of", "2020-01-01", "--case", "deep.json",
                                      cwd=tmp_path), 1)


def test_a_very_long_line_in_a_case_file_or_table_is_bounded(tmp_path, tables_copy):
    (tmp_path / "case.yaml").write_text("case_id: " + "x" * (900 << 10) + "\n")
    clean(policy("evaluate", "--as-of", "2020-01-01", "--case", "case.yaml", cwd=tmp_path), 0,
          lines=0)
    (tmp_path / "long.yaml").write_text("cancer_site: " + "x" * (900 << 10) + "\n")
    err = clean(policy("evaluate", "--as-of", "2020-01-01", "--case", "long.yaml", cwd=tmp_path), 1)
    assert len(err) < 2000  # the value is echoed cut short, its length named
    assert "characters)" in err


def test_an_output_that_is_a_device_pipe_or_link_to_one_is_refused_untouched(tmp_path):
    (tmp_path / "claims.jsonl").write_text('{"cancer_site": "gastric"}\n')
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "null.jsonl").symlink_to(os.devnull)
    for out in ("pipe.jsonl", "null.jsonl"):
        result = policy("batch", "claims.jsonl", "--as-of", "2020-01-01", "--out", out,
                        cwd=tmp_path)
        assert "not a regular file" in clean(result, 4)
    assert (tmp_path / "null.jsonl").is_symlink()
    assert os.readlink(tmp_path / "null.jsonl") == os.devnull
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.jsonl", "null.jsonl",
                                                          "pipe.jsonl"]


def test_control_characters_in_table_text_never_reach_the_terminal(tables_copy):
    """YAML escapes (\\e, \\n, \\u202e) put raw controls into table text; every text rendering
    (history, diff text and markdown, evaluate) prints them escaped."""
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    text = table.read_text()
    text = text.replace('  version_note: "MINOR:',
                        '  version_note: "MINOR:\\e]0;pwned\\a\\nforged\\u202e', 1)
    text = text.replace('      note: "The rectal criterion, T4 branch;',
                        '      note: "The rectal\\e]2;x\\a\\nforged\\u202e criterion, '
                        'T4 branch;', 1)
    table.write_text(text)
    runs = [("history",), ("diff", "2014-12", "2015-12"),
            ("diff", "2014-12", "2015-12", "--format", "markdown"),
            ("evaluate", "--as-of", "2016-05-03", "cancer_site=rectal", "margin_status=positive",
             "t_stage=T4")]
    for args in runs:
        result = policy(*args, "--tables", tables_copy, cwd=tables_copy.parent)
        assert result.returncode == 0, (args, result.stderr)
        out = result.stdout.decode()
        assert not any(c in out for c in "\x1b\x07\u202e"), args
        assert "\nforged" not in out, args


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_permission_denied_is_one_line_exit_4(tmp_path, tables_copy):
    case = tmp_path / "case.json"
    case.write_text('{"cancer_site": "gastric"}')
    case.chmod(0)
    assert "Permission denied" in clean(policy("evaluate", "--as-of", "2020-01-01", "--case",
                                               case, cwd=tmp_path), 4)
    (tables_copy / "fep-8.01.08" / "2015-12.yaml").chmod(0)
    result = policy("validate", "--tables", tables_copy, cwd=tables_copy.parent)
    assert "Permission denied" in clean(result, 4)


def test_parquet_from_standard_input(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"cancer_site": ["gastric", "bogus"],
                             "service_date": ["2020-01-01", "2020-01-01"]}), sink)
    result = policy("batch", "-", "--format", "parquet", cwd=tmp_path,
                    input=sink.getvalue().to_pybytes())
    clean(result, 3, lines=2)
    assert [json.loads(r)["line"] for r in result.stdout.splitlines()] == [1, 2]
