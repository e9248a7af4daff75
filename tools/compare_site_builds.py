"""Compare two builds of the site page by page: the same pages, each with the same title (its `h1`)
and the same tables (every row's cell texts, in order). The site's decisions are in its tables (the
matrix, each revision's decision table, each change's decision changes), so two builders that agree
here show a reader the same history.

    python tools/compare_site_builds.py SITE_A SITE_B    # exit 0 when they agree, 1 otherwise

SITE_A: `mkdocs build`'s output (the published build); SITE_B: another builder's output of the
folder `policy site --out DIR` wrote (`zensical build -f DIR/mkdocs.yml`). The 404 page is the
builders' own and is left out; so is the HTML `<title>`, which each builder composes its own way
(Zensical names the home page "Home - SITE"; MkDocs, "SITE").
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

Table = list[list[str]]


class Page(HTMLParser):
    """A built page's title (`h1`, without its permalink mark) and its tables."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.tables: list[Table] = []
        self._in_title = False
        self._cell: list[str] | None = None
        self._skipped = 0  # inside a permalink (`a.headerlink`): not part of a title or cell
        self.feed(html)
        self.close()
        self.title = " ".join(self.title.split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "a" and "headerlink" in classes:
            self._skipped += 1
        elif tag == "h1" and not self.title:
            self._in_title = True
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._skipped:
            self._skipped -= 1
        elif tag == "h1":
            self._in_title = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._skipped:
            return
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell.append(data)


def pages(site: Path) -> dict[str, Path]:
    """Every built page (its path in the site -> its file), the 404 page left out."""
    return {str(file.relative_to(site)): file for file in sorted(site.rglob("*.html"))
            if file.name != "404.html"}


def differences(site_a: Path, site_b: Path) -> tuple[int, list[str]]:
    """How many pages both builds have, and each difference as one line."""
    a, b = pages(site_a), pages(site_b)
    found = [f"{path}: only in {site_a}" for path in sorted(a.keys() - b.keys())]
    found += [f"{path}: only in {site_b}" for path in sorted(b.keys() - a.keys())]
    shared = sorted(a.keys() & b.keys())
    for path in shared:
        page_a = Page(a[path].read_text(encoding="utf-8"))
        page_b = Page(b[path].read_text(encoding="utf-8"))
        if page_a.title != page_b.title:
            found.append(f"{path}: title {page_a.title!r} against {page_b.title!r}")
        if len(page_a.tables) != len(page_b.tables):
            found.append(f"{path}: {len(page_a.tables)} tables against {len(page_b.tables)}")
        for number, (table_a, table_b) in enumerate(zip(page_a.tables, page_b.tables,
                                                        strict=False), 1):
            if table_a != table_b:
                row = next((i for i, (x, y) in enumerate(zip(table_a, table_b, strict=False), 1)
                            if x != y), min(len(table_a), len(table_b)) + 1)
                found.append(f"{path}: table {number} differs from row {row}")
    return len(shared), found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    compared, found = differences(Path(argv[0]), Path(argv[1]))
    for line in found:
        print(line)
    print(f"{compared} pages compared: {len(found)} differences")
    return 1 if found or not compared else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
