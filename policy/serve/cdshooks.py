"""CDS Hooks 2.0 services for Da Vinci CRD STU 2.1: discovery, and the `order-select` and
`order-sign` services of the served policy.

For each ServiceRequest of the hook's draft orders (for order-select, the selected ones) that the
policy governs (a procedure code its crosswalk of codes, codes.yml, governs on the date of
service), the service reads the order (`fhir`), decides it as of its date of service, and
answers with a card and, where the determination maps to a CRD `covered` code, an `update`
system action putting the coverage-information extension (`coverage`) on the order. An order the
policy does not govern gets neither: no coverage assertion comes from a policy about a service it
does not cover. Every decision is logged; its id is the assertion's `coverage-assertion-id`. The
service reads only what the request carries (the context and prefetch): it never queries the
client's FHIR server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.cases import case_fields
from ..core.decision import INDETERMINATE
from ..core.errors import DataError
from .cards import card, service_words, words
from .coverage import coverage_information, coverage_reference, update_action, with_coverage
from .fhir import OrderFacts, Resources, expect, read_order, refused
from .problems import invalid_case
from .requests import members
from .snapshots import Served

HOOKS = ("order-select", "order-sign")
REQUEST_MEMBERS = ("hook", "hookInstance", "fhirServer", "fhirAuthorization", "context",
                   "prefetch", "extension")


def service_id(policy_id: str, hook: str) -> str:
    return f"{policy_id}-{hook}"


def hook_of(served: Served, service: str) -> str | None:
    """The hook of the service named `service`, or None."""
    for hook in HOOKS:
        if service_id(served.policy_id, hook) == service:
            return hook
    return None


def prefetch_templates(served: Served) -> dict[str, str]:
    found = {"patient": "Patient/{{context.patientId}}",
             "coverage": "Coverage?patient={{context.patientId}}&status=active",
             "conditions": "Condition?patient={{context.patientId}}&clinical-status=active"}
    if served.crd is not None and served.crd.observations:
        codes = sorted({f"{s}|{c}" for r in served.crd.observations for s, c in r.codes})
        found["observations"] = ("Observation?patient={{context.patientId}}&code="
                                 + ",".join(codes))
    return found


def discovery(served: Served) -> dict[str, Any]:
    fields = {"policy": served.policy_id, "title": served.policy.compiled.title}
    return {"services": [{"hook": hook, "id": service_id(served.policy_id, hook),
                          **service_words(hook, **fields),
                          "prefetch": prefetch_templates(served),
                          "usageRequirements": words("usage_requirements")}
                         for hook in HOOKS]}


@dataclass
class Decided:
    """One order's decision, for the log: the decision (None when no day could be read), the
    facts, the case decided, the CRD `covered` code asserted (or None) and the decision's id."""

    decision: dict | None
    facts: OrderFacts
    case: dict[str, object]
    covered: str | None
    decision_id: str


def _orders(hook: str, context: dict) -> list[tuple[dict, str]]:
    bundle = expect(context.get("draftOrders"), dict, "/context/draftOrders", "a Bundle")
    if not bundle or bundle.get("resourceType") != "Bundle":
        raise refused("/context/draftOrders", "/context/draftOrders: a Bundle of the draft "
                                              "orders is required")
    entries = expect(bundle.get("entry"), list, "/context/draftOrders/entry",
                     "a list of entries") or []
    selected = None
    if hook == "order-select":
        selections = expect(context.get("selections"), list, "/context/selections",
                            "a list of references")
        if selections is None:
            raise refused("/context/selections", "/context/selections is required for "
                                                 "order-select")
        selected = {expect(s, str, f"/context/selections/{i}", "a reference")
                    for i, s in enumerate(selections)}
    found = []
    for i, entry in enumerate(entries):
        pointer = f"/context/draftOrders/entry/{i}/resource"
        resource = expect(expect(entry, dict, pointer[:-9], "a Bundle entry").get("resource"),
                          dict, pointer, "a resource")
        if not resource or resource.get("resourceType") != "ServiceRequest":
            continue
        expect(resource.get("extension"), list, pointer + "/extension", "a list of Extensions")
        if selected is not None and f"ServiceRequest/{resource.get('id')}" not in selected:
            continue
        found.append((resource, pointer))
    return found


