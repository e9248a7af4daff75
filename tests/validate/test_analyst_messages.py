"""Messages an analyst reads (issue 23 item 7), each failing on the old code: QUOTE_NOT_IN_SOURCE
named no sentence of the source; UNREACHABLE_RULE said "(hit policy first)" on a `unique` table;
INPUT_DOMAIN said "missing: none" where `none` is a value (and where nothing was missing); and
`diff --rev` and `validate --against` named one idea two ways (now `--against` everywhere, `--rev`
kept as its alias)."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from git_repos import GIT
from policy.load import source as source_module
from policy.load.source import SourceText

ROOT = Path(__file__).resolve().parent.parent.parent


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _validate(cli, tables: Path, code: str) -> list[str]:
    status, out, _ = cli("validate", "--tables", tables)
    assert status == 1
    return [row for row in out.splitlines() if f": {code}: " in row]


def test_a_quote_not_in_the_source_names_the_nearest_sentence(tables_copy, cli):
    _edit(tables_copy / "fep-8.01.08" / "2023-09.yaml",
          "is considered investigational for all other oncologic applications.\"\n    provenance",
          "is considered experimental for all other oncologic applications.\"\n    provenance")
    [row] = _validate(cli, tables_copy, "QUOTE_NOT_IN_SOURCE")
    assert row.endswith("; the source's nearest sentence: 'Use of intraoperative radiotherapy is "
                        "considered investigational for all other oncologic applications.'")


def test_a_quote_of_several_sentences_names_the_first_missing_one(tables_copy, cli):
    _edit(tables_copy / "fep-8.01.08" / "2019-09.yaml", "references on NCCN updated",
          "references on NCCN added")
    [row] = _validate(cli, tables_copy, "QUOTE_NOT_IN_SOURCE")
    assert ("; the source's nearest sentence to 'September 2019 Replace policy Policy updated "
            in row)
    assert row.endswith(": 'Policy updated with literature review through May 6, 2019; references "
                        "on NCCN updated.'")


def test_the_nearest_sentence_is_found_with_bounded_work(monkeypatch):
    """However long the quote and the source, difflib compares at most _CANDIDATES sentences,
    each cut to _COMPARED characters (its ratio is quadratic in the lengths)."""
    compared: list[tuple[int, int]] = []

    class Counting(difflib.SequenceMatcher):
        def __init__(self, isjunk, a, b, autojunk):
            compared.append((len(a), len(b)))
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr(source_module.difflib, "SequenceMatcher", Counting)
    words = [f"word{i}" for i in range(5000)]
    source = SourceText(". ".join(" ".join(words[i:i + 40]) for i in range(0, 5000, 7)) + ".")
    quote = " ".join(reversed(words)) * 3 + "."
    missing, nearest = source.nearest_sentence(quote)
    assert missing and nearest
    assert 0 < len(compared) <= source_module._CANDIDATES
    assert all(a <= source_module._COMPARED and b <= source_module._COMPARED
               for a, b in compared)
    # and a bounded number of look-ups per source text (one validation): a table of thousands
    # of wrong quotes costs at most _LOOKUPS of them
    for _ in range(source_module._LOOKUPS):
        source.nearest_sentence(quote)
    compared.clear()
    assert source.nearest_sentence(quote) is None and compared == []


def test_a_quote_the_source_holds_has_no_nearest_sentence():
    source = SourceText((ROOT / "tables" / "fep-8.01.08" / "source.md").read_text())
    assert source.nearest_sentence("Use of intraoperative radiotherapy is considered "
                                   "investigational for all other oncologic applications.") is None


def test_unreachable_rule_names_the_tables_own_hit_policy(tables_copy, cli):
    """2015-12 is a `unique` table: a rule that an earlier one covers wholly is reported under
    that policy (and as the overlap it is), never as `first`."""
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    text = table.read_text(encoding="utf-8")
    assert "hit_policy: unique" in text
    start = text.index("    - id: non-oncologic")
    table.write_text(text + text[start:].replace("id: non-oncologic", "id: non-oncologic-again"),
                     encoding="utf-8")
    [row] = _validate(cli, tables_copy, "UNREACHABLE_RULE")
    assert row.endswith("rule 'non-oncologic-again' can never fire: an earlier rule matches every "
                        "case it matches (hit policy unique)")
    assert _validate(cli, tables_copy, "OVERLAP")


def test_input_domain_quotes_values_and_never_says_none_for_nothing(tables_copy, cli):
    _edit(tables_copy / "fep-8.01.08" / "2015-12.yaml", "thoracic, other, none]",
          "thoracic, other]")
    [row] = _validate(cli, tables_copy, "INPUT_DOMAIN")
    assert row.endswith(
        "input 'cancer_site' must list exactly the case vocabulary; missing: 'none'")
    assert "not in the vocabulary" not in row


def test_input_domain_names_both_sides_quoted(tables_copy, cli):
    _edit(tables_copy / "fep-8.01.08" / "2015-12.yaml", "      values: [positive, close, negative]",
          "      values: [positive, close, none]")
    [row] = _validate(cli, tables_copy, "INPUT_DOMAIN")
    assert row.endswith("; missing: 'negative'; not in the vocabulary: 'none'")


@pytest.fixture
def repo(tmp_path):
    import shutil

    shutil.copytree(ROOT / "tables", tmp_path / "tables")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "tables"]):
        subprocess.run([*GIT, *args], cwd=tmp_path, check=True, capture_output=True)
    table = tmp_path / "tables" / "fep-8.01.08" / "2023-09.yaml"
    _edit(table, "then: not_addressed\n      statement: none\n",
          "then: investigational\n      statement: other-oncologic\n")
    table.write_text("".join(line for line in table.read_text().splitlines(keepends=True)
                             if not line.lstrip().startswith("no_statement_reason:")))
    return tmp_path


def _policy(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policy", *args], cwd=repo, capture_output=True,
                          text=True, timeout=120)


def test_against_is_the_one_name_and_rev_its_alias(repo):
    by_against = _policy(repo, "diff", "--against", "HEAD", "--json")
    by_rev = _policy(repo, "diff", "--rev", "HEAD", "--json")
    # (each run copies the revision's tables to a temporary folder of its own, named in "file")
    same = [re.sub(r"policy-rev-[^/]+", "TMP", r.stdout) for r in (by_against, by_rev)]
    assert by_against.returncode == 0 and same[0] == same[1]
    assert '"to": "investigational"' in by_against.stdout
    validate_rev = _policy(repo, "validate", "--rev", "HEAD")
    validate_against = _policy(repo, "validate", "--against", "HEAD")
    assert validate_rev.returncode == validate_against.returncode == 1
    assert validate_rev.stdout == validate_against.stdout
    assert "PUBLISHED_CHANGED" in validate_rev.stdout
    both = _policy(repo, "diff", "--against", "HEAD", "--rev", "HEAD")
    assert both.returncode == 2
    assert "--against is given twice (as --against and --rev)" in both.stderr
    for command in ("diff", "validate", "test"):
        assert "--against REV, --rev REV" in _policy(repo, command, "--help").stdout
