"""The pages of the policy's history site, generated from validated tables: pure functions.

`build_site` returns every generated page as Markdown (site path -> text) and the navigation for
them; the MkDocs hook (`mkdocs_hooks.py`) hands them to MkDocs at build time, so nothing generated
is stored under docs/. One module per page (home, timeline, matrix, fields, revision, change,
try_page), each filling in its template under `policy/present/templates/site/`; `paths` names the
pages. Every piece of table text goes through the one Markdown escaper (`policy.present.markdown`),
in a template by `{{ ... }}` itself (see `policy.present.templating`), so table text is shown,
never run: no `<script>`, event handler or `javascript:` link can come from a table. Links leave
the site only to PubMed (a PMID of digits) and to the http(s) URLs of references.
"""

from __future__ import annotations

from typing import Any

from ...compare.changelog import revision_changes
from ...core.errors import SiteError
from ...core.record import Record
from .change import change_page_text
from .fields import fields_page
from .home import home_page
from .matrix import matrix_page
from .paths import TRY_PAGE, change_page, revision_page, site_words
from .revision import revision_page_text
from .timeline import timeline_page
from .try_page import try_page

__all__ = ["Site", "build_site", "change_page", "revision_page", "site_words"]

class Site(Record):
    """Every generated page ({path: markdown}) and the MkDocs navigation entries for them."""

    __slots__ = ()
    pages: dict[str, str]
    nav: list[dict[str, object]]  # MkDocs nav entries: {title: path, or a list of entries}


def build_site(validated: Any, compiled: Any) -> Site:
    """Every generated page and the navigation for them, from a validated, compiled policy."""
    definition = validated.definition
    changes = revision_changes(validated.revisions)
    pages = {"index.md": home_page(validated, compiled, changes),
             "timeline.md": timeline_page(changes),
             "matrix.md": matrix_page(compiled, changes, definition),
             "fields.md": fields_page(compiled, definition),
             TRY_PAGE: try_page(compiled, revision_page, definition.site.get("try_links", ()),
                                definition)}
    for i, change in enumerate(changes):
        following = changes[i + 1].revision if i + 1 < len(changes) else None
        pages[revision_page(change.revision.id)] = revision_page_text(change, following,
                                                                      definition)
        if change.previous is not None:
            pages[change_page(change.previous.id, change.revision.id)] = change_page_text(
                change, definition)
    lowered = [p.lower() for p in pages]
    if len(set(lowered)) != len(lowered):  # case-insensitive file systems would merge them
        raise SiteError("two generated pages differ only in letter case")
    titles = site_words()["nav"]

    def flagged(title: str, change: Any) -> str:
        return title + (titles["flips"] if change.flips else "")

    nav: list[dict[str, object]] = [
        {titles["home"]: "index.md"}, {titles["fields"]: "fields.md"},
        {titles["matrix"]: "matrix.md"}, {titles["try"]: TRY_PAGE},
        {titles["timeline"]: "timeline.md"},
        {titles["revisions"]: [
            {flagged(titles["revision"].format(id=c.revision.id, version=c.revision.version),
                     c): revision_page(c.revision.id)} for c in changes]},
        {titles["changes"]: [
            {flagged(titles["change"].format(old=c.previous.id, new=c.revision.id), c):
             change_page(c.previous.id, c.revision.id)}
            for c in changes if c.previous is not None]}]
    return Site(pages=pages, nav=nav)
