"""The README's "What is here" table names every module of `policy/`, folder by folder, so the
layout it shows in one look is the layout there is: each folder of the package (a package or a
folder of modules) has a row, and that row names each of its modules."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "policy"


def _rows() -> dict[str, set[str]]:
    """`folder/` -> the `names` its row of the table gives, outside brackets."""
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## What is here"):readme.index("## Where to read more")]
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`policy/"):
            # what a module does may follow it in brackets; the names outside them are modules
            named = re.sub(r"\([^()]*\)", "", cells[2])
            rows[cells[0].strip("`")] = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", named))
    return rows


def _folders() -> dict[str, set[str]]:
    """`policy/.../` -> the modules in it (every folder that holds Python modules)."""
    folders = {}
    for folder in [PACKAGE, *sorted(p for p in PACKAGE.rglob("*") if p.is_dir())]:
        modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        if modules:
            folders[folder.relative_to(ROOT).as_posix() + "/"] = modules
    return folders


def test_what_is_here_names_every_module_in_its_folders_row():
    rows, folders = _rows(), _folders()
    assert set(folders) - set(rows) == set(), "folders without a row"
    missing = {folder: modules - rows[folder] for folder, modules in folders.items()
               if modules - rows[folder]}
    assert missing == {}


def test_what_is_here_names_no_module_that_is_gone():
    """A row names modules that exist (a module removed or moved must leave its row)."""
    rows, folders = _rows(), _folders()
    assert set(rows) - set(folders) == set()
    gone = {folder: names - folders[folder] for folder, names in rows.items()
            if names - folders[folder]}
    assert gone == {}