def answer(served: Served, hook: str, body: Any, *, new_id: Callable[[], str], today: str,
           site_url: str | None) -> tuple[dict[str, Any], list[Decided]]:
    """The CDS Hooks response to `body` and the decisions it made (to be logged before the
    response is sent). RequestRefused for a request the service cannot read."""
    request = members(body, REQUEST_MEMBERS, "a CDS Hooks request")
    if request.get("hook") != hook:
        raise refused("/hook", f"/hook must be '{hook}' for this service")
    expect(request.get("hookInstance"), str, "/hookInstance", "a string (UUID)")
    if not request.get("hookInstance"):
        raise refused("/hookInstance", "/hookInstance is required")
    context = expect(request.get("context"), dict, "/context", "an object")
    if context is None:
        raise refused("/context", "/context is required")
    patient = expect(context.get("patientId"), str, "/context/patientId", "a string")
    prefetch = expect(request.get("prefetch"), dict, "/prefetch", "an object") or {}
    orders = _orders(hook, context)
    resources = Resources(patient, [(context.get("draftOrders"), "/context/draftOrders"),
                                    *((v, f"/prefetch/{k}") for k, v in prefetch.items())])
    crd = served.crd
    cards: list[dict] = []
    actions: list[dict] = []
    decided: list[Decided] = []
    if crd is None:  # the policy says nothing of how to read an order
        return {"cards": [], "systemActions": []}, []
    accepts_codes = "diagnosis" in case_fields(served.policy.compiled.columns)
    crosswalk = served.crosswalk
    readable = {r.input for r in crd.observations} | {getattr(crosswalk, "field", None)}
    coverage = coverage_reference(resources, words("coverage_not_given"))
    labels = served.labels()
    title = served.policy.compiled.title
    for order, pointer in orders:
        facts = read_order(order, pointer, resources, crd, crosswalk,
                           use_crosswalk=not accepts_codes)
        if not facts.governed:
            continue
        case = dict(facts.known)
        if accepts_codes:  # the policy reads the codes itself (case fields diagnosis, procedure)
            case["diagnosis"] = [d.code for d in facts.diagnoses if d.code]
            case["procedure"] = [p.code for p in facts.procedures]
        decision = None
        if facts.service_date is not None:
            try:
                decision = served.policy.evaluate(case, facts.service_date).to_json()
            except DataError as exc:
                raise invalid_case(exc, pointer) from None
        decision_id = new_id()
        if decision is None:
            covered: str | None = "conditional"
            info, reason = ["timeframe"], words("reason_no_date", policy=served.policy_id)
            meaning = words("summary_no_date", title=title)
        else:
            determination = decision["determination"]
            meaning = served.meaning(determination)
            if determination == INDETERMINATE:
                covered, info = "conditional", ["OTH"]
                reason = words("reason_needs", policy=served.policy_id,
                               fields=", ".join(labels.get(n, n) for n in decision["needs"]))
            else:
                covered, info = crd.coverage.get(determination), []
                revision = decision["revision"] or {}
                reason = words("reason_decided", meaning=meaning, policy=served.policy_id,
                               revision=revision.get("id"), rule=decision["rule"])
        needs = (decision or {}).get("needs", [])
        cards.append(card(decision=decision, facts=facts, covered=covered, meaning=meaning,
                          title=title, policy_id=served.policy_id, source_label=crd.card_source,
                          labels=labels, not_read=[n for n in needs if n not in readable],
                          site_url=site_url, revision_page=_revision_page(decision)))
        if covered is not None:
            extension = coverage_information(covered=covered, coverage=coverage, date=today,
                                             assertion_id=decision_id, info_needed=info,
                                             reason=reason)
            actions.append(update_action(with_coverage(order, extension),
                                         words("action_description", order=facts.reference,
                                               policy=served.policy_id)))
        decided.append(Decided(decision, facts, case, covered, decision_id))
    return {"cards": cards, "systemActions": actions}, decided


def _revision_page(decision: dict | None) -> str | None:
    """The revision's page of the policy's site, relative to its root (`use_directory_urls`)."""
    revision = (decision or {}).get("revision")
    if not revision:
        return None
    from ..present.site.paths import revision_page

    try:
        return revision_page(revision["id"])[: -len(".md")] + "/"
    except ValueError:
        return None

