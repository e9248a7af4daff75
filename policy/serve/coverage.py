"""The Da Vinci CRD (STU 2.1) coverage-information extension, and the system action that puts it
on the ordered resource.

What is asserted, and what is left out on purpose: `coverage` (the Coverage the request
prefetched, else a Reference with only a display saying none was given), `covered`, for a
`conditional` assertion `info-needed` (`timeframe` when the date of service is missing, `OTH`
when clinical facts are, with a `reason` text naming them: crd-ci-q3 and crd-ci-q6), a `reason`
text for every other assertion too (what decided it), `date` (the day the assertion is made, UTC)
and `coverage-assertion-id` (the decision's id, which the decision log holds). `pa-needed`,
`doc-needed`, `doc-purpose` and `questionnaire` are never sent: a medical policy does not say
whether prior authorization or documentation is needed, and leaving them out keeps crd-ci-q1,
q2, q4 and q5 true by construction. Every reason carries text, so crd-ci-q7 holds without a
terminology server.
"""

from __future__ import annotations

from typing import Any

EXTENSION_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"


def coverage_information(*, covered: str, coverage: dict[str, Any], date: str,
                         assertion_id: str, info_needed: list[str],
                         reason: str | None) -> dict[str, Any]:
    """The extension (its parts in the order the profile lists them)."""
    parts: list[dict[str, Any]] = [{"url": "coverage", "valueReference": coverage},
                                   {"url": "covered", "valueCode": covered}]
    parts += [{"url": "info-needed", "valueCode": code} for code in info_needed]
    if reason:
        parts.append({"url": "reason", "valueCodeableConcept": {"text": reason}})
    parts += [{"url": "date", "valueDate": date},
              {"url": "coverage-assertion-id", "valueString": assertion_id}]
    return {"url": EXTENSION_URL, "extension": parts}


def with_coverage(order: dict[str, Any], extension: dict[str, Any]) -> dict[str, Any]:
    """The order as sent, with `extension` in place of any coverage information it carried (a
    newer assertion replaces an older one); the order itself is not changed."""
    kept = [e for e in order.get("extension", []) or []
            if not (isinstance(e, dict) and e.get("url") == EXTENSION_URL)]
    return {**order, "extension": [*kept, extension]}


def coverage_reference(resources: Any, not_given: str) -> dict[str, Any]:
    """A Reference to the request's Coverage (an active one first), else one with only a
    display (`not_given`)."""
    found = [r for r, _ in resources.by_type.get("Coverage", []) if isinstance(r.get("id"), str)]
    found.sort(key=lambda r: r.get("status") != "active")
    if found:
        return {"reference": f"Coverage/{found[0]['id']}"}
    return {"display": not_given}


def update_action(order: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "update", "description": description, "resource": order}
