"""Outcomes over time: each kind of case (a row) under each revision (a column)."""

from __future__ import annotations

from typing import Any

from ...compare.changelog import RevisionChange
from ...core.decision import NOT_KNOWN
from ...core.value_text import value_text
from .paths import TRY_PAGE, render_page, site_words
from .try_page import case_query


def determination_labels(definition: Any, words: dict) -> dict[str, tuple[str, str]]:
    """name -> (short label, meaning): the policy's determinations in its order, then the two every
    policy has (`indeterminate`, `no_policy_in_force`), worded by `words` (`site_words`) unless the
    policy.yml rewords them (site.common_determinations)."""
    reworded = definition.site.get("common_determinations", {})
    common = {name: (reworded.get(name, {}).get("short", label["short"]),
                     reworded.get(name, {}).get("meaning", label["meaning"]))
              for name, label in words["determinations"].items()}
    return {**{d.id: (d.short, d.meaning) for d in definition.determinations}, **common}


def value_label(spec: Any, value: Any) -> str:
    """A value as the site shows it: its own words from policy.yml (`value_words`), else the
    value with underscores as spaces."""
    own = (spec.value_words or {}) if spec is not None else {}
    return own.get(value_text(value), value_text(value).replace("_", " "))


def matrix_rows(compiled: Any, definition: Any) -> list[tuple[str, dict]]:
    """(label, case) for every row of the matrix: the rows policy.yml gives (its site.matrix), then,
    if it names an input in `each_other_value_of`, one row for each value of that input that no
    given row has, with nothing else known, labelled with the value's words."""
    matrix = definition.site["matrix"]
    rows = [(row["label"], dict(row["case"])) for row in matrix["rows"]]
    other = matrix.get("each_other_value_of")
    if other is not None:
        spec = {i.name: i for i in definition.inputs}.get(other)
        given = {case.get(other) for _, case in rows}
        rows += [(value_label(spec, value), {other: value})
                 for value in dict(compiled.columns)[other] if value not in given]
    return rows


def matrix_cells(compiled: Any, definition: Any) -> list[tuple[str, dict, list]]:
    """(label, case, [decision under each revision, as of its effective date, or None where the
    revision does not know a value of the case: a later revision introduces it])."""
    return [(label, case, [compiled.evaluate(case, rev.effective_from)
                           if all(rev.knows(name, value) for name, value in case.items())
                           else None for rev in compiled.revisions])
            for label, case in matrix_rows(compiled, definition)]


def matrix_page(compiled: Any, changes: list[RevisionChange], definition: Any) -> str:
    here = "matrix.md"
    flipped = {c.revision.id for c in changes if c.flips}
    words = site_words()
    labels = determination_labels(definition, words)
    rows = []
    for label, case, decisions in matrix_cells(compiled, definition):
        cells = []
        for decision, revision in zip(decisions, compiled.revisions, strict=True):
            if decision is None:  # the revision does not know a value of the case: no decision
                short, meaning = labels[NOT_KNOWN]
                cells.append({"determination": NOT_KNOWN, "short": short, "title": meaning,
                              "target": f"{TRY_PAGE}?{case_query(case, revision.effective_from)}"})
                continue
            short, meaning = labels.get(decision.determination,
                                        (decision.determination, decision.determination))
            why = decision.rule or (words["needs"].format(inputs=", ".join(decision.needs))
                                    if decision.needs else
                                    words["rules_separator"].join(decision.rules))
            cells.append({"determination": decision.determination, "short": short,
                          "title": words["matrix_cell"].format(meaning=meaning, why=why),
                          "target": f"{TRY_PAGE}?{case_query(case, revision.effective_from)}"})
        rows.append((label, cells))
    shown = {cell["determination"] for _, cells in rows for cell in cells}
    legend = [(d, short, meaning) for d, (short, meaning) in labels.items()
              if d != "no_policy_in_force" and (d != NOT_KNOWN or d in shown)]
    return render_page("matrix.md.j2", here, revisions=compiled.revisions, flipped=flipped,
                       rows=rows, legend=legend, about=definition.site["matrix"]["about"])
