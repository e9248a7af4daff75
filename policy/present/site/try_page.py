"""The site's "Try a case" page: every decision of every revision, shipped to the browser.

`try_data` lays out the compiled policy for the page's script (`docs/assets/try.js`): the inputs
(`CompiledPolicy.columns`) and, per revision, the engine's own mixed-radix index (partial-case
code -> outcome) with one record per outcome. A record holds what `Decision.to_json()` gives for
that outcome, taken from `CompiledPolicy.evaluate` itself, so the page shows what `policy evaluate
--json` prints, including any field the engine adds later. Every partial case is evaluated at build
time; a field that differs between partial cases of one outcome (the summary of evidence, chosen by
the policy's evidence key) is stored per partial case instead. Each distinct value is stored once.
Only the case's own fields (the date, the known facts, the case id) are filled in by the page.
Diagnosis and procedure codes are read by `docs/assets/try-codes.js` from `code_sets`: the part of
the code sets the policy's crosswalk covers (`codesets.covered`), never the full code sets.
Before the first revision nothing is in force; the no-policy decision is stored with the day cut
out of its text, so the page names the day as the engine does.

`try_page` is the page's Markdown: an inert JSON block (`<`, `>` and `&` written as JSON escapes, so
table text can neither close the block nor become markup) and the HTML the script fills in with
text nodes only. The page's contract (element ids and `data-value`s) is
`policy/present/templates/site/contract.md.j2`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from ...codesets.case_codes import crosswalk_of
from ...codesets.check import ICD10_FROM
from ...codesets.covered import DistinctValues, code_sets_for
from ...core.cases import CODE_FIELDS, DATE_FIELDS, TEXT_FIELDS
from ...core.errors import SiteError
from ...core.partial_cases import decode
from ...core.value_text import value_text
from ..markdown import md_text
from ..provenance import DEFINITION_LABELS
from ..templating import render

FORMAT = 2  # bump when the data's shape changes (docs/assets/try.js reads it)
# The decision's fields that come from the case, not from the tables: the page fills them in.
CASE_KEYS = ("as_of", "case", "case_id")
# Two days before any revision: the no-policy decision is stored with the day cut out of its text.
_PROBE_DAYS = ("0001-01-01", "0002-02-02")


def _decisions(compiled: Any, revision: Any) -> list[dict]:
    """`Decision.to_json()` of every partial case (by code) on the revision's first day. A case
    using a value the revision does not know stands in as the case with nothing known: the page
    never shows it (it names the value as a problem, see `_not_known`)."""
    decided = []
    for code in range(len(revision.outcome_at)):
        case = decode(compiled.columns, code)
        if not all(revision.knows(name, value) for name, value in case.items()):
            case = {}
        decided.append(compiled.evaluate(case, revision.effective_from).to_json())
    return decided


def _not_known(compiled: Any, revision: Any) -> list[list[str]]:
    """[[field, value as on the command line, the engine's message], ...]: the values the
    revision does not know (a later revision introduces them); a case using one is a problem."""
    return [[name, value_text(value), compiled.not_known_message(revision, name, value)]
            for name, values in revision.unknown for value in values]


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b  # JSON values: strings, lists, mappings, null


def _varies_within_an_outcome(revision: Any, decisions: list[dict], key: str) -> bool:
    seen: dict[int, object] = {}
    for code, decision in enumerate(decisions):
        value = decision[key]
        first = seen.setdefault(revision.outcome_at[code], value)
        if first is not value and not _same(first, value):
            return True
    return False


def _no_policy(compiled: Any) -> dict:
    """The decision before the first revision, each text cut where the engine writes the day."""
    first, second = (compiled.evaluate({}, day).to_json() for day in _PROBE_DAYS)
    fields, cut = {}, {}
    for key, value in first.items():
        if key in CASE_KEYS:
            continue
        if isinstance(value, str) and _PROBE_DAYS[0] in value:
            parts = value.split(_PROBE_DAYS[0])
            if _PROBE_DAYS[1].join(parts) != second[key]:
                raise SiteError(f"the no-policy decision's {key} depends on the day in a way "
                                 "the page cannot reproduce")
            cut[key] = parts
        elif value != second[key]:
            raise SiteError(f"the no-policy decision's {key} depends on the day")
        else:
            fields[key] = value
    return {"fields": fields, "day_in": cut}


def try_data(compiled: Any) -> dict:
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
    values = {k: DistinctValues() for k in fields}
    indexes = DistinctValues()
    revisions = []
    for revision in compiled.revisions:
        made = decisions[revision.id]
        outcomes = []
        for position in range(len(revision.outcomes)):
            representative = made[revision.outcome_at.index(position)]
            outcomes.append([values[k].position(representative[k]) for k in outcome_keys])
        revisions.append({
            **revision.identity(), "index": indexes.position(list(revision.outcome_at)),
            "outcomes": outcomes, "not_known": _not_known(compiled, revision),
            "by_case": {k: indexes.position([values[k].position(d[k]) for d in made])
                        for k in case_keys}})
    return {"format": FORMAT, "policy": compiled.policy_id, "title": compiled.title,
            "columns": [[name, list(values)] for name, values in compiled.columns],
            "text_fields": list(TEXT_FIELDS), "date_fields": list(DATE_FIELDS),
            "code_fields": list(CODE_FIELDS),  # read by docs/assets/try-codes.js
            "code_sets": code_sets_for(crosswalk_of(compiled)),
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
    words.update({k: value_text(v) for k, v in case.items() if v is not None})
    return urlencode(words)


# Codes shown as examples by a page whose policy has no crosswalk (the forms' own examples)
_PLAIN_EXAMPLES = {"diagnosis": "C18.7", "procedure": "99213"}


def code_examples(crosswalk: dict | None) -> dict[str, str]:
    """An example of each code field for the page's labels: the first single code the policy's
    crosswalk (its plain form) names a value by, and its first governed procedure code."""
    found = dict(_PLAIN_EXAMPLES)
    for kind, field in (("names", "diagnosis"), ("governed", "procedure")):
        for entry in (crosswalk or {}).get("entries", ()):
            codes = [item[3] for item in entry[4] if not item[2]]
            if entry[0] == kind and codes and entry[3] != "ICD-9-CM":
                found[field] = codes[0]
                break
    return found


def _example_query(definition: Any) -> str | None:
    """The query of the policy's example case (policy.yml's site.example), which the page decides
    when it is opened with no case; None without one."""
    example = (definition.site.get("example") if definition is not None else None) or None
    return case_query(example["case"], example["as_of"]) if example else None


def try_page(compiled: Any, revision_page: Callable[[str], str], examples: Any = (),
             definition: Any = None) -> str:
    """The page's Markdown. `revision_page(id)` names a revision's page (the script links to it);
    `examples`: the policy's example links ({label, as_of, case}, its policy.yml's
    site.try_links); `definition` (policy.yml's) gives the inputs' labels and what each value
    means."""
    first = compiled.revisions[0]
    inputs = {i.name: i for i in definition.inputs} if definition is not None else {}
    fields = [{"name": name, "label": inputs[name].label if name in inputs else None,
               "options": [(value_text(v), value_text(v)) for v in values],
               "meanings": [(value_text(v), inputs[name].definition(v)) for v in values
                            if inputs[name].definition(v)] if name in inputs else []}
              for name, values in compiled.columns]
    before = (datetime.date.fromisoformat(first.effective_from)
              - datetime.timedelta(days=1)).isoformat()
    text = render(
        "site/try.md.j2", policy_id=compiled.policy_id, first=first,
        revisions=compiled.revisions, fields=fields, examples=examples,
        example_link=lambda e: Markup(f"[{md_text(e['label'])}]"
                                      f"(?{case_query(e['case'], e['as_of'])})"),
        before_target=f"?as_of={before}", data_block=Markup(data_block(try_data(compiled))),
        example_query=_example_query(definition),
        revision_page=revision_page, reading_mark=DEFINITION_LABELS["reading"],
        code_fields=CODE_FIELDS, icd10_from=ICD10_FROM,
        code_field=(compiled.crosswalk or {}).get("field"),
        code_examples=code_examples(compiled.crosswalk),
        has_crosswalk=compiled.crosswalk is not None,
        boolean=next((name for name, values in compiled.columns if isinstance(values[0], bool)),
                     None))
    return text.removesuffix("\n")
