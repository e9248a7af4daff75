"""Expected outcomes against what a policy decides: `policy test`.

Each expectation (policy.load.expectation_files) is checked against the compiled policy first (its
case is a valid case, it has a date, and the determination, rule and revision it names exist: every
problem at its line), then decided; an expectation that does not hold is one `Failure`, located at
the line of the first expected value that differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.cases import case_fields, check_case
from ..core.decision import INDETERMINATE, NO_POLICY
from ..core.errors import DataError, Problem
from ..core.escaping import escape, shown
from ..core.record import Record
from ..load.expectation_files import Expectation, read_expectations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..core.compiled import CompiledPolicy
    from ..core.decision import Decision
    from ..core.policy_files import PolicyFiles

_NONE = "none"  # how a missing rule or revision reads in a failure line
_COMPARED = ("determination", "revision", "rule", "needs")  # the first that differs is reported


class Failure(Record):
    """An expectation that does not hold: `FILE:LINE: expected X, got Y (rule R, revision V)`."""

    __slots__ = ()
    file: str
    line: int
    expected: str
    got: str
    rule: str
    revision: str

    def __str__(self) -> str:
        return escape(f"{self.file}:{self.line}: expected {self.expected}, got {self.got} "
                      f"(rule {self.rule}, revision {self.revision})")


def determinations_of(compiled: CompiledPolicy) -> list[str]:
    """Every determination a decision of the policy can carry."""
    return [*compiled.determinations, INDETERMINATE, NO_POLICY]


def expectation_problems(expectations: Sequence[Expectation],
                         compiled: CompiledPolicy) -> list[Problem]:
    """What is wrong with the expectations themselves, given the policy they are about."""
    problems: list[Problem] = []
    revisions = {r.id: r for r in compiled.revisions}
    all_rules = {rule for r in compiled.revisions for rule in r.rules}
    determinations = determinations_of(compiled)
    fields = case_fields(compiled.columns)
    for expectation in expectations:
        data = expectation.data
        case = data["case"]

        def where(path: tuple, *, key: bool = False, _e: Expectation = expectation) -> Any:
            return _e.loaded.where(_e.path("case", *path), key=key)

        try:
            check_case(case, compiled.columns, where=where, file=expectation.file)
        except DataError as exc:
            problems += exc.problems
        if data.get("as_of") is None and case.get("service_date") is None:
            problems.append(expectation.problem(
                (), "EXPECTATION_NO_DATE",
                "no date to decide the case on: give as_of: YYYY-MM-DD, or a service_date in "
                "the case"))
        if data["determination"] not in determinations:
            problems.append(expectation.problem(
                ("determination",), "EXPECTATION_UNKNOWN_DETERMINATION",
                f"{shown(data['determination'])} is not a determination of "
                f"{compiled.policy_id}; one of: {', '.join(determinations)}"))
        revision = data.get("revision")
        if revision is not None and revision not in revisions:
            problems.append(expectation.problem(
                ("revision",), "EXPECTATION_UNKNOWN_REVISION",
                f"{shown(revision)} is no revision of {compiled.policy_id}; revisions: "
                f"{', '.join(revisions)}"))
        rule = data.get("rule")
        in_revision = revisions.get(revision) if revision is not None else None
        known = set(in_revision.rules) if in_revision is not None else all_rules
        if rule is not None and rule not in known:
            scope = f"revision {revision}" if in_revision is not None else compiled.policy_id
            problems.append(expectation.problem(
                ("rule",), "EXPECTATION_UNKNOWN_RULE",
                f"{shown(rule)} is no rule of {scope}; rules: {', '.join(sorted(known))}"))
        for index, name in enumerate(data.get("needs", ())):
            if name not in fields:
                problems.append(expectation.problem(
                    ("needs", index), "UNKNOWN_FIELD",
                    f"needs names {shown(name)}, no field of a case; fields: {', '.join(fields)}"))
    return problems


def _outcome(decision: Decision) -> dict[str, Any]:
    revision = decision.revision["id"] if decision.revision else None
    return {"determination": decision.determination, "revision": revision,
            "rule": decision.rule, "needs": sorted(decision.needs)}


def _said(key: str, value: Any) -> str:
    """An expected or decided value as a failure line names it."""
    if key == "determination":
        return str(value)
    if key == "needs":
        return f"needs {', '.join(value) if value else 'nothing'}"
    return f"{key} {_NONE if value is None else value}"


def run_expectations(expectations: Sequence[Expectation],
                     decide: Callable[[dict, str | None], Decision]) -> list[Failure]:
    """The expectations that do not hold, one `Failure` each, in file and line order.
    `decide(case, as_of)`: the policy's decision (as `Policy.evaluate`); the expectations have
    passed `expectation_problems`."""
    failures = []
    for expectation in expectations:
        data = expectation.data
        expected = {key: data[key] for key in _COMPARED if key in data}
        if "needs" in expected:
            expected["needs"] = sorted(expected["needs"])
        try:
            got = _outcome(decide(data["case"], data.get("as_of")))
        except DataError as exc:  # a case the policy cannot read on its date (a code, say)
            first = exc.problems[0]
            failures.append(Failure(expectation.file, expectation.line_of("determination"),
                                    str(data["determination"]),
                                    f"an invalid case ({first.code}: {first.message})",
                                    _NONE, _NONE))
            continue
        differing = [key for key in expected if expected[key] != got[key]]
        if differing:
            key = differing[0]
            failures.append(Failure(expectation.file, expectation.line_of(key),
                                    _said(key, expected[key]), _said(key, got[key]),
                                    got["rule"] or _NONE, got["revision"] or _NONE))
    return failures


def checked_expectations(files: PolicyFiles,
                         compiled: CompiledPolicy) -> tuple[list[Expectation], list[Problem]]:
    """The policy's expectations, and every problem of their files (syntax, schema, meaning)."""
    expectations, problems = read_expectations(files)
    return expectations, problems + expectation_problems(expectations, compiled)
