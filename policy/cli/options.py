"""The command line's grammar: argparse's parser of every command, with its options and help.

Part of the command line (`cli` runs what it parses); the one grammar of every command line.
Options are taken only as spelt (no abbreviations: `--as` is not `--as-of`), and an option that
takes one value is refused when given twice in any of its spellings (`--format` and its alias
`--input-format`, or `--tables` before and after the command): argparse would keep the last one
silently, while the first may be the one meant.
"""

from __future__ import annotations

import argparse
import os
import sys
from argparse import Namespace

from ..core.errors import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the width: its own look-up imports shutil (and with it bz2,
    lzma and zlib) on every `add_argument`, a cost on the start-up path of `policy evaluate`."""

    def __init__(self, prog: str, **options: Any) -> None:
        try:
            width = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            try:
                width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                width = 80
        options.setdefault("width", max(width, 20) - 2)
        super().__init__(prog, **options)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.option_names: list[str] = []  # every spelling of its options, for the hint below
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs.setdefault("allow_abbrev", False)  # an abbreviation could name another option
        super().__init__(*args, **kwargs)

    def add_argument(self, *names: str, **kwargs: Any) -> argparse.Action:
        self.option_names += [name for name in names if name.startswith("-")]
        return super().add_argument(*names, **kwargs)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        """argparse's, and an option that is the start of this parser's options is said to be
        one (argparse would call it only unrecognized)."""
        namespace, extras = super().parse_known_args(args, namespace)
        for word in extras:
            name = word.partition("=")[0]
            meant = [option for option in self.option_names
                     if name.startswith("--") and option.startswith(name)]
            if meant:
                self.error(f"unrecognized option {name}: options are spelt out in full "
                           f"(did you mean {' or '.join(meant)}?)")
        return namespace, extras

    def error(self, message: str) -> NoReturn:  # one line and exit 2, like every usage error here
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


class _Once(argparse.Action):
    """Stores an option's one value; the option given again, in any spelling, is a usage error."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        given: dict[str, str] = namespace.__dict__.setdefault(_GIVEN, {})
        if self.dest in given:
            first = given[self.dest]
            spelt = "" if first == option_string else f" (as {first} and {option_string})"
            parser.error(f"{self.option_strings[0]} is given twice{spelt}; give it once")
        given[self.dest] = option_string or self.dest
        setattr(namespace, self.dest, values)


_GIVEN = "_options_given"  # the namespace's record of the options _Once has stored
# The common options given before the command are stored apart (argparse copies a command's
# values over the ones before it) and merged by `parse_command_line`, which refuses both.
_BEFORE_COMMAND = "_before_command_"


