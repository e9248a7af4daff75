"""The pages of the policy's history site, generated from validated tables: pure functions.

`build_site` returns every generated page as Markdown (site path -> text) and the navigation for
them; the MkDocs hook (`mkdocs_hooks.py`) hands them to MkDocs at build time, so nothing generated
is stored under docs/. Every piece of table text goes through `render.md_text` (or `html.escape`
inside the few HTML fragments), so table text is shown, never run: no `<script>`, event handler or
`javascript:` link can come from a table. Links leave the site only to PubMed (a PMID of digits)
and to the http(s) URLs of references.
"""

from __future__ import annotations

import html
import re
from collections import namedtuple
from urllib.parse import urlsplit

from .changelog import (RevisionChange, _case_count, change_groups, decision_summary,
                        revision_changes, words)
from .render import (PROVENANCE_LABELS, attributed, change_markdown, condition_words,
                     decision_text, md_text, text_groups)
from .site_try import PAGE as TRY_PAGE
from .site_try import case_query, contract_markdown, try_page

# Every policy's own determinations (engine.INDETERMINATE, engine.NO_POLICY): name -> (short label
# in the matrix, meaning for the legend). A policy's others come from its policy.yml.
COMMON_DETERMINATIONS = {
    "indeterminate": ("?", "indeterminate: depends on facts the case omits"),
    "no_policy_in_force": ("—", "no revision in force"),
}


def determination_labels(definition) -> dict[str, tuple[str, str]]:
    """name -> (short label, meaning): the policy's determinations in its order, then the common."""
    return {**{d.id: (d.short, d.meaning) for d in definition.determinations},
            **COMMON_DETERMINATIONS}


def _command_words(case) -> str:
    return " ".join(f"{k}={'true' if v is True else 'false' if v is False else v}"
                    for k, v in case.items())

_REVISION_ID = re.compile(r"[0-9]{4}-[0-9]{2}")
_PMID = re.compile(r"[0-9]{1,9}")
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+")  # no quotes, brackets or spaces

Site = namedtuple("Site", "pages nav")  # pages: {path: markdown}; nav: MkDocs nav entries


def revision_page(rev_id: str) -> str:
    if not _REVISION_ID.fullmatch(rev_id):  # the schema guarantees it; a page name must be safe
        raise ValueError(f"revision id {rev_id!r} cannot name a page (YYYY-MM expected)")
    return f"revisions/{rev_id}.md"


def change_page(old_id: str, new_id: str) -> str:
    revision_page(old_id), revision_page(new_id)
    return f"changes/{old_id}-to-{new_id}.md"


def _link(text: str, target: str, here: str) -> str:
    """A Markdown link from page `here` to page `target` (site paths; MkDocs checks them)."""
    depth = here.count("/")
    return f"[{text}]({'../' * depth}{target})"


def _badge(determination: str, text: str | None = None) -> str:
    css = re.sub(r"[^a-z_]", "", determination)
    label = text if text is not None else html.escape(words(determination))
    return f'<span class="det det-{css}">{label}</span>'


def _provenance(mark: str | None, label: str | None = None) -> str:
    if mark is None:
        return '<span class="prov prov-none">no statement</span>'
    css = re.sub(r"[^a-z]", "", mark)
    return f'<span class="prov prov-{css}">{html.escape(label or mark)}</span>'


def _words(text: str, provenance: str | None) -> str:
    """Quoted words as Markdown, their provenance mark first: in quotation marks when verbatim,
    never when reconstructed (see `render.attributed`)."""
    label, words = attributed(md_text(text), provenance)
    return f"{_provenance(provenance, label)} {words}"


def _statement(statement, *, note: bool) -> list[str]:
    """A policy statement: its words with their mark, then its determination (and note). Verbatim
    words are set as a quotation; reconstructed words as a plain paragraph."""
    determination = statement.get("determination")
    words = _words(statement["text"], statement["provenance"])
    details = (_badge(determination) + (" · " if note else "") if determination else "") + (
        md_text(statement["provenance_note"]) if note else "")
    if statement["provenance"] == "verbatim":
        return [f"> {words}", ">", f"> {details}", ""]
    return [words, "", details, ""]


