"""One page per revision: identity, Policy History row, decision table, statements, notes and the
source's text."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from ...compare.changelog import RevisionChange
from ...core.value_text import value_text
from ..markdown import badge, md_text
from .paths import TRY_PAGE, render_page, revision_page
from .try_page import case_query

_PMID = re.compile(r"[0-9]{1,9}")
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+")  # no quotes, brackets or spaces


def condition(values: Any) -> str:
    """The values a rule (or a group of cases) accepts, as Markdown; None: any."""
    if values is None:
        return "any"
    return ", ".join(md_text(value_text(v)) for v in values)


def _rule_values(rule: Any, column: Any) -> list | None:
    allowed = rule.when.get(column.name)
    return None if allowed is None else [v for v in column.values if v in allowed]


def _guideline_cell(text: str) -> str:
    """The source writes paragraphs inside some cells as literal <p> tags: shown as line breaks,
    everything else escaped."""
    parts = [p for p in re.split(r"</?p>", text) if p.strip()]
    return "<br>".join(md_text(p) for p in parts) if parts else "&nbsp;"


def _guideline_rows(guideline: dict, with_refs: bool) -> list[list[Markup]]:
    rows = []
    for row in guideline["rows"]:
        cells = [_guideline_cell(c) for c in row["cells"]]
        cells += ["&nbsp;"] * (len(guideline["columns"]) - len(cells))
        if with_refs:
            cells.append(str(int(row["reference"])) if "reference" in row else "&nbsp;")
        rows.append([Markup(c) for c in cells])
    return rows


def _guideline_header(guideline: dict, with_refs: bool) -> list[str]:
    return [*guideline["columns"], *(["ref."] if with_refs else [])]


def _reference_link(reference: dict) -> Markup:
    """Links leave the site only to PubMed (a PMID of digits) and to http(s) URLs."""
    links = []
    pmid = reference.get("pmid")
    if isinstance(pmid, str) and _PMID.fullmatch(pmid):
        links.append(f"[PMID {pmid}](https://pubmed.ncbi.nlm.nih.gov/{pmid}/)")
    url = reference.get("url")
    if isinstance(url, str) and _URL.fullmatch(url) and urlsplit(url).scheme in ("http", "https"):
        links.append(f"[{md_text(url)}]({url})")
    elif url:
        links.append(md_text(url))  # not a plain http(s) address: shown, not linked
    return Markup(" · ".join(links) or "&nbsp;")


def revision_page_text(change: RevisionChange, following: Any, definition: Any) -> str:
    rev = change.revision
    labels = {i.name: i.label for i in definition.inputs}
    header = [Markup("rule"), *(labels.get(c.name, c.name) for c in rev.columns),
              Markup("determination")]
    rule_rows = [[Markup(f"**{md_text(rule.id)}**"),
                  *(Markup(condition(_rule_values(rule, c))) for c in rev.columns),
                  Markup(badge(rule.then, html.escape(rule.then.replace("_", " "))))]
                 for rule in rev.rules]
    return render_page(
        "revision.md.j2", revision_page(rev.id), change=change, rev=rev, prev=change.previous,
        following=following, data=rev.data, header=header, rule_rows=rule_rows,
        try_link=f"{TRY_PAGE}?{case_query({}, rev.effective_from)}",
        source_name=definition.site.get("source_name"), guideline_header=_guideline_header,
        guideline_rows=_guideline_rows,
        reference_link=_reference_link)
