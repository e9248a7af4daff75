"""`policy changelog [--check]`: CHANGELOG.md from the tables, newest first, both flips."""

from __future__ import annotations

import re

import pytest

from repo_paths import ROOT, TABLES

FLIPS = {"2012-12", "2018-03"}  # the contract: the two revisions that change determinations
HEADING = re.compile(
    r"^## (?P<version>\S+) \((?P<id>\d{4}-\d{2})\)(?P<flip> ⚑ decision change)?$", re.M)


def test_the_committed_changelog_is_current(cli):
    code, out, err = cli("--tables", TABLES, "changelog", "--check")
    assert (code, err) == (0, "") and "up to date" in out


def test_newest_first_with_both_flips_and_every_revision():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Generated from the tables by `policy changelog`; do not edit by hand" in text
    entries = [m.groupdict() for m in HEADING.finditer(text)]
    ids = [e["id"] for e in entries]
    tables = (TABLES / "fep-8.01.08").glob("[0-9]*.yaml")
    assert ids == sorted((p.stem for p in tables), reverse=True)
    assert {e["id"] for e in entries if e["flip"]} == FLIPS
    assert [e["version"] for e in entries][:1] == ["3.6.0"] and entries[-1]["version"] == "1.0.0"
    sections = dict(zip(ids, re.split(HEADING, text)[4::4], strict=True))
    assert "investigational → not medically necessary** for 732 cases" in sections["2012-12"]
    assert "not medically necessary → investigational** for 732 cases" in sections["2018-03"]
    assert "Literature review through: 2017-10-25" in sections["2018-03"]
    assert "Effective: 2023-10-01 (stated)" in sections["2023-09"]
    assert "Decision changes: none" in sections["2019-09"]


def test_check_fails_on_a_stale_file_and_write_makes_it_current(tables_copy, cli):
    target = tables_copy.parent / "CHANGELOG.md"
    code, out, err = cli("--tables", tables_copy, "changelog", "--check")
    assert code == 1 and out == "" and "CHANGELOG.md is missing" in err and not target.exists()
    assert cli("--tables", tables_copy, "changelog")[0] == 0 and target.exists()
    assert cli("--tables", tables_copy, "changelog", "--check")[0] == 0

    table = tables_copy / "fep-8.01.08" / "2022-09.yaml"
    table.write_text(table.read_text(encoding="utf-8").replace(
        "literature_review_through: \"2022-05-31\"", "literature_review_through: \"2022-05-30\""),
        encoding="utf-8")
    before = target.read_bytes()
    code, out, err = cli("--tables", tables_copy, "changelog", "--check")
    assert code == 1 and err.count("\n") == 1
    assert "out of date with the tables; run `policy changelog` to regenerate it" in err
    assert target.read_bytes() == before  # --check only compares
    assert cli("--tables", tables_copy, "changelog")[0] == 0
    assert "Literature review through: 2022-05-30" in target.read_text(encoding="utf-8")


def test_a_hand_edit_is_stale(tables_copy, cli):
    target = tables_copy.parent / "CHANGELOG.md"
    cli("--tables", tables_copy, "changelog")
    target.write_text(target.read_text(encoding="utf-8") + "\nhand-written note\n",
                      encoding="utf-8")
    assert cli("--tables", tables_copy, "changelog", "--check")[0] == 1


def test_out_names_the_file(tables_copy, cli, tmp_path):
    out = tmp_path / "elsewhere" / "HISTORY.md"
    code, stdout, _ = cli("--tables", tables_copy, "changelog", "--out", out)
    assert code == 0 and out.read_text(encoding="utf-8") == \
        (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert not (tables_copy.parent / "CHANGELOG.md").exists()


def test_an_unwritable_target_is_an_io_error(tables_copy, cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out, err = cli("--tables", tables_copy, "changelog", "--out", blocker / "CHANGELOG.md")
    assert code == 4 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"{blocker / 'CHANGELOG.md'}: cannot ")


@pytest.mark.parametrize("check", [False, True])
def test_invalid_tables_write_nothing(tables_copy, cli, check):
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    table.write_text(table.read_text(encoding="utf-8").replace("version: 2.3.0", "version: 2.3"),
                     encoding="utf-8")
    code, _, err = cli("--tables", tables_copy, "changelog", *(["--check"] if check else []))
    assert code == 1 and "2015-12.yaml" in err and "Traceback" not in err
    assert not (tables_copy.parent / "CHANGELOG.md").exists()


@pytest.mark.parametrize("planted", ["fifo", "folder"])
def test_check_of_a_changelog_that_is_no_file_is_one_line_and_no_hang(tables_copy, planted):
    """CHANGELOG.md is read like every other file (bounded, regular files only): a FIFO there
    made `changelog --check` wait for a writer forever."""
    import os
    import subprocess
    import sys

    target = tables_copy.parent / "CHANGELOG.md"
    os.mkfifo(target) if planted == "fifo" else target.mkdir()
    result = subprocess.run([sys.executable, "-m", "policy", "--tables", str(tables_copy),
                             "changelog", "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 4 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "CHANGELOG.md: cannot read" in result.stderr


def test_a_changelog_longer_than_the_generated_one_is_out_of_date_and_rewritten(tables_copy, cli):
    target = tables_copy.parent / "CHANGELOG.md"
    target.write_text((ROOT / "CHANGELOG.md").read_text(encoding="utf-8") + "an edit by hand\n",
                      encoding="utf-8")
    code, out, err = cli("--tables", tables_copy, "changelog", "--check")
    assert code == 1 and "out of date" in err
    assert cli("--tables", tables_copy, "changelog")[0] == 0
    assert target.read_bytes() == (ROOT / "CHANGELOG.md").read_bytes()
