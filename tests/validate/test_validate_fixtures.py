"""One broken table per error code: `policy validate` names the code, the file and the line.

Every line it prints for each fixture, messages word for word, is also compared with
tests/golden/validate-problems.json (a mutation run found message details, such as how many
examples a message gives or which version it suggests, that no test read). After a deliberate
change of a message, rewrite that file with
`FEP_UPDATE_GOLDEN=1 pytest tests/validate/test_validate_fixtures.py`.
"""

import json
import os
from pathlib import Path

import pytest

from policy.load.yaml_loader import load_yaml

FIXTURES = load_yaml(
    (Path(__file__).parent.parent / "fixtures" / "broken-tables.yaml").read_bytes(),
    "broken-tables.yaml").data
GOLDEN = Path(__file__).parent.parent / "golden" / "validate-problems.json"
UPDATE = os.environ.get("FEP_UPDATE_GOLDEN") == "1"
GOLDEN_LINES = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
_printed: dict[str, list[str]] = {}


@pytest.fixture(scope="module", autouse=True)
def _rewrite_golden_lines():
    yield
    if UPDATE and _printed:
        GOLDEN.write_text(json.dumps(dict(sorted(_printed.items())), indent=1,
                                     ensure_ascii=False) + "\n", encoding="utf-8")


def _apply(text: str, old: str, new: str) -> tuple[str, int]:
    assert old in text, f"fixture text not found: {old!r}"
    at = text.index(old)
    return text.replace(old, new, 1), text[:at].count("\n") + 1


def _build(folder: Path, fixture: dict) -> tuple[Path, int | None]:
    path = folder / fixture["file"]
    text = path.read_text(encoding="utf-8")
    edit_line = None
    if "content" in fixture:
        text = fixture["content"]
    if "replace" in fixture:
        text, edit_line = _apply(text, *fixture["replace"])
    if "then_replace" in fixture:
        text, _ = _apply(text, *fixture["then_replace"])
    if "pad_bytes" in fixture:
        text = text.replace("# PADDING", "#" + "x" * fixture["pad_bytes"], 1)
    raw = text.encode("utf-8").replace(b"<0xff>", b"\xff")
    if "rename" in fixture:
        path.unlink()
        path = folder / fixture["rename"]
    path.write_bytes(raw)
    if fixture.get("symlink"):  # the same bytes, but through a link to a file outside the folder
        outside = folder.parent.parent / f"outside-{path.name}"
        path.rename(outside)
        path.symlink_to(outside)
    if "line" in fixture:
        return path, fixture["line"]
    if "line_of" in fixture:
        needle = fixture["line_of"]
        assert needle in text, f"line_of text not found: {needle!r}"
        return path, text[: text.index(needle)].count("\n") + 1
    return path, edit_line


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["name"] for f in FIXTURES])
def test_broken_table_is_reported_at_its_line(fixture, tables_copy, cli, monkeypatch):
    monkeypatch.chdir(tables_copy.parent)
    path, line = _build(tables_copy / "fep-8.01.08", fixture)
    code, out, err = cli("validate", "--tables", tables_copy)
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    expected_file = f"tables/fep-8.01.08/{fixture.get('rename', fixture['file'])}"
    hits = [row for row in out.splitlines() if f": {fixture['code']}: " in row]
    assert hits, f"no {fixture['code']} in:\n{out}"
    where = f"{expected_file}:{line}:" if line else f"{expected_file}: "  # line 0: no position
    assert any(row.startswith(where) for row in hits), (line, hits)
    printed = [row.replace(str(tables_copy.parent), "TMP")
               for row in out.splitlines() + err.splitlines()]
    if UPDATE:
        _printed[fixture["name"]] = printed
    else:
        assert printed == GOLDEN_LINES.get(fixture["name"]), "the lines differ from " + GOLDEN.name


