"""`policy site --out DIR`: the site's pages as a folder of Markdown with its configuration, for any
MkDocs-family builder; the folder appears whole or not at all, and never replaces other files."""

from __future__ import annotations

import shutil

import pytest
import yaml

from repo_paths import ROOT


@pytest.fixture
def project(tmp_path, tables_copy):
    """A policy repository: tables/, schemas/, mkdocs.yml and docs/."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    return tmp_path


def test_the_folder_holds_every_page_and_a_configuration_without_the_hook(cli, project):
    out = project / "built-sources"
    code, stdout, stderr = cli("--tables", project / "tables", "site", "--out", out)
    assert code == 0, stderr
    assert "zensical build -f" in stdout
    config = yaml.safe_load((out / "mkdocs.yml").read_text(encoding="utf-8"))
    assert "hooks" not in config and config["docs_dir"] == "docs"
    assert config["theme"] == yaml.safe_load((ROOT / "mkdocs.yml").read_text())["theme"]
    written = {p.relative_to(out / "docs").as_posix() for p in (out / "docs").rglob("*")
               if p.is_file()}
    assert {"index.md", "matrix.md", "try.md", "fields.md", "timeline.md", "cli.md",
            "assets/try.js", "assets/site.css", "revisions/2014-12.md",
            "changes/2013-12-to-2014-12.md"} <= written

    def named(entries):  # every page the navigation names
        for entry in entries:
            for value in entry.values():
                yield from named(value) if isinstance(value, list) else [value]

    assert set(named(config["nav"])) == {p for p in written if p.endswith(".md")}


def test_a_folder_of_other_files_is_never_replaced(cli, project):
    out = project / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, stderr = cli("--tables", project / "tables", "site", "--out", out)
    assert code == 4 and "holds other files" in stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not [p for p in project.iterdir() if p.name.startswith(".mine.")], "nothing left"


def test_its_own_earlier_folder_is_replaced_whole(cli, project):
    out = project / "sources"
    assert cli("--tables", project / "tables", "site", "--out", out)[0] == 0
    (out / "docs" / "stale.md").write_text("from an earlier run")
    assert cli("--tables", project / "tables", "site", "--out", out)[0] == 0
    assert not (out / "docs" / "stale.md").exists()
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".sources.")) == []


def test_a_hand_written_page_with_a_generated_pages_path_is_refused(cli, project):
    (project / "docs" / "matrix.md").write_text("# mine\n")
    code, _, stderr = cli("--tables", project / "tables", "site", "--out", project / "o")
    assert code == 1 and "docs/matrix.md is generated from the tables" in stderr
    assert not (project / "o").exists()


def test_a_missing_configuration_is_one_line(cli, project):
    (project / "mkdocs.yml").unlink()
    code, _, stderr = cli("--tables", project / "tables", "site", "--out", project / "o")
    assert code == 4 and len(stderr.strip().splitlines()) == 1 and "mkdocs.yml" in stderr
    assert not (project / "o").exists()


def test_out_is_required(cli, project):
    code, _, stderr = cli("--tables", project / "tables", "site")
    assert code == 2 and "--out DIR" in stderr
