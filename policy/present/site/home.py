"""The home page: the policy, where to look, the current statements and how to evaluate a case."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ...compare.changelog import RevisionChange
from ...core.value_text import value_text
from ..text import decision_text
from .matrix import determination_labels
from .paths import render_page, site_words
from .try_page import case_query


def command_words(case: dict) -> str:
    return " ".join(f"{k}={value_text(v)}" for k, v in case.items())


def home_page(validated: Any, compiled: Any, changes: list[RevisionChange]) -> str:
    revisions = validated.revisions
    first, latest = revisions[0], revisions[-1]
    site = validated.definition.site
    example = site["example"]
    decision = compiled.evaluate(example["case"], example["as_of"])
    command = (f"$ policy evaluate --as-of {example['as_of']} \\\n    "
               f"{command_words(example['case'])}\n{decision_text(decision)}")
    first_fact = dict(list(example["case"].items())[:1])
    return render_page(
        "home.md.j2", "index.md", revisions=revisions, first=first, latest=latest,
        previous=revisions[-2] if len(revisions) > 1 else None,
        description=latest.content.get("description"), notice=site.get("notice"),
        manual=latest.data["policy"].get("manual"), flips=[c for c in changes if c.flips],
        statements=latest.data["statements"], disclaimer=latest.data["disclaimer"],
        command=command,
        query=Markup(case_query(first_fact, example["as_of"]) + "&..."),
        legend=[(d, short, meaning) for d, (short, meaning)
                in determination_labels(validated.definition, site_words()).items()],
        provenances=["verbatim", "reconstructed"])
