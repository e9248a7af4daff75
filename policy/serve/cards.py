"""The words of the CDS Hooks answers: cards (CDS Hooks 2.0) and the texts of the CRD
coverage information, from `policy/templates/serve/` (`words.yml` and `card.md.j2`), so a
wording edit needs no Python. Every value a card shows is escaped as Markdown by the template
environment (`policy.templating`): codes and texts from the request cannot become live markup.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from ..templating import render
from .fhir import OrderFacts

CARD_LIMIT = 140  # CDS Hooks: a card's summary is under 140 characters
TOPIC_SYSTEM = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"
TOPIC_CODE = "coverage-info"


@cache
def _words() -> dict[str, Any]:
    from importlib.resources import files

    import yaml

    text = (files("policy") / "templates" / "serve" / "words.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def words(key: str, **fields: object) -> str:
    """The text `key` of words.yml with `fields` filled in."""
    return str(_words()[key]).format(**fields)


def service_words(hook: str, **fields: object) -> dict[str, str]:
    found = _words()["services"][hook]
    return {"title": found["title"].format(**fields),
            "description": found["description"].format(**fields)}


def covered_words(covered: str) -> str:
    return str(_words()["covered_words"][covered])


def _summary(text: str) -> str:
    return text if len(text) < CARD_LIMIT else text[:CARD_LIMIT - 2] + "…"


def card(*, decision: dict | None, facts: OrderFacts, covered: str | None, meaning: str,
         title: str, policy_id: str, source_label: str, labels: dict[str, str],
         not_read: list[str], site_url: str | None, revision_page: str | None) -> dict:
    """One order's card: the determination in words, the revision, rule and statement with its
    provenance, what was read from the order, what is needed, the disclaimer, and a link to the
    revision's page on the policy's site (when its address is configured)."""
    if decision is None:
        summary = words("summary_no_date", title=title)
    elif covered is None:
        summary = words("summary_no_assertion", title=title, meaning=meaning)
    else:
        summary = words("summary", title=title, meaning=meaning, covered=covered_words(covered))
    read = [{**code, "names": "; ".join(f"{labels.get(k, k)}: {v}"
                                        for k, v in (code["names"] or {}).items())}
            for code in facts.codes_json() if code["code"]]
    needs = [labels.get(n, n) for n in (decision or {}).get("needs", [])]
    if decision is None:
        needs = [words("reason_no_date", policy=policy_id)]
    detail = render("serve/card.md.j2", meaning=meaning,
                    covered=covered_words(covered) if covered else None,
                    policy=policy_id, as_of=(decision or {}).get("as_of"),
                    revision=(decision or {}).get("revision"), rule=(decision or {}).get("rule"),
                    source=(decision or {}).get("source"),
                    provenance=(decision or {}).get("provenance"), needs=needs, read=read,
                    not_read=[labels.get(n, n) for n in not_read],
                    disclaimer=(decision or {}).get("disclaimer"))
    found: dict[str, Any] = {
        "uuid": str(uuid.uuid4()), "summary": _summary(summary), "detail": detail,
        "indicator": "warning" if covered == "not-covered" else "info",
        "source": {"label": source_label,
                   "topic": {"system": TOPIC_SYSTEM, "code": TOPIC_CODE,
                             "display": words("topic_display")}}}
    revision = (decision or {}).get("revision")
    if site_url and revision and revision_page:
        found["links"] = [{"label": words("link_label", policy=policy_id,
                                          revision=revision["id"]),
                           "url": f"{site_url.rstrip('/')}/{revision_page}", "type": "absolute"}]
    return found
