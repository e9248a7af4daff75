"""CDS Hooks 2.0 with Da Vinci CRD STU 2.1, against a real `policy serve` process.

Independent checks: every FHIR resource the service returns parses with fhir.resources (FHIR
R4B models, the R4 line's maintained successor: ServiceRequest is the same for every element
used here), and the coverage-information invariants of CRD STU 2.1, crd-ci-q1 to q7, evaluated
with fhirpathpy, hold on every coverage-information extension it returns. The expressions are
the IG's (StructureDefinition-ext-coverage-information, STU 2.1 definitions): q1 to q3, q5 and
q6 as published; q4 as published for 2.1.0 ("If 'pa-needed' is 'satisfied', then 'Doc-purpose'
can't be 'withpa'"); q7 without its last disjunct, `memberOf(...)`, which needs a terminology
server fhirpathpy does not have: a stricter check (a reason must carry text).
"""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from repo_paths import ROOT
from serve_process import Server

pytest.importorskip("starlette")
fhirpathpy = pytest.importorskip("fhirpathpy")
ServiceRequest = pytest.importorskip("fhir.resources.R4B.servicerequest").ServiceRequest

EXT = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
INVARIANTS = {
    "crd-ci-q1": "extension.where(url='questionnaire').exists() implies "
                 "extension.where(url = 'doc-needed').exists()",
    "crd-ci-q2": "extension.where(url = 'covered' and value = 'not-covered').exists() implies "
                 "extension.where(url = 'pa-needed').exists().not()",
    "crd-ci-q3": "extension.where((url = 'covered' or url = 'pa-needed' or url = 'doc-needed') "
                 "and value = 'conditional').count() >= 1 implies "
                 "extension.where(url = 'info-needed').exists()",
    "crd-ci-q4": "extension.where(url = 'pa-needed' and value = 'satisfied') and "
                 "extension.where(url = 'doc-purpose').exists() implies "
                 "extension.where(url = 'doc-purpose').all(value != 'withpa')",
    "crd-ci-q5": "extension.where(url = 'pa-needed' and value = 'satisfied').exists() = "
                 "extension.where(url = 'satisfied-pa-id').exists()",
    "crd-ci-q6": "extension.where(url = 'info-needed' and value = 'OTH').exists() implies "
                 "extension.where(url = 'reason').exists()",
    "crd-ci-q7": "extension.where(url = 'reason').empty() or "
                 "extension.where(url = 'reason').value.text.exists()",
}
# Codes this test's own crd.yml reads margins and recurrence by (example codes: the shipped
# crd.yml reads neither, as no US standard code for them was found).
TEST_OBSERVATIONS = """
  - input: margin_status
    codes: [{system: "http://example.org/obs", code: margins}]
    values: {system: "http://example.org/margin", map: {R1: positive, close: close, R0: negative}}
  - input: recurrent
    codes: [{system: "http://example.org/obs", code: recurrence}]
    values: {system: "http://example.org/yes-no", map: {"Y": true, "N": false}}
"""


def invariants_hold(resource: dict) -> dict[str, list]:
    """Each invariant's value on each coverage-information extension of `resource`, evaluated
    with the FHIR R4 model (which resolves an extension's `value` to its value[x])."""
    from fhirpathpy.models import models

    return {key: fhirpathpy.evaluate(
        resource, f"{resource['resourceType']}.extension.where(url = '{EXT}')"
                  f".select({expression})", {}, models["r4"])
        for key, expression in INVARIANTS.items()}


def wrapped(extension: dict) -> dict:
    return {"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
            "subject": {"reference": "Patient/p1"}, "extension": [extension]}


def order(oid: str, cpt: str = "77425", *, when: dict | None = None, **more) -> dict:
    found = {"resourceType": "ServiceRequest", "id": oid, "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/p1"},
             "code": {"coding": [{"system": CPT, "code": cpt}]}}
    found.update({"occurrenceDateTime": "2024-03-05T10:00:00-05:00"} if when is None else when)
    found.update(more)
    return found


def reason(code: str) -> list[dict]:
    return [{"coding": [{"system": ICD10, "code": code}]}]


