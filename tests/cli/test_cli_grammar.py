"""The command line's one grammar (argparse, `policy.cli.options`): options only as spelt, and an
option that takes one value refused when given twice in any spelling.

Issue 20, item 1: argparse expanded abbreviations (`--as` for `--as-of`, `--ou` for `--out`) and
`--input-format` is an alias of `--format`, so a repeated option won silently: `policy evaluate
--as-of 2016-05-03 --as 2024-01-01 ...` decided as of 2024 with exit 0, and `batch --out a.csv
--ou b.jsonl` wrote only b.jsonl. Each test below failed on the code before (74629ea)."""

import contextlib
import io
import itertools
import subprocess
import sys

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from policy.cli.options import COMMANDS, build_parser, parse_command_line
from policy.core.errors import UsageError

CASE = ["cancer_site=rectal", "margin_status=positive", "t_stage=T3", "recurrent=false"]


def _policy(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policy", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_an_abbreviated_repeat_of_as_of_is_refused_not_obeyed():
    result = _policy("evaluate", "--as-of", "2016-05-03", "--as", "2024-01-01", *CASE)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "policy evaluate: unrecognized option --as: options are spelt out in full (did you mean "
        "--as-of?) (see policy evaluate --help)"]


def test_an_abbreviated_second_out_writes_neither_file(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("cancer_site\nrectal\n")
    result = _policy("batch", str(cases), "--out", "a.csv", "--ou", "b.jsonl", cwd=tmp_path)
    assert result.returncode == 2 and "--ou" in result.stderr and "--out" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv"]


def test_format_and_its_alias_input_format_are_one_option(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("cancer_site\nrectal\n")
    result = _policy("batch", str(cases), "--format", "csv", "--input-format", "jsonl")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "policy batch: --format is given twice (as --format and --input-format); give it once "
        "(see policy batch --help)"]


def test_an_abbreviated_option_before_the_command_names_every_command():
    """`policy --tab evaluate validate` said "choose from 'evaluate'": --tab took `evaluate` as
    the folder, and only the evaluate parser had been built."""
    result = _policy("--tab", "evaluate", "validate")
    assert result.returncode == 2
    assert "choose from 'evaluate')" not in result.stderr
    assert "unrecognized option --tab" in result.stderr and "--tables" in result.stderr


def test_tables_before_and_after_the_command_is_given_twice():
    result = _policy("--tables", "tables", "evaluate", "--tables", "tables", "--as-of",
                     "2016-05-03", "cancer_site=gastric")
    assert result.returncode == 2 and result.stdout == ""
    assert "--tables is given twice" in result.stderr


def _parsers():
    """(command, its parser) for every command, and (None, the top-level parser)."""
    yield None, build_parser("policy")
    for name in COMMANDS:
        top = build_parser("policy", [name], name)
        (sub_action,) = [a for a in top._actions if a.dest == "command"]
        yield name, sub_action.choices[name]


def _single_valued(parser):
    """The options of `parser` that take one value, each as the list of its spellings."""
    return [action.option_strings for action in parser._actions
            if action.option_strings and action.nargs is None and action.dest != "help"]


def _line(command, *words):
    return [*words] if command is None else [command, *words]


OPTIONS = [(command, option) for command, parser in _parsers()
           for option in parser.option_names if option.startswith("--")]


@pytest.mark.parametrize("command,option", OPTIONS, ids=[f"{c}{o}" for c, o in OPTIONS])
def test_no_option_of_any_command_is_taken_abbreviated(command, option):
    names = {o for c, o in OPTIONS if c == command}
    for cut in range(3, len(option)):
        prefix = option[:cut]
        if prefix in names:
            continue
        positional = ["cases.csv"] if command == "batch" else []  # batch's INPUT is required
        lines = ([[command, *positional, prefix, "x"], [command, *positional, f"{prefix}=x"]]
                 if command is not None else [[prefix, "history"], [f"{prefix}=x", "history"]])
        for line in lines:
            with pytest.raises(UsageError, match=f"unrecognized option {prefix}: "):
                parse_command_line("policy", line)


REPEATS = [(command, first, second)
           for command, parser in _parsers()
           for spellings in _single_valued(parser)
           if spellings != ["--version"]
           for first, second in itertools.product(spellings, repeat=2)]


@pytest.mark.parametrize("command,first,second", REPEATS,
                         ids=[f"{c}{a}{b}" for c, a, b in REPEATS])
def test_a_one_value_option_given_twice_in_any_spelling_is_refused(command, first, second):
    value = {"--format": "text" if command != "batch" else "csv",
             "--input-format": "csv"}.get(first, "x")
    other = {"--format": "json" if command == "validate" else
             ("markdown" if command in ("diff", "impact") else "jsonl"),
             "--input-format": "jsonl"}.get(second, "y")
    positional = ["cases.csv"] if command == "batch" else []  # batch's INPUT is required
    for words in ([first, value, second, other], [f"{first}={value}", f"{second}={other}"]):
        with pytest.raises(UsageError, match="is given twice"):
            parse_command_line("policy", _line(command, *positional, *words))
        if command is not None and first in ("--tables", "--policy"):  # before and after
            with pytest.raises(UsageError, match="is given twice"):
                parse_command_line("policy", [first, value, command, *positional, second, other])


# Words that matter to argparse: options (whole, abbreviated, with '='), values, fields, `--`.
ARGV_WORDS = ["evaluate", "validate", "batch", "--as-of", "--as-of=2016-05-03", "2016-05-03",
              "--json", "--json=1", "--case", "case.yaml", "--case=-", "--tables", "--tables=",
              "tables", "--policy", "fep-8.01.08", "--debug", "--version", "-h", "--help", "--js",
              "--as", "cancer_site=rectal", "t_stage=T3", "a", "", "-", "--", "-1", "--as-of=-5",
              "evaluate=1", "--format", "csv", "--input-format", "--out", "--ou"]
_WORDS = st.sampled_from(ARGV_WORDS)
ARGV = st.one_of(
    st.tuples(st.lists(_WORDS, max_size=3), st.sampled_from(sorted(COMMANDS)),
              st.lists(_WORDS, max_size=6)).map(lambda t: [*t[0], t[1], *t[2]]),
    st.lists(_WORDS, max_size=8))


def _outcome(parse):
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # --help, --version print
            return vars(parse())
    except UsageError as exc:
        return ("usage", str(exc))
    except SystemExit as exc:  # --help, --version
        return ("exit", exc.code)


@seed(20261207)
@settings(max_examples=500, deadline=None)
@given(ARGV)
def test_the_named_commands_parser_alone_parses_as_the_whole_parser(argv):
    """Only the named command's parser is built (start-up time); a line it refuses is parsed again
    by the whole parser. So every line gives the whole parser's result or error."""
    lazy = _outcome(lambda: parse_command_line("policy", argv))
    whole = _outcome(lambda: _whole_parse(argv))
    assert lazy == whole


def _whole_parse(argv):
    """parse_command_line with every command's parser built."""
    import policy.cli.options as arguments

    saved = arguments._command_word
    arguments._command_word = lambda argv: None
    try:
        return parse_command_line("policy", argv)
    finally:
        arguments._command_word = saved