def _add_common(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    # Accepted before or after the command (once in all).
    before = _BEFORE_COMMAND if top else ""
    parser.add_argument("--tables", metavar="DIR", action=_Once, dest=f"{before}tables",
                        default=None,
                        help="the folder holding one folder of tables per policy "
                             "(default: the nearest tables/ folder, else the installed tables)")
    parser.add_argument("--policy", metavar="ID", action=_Once, dest=f"{before}policy",
                        default=None, help="the policy (default: the only one present)")
    parser.add_argument("--debug", action="store_true", dest=f"{before}debug",
                        help="show tracebacks of internal errors")


class _Version(argparse.Action):
    """--version: the installed distribution's version (looked up only when asked for)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                         nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("fep-medical-policy")
        except PackageNotFoundError:  # run from a source tree that was never installed
            found = "unknown (not installed)"
        sys.stdout.write(f"{parser.prog} {found}\n")
        parser.exit()


def _fields_epilog(argv: list[str], fields_help: Callable[[Namespace], str]) -> str:
    """Every case field with its allowed values, from the tables the command would read."""
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--tables")
    pre.add_argument("--policy")
    known, _ = pre.parse_known_args(argv)
    return fields_help(known)


def _add_against(parser: argparse.ArgumentParser, help: str) -> None:
    # One name for "the tables at a git revision" in every command (`--rev`, diff's first
    # spelling, is kept as an alias: given both, the option is given twice)
    parser.add_argument("--against", "--rev", metavar="REV", dest="against", action=_Once,
                        help=help)


def _add_all_policies(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all-policies", action="store_true",
                        help="every policy of the tables folder, one after the other (instead "
                             "of --policy; the exit code is the worst of theirs)")


def _configure_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("fields", nargs="*", metavar="FIELD=VALUE",
                        help="case facts, each a field of the policy and its value, e.g. "
                             "FIELD=VALUE FLAG=true (an omitted field is unknown)")
    parser.add_argument("--case", metavar="FILE", action=_Once,
                        help="a YAML or JSON case file ('-' for standard input)")
    parser.add_argument("--as-of", metavar="DATE", action=_Once,
                        help="the date of service, YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    _add_all_policies(parser)
    parser.add_argument("--format", choices=("text", "json", "github"), default="text",
                        action=_Once)
    _add_against(parser, "also diff every revision changed since git revision REV and fail "
                         "when a published revision changed decisions without a MAJOR bump or "
                         "was removed or renamed")


def _configure_diff(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("revisions", nargs="*", metavar="A B",
                        help="two revisions: ids (2015-12), versions (2.3.0) or dates (the "
                             "revision in force)")
    _add_against(parser, "compare the tables at git revision REV (A) with the working tree (B)")
    parser.add_argument("--json", action="store_true", help="print the contract's JSON shape")
    parser.add_argument("--format", choices=("text", "markdown"), default="text", action=_Once,
                        help="markdown suits a pull-request comment")


def _configure_batch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT",
                        help="cases: .csv (a header names the fields; an empty cell is unknown), "
                             ".jsonl (one JSON object per line) or .parquet")
    parser.add_argument("--out", metavar="FILE", action=_Once,
                        help="write results here (.jsonl, .csv or .parquet; written whole or not "
                             "at all); default: JSON Lines on standard output")
    parser.add_argument("--as-of", metavar="DATE", action=_Once,
                        help="evaluate every case as of this date instead of its service_date")
    parser.add_argument("--format", "--input-format", dest="input_format", action=_Once,
                        choices=("csv", "jsonl", "parquet"),
                        help="the input's format; needed for standard input ('-') and names "
                             "without a known suffix (default: from the suffix)")
    _add_column_options(parser)


def _add_column_options(parser: argparse.ArgumentParser) -> None:
    """--map and --keep: a claim file's own column names (batch, impact)."""
    parser.add_argument("--map", metavar="FIELD=COLUMN[,COLUMN...]", action="append",
                        dest="maps", default=[],
                        help="read FIELD from the input's COLUMN (repeatable; diagnosis and "
                             "procedure may join several columns)")
    parser.add_argument("--keep", metavar="COLUMN", action="append", dest="keeps", default=[],
                        help="carry COLUMN into every result under its own name (repeatable)")


def _configure_impact(parser: argparse.ArgumentParser) -> None:
    # (required, but checked by the command: argparse would name a missing --claims before an
    # unknown option, which the grammar names first)
    parser.add_argument("--claims", metavar="FILE", action=_Once,
                        help="required: a claim file in any batch format (.csv, .jsonl, "
                             ".parquet; '-' for standard input, with --input-format)")
    parser.add_argument("--against", metavar="REV", action=_Once, default="HEAD",
                        help="the git revision whose tables the working tree's are compared "
                             "with (default HEAD)")
    parser.add_argument("--as-of", metavar="DATE", action=_Once,
                        help="decide every claim as of this date instead of its service_date")
    parser.add_argument("--format", choices=("text", "markdown"), default="text", action=_Once,
                        help="markdown suits a pull-request comment")
    parser.add_argument("--input-format", dest="input_format", action=_Once,
                        choices=("csv", "jsonl", "parquet"),
                        help="the claim file's format (default: from its suffix)")
    # (a number checked by the command, so that a repeat is refused as such whatever its value)
    _add_column_options(parser)
    parser.add_argument("--examples", default="3", metavar="N", action=_Once,
                        help="claims named per change (default 3)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _configure_history(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", metavar="DATE", action=_Once,
                        help="only the revision in force on this date, YYYY-MM-DD")
    parser.add_argument("--json", action="store_true",
                        help="the revisions as a JSON list (with --as-of: the one revision's "
                             "object, or null before the first)")


def _configure_test(parser: argparse.ArgumentParser) -> None:
    _add_all_policies(parser)
    _add_against(parser, "decide with the tables as they were at git revision REV (the "
                         "expected outcomes are the working tree's)")


def _configure_changelog(parser: argparse.ArgumentParser) -> None:
    _add_all_policies(parser)
    parser.add_argument("--check", action="store_true",
                        help="only compare: exit 1 when the file is stale or missing")
    parser.add_argument("--out", metavar="FILE", action=_Once,
                        help="the file (default: CHANGELOG.md beside the tables/ folder)")


def _configure_site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", action=_Once,
                        help="the folder to write (new, empty, or one this command wrote)")
    parser.add_argument("--config", metavar="FILE", action=_Once,
                        help="the MkDocs configuration to start from (default: mkdocs.yml "
                             "beside the tables/ folder); its docs_dir holds the how-to pages")


