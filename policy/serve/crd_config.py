"""A policy's `crd.yml`: what the CDS Hooks services need beyond the policy's crosswalk of codes
(codes.yml: the governed service, what diagnosis codes name): which Observations give an input's
value, which CRD `covered` code each determination asserts, and the cards' source.

Policy knowledge, so it lives in the policy's folder, never here: this module only reads and
checks the file (its shape, then every input, value and determination against the policy's own
vocabulary). A policy without the file gets no coverage assertion from the services.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from ..core.errors import DataError, Problem
from ..load.yaml_loader import Loaded, load_yaml

if TYPE_CHECKING:
    from ..core.partial_cases import Value

FILE_NAME = "crd.yml"
COVERED_CODES = ("covered", "not-covered", "conditional")  # CRD STU 2.1 CoveredInfo
_TEXT = {"type": "string", "minLength": 1}
_CODING = {"type": "object", "additionalProperties": False, "required": ["system", "code"],
           "properties": {"system": _TEXT, "code": _TEXT}}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False,
    "required": ["card_source", "coverage"],
    "properties": {
        "card_source": _TEXT,
        "coverage": {"type": "object", "additionalProperties": {"enum": list(COVERED_CODES[:2])}},
        "observations": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["input", "codes", "values"],
            "properties": {
                "input": _TEXT, "note": _TEXT,
                "codes": {"type": "array", "minItems": 1, "items": _CODING},
                "values": {
                    "type": "object", "additionalProperties": False, "required": ["system", "map"],
                    "properties": {"system": _TEXT,
                                   "prefixes": {"type": "array", "items": _TEXT},
                                   "map": {"type": "object",
                                           "additionalProperties": {"type": ["string",
                                                                             "boolean"]}}}}}}},
    },
}


@dataclass(frozen=True)
class ObservationReading:
    """Observations that give `input` a value: their code (any of `codes`, (system, code)
    pairs), and their valueCodeableConcept coding of `value_system`, its code without one of
    `prefixes`, mapped by `value_map`."""

    input: str
    codes: frozenset[tuple[str, str]]
    value_system: str
    prefixes: tuple[str, ...]
    value_map: dict[str, Value]

    def value_of(self, code: str) -> Value | None:
        """The input's value a value code names, or None."""
        for prefix in ("", *sorted(self.prefixes, key=len, reverse=True)):
            if code.startswith(prefix) and code[len(prefix):] in self.value_map:
                return self.value_map[code[len(prefix):]]
        return None


@dataclass(frozen=True)
class CrdConfig:
    card_source: str
    coverage: dict[str, str]  # determination -> CRD covered code (indeterminate: conditional)
    observations: tuple[ObservationReading, ...]


def read_crd_config(folder: str, raw: bytes | None, vocabulary: dict[str, tuple],
                    determinations: tuple[str, ...]) -> CrdConfig | None:
    """The checked `crd.yml` of a policy (`raw`: its bytes, None when absent); DataError naming
    every problem, each at its line."""
    if raw is None:
        return None
    from ..core.policy_files import display_path

    loaded = load_yaml(raw, display_path(os.path.join(folder, FILE_NAME)))
    problems = _shape_problems(loaded)
    if not problems:
        problems = _meaning_problems(loaded, vocabulary, determinations)
    if problems:
        raise DataError(problems)
    return _build(loaded.data)


def _shape_problems(loaded: Loaded) -> list[Problem]:
    problems = []
    for error in Draft202012Validator(SCHEMA).iter_errors(loaded.data):
        path = tuple(error.absolute_path)
        where = "/".join(map(str, path)) or "the file"
        kind = error.validator
        if kind == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            for key in sorted(set(error.instance) - set(allowed)):
                problems.append(loaded.problem(path + (key,), "UNKNOWN_KEY",
                                               f"unknown key '{key}' at {where}; allowed: "
                                               f"{', '.join(sorted(allowed))}", key=True))
            if allowed:
                continue
        code = {"required": "MISSING_KEY", "enum": "UNKNOWN_VALUE",
                "type": "WRONG_TYPE"}.get(kind, "SCHEMA")
        problems.append(loaded.problem(path, code, f"{where}: {error.message}"))
    return problems


def _meaning_problems(loaded: Loaded, vocabulary: dict[str, tuple],
                      determinations: tuple[str, ...]) -> list[Problem]:
    data, problems = loaded.data, []

    def value_problem(path: tuple, input_name: str, value: Any) -> None:
        allowed = vocabulary[input_name]
        if type(value) is not type(allowed[0]) or value not in allowed:
            problems.append(loaded.problem(path, "UNKNOWN_VALUE",
                                           f"{value!r} is not a value of {input_name}: "
                                           f"{', '.join(map(str, allowed))}"))

    def input_problem(path: tuple, name: str) -> bool:
        if name not in vocabulary:
            problems.append(loaded.problem(path, "UNKNOWN_COLUMN",
                                           f"'{name}' is not an input of the policy: "
                                           f"{', '.join(vocabulary)}"))
            return True
        return False

    for determination in data["coverage"]:
        if determination not in determinations:
            problems.append(loaded.problem(("coverage", determination), "UNKNOWN_VALUE",
                                           f"'{determination}' is not a determination of the "
                                           f"policy: {', '.join(determinations)}", key=True))
    for i, reading in enumerate(data.get("observations", [])):
        if not input_problem(("observations", i, "input"), reading["input"]):
            for key, value in reading["values"]["map"].items():
                value_problem(("observations", i, "values", "map", key), reading["input"], value)
    return problems


def _build(data: dict[str, Any]) -> CrdConfig:
    return CrdConfig(
        card_source=data["card_source"], coverage=dict(data["coverage"]),
        observations=tuple(ObservationReading(
            input=r["input"], codes=frozenset((c["system"], c["code"]) for c in r["codes"]),
            value_system=r["values"]["system"], prefixes=tuple(r["values"].get("prefixes", [])),
            value_map=dict(r["values"]["map"])) for r in data.get("observations", [])))
