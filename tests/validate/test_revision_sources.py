"""Each revision is checked against the source document it cites (issue 23, item 2).

A 2024-09 revision is built here by hand from 2023-09 (so these tests do not depend on `policy
new-revision`) and cites an INVENTED 2024 text (tests/invented_source.py). Before revisions could
cite a source, the schema refused `revision.source` and every revision was checked against the one
source.md: a 2024 text made the 2023-09 revision's stated date fail (EFFECTIVE_NOT_STATED)."""

import json

from invented_source import INVENTED_DESCRIPTION, invented_2024_text
from policy.core.policy_files import policy_files
from policy.core.snapshot import read_snapshot

_2023_DESCRIPTION = ("Policy updated with literature review through May 31, 2023; reference "
                     "added. Policy statements unchanged.")


def add_2024_09_by_hand(folder, *, source="source-2024-09.md"):
    text = (folder / "2023-09.yaml").read_text(encoding="utf-8")
    for old, new in [('id: "2023-09"', 'id: "2024-09"'), ("version: 3.6.0", "version: 3.7.0"),
                     ('approved: "2023-09"', 'approved: "2024-09"'),
                     ('effective_from: "2023-10-01"', 'effective_from: "2024-10-01"'),
                     ("October 1, 2023'.", "October 1, 2024'."),
                     ("    date: September 2023", "    date: September 2024"),
                     (json.dumps(_2023_DESCRIPTION), json.dumps(INVENTED_DESCRIPTION)),
                     ('literature_review_through: "2023-05-31"',
                      'literature_review_through: "2024-05-31"'),
                     ("  effective_from_basis: stated",
                      f"  source: {source}\n  effective_from_basis: stated")]:
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / "2024-09.yaml").write_text(text, encoding="utf-8")


def test_a_later_source_leaves_the_published_revisions_valid(tables_copy, cli, monkeypatch):
    monkeypatch.chdir(tables_copy.parent)
    folder = tables_copy / "fep-8.01.08"
    (folder / "source-2024-09.md").write_text(invented_2024_text(), encoding="utf-8")
    add_2024_09_by_hand(folder)
    code, out, err = cli("validate")
    assert (code, out.strip()) == (0, "fep-8.01.08: 13 revisions valid (2011-12 .. 2024-09)"), out


def test_quotes_are_checked_against_the_revisions_own_source(tables_copy, cli, monkeypatch):
    """A sentence the 2024 text drops is a problem of the 2024 revision only; the 2023-09
    revision quotes it from source.md, which still has it."""
    monkeypatch.chdir(tables_copy.parent)
    folder = tables_copy / "fep-8.01.08"
    dropped = "Can consider in selected patients"
    text = invented_2024_text()
    assert dropped in text
    (folder / "source-2024-09.md").write_text(text.replace(dropped, "Not addressed"),
                                              encoding="utf-8")
    add_2024_09_by_hand(folder)
    code, out, _ = cli("validate")
    problems = out.splitlines()
    assert code == 1 and problems
    assert all(line.startswith("tables/fep-8.01.08/2024-09.yaml:") for line in problems), problems
    assert all(": QUOTE_NOT_IN_SOURCE: " in line for line in problems), problems


def test_a_stated_date_is_the_one_of_the_revisions_own_source(tables_copy, cli, monkeypatch):
    """The 2024-09 revision marked stated while citing source.md (the 2023 text) is refused: the
    2023 text states a date for September 2023 only."""
    monkeypatch.chdir(tables_copy.parent)
    folder = tables_copy / "fep-8.01.08"
    (folder / "source-2024-09.md").write_text(invented_2024_text(), encoding="utf-8")
    add_2024_09_by_hand(folder, source="source.md")
    code, out, _ = cli("validate")
    assert code == 1 and ": EFFECTIVE_NOT_STATED: " in out
    assert {line.split(":")[0] for line in out.splitlines()} == {"tables/fep-8.01.08/2024-09.yaml"}


def test_every_source_document_is_in_the_bytes_the_cache_is_keyed_by(tables_copy):
    folder = tables_copy / "fep-8.01.08"
    (folder / "source-2024-09.md").write_text(invented_2024_text(), encoding="utf-8")
    add_2024_09_by_hand(folder)
    files = policy_files(str(tables_copy))
    assert str(folder / "source-2024-09.md") in files.all_files()
    before = read_snapshot(files).digest()
    (folder / "source-2024-09.md").write_text(invented_2024_text() + "\nMore.\n",
                                              encoding="utf-8")
    assert read_snapshot(policy_files(str(tables_copy))).digest() != before
