"""Fuzz targets: one function per input surface, each taking arbitrary bytes.

Targets: the YAML loader, a case, the CSV and JSON Lines batch readers, `policy validate` of a
mutated table, and of a mutated policy.yml (with generated `words` patterns).

The property every target checks: the call returns a result, or raises a `PolicyError` whose exit
code is documented (1, 2, 4) and whose problems carry documented codes (`errors.CODES`, enforced by
`Problem`), each rendered as one escaped line. Any other exception is a crash. The campaign driver
(benchmarks/fuzz.py) runs them under atheris (coverage-guided) or Hypothesis; every crash found is
kept in tests/fuzz_corpus/<target>/ and replayed by tests/test_fuzz_corpus.py.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from policy.core.errors import PolicyError

Result = TypeVar("Result")

ROOT = Path(__file__).resolve().parent.parent
POLICY_DIR = ROOT / "tables" / "fep-8.01.08"
CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
DOCUMENTED_EXIT_CODES = {1, 2, 4}
AS_OF = "2020-01-01"


def documented(call: Callable[[], Result]) -> Result | PolicyError:
    """Run `call()`; a PolicyError must be documented and print as escaped single lines."""
    from policy.core.errors import CODES, DataError, PolicyError
    from policy.core.escaping import escape

    # An exception raised where it cannot propagate (in a callback from C code) is printed as a
    # traceback and otherwise lost: a crash too.
    ignored: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, ignored.append
    try:
        return call()
    except PolicyError as exc:
        assert exc.exit_code in DOCUMENTED_EXIT_CODES, exc.exit_code
        if isinstance(exc, DataError):
            assert exc.problems and all(p.code in CODES for p in exc.problems)
            lines = [str(p) for p in exc.problems]
        else:
            lines = [escape(str(exc))]
        for line in lines:  # what the command line prints: one line each, nothing raw
            assert "\n" not in line and escape(line) == line, line
            assert len(line) < 20_000, len(line)
        return exc
    finally:
        sys.unraisablehook = hook
        assert not ignored, [getattr(u, "exc_value", u) for u in ignored]


@cache
def _compiled():
    from policy.cache import compiled_policy
    from policy.core.policy_files import find_tables_dir, policy_files

    return compiled_policy(policy_files(find_tables_dir(ROOT / "tables")))


@cache
def _scratch() -> str:
    import atexit
    import shutil

    path = tempfile.mkdtemp(prefix="policy-fuzz-")
    atexit.register(shutil.rmtree, path, True)
    return path


def fuzz_yaml(data: bytes) -> None:
    """The YAML (and JSON) loader of tables and case files."""
    from policy.load.yaml_loader import load_yaml

    documented(lambda: load_yaml(data, "fuzz.yaml"))


def fuzz_case(data: bytes) -> None:
    """A case: FIELD=VALUE words (first byte even) or a YAML/JSON case file, then a decision."""
    from policy.core.cases import WORDS, check_case, is_field_word, parse_words
    from policy.load.case_files import read_case_file

    compiled = _compiled()
    if not data:
        return

    def words():
        text = data[1:].decode("utf-8", "surrogateescape")  # as Python hands over argv
        fields = text.split("\n")
        if not all(map(is_field_word, fields)):
            return None  # as in the CLI: refused before parsing (cli.py: a usage error, exit 2)
        return check_case(parse_words(fields, compiled.columns), compiled.columns, file=WORDS)

    def case_file():
        path = os.path.join(_scratch(), "case.yaml")
        with open(path, "wb") as handle:
            handle.write(data[1:])
        raw, where, name = read_case_file(path)
        return check_case(raw, compiled.columns, where=where, file=name)

    case = documented(words if data[0] % 2 == 0 else case_file)
    if isinstance(case, dict):
        day = case.get("service_date", AS_OF)
        decision = documented(lambda: compiled.evaluate(case, day))
        if not isinstance(decision, Exception):
            decision.to_json()


def _batch(data: bytes, suffix: str) -> None:
    from policy.batch import run_batch

    path = os.path.join(_scratch(), f"claims.{suffix}")
    with open(path, "wb") as handle:
        handle.write(data)
    out = io.BytesIO()
    documented(lambda: run_batch(path, _compiled(), stdout=out, as_of=None))
    for line in out.getvalue().splitlines():  # every output line is one JSON object
        import json

        assert isinstance(json.loads(line), dict)


def fuzz_csv(data: bytes) -> None:
    """`policy batch` on a CSV file."""
    _batch(data, "csv")


def fuzz_jsonl(data: bytes) -> None:
    """`policy batch` on a JSON Lines file."""
    _batch(data, "jsonl")


@cache
def _shipped():
    from policy.core.policy_files import policy_files
    from policy.core.snapshot import read_snapshot

    files = policy_files(str(ROOT / "tables"))
    return files, read_snapshot(files)


def fuzz_validate(data: bytes) -> None:
    """`policy validate` of one mutated table (in place of 2015-12.yaml) with the shipped source
    and schemas; read from memory, so each run costs one table's checks."""
    from policy.core.snapshot import Snapshot
    from policy.validate import load_and_validate

    files, snapshot = _shipped()
    table = next(p for p in files.revision_files if p.endswith("2015-12.yaml"))
    contents = dict(snapshot.contents)
    contents[table] = data
    one = files._replace(revision_files=(table,))
    documented(lambda: load_and_validate(one, chain=True, snapshot=Snapshot(one, contents)))