def test_every_table_error_code_has_a_fixture():
    from policy.core.errors import CODES

    # case-file codes, the catch-all, and the --against codes (tests/load/test_git.py)
    not_about_tables = {"NOT_A_MAPPING", "UNKNOWN_FIELD", "SCHEMA", "PUBLISHED_CHANGED",
                        "REVISION_REMOVED",
                        "UNKNOWN_POLICY",  # choosing a policy (tests/api/test_history_and_api.py)
                        # naming a revision or a git revision (tests/api/test_history_and_api.py)
                        "UNKNOWN_REVISION", "GIT_REV_REFUSED",
                        # calling a batch run (tests/api/test_history_and_api.py)
                        "UNKNOWN_FORMAT", "OUTPUT_IS_INPUT",
                        # lines of a batch file: tests/batch/test_batch.py plants each of them
                        "NO_DATE", "RAGGED_ROW", "MALFORMED_LINE", "LINE_TOO_LONG",
                        "INTERRUPTED",  # the fatal line of a streamed batch (tests/test_hostile.py)
                        # a case whose codes name one value and that gives another
                        "CODE_CONTRADICTS_CASE",  # (tests/codesets/test_crosswalk.py)
                        # a batch file or run as a whole (tests/test_hostile_batch.py)
                        "DECODED_TOO_LARGE", "OUT_OF_MEMORY",
                        # a decision log of policy serve (tests/serve/test_serve_log.py)
                        "CHAIN_BROKEN", "LOG_TRUNCATED",
                        # a new source document (tests/compare/test_new_revision.py)
                        "NO_NEWER_HISTORY", "REVISION_EXISTS"}
    assert set(CODES) - not_about_tables - {f["code"] for f in FIXTURES} == set()


def test_codes_used_in_the_package_are_documented():
    import re

    from policy.core.errors import CODES

    used = set()
    for source in (Path(__file__).parent.parent.parent / "policy").rglob("*.py"):
        # a package's __all__ lists names, not codes
        text = re.sub(r"__all__ = \[.*?\]", "", source.read_text(), flags=re.S)
        used |= set(re.findall(r'(?<!metavar=)"([A-Z][A-Z_]{4,})",', text))
        used |= set(re.findall(r'"([A-Z][A-Z_]{4,}): ', text))  # "CODE: message" of batch lines
    assert used - {"COMMAND"} <= set(CODES)


def test_every_problem_is_collected_before_reporting(tables_copy, cli, monkeypatch):
    monkeypatch.chdir(tables_copy.parent)
    folder = tables_copy / "fep-8.01.08"
    _build(folder, {"file": "2014-12.yaml", "replace": ["  version: 2.2.0", "  version: [2.2.0"]})
    _build(folder, {"file": "2018-09.yaml", "replace": ["recurrent: [true]", "recurrent: [yes]"]})
    _build(folder, {"file": "2020-09.yaml", "replace": ["cancer_site: [none]", "cancer_site: []"]})
    code, out, _ = cli("validate", "--tables", tables_copy)
    assert code == 1
    assert {row.split(":")[0] for row in out.splitlines()} == {
        "tables/fep-8.01.08/2014-12.yaml", "tables/fep-8.01.08/2018-09.yaml",
        "tables/fep-8.01.08/2020-09.yaml"}


def test_json_and_github_formats(tables_copy, cli, monkeypatch):
    import json

    monkeypatch.chdir(tables_copy.parent)
    _build(tables_copy / "fep-8.01.08",
           {"file": "2015-12.yaml", "replace": ["recurrent: [true]", "recurrent: [NO]"]})
    code, out, _ = cli("validate", "--tables", tables_copy, "--format", "json")
    assert code == 1
    [problem] = json.loads(out)
    assert problem["code"] == "WRONG_TYPE" and problem["file"].endswith("2015-12.yaml")
    assert problem["line"] > 1
    code, out, _ = cli("validate", "--tables", tables_copy, "--format", "github")
    assert code == 1
    assert out.startswith(f"::error file=tables/fep-8.01.08/2015-12.yaml,line={problem['line']},")
    assert "title=WRONG_TYPE::" in out


def test_a_missing_source_text_is_an_io_error(tables_copy, cli):
    (tables_copy / "fep-8.01.08" / "source.md").unlink()
    code, out, err = cli("validate", "--tables", tables_copy)
    assert code == 4 and out == ""
    assert len(err.splitlines()) == 1 and "source.md" in err and "Traceback" not in err