def observation(oid: str, system: str, code: str, value_system: str, value: str) -> dict:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": system, "code": code}]},
            "valueCodeableConcept": {"coding": [{"system": value_system, "code": value}]}}


def bundle(*resources: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}


def hook_request(hook: str, *orders: dict, prefetch: dict | None = None,
                 selections: list[str] | None = None) -> dict:
    context = {"userId": "Practitioner/u1", "patientId": "p1", "draftOrders": bundle(*orders)}
    if hook == "order-select":
        context["selections"] = selections or [f"ServiceRequest/{o['id']}" for o in orders]
    coverage = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Coverage", "id": "cov-1", "status": "active"}}]}
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context,
            "prefetch": {"coverage": coverage, **(prefetch or {})}}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server on a copy of the tables whose crd.yml also reads margins and recurrence."""
    folder = tmp_path_factory.mktemp("crd")
    import shutil

    shutil.copytree(ROOT / "tables", folder / "tables")
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    crd = folder / "tables" / "fep-8.01.08" / "crd.yml"
    crd.write_text(crd.read_text(encoding="utf-8") + TEST_OBSERVATIONS, encoding="utf-8")
    with Server("--tables", str(folder / "tables"), "--decision-log", "d.jsonl",
                "--site-url", "https://policy.example/site", cwd=folder) as server:
        server.folder = folder
        yield server


def call(server, hook: str, body: dict) -> dict:
    response = server.post(f"/cds-services/fep-8.01.08-{hook}", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    check_answer(answer)
    return answer


def check_answer(answer: dict) -> None:
    """The independent checks, on every answer."""
    assert set(answer) == {"cards", "systemActions"}
    for card in answer["cards"]:
        assert len(card["summary"]) < 140 and card["indicator"] in ("info", "warning")
        assert card["source"]["label"] and card["detail"]
    for action in answer["systemActions"]:
        assert action["type"] == "update" and action["description"]
        ServiceRequest.model_validate(action["resource"])  # parses as FHIR
        coverage = [e for e in action["resource"]["extension"] if e["url"] == EXT]
        assert len(coverage) == 1
        held = invariants_hold(action["resource"])
        assert all(v == [True] for v in held.values()), held


def parts(action: dict) -> dict[str, list]:
    found: dict[str, list] = {}
    for part in action["resource"]["extension"][-1]["extension"]:
        value = next(v for k, v in part.items() if k.startswith("value"))
        found.setdefault(part["url"], []).append(value)
    return found


def test_discovery_lists_an_order_select_and_an_order_sign_service(served):
    services = served.client.get("/cds-services").json()["services"]
    assert {s["hook"] for s in services} == {"order-select", "order-sign"}
    for service in services:
        assert service["id"] and service["title"] and service["description"]
        assert service["prefetch"]["coverage"].startswith("Coverage?patient=")
        assert "Condition?patient={{context.patientId}}" in service["prefetch"]["conditions"]


def test_a_rectal_cancer_order_with_every_fact_is_covered(served):
    body = hook_request("order-sign", order("sr1", reasonCode=reason("C20")), prefetch={
        "observations": bundle(
            observation("t", "http://loinc.org", "21905-5", "http://cancerstaging.org", "cT4"),
            observation("m", "http://example.org/obs", "margins", "http://example.org/margin",
                        "R1"),
            observation("r", "http://example.org/obs", "recurrence",
                        "http://example.org/yes-no", "N"))})
    answer = call(served, "order-sign", body)
    (action,) = answer["systemActions"]
    found = parts(action)
    assert found["covered"] == ["covered"] and "info-needed" not in found
    assert found["coverage"] == [{"reference": "Coverage/cov-1"}]
    (card,) = answer["cards"]
    assert "medically necessary" in card["summary"] and card["indicator"] == "info"
    assert "rectal-margins-t4" in card["detail"] and "2023-09" in card["detail"]
    assert "warranty" in card["detail"]  # the disclaimer
    assert card["links"][0]["url"] == "https://policy.example/site/revisions/2023-09/"
    logged = [json.loads(line) for line in (served.folder / "d.jsonl").read_text().splitlines()]
    assertion = found["coverage-assertion-id"][0]
    (line,) = [r for r in logged if r["decision_id"] == assertion]
    assert line["covered"] == "covered" and line["coverage_assertion_id"] == assertion
    assert line["determination"] == "medically_necessary" and line["as_of"] == "2024-03-05"


def test_an_order_missing_facts_is_conditional_and_says_what_is_needed(served):
    answer = call(served, "order-sign", hook_request("order-sign",
                                                     order("sr1", reasonCode=reason("c20"))))
    found = parts(answer["systemActions"][0])
    assert found["covered"] == ["conditional"] and found["info-needed"] == ["OTH"]
    text = found["reason"][0]["text"]
    assert "margin status" in text and "T stage" in text
    assert "indeterminate" in answer["cards"][0]["summary"]


def test_other_sites_are_not_covered_from_reasons_contained_and_prefetched(served):
    contained = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                 "code": {"coding": [{"system": ICD10, "code": "C16.9"}]}}
    by_reference = order("sr1", contained=[contained], reasonReference=[{"reference": "#c1"}])
    prefetched = {"conditions": bundle({
        "resourceType": "Condition", "id": "c9", "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": ICD10, "code": "C50.911"}]}})}
    for body in (hook_request("order-sign", by_reference),
                 hook_request("order-sign", order("sr2"), prefetch=prefetched)):
        answer = call(served, "order-sign", body)
        found = parts(answer["systemActions"][0])
        assert found["covered"] == ["not-covered"] and "pa-needed" not in found
        assert answer["cards"][0]["indicator"] == "warning"
        assert "investigational" in answer["cards"][0]["summary"]


def test_codes_naming_two_sites_leave_the_site_unknown(served):
    two = order("sr1", reasonCode=reason("C20") + reason("C16.9"))
    answer = call(served, "order-sign", hook_request("order-sign", two))
    found = parts(answer["systemActions"][0])
    assert found["covered"] == ["conditional"] and "cancer site" in found["reason"][0]["text"]


def test_a_service_the_policy_does_not_govern_gets_no_assertion(served):
    answer = call(served, "order-sign", hook_request("order-sign", order("x", cpt="99213"),
                                                     order("y", cpt="77469",
                                                           reasonCode=reason("C34.90"))))
    assert [a["resource"]["id"] for a in answer["systemActions"]] == ["y"]
    assert len(answer["cards"]) == 1


def test_an_order_without_a_date_needs_the_timeframe(served):
    answer = call(served, "order-sign", hook_request("order-sign", order("sr1", when={})))
    found = parts(answer["systemActions"][0])
    assert found["covered"] == ["conditional"] and found["info-needed"] == ["timeframe"]
    dated = order("sr2", when={"authoredOn": "2016-05-03"}, reasonCode=reason("C16.0"))
    answer = call(served, "order-sign", hook_request("order-sign", dated))
    assert "2015-12" in answer["cards"][0]["detail"]  # decided as of authoredOn
    month_only = order("sr3", when={"occurrenceDateTime": "2024-03"})
    found = parts(call(served, "order-sign",
                       hook_request("order-sign", month_only))["systemActions"][0])
    assert found["info-needed"] == ["timeframe"]


def test_codes_are_read_by_the_policy_s_crosswalk_on_the_date_of_service(served):
    """ICD-9-CM before 2015-10-01 (154.1: rectum), an ICD-10-CM code that day is no valid code
    (named nothing, and the card says why), by the policy's codes.yml, as `policy.codesets`
    reads them."""
    icd9 = [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-9-cm", "code": "154.1"}]}]
    early = order("sr1", when={"occurrenceDateTime": "2014-06-02"},
                  reasonCode=icd9 + reason("C16.9"))
    answer = call(served, "order-sign", hook_request("order-sign", early))
    (card,) = answer["cards"]
    assert "cancer site: rectal" in card["detail"] and "C16.9" in card["detail"]
    assert "2013-12" in card["detail"]  # the revision in force on 2014-06-02
    found = parts(answer["systemActions"][0])
    assert found["covered"] == ["conditional"]  # rectal: margins and more are needed
    assert "cancer site" not in found["reason"][0]["text"]


def test_before_the_first_revision_a_card_and_no_assertion(served):
    early = order("sr1", when={"occurrenceDateTime": "2005-01-01"}, reasonCode=reason("C20"))
    answer = call(served, "order-sign", hook_request("order-sign", early))
    assert answer["systemActions"] == [] and len(answer["cards"]) == 1


def test_order_select_answers_only_the_selected_orders(served):
    body = hook_request("order-select", order("a", reasonCode=reason("C25.0")),
                        order("b", reasonCode=reason("C25.0")),
                        selections=["ServiceRequest/b"])
    answer = call(served, "order-select", body)
    assert [a["resource"]["id"] for a in answer["systemActions"]] == ["b"]


def test_the_order_is_returned_as_sent_with_the_extension_added(served):
    sent = order("sr1", reasonCode=reason("C18.7"), note=[{"text": "keep me"}],
                 extension=[{"url": "http://example.org/x", "valueString": "kept"},
                            {"url": EXT, "extension": [{"url": "covered",
                                                        "valueCode": "covered"}]}])
    answer = call(served, "order-sign", hook_request("order-sign", copy.deepcopy(sent)))
    returned = answer["systemActions"][0]["resource"]
    assert {k: v for k, v in returned.items() if k != "extension"} == \
        {k: v for k, v in sent.items() if k != "extension"}
    assert returned["extension"][0] == sent["extension"][0]  # others kept, the old one replaced
    assert [e["url"] for e in returned["extension"]] == ["http://example.org/x", EXT]


def test_the_invariant_checks_can_fail():
    """The harness itself: with the R4 model fhirpathpy reads an extension's `value` (without
    it, `value` is empty and every invariant holds vacuously), so a conditional assertion
    without info-needed fails crd-ci-q3, a not-covered one with pa-needed q2, and so on."""
    conditional = {"url": EXT, "extension": [{"url": "covered", "valueCode": "conditional"}]}
    assert invariants_hold(wrapped(conditional))["crd-ci-q3"] == [False]
    not_covered = {"url": EXT, "extension": [{"url": "covered", "valueCode": "not-covered"},
                                             {"url": "pa-needed", "valueCode": "no-auth"}]}
    assert invariants_hold(wrapped(not_covered))["crd-ci-q2"] == [False]
    other = {"url": EXT, "extension": [{"url": "info-needed", "valueCode": "OTH"}]}
    assert invariants_hold(wrapped(other))["crd-ci-q6"] == [False]
    no_text = {"url": EXT, "extension": [{"url": "reason", "valueCodeableConcept": {
        "coding": [{"system": "http://example.org", "code": "x"}]}}]}
    assert invariants_hold(wrapped(no_text))["crd-ci-q7"] == [False]


BAD_HOOK_REQUESTS = [
    ("the wrong hook", lambda b: b.update(hook="order-select")),
    ("no context", lambda b: b.pop("context")),
    ("no hookInstance", lambda b: b.pop("hookInstance")),
    ("an unknown member", lambda b: b.update(user="Practitioner/1")),
    ("draftOrders not a Bundle", lambda b: b["context"].update(draftOrders=[1])),
    ("an impossible date", lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(
        occurrenceDateTime="2024-02-30")),
    ("a date that is no FHIR date", lambda b: b["context"]["draftOrders"]["entry"][0][
        "resource"].update(occurrenceDateTime="05/03/2024")),
    ("a coding that is not an object", lambda b: b["context"]["draftOrders"]["entry"][0][
        "resource"]["code"].update(coding=["77425"])),
    ("reasonCode not a list", lambda b: b["context"]["draftOrders"]["entry"][0][
        "resource"].update(reasonCode={"text": "x"})),
]


@pytest.mark.parametrize("what, spoil", BAD_HOOK_REQUESTS, ids=[w for w, _ in BAD_HOOK_REQUESTS])
def test_a_hook_request_the_service_cannot_read_is_a_422_problem(served, what, spoil):
    body = hook_request("order-sign", order("sr1", reasonCode=reason("C20")))
    spoil(body)
    response = served.post("/cds-services/fep-8.01.08-order-sign", body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text


def test_an_unknown_service_is_a_404(served):
    response = served.post("/cds-services/nope", hook_request("order-sign"))
    assert response.status_code == 404
