"""The one home of Markdown: the escaper of table text and the helpers that build Markdown
around it.

Everything the site, the changelog and `policy diff --format markdown` write as Markdown goes
through here: `md_text` makes table text inert (never a link, an image, emphasis, a cell break or a
block), and the helpers (links, badges, provenance marks, fences, table rows) escape what they are
given the same way. Pure functions returning strings; no template engine is imported here, so the
`policy evaluate` path that imports `render` stays light.

Two flavours: `SITE`, the Markdown MkDocs reads (Python-Markdown with the site's extensions), and
`GITHUB`, GitHub-flavoured Markdown as a pull-request comment shows it (`policy diff --format
markdown`). GitHub reads more in text than Markdown does: its renderer (cmark-gfm) links bare
addresses (`https://...`, `www.`, e-mail addresses) and strikes `~text~` through, and after
rendering GitHub turns `@user` and `@org/team` into mentions (which notify them), `#1`,
`org/repo#1` and `GH-1` into issue links and `:+1:` into emoji. The GitHub flavour writes `~` and
`$` (math) as character references and puts an invisible zero-width space where it breaks each of
the others, so the text reads the same and nothing in it is live. The site's Markdown has none of
these (no autolink, mention, strikethrough or emoji extension), so the site flavour leaves them as
they are.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable

from .provenance import PROVENANCE_LABELS, attributed

SITE = "site"  # the Markdown of the MkDocs site (and of CHANGELOG.md)
GITHUB = "github"  # GitHub-flavoured Markdown, for pull-request comments
# Characters that HTML or Markdown would read as markup (links, images, code, emphasis, cells).
_INERT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "`": "&#96;", "\\": "&#92;",
          "[": "&#91;", "]": "&#93;", "*": "&#42;"}
# ... and those GitHub reads besides: strikethrough, math, and the zero-width space written so
# that the comment's source shows it.
_INERT_ON_GITHUB = {**_INERT, "~": "&#126;", "$": "&#36;", "\u200b": "&#8203;"}
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # not in snake_case
_BLOCK_MARKER = re.compile(r"[-+=#>!]|[0-9]+[.)](?:\s|$)")  # a list, heading, quote, admonition
# Where GitHub would link, mention or show an emoji: a zero-width space goes there.
_LIVE_ON_GITHUB = re.compile(
    r"(?<=@)(?=[0-9a-z])"  # @user, @org/team, an e-mail address
    r"|(?<=#)(?=[0-9])"  # #1, org/repo#1, user#1
    r"|(?<=\bgh)(?=-[0-9])"  # GH-1
    r"|(?<=:)(?=//)"  # https://..., any scheme://
    r"|(?<=www)(?=\.)"  # www.example.org
    r"|(?<=:)(?=[0-9a-z_+-]+:)",  # :+1:, :shipit:
    re.IGNORECASE)


def github_inert(text: str) -> str:
    """Plain text with a zero-width space (U+200B) where GitHub would read a mention, an issue
    reference, an emoji code or a bare address in it."""
    return _LIVE_ON_GITHUB.sub("\u200b", text)


def md_text(value: object, flavour: str = SITE) -> str:
    """Table text as inert Markdown: HTML, pipes, backticks and the punctuation of links, images
    and emphasis escaped, so `<script>` or `[x](javascript:...)` stay text, and text that starts
    like a list, heading or quote does not become one; for `GITHUB`, also nothing GitHub would
    link, mention, strike through or show as an emoji (see above). Line breaks become spaces
    (nothing is dropped). Needs no Markdown extension that reads attributes from text
    (attr_list)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    inert = _INERT
    if flavour == GITHUB:
        text, inert = github_inert(text), _INERT_ON_GITHUB
    escaped = _EMPHASIS_UNDERSCORE.sub("&#95;", "".join(inert.get(c, c) for c in text))
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


def page_url(target: str, here: str = "") -> str:
    """The address of page `target` (a site path, `try.md?query` with its query) from page `here`
    as the builders publish them, each page a folder (`revisions/2014-12.md` is
    `revisions/2014-12/`): for a link in raw HTML, which no builder rewrites as it does a
    Markdown link."""
    path, mark, query = target.partition("?")
    folder = "" if path == "index.md" else path.removesuffix(".md").removesuffix("/index") + "/"
    here_folder = "" if here == "index.md" else here.removesuffix(".md") + "/"
    return "../" * here_folder.count("/") + folder + mark + query


def badge(determination: str, label: str, title: str | None = None) -> str:
    """A determination as a coloured badge; `label` is Markdown/HTML already, `title` plain text.
    With a title (a matrix cell), the title is also the badge's words for a screen reader, in
    place of the short label ("MN"), and a tooltip for a mouse."""
    if title is None:
        return f'<span class="det det-{css_name(determination)}">{label}</span>'
    words = html.escape(title, quote=True)
    return (f'<span class="det det-{css_name(determination)}" title="{words}">'
            f'<span aria-hidden="true">{label}</span>'
            f'<span class="visually-hidden">{words}</span></span>')


def provenance_mark(mark: str | None, label: str | None = None) -> str:
    """The mark of where words come from ('verbatim', 'reconstructed'), or 'no statement'."""
    if mark is None:
        return '<span class="prov prov-none">no statement</span>'
    return (f'<span class="prov prov-{css_name(mark, "a-z")}">'
            f"{html.escape(label or mark)}</span>")


def quoted(text: str, provenance: str | None, flavour: str = SITE) -> str:
    """Quoted words as Markdown, their provenance mark first: in quotation marks when verbatim,
    never when reconstructed (see `render.attributed`)."""
    label, words = attributed(md_text(text, flavour), provenance)
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


def words_markdown(ops: list[tuple[str, str]], flavour: str = SITE) -> str:
    """Changed words as inert Markdown: <del>removed</del><ins>added</ins>."""
    marks = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    out = ""
    for op, text in ops:
        piece = marks[op].format(md_text(text, flavour))
        glue = "" if not out or (op == "+" and out.endswith("</del>")) else " "
        out += glue + piece
    return out or "&nbsp;"