def _disclaimer(disclaimer) -> list[str]:
    return ["!!! note \"Disclaimer: shown with every determination\"", "",
            f"    {_words(disclaimer['text'], disclaimer['provenance'])}", "",
            f"    {md_text(disclaimer['provenance_note'])}", ""]


def _fence(text: str) -> str:
    """A fenced code block that no run of backticks in `text` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _flip_note(change: RevisionChange, here: str) -> list[str]:
    """An admonition that makes a decision change impossible to miss."""
    prev = change.previous
    lines = [f'!!! danger "⚑ Decision change from {html.escape(prev.id, quote=True)}: '
             f'{change.cases_changed} cases decided differently"', ""]
    for group in change_groups(change):
        lines.append(f"    - **{md_text(words(group.was))} → {md_text(words(group.becomes))}** for "
                     f"{group.cases} cases")
        for text, provenance in group.quotes:
            lines.append(f"        - now decided by: {_words(text, provenance)}")
    link = _link("the changes", change_page(prev.id, change.revision.id), here)
    return lines + ["", f"    See {link} for every condition.", ""]


# --- home ----------------------------------------------------------------------------------------

def _home(validated, compiled, changes: list[RevisionChange]) -> str:
    here = "index.md"
    revisions = validated.revisions
    first, latest = revisions[0], revisions[-1]
    flips = [c for c in changes if c.flips]
    manual = latest.data["policy"].get("manual")
    latest_link = _link(md_text(latest.id), revision_page(latest.id), here)
    latest_change = _link(f"{md_text(revisions[-2].id)} → {md_text(latest.id)}",
                          change_page(revisions[-2].id, latest.id), here) \
        if len(revisions) > 1 else None
    lines = [f"# {md_text(latest.policy_title)} ({md_text(latest.policy_id)})", ""]
    description = latest.content.get("description")
    if description:
        lines += [md_text(description), ""]
    lines += [
        f"{md_text(manual) + ', ' if manual else ''}policy {md_text(latest.policy_id)}, in every "
        f"revision from {md_text(first.id)} (effective {md_text(first.effective_from)}) to "
        f"{md_text(latest.id)} (effective {md_text(latest.effective_from)}): {len(revisions)} "
        f"revisions, kept as versioned decision tables "
        f"(<code>tables/{md_text(latest.policy_id)}/*.yaml</code>) that a program evaluates and "
        "validates. Every page here except the how-to pages is "
        "generated from those tables when the site is built.", "",
        "## Where to look", "",
        f"- {_link('Outcomes over time', 'matrix.md', here)}: how each kind of case fared under "
        "every revision, colour-coded. Start here.",
        f"- {_link('Try a case', TRY_PAGE, here)}: decide any case as of any date of service in "
        "your browser, offline; the link holds the case, so it can be shared.",
        f"- {_link('Timeline', 'timeline.md', here)}: every revision with its date, version, "
        f"action, literature review and decision changes; {len(flips)} revision(s) changed "
        "decisions: " + ", ".join(_link(md_text(c.revision.id), revision_page(c.revision.id), here)
                                  for c in flips) + ".",
        f"- One page per revision (the latest: {latest_link}) and one per pair of consecutive "
        f"revisions (the latest: {latest_change})." if latest_change else
        f"- The revision page: {latest_link}.",
        "",
        "## The current policy statements", "",
        f"Revision {_link(md_text(latest.id), revision_page(latest.id), here)} (version "
        f"{md_text(latest.version)}), effective {md_text(latest.effective_from)} "
        f"({md_text(latest.effective_from_basis)}):", ""]
    for statement in latest.data["statements"]:
        lines += _statement(statement, note=False)
    lines += _disclaimer(latest.data["disclaimer"])
    example = validated.definition.site["example"]
    decision = compiled.evaluate(example["case"], example["as_of"])
    command = (f"$ policy evaluate --as-of {example['as_of']} \\\n    "
               f"{_command_words(example['case'])}\n{decision_text(decision)}")
    lines += [
        "## Evaluate a case", "",
        "Install the package (`pip install .` in the repository; the command is `policy`), then "
        "give the facts as `FIELD=VALUE` words and a date of service; an omitted fact is unknown:",
        "", _fence(command), "",
        "`--json` prints the same as JSON; `--case FILE` reads a YAML or JSON case. See "
        f"{_link('the command line', 'cli.md', here)} and "
        f"{_link('the Python API', 'api.md', here)}.",
        "",
        *_try_section(here, example),
        "## Run the checks", "",
        _fence("$ policy validate          # every table and the chain of revisions\n"
               f"$ policy diff {first.id} {latest.id}   # what changed, by meaning and by text\n"
               "$ policy changelog --check # CHANGELOG.md is current\n"
               "$ mkdocs build --strict    # this site; a broken link fails the build"), "",
        f"{_link('Checking policy tables in CI', 'ci.md', here)} covers pre-commit, "
        "`policy diff --rev` and a GitHub Actions workflow.", ""]
    return "\n".join(lines)


def _try_section(here: str, example) -> list[str]:
    first_fact = dict(list(example["case"].items())[:1])
    query = case_query(first_fact, example["as_of"]) + "&..."
    return ["## Try a case in your browser", "",
            f"{_link('Try a case', TRY_PAGE, here)} decides a case as of a date of service without "
            "installing anything: the page carries every decision of every revision. Its address "
            f"holds the case (`?{query}`, values as on the command "
            "line, an omitted field unknown), so a decision can be shared as a link. For scripts "
            "and tests, these elements carry `data-value`:", "", *contract_markdown(), ""]


# --- timeline ------------------------------------------------------------------------------------

def _timeline(changes: list[RevisionChange]) -> str:
    here = "timeline.md"
    flips = [c for c in changes if c.flips]
    lines = ["---", "hide:", "  - toc", "---", "", "# Timeline", "",
             "Every revision, oldest first. **⚑ decision change** marks a revision under which "
             "some case is decided differently than under the revision before it (every complete "
             f"case is decided under both): {len(flips)} of {len(changes)} revisions. The others "
             "changed the literature review, references or wording only.", "",
             "| effective | revision (approved) | version | action | literature review | "
             "decision changes |", "|---|---|---|---|---|---|"]
    for change in changes:
        rev = change.revision
        summary = decision_summary(change)
        if change.flips:
            summary = ('<span class="flip">⚑ decision change</span> ' + summary + " ("
                       + _link("changes", change_page(change.previous.id, rev.id), here) + ")")
        lines.append(
            f"| {md_text(rev.effective_from)} ({md_text(rev.effective_from_basis)}) | "
            f"{_link(md_text(rev.id), revision_page(rev.id), here)} | {md_text(rev.version)} | "
            f"{md_text(rev.history['action'])} | "
            f"{md_text(rev.literature_review_through or 'not stated')} | {summary} |")
    lines.append("")
    for change in changes:
        rev, prev = change.revision, change.previous
        history = rev.history
        lines += [f"## {md_text(rev.id)}", "",
                  f"Version {md_text(rev.version)}, approved {md_text(rev.approved)}, effective "
                  f"{md_text(rev.effective_from)} ({md_text(rev.effective_from_basis)}); "
                  "literature review through "
                  f"{md_text(rev.literature_review_through or 'not stated')}.", "",
                  f"Policy History, {md_text(history['date'])}: **{md_text(history['action'])}**"
                  + (f": “{md_text(history['description'])}”" if history["description"] else ""),
                  ""]
        if change.flips:
            lines += _flip_note(change, here)
        elif prev is not None:
            lines += ["No decision changes: every case is decided as under "
                      f"{md_text(prev.id)}.", ""]
        links = [_link("revision page", revision_page(rev.id), here)]
        if prev is not None:
            links.append(_link(f"changes from {md_text(prev.id)}", change_page(prev.id, rev.id),
                               here))
        lines += [" · ".join(links), ""]
    return "\n".join(lines)


# --- one revision --------------------------------------------------------------------------------

def _condition(values) -> str:
    if values is None:
        return "any"
    return ", ".join(md_text("true" if v is True else "false" if v is False else v)
                     for v in values)


def _rule_values(rule, column) -> list:
    allowed = rule.when.get(column.name)
    return None if allowed is None else [v for v in column.values if v in allowed]


def _guideline_cell(text: str) -> str:
    """The source writes paragraphs inside some cells as literal <p> tags: shown as line breaks,
    everything else escaped."""
    parts = [p for p in re.split(r"</?p>", text) if p.strip()]
    return "<br>".join(md_text(p) for p in parts) if parts else "&nbsp;"


def _reference_link(reference) -> str:
    links = []
    pmid = reference.get("pmid")
    if isinstance(pmid, str) and _PMID.fullmatch(pmid):
        links.append(f"[PMID {pmid}](https://pubmed.ncbi.nlm.nih.gov/{pmid}/)")
    url = reference.get("url")
    if isinstance(url, str) and _URL.fullmatch(url) and urlsplit(url).scheme in ("http", "https"):
        links.append(f"[{md_text(url)}]({url})")
    elif url:
        links.append(md_text(url))  # not a plain http(s) address: shown, not linked
    return " · ".join(links) or "&nbsp;"


def _content(content) -> list[str]:
    lines = ["## Policy text (the source)", ""]
    if content.get("related_policies"):
        lines += [f"Related policies: {md_text(content['related_policies'])}", ""]
    for key, title in (("description", "Description"), ("objective", "Objective"),
                       ("policy_guidelines", "Policy guidelines"),
                       ("benefit_application", "Benefit application"),
                       ("fda_status", "Regulatory status")):
        if content.get(key):
            lines += [f"### {title}", "", md_text(content[key]), ""]
    if content.get("fda_product_codes"):
        codes = ", ".join(md_text(c) for c in content["fda_product_codes"])
        lines += [f"FDA product codes: {codes}", ""]
    if content.get("evidence"):
        lines += ["### Summary of evidence", ""]
        for entry in content["evidence"]:
            sites = [md_text(words(s)) for s in entry.get("about", ())]
            sites += [f"{md_text(words(p['value']))} (in part)"
                      for p in entry.get("about_in_part", ())]
            lines += [f"#### {', '.join(sites)}", "", md_text(entry["text"]), ""]
            lines += [f"*Partly: for {md_text(words(p['value']))} cases this covers "
                      f"{md_text(p['covers'])}.*" for p in entry.get("about_in_part", ())]
            if entry.get("about_in_part"):
                lines.append("")
    if content.get("guidelines"):
        lines += ["### Practice guidelines and position statements", ""]
        for guideline in content["guidelines"]:
            lines += [f"#### {md_text(guideline['organisation'])}", "", md_text(guideline["intro"])
                      + (" (references " + ", ".join(str(int(r)) for r in guideline["references"])
                         + ")" if guideline.get("references") else ""), "",
                      f"**{md_text(guideline['table_title'])}**", ""]
            columns = [md_text(c) for c in guideline["columns"]]
            with_refs = any("reference" in row for row in guideline["rows"])
            header = columns + (["ref."] if with_refs else [])
            lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            for row in guideline["rows"]:
                cells = [_guideline_cell(c) for c in row["cells"]]
                cells += ["&nbsp;"] * (len(columns) - len(cells))
                if with_refs:
                    cells.append(str(int(row["reference"])) if "reference" in row else "&nbsp;")
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
            if guideline.get("footnote"):
                lines += [f"<small>{md_text(guideline['footnote'])}</small>", ""]
    for key, title in (("guideline_selection", "Guideline selection"),
                       ("uspstf", "U.S. Preventive Services Task Force recommendations"),
                       ("medicare", "Medicare national coverage"),
                       ("closing_statement", "The manual's closing statement")):
        if content.get(key):
            lines += [f"### {title}", "", md_text(content[key]), ""]
    if content.get("references"):
        lines += ["### References", "", "| # | citation | link |", "|---:|---|---|"]
        lines += [f"| {int(r['number'])} | {md_text(r['citation'])} | {_reference_link(r)} |"
                  for r in content["references"]]
        lines.append("")
    return lines


def _revision(change: RevisionChange, following, source_name: str | None) -> str:
    """`source_name`: what the source text is (policy.yml's site.source_name), if it says."""
    rev, prev = change.revision, change.previous
    here = revision_page(rev.id)
    data = rev.data
    policy = data["policy"]
    nav = []
    if prev is not None:
        nav += [_link(f"← {md_text(prev.id)}", revision_page(prev.id), here),
                _link(f"changes from {md_text(prev.id)}", change_page(prev.id, rev.id), here)]
    nav.append(_link("timeline", "timeline.md", here))
    nav.append(_link("try a case under this revision",
                     f"{TRY_PAGE}?{case_query({}, rev.effective_from)}", here))
    if following is not None:
        nav.append(_link(f"{md_text(following.id)} →", revision_page(following.id), here))
    lines = [f"# Revision {md_text(rev.id)} · version {md_text(rev.version)}", "",
             " · ".join(nav), ""]
    if change.flips:
        lines += _flip_note(change, here)
    history = rev.history
    lines += [
        "## Identity and provenance", "",
        "| field | value |", "|---|---|",
        f"| policy | {md_text(policy['id'])}: {md_text(policy['title'])}"
        + (f" ({md_text(policy['manual'])})" if policy.get("manual") else "") + " |",
        *([f"| original policy date | {md_text(policy['original_policy_date'])} |"]
          if policy.get("original_policy_date") else []),
        f"| revision | {md_text(rev.id)} |",
        f"| version | {md_text(rev.version)}"
        + (f": {md_text(data['revision']['version_note'])}"
           if data["revision"].get("version_note") else "") + " |",
        f"| approved | {md_text(rev.approved)} |",
        f"| effective from | {md_text(rev.effective_from)} ({md_text(rev.effective_from_basis)}): "
        f"{md_text(rev.effective_from_note)} |",
        f"| literature review through | {md_text(rev.literature_review_through or 'not stated')} |",
        f"| table | <code>tables/{md_text(rev.policy_id)}/{md_text(rev.id)}.yaml</code> |", "",
        "## Policy History row", "",
        "| date | action | description |", "|---|---|---|",
        f"| {md_text(history['date'])} | {md_text(history['action'])} | "
        f"{md_text(history['description'])} |", "",
        "## Decision table", "",
        f"Hit policy **{md_text(rev.hit_policy)}**"
        + (": every complete case matches exactly one rule." if rev.hit_policy == "unique" else
           ": the first matching rule decides." if rev.hit_policy == "first" else
           ": overlapping rules agree.") + " A condition lists the values a rule accepts; "
        "*any* accepts every value.", ""]
    # a line may break after an underscore of a column name: the table fits narrow windows
    header = ["rule", *(md_text(c.name).replace("_", "_<wbr>") for c in rev.columns),
              "determination"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rule in rev.rules:
        lines.append("| " + " | ".join([
            f"**{md_text(rule.id)}**", *(_condition(_rule_values(rule, c)) for c in rev.columns),
            _badge(rule.then)]) + " |")
    lines += ["", "What each rule covers, and where its words come from:", ""]
    lines += [f"- **{md_text(rule.id)}**: {md_text(rule.note) + ' ' if rule.note else ''}"
              + (f"Decided by the statement <code>{md_text(rule.statement)}</code> "
                 f"({_provenance(rule.provenance)})." if rule.statement is not None else
                 f"{_provenance(None)}: {md_text(rule.provenance_note)}")
              for rule in rev.rules]
    lines += ["", "## Policy statements", "",
              f"Marks: {_provenance('verbatim')} the words are in the source"
              + (f" ({md_text(source_name)})" if source_name else "") + ", "
              "shown in quotation marks; "
              f"{_provenance('reconstructed', PROVENANCE_LABELS['reconstructed'])} the words are "
              "rebuilt from the Policy History rows, are not in the source, and are never shown "
              "as a quotation.", ""]
    for statement in data["statements"]:
        lines += _statement(statement, note=True)
    lines += _disclaimer(data["disclaimer"])
    lines += ["## Interpretation notes", ""]
    for note in data["interpretation"]:
        lines += [f"### {md_text(note['topic'])}", "", md_text(note["text"]), ""]
        for alternative in note.get("rejected_alternatives", ()):
            lines.append(f"- Rejected alternative: {md_text(alternative)}")
        if note.get("rejected_alternatives"):
            lines.append("")
    if rev.content:
        lines += _content(rev.content)
    return "\n".join(lines)


# --- the changes between two revisions -----------------------------------------------------------

def _word_table(groups: list[dict]) -> list[str]:
    return ["| path | change |", "|---|---|",
            *(f"| <code>{md_text(g['path'])}</code> | {change_markdown(g, 12)} |"
              for g in groups), ""]


def _change(change: RevisionChange, inputs=()) -> str:
    rev, prev = change.revision, change.previous
    here = change_page(prev.id, rev.id)
    diff = change.diff
    lines = [f"# {md_text(prev.id)} → {md_text(rev.id)}", "",
             f"Version {md_text(prev.version)} → {md_text(rev.version)}; effective "
             f"{md_text(prev.effective_from)} → {md_text(rev.effective_from)}. "
             + " · ".join([_link(md_text(prev.id), revision_page(prev.id), here),
                           _link(md_text(rev.id), revision_page(rev.id), here),
                           _link("timeline", "timeline.md", here)]), "",
             "## Decision changes", ""]
    if not change.flips:
        lines += ["None: every complete case gets the same determination under both revisions.", ""]
    else:
        lines += _flip_note(change, here)[:-3] + [""]
        columns = [c.name for c in rev.columns]
        for group in change_groups(change):
            lines += [f"### {md_text(words(group.was))} → {md_text(words(group.becomes))} "
                      f"({group.cases} cases)", "",
                      "| cases | " + " | ".join(md_text(c) for c in columns)
                      + " | rule before → after |",
                      "|---:|" + "---|" * (len(columns) + 1)]
            for box in group.boxes:
                when = box["when"]
                lines.append(f"| {box['cases']} | " + " | ".join(
                    _condition(when.get(c)) for c in columns)
                    + f" | {md_text(box['from_rule'])} → {md_text(box['to_rule'])} |")
            lines.append("")
            lines += ["A case is one combination of facts, one value for each field: "
                      f"{_case_count(rev)} complete cases.", "",
                      "In words: " + "; or ".join(
                md_text(condition_words(box["when"], inputs)) for box in group.boxes) + ".", ""]
            for text, provenance in group.quotes:
                lines += [f"Now decided by: {_words(text, provenance)}", ""]
    groups = text_groups(diff["text_changes"])
    content = [g for g in groups if not g["bookkeeping"]]
    bookkeeping = [g for g in groups if g["bookkeeping"]]
    lines += ["## Text changes", "",
              (f"{len(diff['text_changes'])} value(s) of the table differ (a path names the value; "
               "`[id=…]` picks an item by its id; values that change alike in several items share "
               "a row). Removed words are struck through, added words underlined.")
              if groups else "None.", ""]
    if content:
        lines += _word_table(content)
    if bookkeeping:
        lines += [f'<details markdown="1"><summary>Bookkeeping: {len(bookkeeping)} change(s) of '
                  "ids, versions, dates and the history row</summary>", "",
                  *_word_table(bookkeeping), "</details>", ""]
    return "\n".join(lines)


# --- outcomes over time --------------------------------------------------------------------------

def matrix_rows(compiled, matrix) -> list[tuple[str, dict]]:
    """(label, case) for every row of the matrix: the rows policy.yml gives (`matrix`: its
    site.matrix), then, if it names an input in `each_other_value_of`, one row for each value of
    that input that no given row has, with nothing else known."""
    rows = [(row["label"], dict(row["case"])) for row in matrix["rows"]]
    other = matrix.get("each_other_value_of")
    if other is not None:
        given = {case.get(other) for _, case in rows}
        rows += [(str(value).replace("_", " "), {other: value})
                 for value in dict(compiled.columns)[other] if value not in given]
    return rows


def matrix_cells(compiled, matrix) -> list[tuple[str, dict, list]]:
    """(label, case, [decision under each revision, as of its effective date])."""
    return [(label, case, [compiled.evaluate(case, rev.effective_from)
                           for rev in compiled.revisions])
            for label, case in matrix_rows(compiled, matrix)]


def _matrix(compiled, changes: list[RevisionChange], definition) -> str:
    here = "matrix.md"
    flipped = {c.revision.id for c in changes if c.flips}
    lines = ["---", "hide:", "  - navigation", "  - toc", "---", "", "# Outcomes over time", "",
             "Each row is a kind of case, each column a revision (evaluated on its effective "
             "date), each cell the determination. **⚑** marks a revision that changed decisions "
             f"(see the {_link('timeline', 'timeline.md', here)}). Hover over a cell for the rule "
             "that decides it; click it to open the case on "
             f"{_link('Try a case', TRY_PAGE, here)}, where any other case and date can be "
             "decided.", ""]
    header = ["case"] + [
        f"{'⚑ ' if r.id in flipped else ''}{_link(md_text(r.id), revision_page(r.id), here)}"
        f"<br><small>{md_text(r.version)}</small>" for r in compiled.revisions]
    lines += ['<div class="matrix" markdown>', "",
              "| " + " | ".join(header) + " |", "|---|" + ":---:|" * len(compiled.revisions)]
    labels = determination_labels(definition)
    for label, case, decisions in matrix_cells(compiled, definition.site["matrix"]):
        cells = []
        for decision, revision in zip(decisions, compiled.revisions):
            short, meaning = labels.get(decision.determination,
                                                (decision.determination, decision.determination))
            why = decision.rule or (f"needs {', '.join(decision.needs)}" if decision.needs else
                                    " or ".join(decision.rules))
            css = re.sub(r"[^a-z_]", "", decision.determination)
            badge = (f'<span class="det det-{css}" title="{html.escape(meaning, quote=True)}'
                     f' ({html.escape(why, quote=True)})">{html.escape(short)}</span>')
            cells.append(_link(badge, f"{TRY_PAGE}?{case_query(case, revision.effective_from)}",
                               here))
        lines.append(f"| {md_text(label)} | " + " | ".join(cells) + " |")
    lines += ["", "</div>", "", "**Legend**", ""]
    for determination, (short, meaning) in labels.items():
        if determination != "no_policy_in_force":
            lines.append(f"- {_badge(determination, html.escape(short))} {md_text(meaning)}")
    lines += ["", md_text(definition.site["matrix"]["about"]), ""]
    return "\n".join(lines)


# --- the whole site ------------------------------------------------------------------------------

def _fields(compiled) -> str:
    """Every case field and its allowed values, as the tables declare them (what
    `policy evaluate --help` lists)."""
    from .render import field_rows

    vocabulary = dict(compiled.columns)
    lines = ["# Case fields", "",
             "A case gives any of these fields; an omitted field is unknown, and a field not listed "
             "here is an error. Values are exact, letter case included. On the command line a "
             "field is a `FIELD=VALUE` word; in a CSV file a column; in JSON, YAML or Parquet a "
             "key or column (a boolean input a boolean there). `policy evaluate --help` prints the "
             "same list. This page is generated from the tables.", "",
             "| field | allowed values |", "|---|---|"]
    for name, allowed in field_rows(compiled.columns):
        if name in vocabulary:
            allowed = ", ".join(f"<code>{md_text(v)}</code>" for v in allowed.split(", "))
        else:
            allowed = md_text(allowed)
        lines.append(f"| <code>{md_text(name)}</code> | {allowed} |")
    return "\n".join(lines) + "\n"


def build_site(validated, compiled) -> Site:
    """Every generated page and the navigation for them, from a validated, compiled policy."""
    changes = revision_changes(validated.revisions)
    pages = {"index.md": _home(validated, compiled, changes),
             "timeline.md": _timeline(changes),
             "matrix.md": _matrix(compiled, changes, validated.definition),
             "fields.md": _fields(compiled),
             TRY_PAGE: try_page(compiled, revision_page,
                                validated.definition.site.get("try_links", ()))}
    for i, change in enumerate(changes):
        following = changes[i + 1].revision if i + 1 < len(changes) else None
        pages[revision_page(change.revision.id)] = _revision(
            change, following, validated.definition.site.get("source_name"))
        if change.previous is not None:
            pages[change_page(change.previous.id, change.revision.id)] = _change(
                change, validated.definition.inputs)
    lowered = [p.lower() for p in pages]
    if len(set(lowered)) != len(lowered):  # case-insensitive file systems would merge them
        raise ValueError("two generated pages differ only in letter case")
    nav = [{"Home": "index.md"}, {"Outcomes over time": "matrix.md"}, {"Try a case": TRY_PAGE},
           {"Timeline": "timeline.md"},
           {"Revisions": [{f"{c.revision.id} · {c.revision.version}"
                           + (" ⚑" if c.flips else ""): revision_page(c.revision.id)}
                          for c in changes]},
           {"Changes": [{f"{c.previous.id} → {c.revision.id}" + (" ⚑" if c.flips else ""):
                         change_page(c.previous.id, c.revision.id)}
                        for c in changes if c.previous is not None]}]
    nav.insert(1, {"Case fields": "fields.md"})
    return Site(pages=pages, nav=nav)
