"""The one home of Markdown: the escaper of table text and the helpers that build Markdown
around it.

Everything the site, the changelog and `policy diff --format markdown` write as Markdown goes
through here: `md_text` makes table text inert (never a link, an image, emphasis, a cell break or a
block), and the helpers (links, badges, provenance marks, fences, table rows) escape what they are
given the same way. Pure functions returning strings; no template engine is imported here, so the
`policy evaluate` path that imports `render` stays light.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable

from .render import PROVENANCE_LABELS, attributed

# Characters that HTML or Markdown would read as markup (links, images, code, emphasis, cells).
_INERT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "`": "&#96;", "\\": "&#92;",
          "[": "&#91;", "]": "&#93;", "*": "&#42;"}
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # not in snake_case
_BLOCK_MARKER = re.compile(r"[-+=#>!]|[0-9]+[.)](?:\s|$)")  # a list, heading, quote, admonition


def md_text(value: object) -> str:
    """Table text as inert Markdown: HTML, pipes, backticks and the punctuation of links, images
    and emphasis escaped, so `<script>` or `[x](javascript:...)` stay text, and text that starts
    like a list, heading or quote does not become one. Line breaks become spaces (nothing is
    dropped). Needs no Markdown extension that reads attributes from text (attr_list)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    escaped = _EMPHASIS_UNDERSCORE.sub("&#95;", "".join(_INERT.get(c, c) for c in text))
    if _BLOCK_MARKER.match(text) and not escaped.startswith("&"):
        escaped = f"&#{ord(escaped[0])};{escaped[1:]}"
    return escaped or "&nbsp;"


def css_name(name: str, allowed: str = "a-z_") -> str:
    """A name reduced to the letters a CSS class may take here."""
    return re.sub(f"[^{allowed}]", "", name)


def link(text: str, target: str, here: str = "") -> str:
    """A Markdown link from page `here` to page `target` (site paths; MkDocs checks them). `text`
    is Markdown already (escape table text with `md_text` first)."""
    return f"[{text}]({'../' * here.count('/')}{target})"


def badge(determination: str, label: str, title: str | None = None) -> str:
    """A determination as a coloured badge; `label` is Markdown/HTML already, `title` plain text
    (a tooltip)."""
    tooltip = f' title="{html.escape(title, quote=True)}"' if title is not None else ""
    return f'<span class="det det-{css_name(determination)}"{tooltip}>{label}</span>'


def provenance_mark(mark: str | None, label: str | None = None) -> str:
    """The mark of where words come from ('verbatim', 'reconstructed'), or 'no statement'."""
    if mark is None:
        return '<span class="prov prov-none">no statement</span>'
    return (f'<span class="prov prov-{css_name(mark, "a-z")}">'
            f"{html.escape(label or mark)}</span>")


def quoted(text: str, provenance: str | None) -> str:
    """Quoted words as Markdown, their provenance mark first: in quotation marks when verbatim,
    never when reconstructed (see `render.attributed`)."""
    label, words = attributed(md_text(text), provenance)
    return f"{provenance_mark(provenance, label)} {words}"


def provenance_label(provenance: str) -> str:
    return PROVENANCE_LABELS[provenance]


def fence(text: str) -> str:
    """A fenced code block that no run of backticks in `text` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}text\n{text}\n{marks}"


def row(cells: Iterable[str]) -> str:
    """A table row of cells that are Markdown already."""
    return "| " + " | ".join(cells) + " |"


def rule_line(count: int, first: str = "---", other: str = "---") -> str:
    """The line under a table's header: `first` for the first column, `other` for the rest."""
    return f"|{first}|" + f"{other}|" * (count - 1)


def words_markdown(ops: list[tuple[str, str]]) -> str:
    """Changed words as inert Markdown: <del>removed</del><ins>added</ins>."""
    marks = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    out = ""
    for op, text in ops:
        piece = marks[op].format(md_text(text))
        glue = "" if not out or (op == "+" and out.endswith("</del>")) else " "
        out += glue + piece
    return out or "&nbsp;"
