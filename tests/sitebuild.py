"""Build the MkDocs site the way a user does (`mkdocs build --strict`) and read the built HTML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Text that would run or break a page if a table's text reached the HTML unescaped.
CANARIES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))", "a|b"]
PLANTED = " ".join(CANARIES)


def plant(table: Path, old: str, new: str) -> None:
    text = table.read_text(encoding="utf-8")
    assert old in text, old
    table.write_text(text.replace(old, new, 1), encoding="utf-8")


def plant_canaries(tables: Path) -> None:
    """PLANTED in the 2023-09 table of a copy of the tables: a rule note, an interpretation topic
    (a heading, so the table of contents), the history row (the timeline and a table cell), a
    paragraph and a guideline table cell. The same text goes into the copy's source.md where
    the table quotes it, so the tables stay valid."""
    table = tables / "fep-8.01.08" / "2023-09.yaml"
    source = tables / "fep-8.01.08" / "source.md"
    plant(source, "Policy updated with literature review through May 31, 2023; reference added. "
                  "Policy statements unchanged.", PLANTED)
    plant(source, "Recommendations\n\nNot applicable.", f"Recommendations\n\n{PLANTED}")
    plant(source, "Can consider in selected patients", PLANTED)
    quoted = json.dumps(PLANTED)  # a YAML double-quoted scalar
    plant(table, 'note: "Every oncologic site other than rectal."', f"note: {quoted}")
    plant(table, "topic: Why the effective date is stated", f"topic: {quoted}")
    plant(table, 'description: "Policy updated with literature review through May 31, 2023; '
                 'reference added. Policy statements unchanged."', f"description: {quoted}")
    plant(table, "  uspstf: Not applicable.", f"  uspstf: {quoted}")
    plant(table, "      - Can consider in selected patients", f"      - {quoted}")


def mkdocs_build(site_dir: Path, *, config: Path = ROOT / "mkdocs.yml", tables: Path | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`mkdocs build --strict -d site_dir`; tables: a tables folder (FEP_POLICY_TABLES)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's end-of-life banner, not a warning
    env.pop("FEP_POLICY_TABLES", None)
    if tables is not None:
        env["FEP_POLICY_TABLES"] = str(tables)
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config),
         "-d", str(site_dir)],
        cwd=cwd or config.parent, env=env, capture_output=True, text=True, timeout=300)


def pages(site_dir: Path) -> list[str]:
    """Every built page as its URL path ('' for the home page, 'timeline/', ...)."""
    return sorted(str(p.parent.relative_to(site_dir)).replace(os.sep, "/") + "/"
                  if p.parent != site_dir else "" for p in site_dir.rglob("index.html"))


class Document(HTMLParser):
    """The parts of a built page the tests look at: text, elements with their attributes, and the
    cells of each table row (with the classes of the elements inside each cell)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.text_parts: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.script_attributes: list[dict] = []  # the attributes of each script
        self.rows: list[list[tuple[str, list[str]]]] = []
        self._in_script = False
        self._cell: list | None = None
        self.feed(text)
        self.text = "".join(self.text_parts)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
            self.script_attributes.append(attributes)
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = ["", []]
            self.rows[-1].append(self._cell)
        elif self._cell is not None and attributes.get("class"):
            self._cell[1].extend(attributes["class"].split())

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
            return
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell[0] += data


def document(site_dir: Path, page: str) -> Document:
    return Document((site_dir / page / "index.html").read_text(encoding="utf-8"))


def try_page_data(site_dir: Path) -> dict:
    """The data block of the built Try a case page (an inert application/json script)."""
    doc = document(site_dir, "try")
    blocks = [text for text, attributes in zip(doc.scripts, doc.script_attributes, strict=True)
              if attributes.get("id") == "try-data"]
    assert len(blocks) == 1, len(blocks)
    return json.loads(blocks[0])


def try_days(compiled) -> list[str]:
    """The dates the Try a case page is checked on: each revision's first day, the day before
    each (the last day of the one before, or before the first revision), and a day long before."""
    import datetime

    days = {"1900-01-01"}
    for revision in compiled.revisions:
        first = datetime.date.fromisoformat(revision.effective_from)
        days |= {first.isoformat(), (first - datetime.timedelta(days=1)).isoformat()}
    return sorted(days)


def partial_cases(columns):
    """Every partial case (known fields only) of ((name, values), ...): each field known or not."""
    import itertools

    for values in itertools.product(*([*vals, None] for _, vals in columns)):
        yield {name: v for (name, _), v in zip(columns, values, strict=True) if v is not None}


EXAMPLE_TABLES = ROOT / "tests" / "fixtures" / "example-policy" / "tables"
# The example policy's names renamed to names a JavaScript object inherits (Object.prototype's
# properties): an input, and values of two inputs. (An input name must match ^[a-z][a-z0-9_]*$, so
# `constructor` is the one such input name; values may be any text.)
BUILTIN_RENAMES = (
    ("rider_age", "constructor"),
    ("[child, adult]", "[__proto__, toString]"),
    ("[child]", "[__proto__]"),
    ("[brass, electronic, none]", "[valueOf, electronic, hasOwnProperty]"),
    ("bell_kind: [brass]", "bell_kind: [valueOf]"),
    ("about: [brass]", "about: [valueOf]"),
    ("bell_kind: [none]", "bell_kind: [hasOwnProperty]"),
    # policy.yml's definitions of those values (issue 25)
    ("      child:\n", "      __proto__:\n"), ("      adult:\n", "      toString:\n"),
    ("      brass:\n", "      valueOf:\n"), ("      none:\n", "      hasOwnProperty:\n"),
    # policy.yml's example case, Try link and first matrix row name the input too
    ("case: {bell_kind: electronic, night_riding: true}",
     "case: {bell_kind: electronic, night_riding: true, constructor: toString}"),
)


def builtin_names_tables(dest: Path) -> Path:
    """A copy of the example policy (tests/fixtures/example-policy) with an input named
    `constructor` whose values are `__proto__` and `toString`, and bell kinds `valueOf` and
    `hasOwnProperty`: names that a plain JavaScript object answers to without holding them.
    Returns the copy's tables folder (with the package's schemas beside it)."""
    import shutil

    shutil.copytree(EXAMPLE_TABLES, dest / "tables")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    # its expected outcomes name the old values in cases written many ways: the renamed copy is
    # a policy without any (policy test is tested on the example itself)
    for expected in (dest / "tables").glob("*/expected"):
        shutil.rmtree(expected)
    for path in sorted((dest / "tables").rglob("*.y*ml")):
        text = original = path.read_text(encoding="utf-8")
        for old, new in BUILTIN_RENAMES:
            text = text.replace(old, new)
        assert "rider_age" not in text and ("brass]" not in text), path
        if text != original:
            path.write_text(text, encoding="utf-8")
    return dest / "tables"
