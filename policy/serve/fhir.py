"""Reading a CDS Hooks order (FHIR R4 ServiceRequest) for the facts a policy decides on.

From the ServiceRequest: the procedure codes (`code.coding`), the date of service
(`occurrenceDateTime`, `occurrencePeriod.start`, the earliest `occurrenceTiming.event`, else the
request's own `authoredOn`; the calendar date as written, a time and zone ignored; a date of
year or month precision gives no day), and the diagnoses: `reasonCode` codings, and the
Conditions `reasonReference` names (found among the order's `contained` resources, the draft
orders' Bundle, or the prefetched resources). When the order's reasons name no value of the
policy's diagnosis input, the prefetched Conditions (`conditions`) are read instead. What the
codes name (the governed service, a cancer site) is the policy's own crosswalk of codes
(codes.yml, read by `policy.codesets` on the date of service), never a second one here.
Observations (prefetched `observations`, the draft orders' Bundle) give inputs their value as
the policy's `crd.yml` says. Every code read is kept with where it came from, what it named,
and why not, so the answer can say what was read.

Only what is typed as FHIR types it is read: a member of the wrong JSON type, or a date that is
not a real date, refuses the request (RequestRefused invalid-hook-request, with a JSON pointer).
Conditions and Observations of another patient, or entered in error, are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.dates import check_date
from ..core.escaping import shown
from .crd_config import CrdConfig
from .problems import RequestRefused

_DATE_TIME = re.compile(r"([0-9]{4})(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
                        r"(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?")
_NOT_READ_STATUSES = {"entered-in-error", "cancelled", "preliminary", "registered", "unknown"}


@dataclass
class CodeRead:
    """A code found in the request: its system and code, where it was (`source`), and what it
    named: {input: value}, or `note` saying why nothing."""

    system: str
    code: str
    source: str
    names: dict[str, object] | None = None
    note: str = ""

    def to_json(self) -> dict:
        return {"system": self.system, "code": self.code, "source": self.source,
                "names": self.names, "note": self.note or None}


@dataclass
class OrderFacts:
    """What one order says, as read: see the module."""

    reference: str
    procedures: list[CodeRead] = field(default_factory=list)
    governed: list[str] = field(default_factory=list)
    diagnoses: list[CodeRead] = field(default_factory=list)
    observations: list[CodeRead] = field(default_factory=list)
    service_date: str | None = None
    date_source: str | None = None
    known: dict[str, object] = field(default_factory=dict)  # input -> value read

    def codes_json(self) -> list[dict]:
        return [c.to_json() for c in (*self.procedures, *self.diagnoses, *self.observations)]


def refused(pointer: str, message: str) -> RequestRefused:
    return RequestRefused("invalid-hook-request", message,
                          errors=[{"code": "WRONG_TYPE", "detail": message, "pointer": pointer}])


def expect(value: Any, kind: type | tuple[type, ...], pointer: str, what: str) -> Any:
    """`value` if it is of `kind` (None passes as absent), else refuse the request."""
    if value is not None and not isinstance(value, kind):
        raise refused(pointer, f"{pointer}: {what} expected, found {shown(value, 40)}")
    return value


def _codings(concept: Any, pointer: str) -> list[tuple[str, str]]:
    """(system, code) of each coding of a CodeableConcept with both."""
    concept = expect(concept, dict, pointer, "a CodeableConcept")
    if not concept:
        return []
    found = []
    codings = expect(concept.get("coding"), list, pointer + "/coding", "a list of Codings") or []
    for i, coding in enumerate(codings):
        coding = expect(coding, dict, f"{pointer}/coding/{i}", "a Coding")
        system = expect(coding.get("system"), str, f"{pointer}/coding/{i}/system", "a uri")
        code = expect(coding.get("code"), str, f"{pointer}/coding/{i}/code", "a code")
        if system and code:
            found.append((system, code))
    return found


def day_of(value: Any, pointer: str) -> str | None:
    """The calendar day of a FHIR date or dateTime as written; None for year or month
    precision; refuse what is no FHIR date or no real day."""
    expect(value, str, pointer, "a FHIR dateTime")
    if value is None:
        return None
    if not _DATE_TIME.fullmatch(value):
        raise RequestRefused("invalid-hook-request", f"{pointer}: {shown(value, 40)} is not a "
                             "FHIR date or dateTime", errors=[{
                                 "code": "DATE_INVALID", "pointer": pointer,
                                 "detail": f"{shown(value, 40)} is not a FHIR dateTime"}])
    if len(value) < 10:
        return None
    try:
        check_date(value[:10])
    except ValueError as exc:
        raise RequestRefused("invalid-hook-request", f"{pointer}: {exc}", errors=[{
            "code": "DATE_INVALID", "detail": str(exc), "pointer": pointer}]) from None
    return value[:10]


def service_date(order: dict, pointer: str) -> tuple[str | None, str | None]:
    """(day, which element gave it) of an order."""
    candidates: list[tuple[Any, str]] = [(order.get("occurrenceDateTime"),
                                          "occurrenceDateTime")]
    period = expect(order.get("occurrencePeriod"), dict, pointer + "/occurrencePeriod",
                    "a Period")
    if period:
        candidates.append((period.get("start"), "occurrencePeriod/start"))
    timing = expect(order.get("occurrenceTiming"), dict, pointer + "/occurrenceTiming",
                    "a Timing")
    if timing:
        events = expect(timing.get("event"), list, pointer + "/occurrenceTiming/event",
                        "a list of dateTimes") or []
        days = [day for i, e in enumerate(events)
                if (day := day_of(e, f"{pointer}/occurrenceTiming/event/{i}")) is not None]
        if days:
            candidates.append((min(days), "occurrenceTiming/event"))
    candidates.append((order.get("authoredOn"), "authoredOn"))
    for value, element in candidates:
        day = day_of(value, f"{pointer}/{element}")
        if day is not None:
            return day, element
    return None, None


class Resources:
    """The FHIR resources a request carries, found by reference: the draft orders' Bundle and
    the prefetched resources (each a resource or a Bundle of them)."""

    def __init__(self, patient_id: str | None, bundles: list[tuple[Any, str]]) -> None:
        self.patient_id = patient_id
        self.by_reference: dict[str, dict] = {}
        self.by_type: dict[str, list[tuple[dict, str]]] = {}
        for value, pointer in bundles:
            for resource, where in _resources_of(value, pointer):
                kind, rid = resource.get("resourceType"), resource.get("id")
                if isinstance(kind, str):
                    self.by_type.setdefault(kind, []).append((resource, where))
                    if isinstance(rid, str):
                        self.by_reference.setdefault(f"{kind}/{rid}", resource)

    def of_patient(self, resource: dict) -> bool:
        subject = resource.get("subject")
        reference = subject.get("reference") if isinstance(subject, dict) else None
        return (self.patient_id is None or not isinstance(reference, str)
                or reference == f"Patient/{self.patient_id}")


def _resources_of(value: Any, pointer: str) -> list[tuple[dict, str]]:
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") != "Bundle":
        return [(value, pointer)]
    entries = expect(value.get("entry"), list, pointer + "/entry", "a list of entries") or []
    found = []
    for i, item in enumerate(entries):
        item = expect(item, dict, f"{pointer}/entry/{i}", "a Bundle entry")
        resource = expect(item.get("resource"), dict, f"{pointer}/entry/{i}/resource",
                          "a resource")
        if resource:
            found.append((resource, f"{pointer}/entry/{i}/resource"))
    return found


# FHIR's code-system URLs of the codes a crosswalk reads (HL7 terminology): a diagnosis or a
# procedure; anything else is kept as read and names nothing
DIAGNOSIS_SYSTEMS = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-9-cm")
PROCEDURE_SYSTEMS = ("http://www.ama-assn.org/go/cpt",
                     "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")


def read_order(order: dict, pointer: str, resources: Resources, crd: CrdConfig,
               crosswalk: Any, use_crosswalk: bool) -> OrderFacts:
    """The facts of one ServiceRequest (see the module). `crosswalk`: the policy's crosswalk of
    codes (codes.yml, `policy.codesets`), None without one; `use_crosswalk`: name inputs from
    the diagnosis codes here (False when the policy reads codes itself, as case fields)."""
    kind, rid = order.get("resourceType"), order.get("id")
    facts = OrderFacts(reference=f"{kind}/{rid}" if isinstance(rid, str) else str(kind))
    facts.service_date, facts.date_source = service_date(order, pointer)
    facts.procedures = [CodeRead(system, code, "ServiceRequest.code")
                        for system, code in _codings(order.get("code"), pointer + "/code")]
    _collect_reasons(order, pointer, resources, facts)
    _resolve(facts, crosswalk, use_crosswalk)
    if not any(d.names for d in facts.diagnoses) and not (facts.diagnoses
                                                         and not use_crosswalk):
        # the order's reasons name nothing: the patient's prefetched Conditions may
        for condition, where in resources.by_type.get("Condition", []):
            _read_condition(condition, where, f"prefetched Condition/{condition.get('id')}",
                            resources, facts)
        _resolve(facts, crosswalk, use_crosswalk)
    _read_observations(resources, crd, facts)
    return facts


def _resolve(facts: OrderFacts, crosswalk: Any, use_crosswalk: bool) -> None:
    """What the codes read name, by the policy's crosswalk, on the date of service: the
    governed service among the procedure codes, and the value the diagnosis codes name (codes
    naming two values, or none, leave it unknown; an invalid code names nothing, and says
    why). Without a day, a procedure code is governed when the crosswalk governs it on any."""
    facts.governed = []
    if crosswalk is None:
        for read in (*facts.procedures, *facts.diagnoses):
            read.names, read.note = None, "the policy has no crosswalk of codes"
        return
    from ..codesets.check import read_code
    from ..codesets.resolve import NAMED_ONE, resolve_codes

    procedures = [p for p in facts.procedures if p.system in PROCEDURE_SYSTEMS]
    diagnoses = [d for d in facts.diagnoses if d.system in DIAGNOSIS_SYSTEMS]
    for read in (*facts.procedures, *facts.diagnoses):
        if read not in procedures and read not in diagnoses and read.code:
            read.note = "not a code system the policy's crosswalk reads"
    if facts.service_date is None:
        for read in procedures:
            code = read.code.replace(".", "").strip().upper()
            if any(item.covers(code) for entry in crosswalk.governed() for item in entry.items):
                facts.governed.append(read.code)
                read.note = "the service the policy governs"
        return
    readings = tuple(read_code(r.code, "diagnosis" if r in diagnoses else "procedure",
                               facts.service_date) for r in (*diagnoses, *procedures))
    resolution = resolve_codes(readings, crosswalk)
    for read, reading in zip((*diagnoses, *procedures), resolution.readings, strict=True):
        if not reading.valid:
            read.note = reading.why or "not a valid code on the date of service"
        elif read in procedures:
            governed = reading.code in resolution.governed
            read.note = ("the service the policy governs" if governed
                         else "not the service the policy governs")
            if governed:
                facts.governed.append(read.code)
        elif not use_crosswalk:
            read.note = "passed to the policy as a diagnosis code"
        elif reading.names:
            read.names, read.note = dict(reading.names), "named by the policy's crosswalk"
        else:
            read.note = "names no value of the policy's inputs"
    if use_crosswalk and resolution.naming == NAMED_ONE and resolution.field is not None:
        facts.known[resolution.field] = resolution.value
    else:
        facts.known.pop(resolution.field or "", None)


def _collect_reasons(order: dict, pointer: str, resources: Resources,
                     facts: OrderFacts) -> None:
    reason_codes = expect(order.get("reasonCode"), list, pointer + "/reasonCode",
                          "a list of CodeableConcepts") or []
    for i, concept in enumerate(reason_codes):
        for system, code in _codings(concept, f"{pointer}/reasonCode/{i}"):
            facts.diagnoses.append(CodeRead(system, code, "ServiceRequest.reasonCode"))
    contained = {f"#{r['id']}": r for r in (expect(order.get("contained"), list,
                                                   pointer + "/contained", "a list") or [])
                 if isinstance(r, dict) and isinstance(r.get("id"), str)}
    references = expect(order.get("reasonReference"), list, pointer + "/reasonReference",
                        "a list of References") or []
    for i, ref in enumerate(references):
        ref = expect(ref, dict, f"{pointer}/reasonReference/{i}", "a Reference") or {}
        target = expect(ref.get("reference"), str, f"{pointer}/reasonReference/{i}/reference",
                        "a reference")
        condition = contained.get(target or "") or resources.by_reference.get(target or "")
        source = f"ServiceRequest.reasonReference {target}"
        if condition is None or condition.get("resourceType") != "Condition":
            facts.diagnoses.append(CodeRead("", "", source, note="no Condition of that "
                                            "reference is in the request"))
            continue
        _read_condition(condition, f"{pointer}/reasonReference/{i}", source, resources, facts)


def _read_condition(condition: dict, pointer: str, source: str, resources: Resources,
                    facts: OrderFacts) -> None:
    status = _status_code(condition.get("verificationStatus"), pointer + "/verificationStatus")
    if status in ("entered-in-error", "refuted") or not resources.of_patient(condition):
        return
    for system, code in _codings(condition.get("code"), pointer + "/code"):
        facts.diagnoses.append(CodeRead(system, code, source))


def _status_code(concept: Any, pointer: str) -> str | None:
    codings = _codings(concept, pointer)
    return codings[0][1] if codings else None


def _read_observations(resources: Resources, crd: CrdConfig, facts: OrderFacts) -> None:
    for reading in crd.observations:
        values = set()
        for observation, where in resources.by_type.get("Observation", []):
            if (observation.get("status") in _NOT_READ_STATUSES
                    or not resources.of_patient(observation)):
                continue
            if not set(_codings(observation.get("code"), where + "/code")) & reading.codes:
                continue
            for system, code in _codings(observation.get("valueCodeableConcept"),
                                         where + "/valueCodeableConcept"):
                if system != reading.value_system:
                    continue
                value = reading.value_of(code)
                read = CodeRead(system, code, f"Observation/{observation.get('id')}")
                if value is None:
                    read.note = f"names no value of {reading.input}"
                else:
                    read.names = {reading.input: value}
                    values.add(value)
                facts.observations.append(read)
        if len(values) == 1:  # readings that disagree leave the input unknown
            facts.known[reading.input] = values.pop()
