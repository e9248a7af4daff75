"""The site's "Try a case" page: every decision of every revision, shipped to the browser.

`try_data` lays out the compiled policy for the page's script (`docs/assets/try.js`): the inputs
(`CompiledPolicy.columns`) and, per revision, the engine's own mixed-radix index (partial-case
code -> outcome) with one record per outcome. A record holds what `Decision.to_json()` gives for
that outcome, taken from `CompiledPolicy.evaluate` itself, so the page shows what `policy evaluate
--json` prints, including any field the engine adds later. Every partial case is evaluated at build
time; a field that differs between partial cases of one outcome (the summary of evidence, chosen by
the policy's evidence key) is stored per partial case instead. Each distinct value is stored once.
Only the case's own fields (the date, the known facts, the case id) are filled in by the page.
Before the first revision nothing is in force; the no-policy decision is stored with the day cut
out of its text, so the page names the day as the engine does.

`try_page` is the page's Markdown: an inert JSON block (`<`, `>` and `&` written as JSON escapes, so
table text can neither close the block nor become markup) and the HTML the script fills in with
text nodes only. The page's contract (element ids and `data-value`s) is `CONTRACT`.
"""

from __future__ import annotations

import datetime
import html
import json
from urllib.parse import urlencode

from .cases import DATE_FIELDS, TEXT_FIELDS
from .render import md_text

PAGE = "try.md"
FORMAT = 1  # bump when the data's shape changes (docs/assets/try.js reads it)
# The decision's fields that come from the case, not from the tables: the page fills them in.
CASE_KEYS = ("as_of", "case", "case_id")
# Two days before any revision: the no-policy decision is stored with the day cut out of its text.
_PROBE_DAYS = ("0001-01-01", "0002-02-02")
# The page's contract: element id -> what its data-value holds (README and home page say the same).
CONTRACT = (
    ("determination", "the determination code (one of the policy's, `indeterminate` or "
                      "`no_policy_in_force`); empty when the case cannot be decided (an "
                      "invalid value in the link, or no date)"),
    ("revision", "the id of the revision in force (`2015-12`); empty when none is in force or "
                 "the case cannot be decided"),
    ("needs", "the fields an indeterminate case needs, sorted, separated by single spaces; empty "
              "when none"),
    ("rule", "the id of the deciding rule; empty when no single rule decides"),
    ("problems", "the fields (or `as_of`) whose value in the link is invalid or missing, sorted, "
                 "separated by single spaces; empty when the case is decided"),
)


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _known(compiled, code: int) -> dict:
    """The partial case a code stands for (known fields only): `CompiledPolicy.code` reversed."""
    case = {}
    for name, values in reversed(compiled.columns):
        code, digit = divmod(code, len(values) + 1)
        if digit < len(values):
            case[name] = values[digit]
    return dict(reversed(list(case.items())))


def _decisions(compiled, revision) -> list[dict]:
    """`Decision.to_json()` of every partial case (by code) on the revision's first day."""
    return [compiled.evaluate(_known(compiled, code), revision.effective_from).to_json()
            for code in range(len(revision.index))]


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b  # JSON values: strings, lists, mappings, null


def _varies_within_an_outcome(revision, decisions: list[dict], key: str) -> bool:
    seen: dict[int, object] = {}
    for code, decision in enumerate(decisions):
        value = decision[key]
        first = seen.setdefault(revision.index[code], value)
        if first is not value and not _same(first, value):
            return True
    return False


class _Table:
    """Distinct values, each stored once; a value is referred to by its position."""

    def __init__(self):
        self.items: list = []
        self._positions: dict[str, int] = {}

    def position(self, value) -> int:
        key = _canonical(value)
        if key not in self._positions:
            self._positions[key] = len(self.items)
            self.items.append(value)
        return self._positions[key]


def _no_policy(compiled) -> dict:
    """The decision before the first revision, each text cut where the engine writes the day."""
    first, second = (compiled.evaluate({}, day).to_json() for day in _PROBE_DAYS)
    fields, cut = {}, {}
    for key, value in first.items():
        if key in CASE_KEYS:
            continue
        if isinstance(value, str) and _PROBE_DAYS[0] in value:
            parts = value.split(_PROBE_DAYS[0])
            if _PROBE_DAYS[1].join(parts) != second[key]:
                raise ValueError(f"the no-policy decision's {key} depends on the day in a way "
                                 "the page cannot reproduce")
            cut[key] = parts
        elif value != second[key]:
            raise ValueError(f"the no-policy decision's {key} depends on the day")
        else:
            fields[key] = value
    return {"fields": fields, "day_in": cut}