def _configure_new_revision(parser: argparse.ArgumentParser) -> None:
    # required, and said so by the command (argparse's `required` would be named before a
    # misspelt option is)
    parser.add_argument("--source", metavar="FILE", action=_Once,
                        help="the new source document (Markdown, with its Policy History table); "
                             "copied into the policy's folder as source-<revision id>.md")


def _configure_serve(parser: argparse.ArgumentParser) -> None:
    # Every value is taken as text here and checked by `cli.cmd_serve` (numbers in ASCII digits,
    # the choices), so that a repeated option is refused as repeated whatever its value.
    def once(name: str, **options: Any) -> None:
        parser.add_argument(name, action=_Once, **options)

    once("--host", default="127.0.0.1",
         help="the address to listen on (default 127.0.0.1; beyond loopback needs --jwks)")
    once("--port", default="8080", help="default 8080; 0: a free one")
    once("--decision-log", metavar="FILE",
         help="write every decision to FILE (JSON Lines, hash-chained, durable before the "
              "answer)")
    once("--log-inputs", default="hash", metavar="{hash,full,none}",
         help="how a decision's inputs are logged (default hash: their SHA-256)")
    once("--log-max-bytes", default=str(64 << 20), metavar="N",
         help="rotate the log when it reaches N bytes (default 64 MiB)")
    once("--log-sync", default="group", metavar="{group,line}",
         help="one fsync per group of waiting decisions (default), or per line")
    once("--jwks", metavar="FILE",
         help="a JWK Set: every /v1 and /cds-services request needs a bearer JWT signed by one "
              "of its keys")
    once("--jwt-issuer", metavar="ISS[,ISS...]",
         help="the token issuers (iss) to trust, separated by commas")
    once("--jwt-audience", metavar="URL",
         help="the public base URL clients address (aud = URL + path; default "
              "http://HOST:PORT)")
    once("--workers", default="1", metavar="N",
         help="worker processes (each writes its own decision log)")
    once("--reload-interval", default="2", metavar="SECONDS",
         help="how often to look for edited tables (0: only on SIGHUP)")
    once("--max-body", default=str(1 << 20), metavar="BYTES")
    once("--max-batch", default="1000", metavar="N", help="cases in one /v1/batch request")
    once("--request-timeout", default="10", metavar="SECONDS")
    once("--site-url", metavar="URL",
         help="where the policy's site is published (cards link to it)")


def _configure_log(parser: argparse.ArgumentParser) -> None:
    # (checked by `cli.cmd_log`: a positional with choices would be refused before an unknown
    # option is, which the grammar names first)
    parser.add_argument("action", nargs="?", metavar="verify",
                        help="verify: check the hash chain of a decision log")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="the log's files in order (rotated ones first: FILE.000001 ... "
                             "FILE)")


