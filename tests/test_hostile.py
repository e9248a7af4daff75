"""Hostile input on every surface: one clean line, a documented exit code, bounded, escaped.

Each test failed on 736a116 (issue 11); the fuzzing campaign (tests/test_fuzz_corpus.py,
benchmarks/fuzz.py) keeps the same property for generated inputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policy.escaping import escape, shown

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 130}


def policy(*args, cwd, stdin=None, input=None, timeout=120, env=None, **kwargs):
    env = {**os.environ, **(env or {})}  # the session's private cache (conftest)
    return subprocess.run([sys.executable, "-m", "policy", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, timeout=timeout, stdin=stdin, input=input, **kwargs)


def clean(result, exit_code: int, *, lines: int | None = 1) -> str:
    """The result exited with `exit_code` and wrote `lines` lines to stderr, no traceback."""
    err = result.stderr.decode("utf-8")
    assert result.returncode == exit_code, (result.returncode, err[-2000:])
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
    if lines is not None:
        assert len(err.splitlines()) == lines, err[-2000:]
    return err


# --- one escaper ------------------------------------------------------------------------------------

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


# --- unbounded work ---------------------------------------------------------------------------------

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


# --- crashes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("content", ['{"case_id": "\\ud800", "cancer_site": "rectal"}',
                                     '{"cancer_site": "\\udfff"}', '{"\\ud800": 1}',
                                     '{"case_id": "a", "cancer_site": "rectal", "x": ' + "7" * 5000 + "}"])
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
    table.write_text(table.read_text().replace("policy:\n", "policy:\n  big: " + "9" * 5000 + "\n", 1))
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
    from policy.errors import DataError

    with pytest.raises(DataError, match="the string 'true' where a boolean is required"):
        load_policy().evaluate({"recurrent": "true"}, as_of="2020-01-01")