def try_data(compiled) -> dict:
    """Everything the page needs, JSON-ready. Per revision: the engine's index (partial-case code ->
    outcome, as a position in `indexes`), each outcome as positions in `values` of its
    `outcome_keys` fields, and for each of `case_keys` (fields that differ within an outcome) a
    per-code index of positions in `values`."""
    decisions = {r.id: _decisions(compiled, r) for r in compiled.revisions}
    keys = list(decisions[compiled.revisions[0].id][0])
    fields = [k for k in keys if k not in CASE_KEYS]
    case_keys = [k for k in fields if any(
        _varies_within_an_outcome(r, decisions[r.id], k) for r in compiled.revisions)]
    outcome_keys = [k for k in fields if k not in case_keys]
    values = {k: _Table() for k in fields}
    indexes = _Table()
    revisions = []
    for revision in compiled.revisions:
        made = decisions[revision.id]
        outcomes = []
        for position in range(len(revision.outcomes)):
            representative = made[revision.index.index(position)]
            outcomes.append([values[k].position(representative[k]) for k in outcome_keys])
        revisions.append({
            **revision.identity(), "index": indexes.position(list(revision.index)),
            "outcomes": outcomes,
            "by_case": {k: indexes.position([values[k].position(d[k]) for d in made])
                        for k in case_keys}})
    return {"format": FORMAT, "policy": compiled.policy_id, "title": compiled.title,
            "columns": [[name, list(values)] for name, values in compiled.columns],
            "text_fields": list(TEXT_FIELDS), "date_fields": list(DATE_FIELDS),
            "keys": keys, "outcome_keys": outcome_keys, "case_keys": case_keys,
            "values": {k: table.items for k, table in values.items()},
            "indexes": indexes.items, "revisions": revisions, "no_policy": _no_policy(compiled)}


def data_block(data: dict) -> str:
    """The data as an inert <script type="application/json"> element on one line."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="try-data">{text}</script>'


def case_query(case: dict, as_of: str) -> str:
    """The page's URL query for a case (`as_of=...&field=value...`), values as on the command
    line."""
    words = {"as_of": as_of}
    words.update({k: "true" if v is True else "false" if v is False else str(v)
                  for k, v in case.items() if v is not None})
    return urlencode(words)


def _link(text: str, target: str) -> str:
    return f"[{text}]({target})"  # the page is at the site's top level


def contract_markdown() -> list[str]:
    """The page's contract as a Markdown table (for the home page and the page itself)."""
    lines = ['<div class="try-contract" markdown>', "",
             "| element id | `data-value` |", "|---|---|"]
    lines += [f"| `{element}` | {meaning} |" for element, meaning in CONTRACT]
    return lines + ["", "</div>"]


def _controls(compiled) -> list[str]:
    lines = ['<form id="try-form" class="try-form" autocomplete="off">',
             '<fieldset class="try-field try-date" data-field="as_of">',
             '<legend>date of service <code>as_of</code></legend>',
             '<input type="date" id="as_of" name="as_of" min="0001-01-01" max="9999-12-31">',
             '<select id="as_of-revision" aria-label="the first day of a revision">',
             '<option value="">or the first day of a revision…</option>']
    for revision in compiled.revisions:
        day = html.escape(revision.effective_from, quote=True)
        lines.append(f'<option value="{day}">{html.escape(revision.id)} · version '
                     f'{html.escape(revision.version)} · from {day}</option>')
    lines += ['</select>', '<button type="button" id="as_of-today">today</button>',
              '</fieldset>']
    for name, values in compiled.columns:
        field = html.escape(name, quote=True)
        lines += [f'<fieldset class="try-field" data-field="{field}">',
                  f'<legend><code>{html.escape(name)}</code></legend>']
        options = [("", "unknown")] + [
            ("true" if v is True else "false" if v is False else str(v),) * 2 for v in values]
        for i, (value, label) in enumerate(options):
            css = ' class="try-unknown"' if value == "" else ""
            lines.append(f'<label{css}><input type="radio" name="{field}" '
                         f'value="{html.escape(value, quote=True)}"> '
                         f'<span>{html.escape(label)}</span></label>')
        lines.append("</fieldset>")
    lines += ['<p class="try-buttons"><button type="button" id="try-clear">all unknown</button>'
              '</p>', "</form>"]
    return lines