def fuzz_policy_yml(data: bytes) -> None:
    """`policy validate` with a mutated policy.yml (its inputs, determinations and their `words`
    patterns: from pull requests like the tables) and one shipped table, read from memory."""
    from policy.core.snapshot import Snapshot
    from policy.validate import load_and_validate

    files, snapshot = _shipped()
    table = next(p for p in files.revision_files if p.endswith("2015-12.yaml"))
    contents = dict(snapshot.contents)
    contents[files.definition_file] = data
    one = files._replace(revision_files=(table,))
    documented(lambda: load_and_validate(one, chain=True, snapshot=Snapshot(one, contents)))


TARGETS = {"yaml": fuzz_yaml, "case": fuzz_case, "csv": fuzz_csv, "jsonl": fuzz_jsonl,
           "validate": fuzz_validate, "policy_yml": fuzz_policy_yml}


def seeds(target: str) -> list[bytes]:
    """Starting inputs: the kept corpus, plus real tables and small valid inputs."""
    found = [p.read_bytes() for p in sorted((CORPUS / target).glob("*")) if p.is_file()]
    if target in ("yaml", "validate"):
        found += [p.read_bytes() for p in sorted(POLICY_DIR.glob("201[1-5]-12.yaml"))]
    if target == "policy_yml":
        found += [(POLICY_DIR / "policy.yml").read_bytes(),
                  (ROOT / "tests" / "fixtures" / "example-policy" / "tables" / "demo-1.00.00"
                   / "policy.yml").read_bytes()]
    if target == "case":
        found += [b"\x00cancer_site=rectal\nmargin_status=positive\nt_stage=T4\nrecurrent=false",
                  b'\x01{"cancer_site": "rectal", "margin_status": "close", "recurrent": true}',
                  b"\x01case_id: a\nservice_date: '2016-05-03'\ncancer_site: colon\n"]
    if target == "csv":
        found += [b"case_id,service_date,cancer_site,margin_status,t_stage,recurrent\n"
                  b"a,2016-05-03,rectal,positive,T4,false\n\"b\",2019-01-01,,close,,true\n"]
    if target == "jsonl":
        found += [b'{"case_id": "a", "service_date": "2016-05-03", "cancer_site": "rectal"}\n'
                  b'{"case_id": "b", "service_date": "2019-01-01", "recurrent": true}\n']
    return found
