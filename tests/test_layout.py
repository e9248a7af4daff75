"""The README's "What is here" table names every module and package of `policy/`, so the layout
it shows in one look is the layout there is."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_what_is_here_names_every_module():
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## What is here"):readme.index("## Reading a table")]
    named = set(re.findall(r"`([a-z_]+)(?:/)?`", table))
    package = ROOT / "policy"
    modules = {p.stem for p in package.glob("*.py") if not p.stem.startswith("__")}
    for sub in ("batch", "columnar", "site"):
        modules |= {p.stem for p in (package / sub).glob("*.py") if not p.stem.startswith("__")}
    assert modules - named == set()