def _result() -> list[str]:
    return [
        '<section id="try-result" class="try-result" aria-live="polite">',
        '<div id="problems" class="try-problems" data-value="" hidden></div>',
        '<p class="try-headline"><span id="determination" class="det" data-value="">'
        '</span> <span id="possible" class="try-possible" data-value=""></span></p>',
        '<dl class="try-facts">',
        '<dt>revision</dt><dd id="revision" data-value=""></dd>',
        '<dt>rule</dt><dd id="rule" data-value=""></dd>',
        '<dt>needs</dt><dd id="needs" data-value=""></dd>',
        '<dt>statement</dt><dd id="statement"></dd>',
        '<dt>why</dt><dd id="explanation"></dd>',
        '<dt class="try-optional">disclaimer</dt><dd id="disclaimer" class="try-optional"></dd>',
        '<dt>command</dt><dd><code id="command"></code></dd>',
        '</dl>',
        '<details id="evidence-box" hidden><summary>summary of evidence</summary>'
        '<p id="evidence"></p><p id="evidence-scope" class="try-note"></p></details>',
        '<details id="json-box" hidden><summary>the decision as JSON (as <code>policy evaluate '
        '--json</code> prints it)</summary><pre><code id="decision-json"></code></pre></details>',
        '</section>']


def try_page(compiled, revision_page, examples=()) -> str:
    """The page's Markdown. `revision_page(id)` names a revision's page (the script links to it);
    `examples`: the policy's example links ({label, as_of, case}, its policy.yml's
    site.try_links)."""
    data = try_data(compiled)
    first = compiled.revisions[0]
    boolean = next((name for name, values in compiled.columns if isinstance(values[0], bool)),
                   None)
    boolean_example = f" (`{boolean}=true`)" if boolean else ""
    links = [f"[{md_text(e['label'])}](?{case_query(e['case'], e['as_of'])})" for e in examples]
    before = (datetime.date.fromisoformat(first.effective_from)
              - datetime.timedelta(days=1)).isoformat()
    lines = [
        "---", "hide:", "  - toc", "---", "",
        "# Try a case", "",
        f"Decide a case under {md_text(compiled.policy_id)} as of any date of service, here in "
        "your browser: pick the date and the facts you know; leave a fact unknown when you do not "
        "know it. The page gives what `policy evaluate` gives: the revision in force on that date "
        "(the latest one effective on or before it), the determination and the rule and words "
        "that decide it, or, when the outcome depends on an unknown fact, the facts it needs. "
        f"Before {md_text(first.effective_from)} no revision is in force.", "",
        "The address of this page holds the case, so a link shares the decision; for example "
        + "".join(f"{link}, " for link in links[:-1]) + (f"{links[-1]} or " if links else "")
        + f"[the day before the first revision](?as_of={before}). Everything is decided here: "
        "the page sends nothing anywhere.", "",
        '<div class="try" markdown="0">', "", *_controls(compiled), *_result(), "</div>", "",
        data_block(data), "",
        "## Revision pages", "",
        "<div id=\"try-revision-links\" markdown>", "",
        " · ".join(_link(md_text(r.id), revision_page(r.id)) for r in compiled.revisions), "",
        "</div>", "",
        "## For scripts and tests", "",
        "The link's query holds the case: `as_of` (a date `YYYY-MM-DD`) and any case field, "
        f"values as on the command line{boolean_example}; an omitted field is unknown. A value "
        "the tables do not allow, a date that is not a real `YYYY-MM-DD` day, an unknown field "
        "or a field given twice is shown as invalid and nothing is decided. These elements carry "
        "machine-readable values:", "",
        *contract_markdown(), ""]
    return "\n".join(lines)