COMMANDS = {
    "evaluate": ("decide one case as of a date (--as-of, else the case's service_date)",
                 _configure_evaluate),
    "validate": ("check every table and the chain of revisions", _configure_validate),
    "batch": ("decide every case of a CSV, JSON Lines or Parquet file, one result per line",
              _configure_batch),
    "diff": ("what changed from revision A to B, by meaning and by text", _configure_diff),
    "impact": ("how many claims of a file an edit decides differently (against a git "
               "revision)", _configure_impact),
    "history": ("the revisions in order (--as-of: the one in force on a date)",
                _configure_history),
    "test": ("check the policy's expected outcomes (tables/<policy>/expected/*.yaml)",
             _configure_test),
    "changelog": ("write CHANGELOG.md from the tables (--check: only compare)",
                  _configure_changelog),
    "site": ("write the site's pages as a folder of Markdown with its configuration, for "
             "any MkDocs-family builder (mkdocs, zensical)", _configure_site),
    "new-revision": ("add the next revision from a new source document's newest Policy "
                     "History row (no published revision changes)", _configure_new_revision),
    "serve": ("the decision service: a JSON API and CDS Hooks (needs the serve extra)",
              _configure_serve),
    "log": ("check a decision log of policy serve (log verify FILE...)", _configure_log),
}


def parse_command_line(prog: str, argv: list[str], *,
                       fields_help: Callable[[Namespace], str] | None = None) -> Namespace:
    """The command line's arguments. Only the named command's parser is built (building every
    command's parser costs start-up time); a line it refuses is parsed again by the whole parser,
    so that the message names every command argparse would."""
    chosen = _command_word(argv)
    try:
        namespace = build_parser(prog, argv, chosen, fields_help=fields_help).parse_args(argv)
    except UsageError:
        if chosen is None:
            raise
        namespace = build_parser(prog, argv, None).parse_args(argv)
    for name in ("tables", "policy"):
        before = getattr(namespace, _BEFORE_COMMAND + name)
        if before is not None and getattr(namespace, name, None) is not None:
            raise UsageError(f"{prog}: --{name} is given twice (before and after the command); "
                             f"give it once (see {prog} --help)")
        if before is not None:
            setattr(namespace, name, before)
        delattr(namespace, _BEFORE_COMMAND + name)
    namespace.debug = namespace.debug or getattr(namespace, _BEFORE_COMMAND + "debug")
    delattr(namespace, _BEFORE_COMMAND + "debug")
    namespace.__dict__.pop(_GIVEN, None)
    return namespace


def build_parser(prog: str, argv: list[str] | None = None, chosen: str | None = None, *,
                 fields_help: Callable[[Namespace], str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of command `chosen`."""
    argv = argv or []
    parser = _Parser(prog=prog, description="Medical policies as versioned decision tables.")
    _add_common(parser, top=True)
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for name, (summary, configure) in COMMANDS.items():
        if chosen in (None, name):
            extra: dict[str, Any] = {}
            if (name == "evaluate" and chosen == name and fields_help is not None
                    and ("-h" in argv or "--help" in argv)):
                # only for help: it reads the tables
                extra = {"epilog": _fields_epilog(argv, fields_help),
                         "formatter_class": argparse.RawDescriptionHelpFormatter}
            sub = commands.add_parser(name, help=summary,
                                      description=summary[0].upper() + summary[1:], **extra)
            _add_common(sub)
            configure(sub)
    return parser


def _command_word(argv: list[str]) -> str | None:
    """The command named by argv: the first word that is a command name and not the value of an
    option given before it (`--tables evaluate validate` is the command validate)."""
    takes_value = {"--tables", "--policy"}
    remaining = iter(argv)
    for word in remaining:
        if word in takes_value:
            next(remaining, None)
        elif word in COMMANDS:
            return word
        elif not word.startswith("-"):
            return None  # not a command: the full parser says which ones there are
    return None
