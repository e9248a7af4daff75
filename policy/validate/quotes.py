"""Quoted text of one revision: every quoted value (history row, description, guidelines,
references, evidence) is in the source; the evidence paragraphs name values of the evidence key."""

from __future__ import annotations

from typing import Any

from ..core.errors import Problem
from ..core.escaping import shown
from ..load.definition import PolicyDefinition
from ..load.model import Revision
from ..load.source import SourceText
from ..load.yaml_loader import KeyPath, Loaded
from .statements import statement_problems


def _quoted_fields(data: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """(path, text) of every value a table quotes from the source, apart from the statements."""
    history = data["revision"]["history"]  # the whole row, so each cell is checked in its place
    fields: list[tuple[KeyPath, str]] = [(("revision", "history", "description"),
               f"{history['date']}\t{history['action']}\t{history['description']}")]
    fields += [(("policy", key), _LABELS.get(key, "") + data["policy"][key])
               for key in ("title", "manual", "original_policy_date") if key in data["policy"]]
    content = data.get("content", {})
    fields += [(("content", key), _LABELS.get(key, "") + content[key]) for key in _CONTENT_TEXT
               if key in content]
    if content.get("fda_product_codes"):
        fields.append((("content", "fda_product_codes"),
                       "FDA product codes: " + ", ".join(content["fda_product_codes"])))
    for i, entry in enumerate(content.get("evidence", [])):
        fields.append((("content", "evidence", i, "text"), entry["text"]))
    for i, guideline in enumerate(content.get("guidelines", [])):
        at = ("content", "guidelines", i)
        fields += [(at + (key,), guideline[key]) for key in ("organisation", "intro",
                                                             "table_title", "footnote")
                   if key in guideline]
        fields += [(at + ("columns", j), column) for j, column in enumerate(guideline["columns"])]
        fields += [(at + ("rows", j, "cells", k), cell)
                   for j, row in enumerate(guideline["rows"]) for k, cell in enumerate(row["cells"])
                   if cell]
    for i, reference in enumerate(content.get("references", [])):
        at = ("content", "references", i)
        citation = reference["citation"]
        if "pmid" in reference:  # the citation and its PMID, as one entry of the list
            citation = f"{citation} PMID {reference['pmid']}"
        fields.append((at + ("citation",), citation))
        if "url" in reference:
            fields.append((at + ("url",), reference["url"]))
    return fields


# Short values are checked with the label the source gives them, so that "None" is the related
# policies' None and not any "None" of the text.
_LABELS = {"original_policy_date": "Original Policy Date: ",
           "related_policies": "Related Policies: ", "policy_guidelines": "POLICY GUIDELINES ",
           "uspstf": "U.S. Preventive Services Task Force Recommendations ",
           "medicare": "Medicare National Coverage "}


# content keys whose whole value is quoted text
_CONTENT_TEXT = ("description", "objective", "policy_guidelines", "benefit_application",
                 "fda_status", "guideline_selection", "uspstf", "medicare", "related_policies",
                 "closing_statement")


def evidence_problems(loaded: Loaded, definition: PolicyDefinition) -> list[Problem]:
    """The values an evidence paragraph is about are values of the policy's evidence_key."""
    problems: list[Problem] = []
    key = definition.evidence_key
    allowed = definition.vocabulary().get(key, ()) if key else ()
    for i, entry in enumerate(loaded.data.get("content", {}).get("evidence", ())):
        at = ("content", "evidence", i)
        named: list[tuple[KeyPath, Any]] = [(at + ("about", j), v)
                                            for j, v in enumerate(entry.get("about", ()))]
        named += [(at + ("about_in_part", j, "value"), part["value"])
                  for j, part in enumerate(entry.get("about_in_part", ()))]
        for path, value in named:
            if value not in allowed:
                problems.append(loaded.problem(
                    path, "UNKNOWN_VALUE",
                    f"{shown(value)} is not a value of the evidence key"
                    + (f" {key} ({', '.join(map(str, allowed))})" if key else
                       " (policy.yml names no evidence_key)")))
    return problems


def text_problems(loaded: Loaded, rev: Revision, source: SourceText,
                   definition: PolicyDefinition) -> list[Problem]:
    problems = statement_problems(loaded, rev, source, definition)
    for path, text in _quoted_fields(loaded.data):
        if text not in source:
            where = ".".join(str(part) for part in path)
            problems.append(loaded.problem(path, "QUOTE_NOT_IN_SOURCE",
                                           f"{where} quotes the source, but the source text does "
                                           "not contain it" + source.nearest_words(text)))
    disclaimer = loaded.data["disclaimer"]
    if disclaimer["provenance"] == "verbatim" and not source.whole_sentences(disclaimer["text"]):
        code = "QUOTE_FRAGMENT" if disclaimer["text"] in source else "QUOTE_NOT_IN_SOURCE"
        nearest = source.nearest_words(disclaimer["text"]) if code == "QUOTE_NOT_IN_SOURCE" else ""
        problems.append(loaded.problem(("disclaimer", "text"), code,
                                       "the disclaimer is marked verbatim but is not whole "
                                       "sentences of the source" + nearest))
    return problems
