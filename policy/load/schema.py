"""JSON Schema checks (draft 2020-12) with format checking on and no network access.

jsonschema is a heavy import, so this module is imported only when a table or case must be checked
against a schema, never on the cached evaluation path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NoReturn

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

from ..core.errors import PolicyIOError, Problem
from ..core.escaping import shown
from . import patterns as bounded_patterns
from .yaml_loader import Loaded

SCHEMA_NAMES = ("revision", "policy", "codes")  # a table; policy.yml; codes.yml (a crosswalk)


class _SlowPattern(ValidationError):
    """A schema's `pattern` that took too long to match a value (see bounded_patterns)."""


def _bounded_pattern(validator: Any, pattern: str, instance: Any,
                     schema: dict[str, Any]) -> Iterator[ValidationError]:
    """The `pattern` keyword, matched in bounded time (jsonschema's uses Python's `re`)."""
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = bounded_patterns.search(pattern, instance)
    except bounded_patterns.PatternTooSlow as exc:
        yield _SlowPattern(str(exc))
        return
    if not matched:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Schemas come from pull requests like the tables: their patterns are bounded too.
_Validator = extend(Draft202012Validator, {"pattern": _bounded_pattern})


def _refuse_retrieval(uri: str) -> NoReturn:
    # no network: every reference must resolve to a local schema
    # (referencing's attrs classes carry a dataclass_transform mypy does not read: hence ignores)
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def parse_schema(path: str, raw: bytes) -> dict[str, Any]:
    """One schema file's bytes, checked as draft 2020-12.

    A schema that is not JSON, or is not a valid draft 2020-12 schema is a `PolicyIOError` (exit 4:
    the installation or repository is broken, not the data)."""
    try:
        schema = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise PolicyIOError(f"{path}: cannot load schema: {str(exc)[:200]}") from None
    if not isinstance(schema, dict) or schema.get("$schema") != \
            "https://json-schema.org/draft/2020-12/schema":
        raise PolicyIOError(f"{path}: cannot load schema: $schema must be draft 2020-12")
    message = _schema_error(raw)
    if message is not None:
        raise PolicyIOError(f"{path}: cannot load schema: {message[:200]}")
    if not isinstance(schema.get("$id", ""), str):
        raise PolicyIOError(f"{path}: cannot load schema: $id must be a string")
    return schema


@lru_cache(maxsize=8)
def _schema_error(raw: bytes) -> str | None:
    """Why a schema's bytes (already read as JSON) are no draft 2020-12 schema, or None. Checking
    the revision schema takes a tenth of a second, and `validate` reads each schema twice (the
    vocabulary, then the validators): the verdict is kept, keyed by the bytes, not the parsed
    (mutable) schema, which each caller gets afresh."""
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(json.loads(raw.decode("utf-8")))
    except (SchemaError, RecursionError) as exc:
        return getattr(exc, "message", "nested too deeply")
    return None


# Keyed by the schemas' own bytes (never by their folder, whose files may change in a long-lived
# process); small, since a process meets one or two versions of the schemas.
@lru_cache(maxsize=8)
def _validators(texts: tuple[tuple[str, bytes], ...]) -> dict[str, Any]:
    resources: list[tuple[str, Resource[Any]]] = []
    schemas: dict[str, dict[str, Any]] = {}
    for name, (path, raw) in zip(SCHEMA_NAMES[:len(texts)], texts, strict=True):
        schema = parse_schema(path, raw)
        schemas[name] = schema
        resource = Resource.from_contents(schema)
        # Register under both the $id and the bare file name used by relative $refs.
        resources += [(schema.get("$id", f"{name}.schema.json"), resource),
                      (f"{name}.schema.json", resource)]
    registry = Registry(retrieve=_refuse_retrieval).with_resources(  # type: ignore[call-arg]
        resources)
    for name, (path, _) in zip(SCHEMA_NAMES[:len(texts)], texts, strict=True):
        _check_references(path, schemas[name], registry)
    return {name: _Validator(schema, registry=registry,
                             format_checker=Draft202012Validator.FORMAT_CHECKER)
            for name, schema in schemas.items()}


def _check_references(path: str, schema: dict[str, Any], registry: Registry[Any]) -> None:
    """Every `$ref` of the schema resolves (to a local schema: nothing is retrieved); a dangling
    one is a PolicyIOError naming the schema file, before any table is checked against it."""
    resolver = registry.resolver(base_uri=schema.get("$id", ""))
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str):
                try:
                    resolver.lookup(reference)
                except Unresolvable:
                    raise PolicyIOError(f"{path}: cannot load schema: $ref {shown(reference)} "
                                        "resolves to nothing") from None
            pending += node.values()
        elif isinstance(node, list):
            pending += node


def _code_and_message(error: ValidationError) -> tuple[str, str, bool]:
    """Map one jsonschema error to (code, message, points-at-key)."""
    kind, instance = error.validator, error.instance
    where = shown(error.json_path, 200)[1:-1]  # a path of long keys is echoed cut short
    if isinstance(error, _SlowPattern):
        return "PATTERN_TOO_SLOW", f"{where}: the schema's pattern: {error.message}", False
    if kind in ("additionalProperties", "unevaluatedProperties"):
        # one problem per unknown key, each naming only its own key (schema_problems): output
        # stays linear in the input however many keys there are
        allowed = sorted(error.schema.get("properties", {}))
        return "UNKNOWN_KEY", f"unknown key \0 at {where}; allowed: {', '.join(allowed)}", True
    if kind == "required":
        return "MISSING_KEY", f"{where}: {error.message}", False
    is_date = error.schema.get("format") == "date"
    is_month = "YYYY-MM," in str(error.schema.get("description", ""))
    if kind in ("format", "pattern", "type") and is_date:
        return ("DATE_INVALID", f"{where}: {shown(instance)} is not a valid date; write "
                                "YYYY-MM-DD, e.g. 2023-10-01 (quoted)", False)
    if kind in ("pattern", "type") and is_month:
        return ("DATE_INVALID", f"{where}: {shown(instance)} is not a month; write YYYY-MM, "
                                f"e.g. \"2015-12\"", False)
    if kind in ("enum", "const"):
        choices = error.validator_value if kind == "enum" else [error.validator_value]
        return ("UNKNOWN_VALUE", f"{where}: {shown(instance)} is not one of "
                                 f"{', '.join(map(str, choices))}", False)
    if kind == "type":
        hint = ""
        if error.validator_value == "boolean" or "boolean" in error.validator_value:
            hint = " (YAML 1.2 booleans are written true or false; yes/no/on/off are strings)"
        return ("WRONG_TYPE",
                f"{where}: {shown(instance)} is not of type {error.validator_value}{hint}", False)
    return "SCHEMA", f"{where}: {error.message}", False


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The most specific errors under an if/then/else or anyOf branch."""
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def schema_problems(loaded: Loaded, schema_name: str,
                    schemas: tuple[tuple[str, bytes], ...]) -> list[Problem]:
    """Every schema violation of the document, each at the line of the offending node.

    `schemas`: (path, bytes) of each of SCHEMA_NAMES, in that order (the first two, or all).
    """
    return _problems(loaded, _validators(schemas)[schema_name])


@lru_cache(maxsize=4)
def _standalone_validator(path: str, raw: bytes) -> Any:
    schema = parse_schema(path, raw)
    registry = Registry(retrieve=_refuse_retrieval).with_resources(  # type: ignore[call-arg]
        [(schema.get("$id", path), Resource.from_contents(schema))])
    _check_references(path, schema, registry)
    return _Validator(schema, registry=registry,
                      format_checker=Draft202012Validator.FORMAT_CHECKER)


def standalone_schema_problems(loaded: Loaded, path: str, raw: bytes) -> list[Problem]:
    """`schema_problems` for a schema that refers to no other (the expectation files')."""
    return _problems(loaded, _standalone_validator(path, raw))


def _problems(loaded: Loaded, validator: Any) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[int, int, str]] = set()
    for error in validator.iter_errors(loaded.data):
        for leaf in _leaves(error):
            code, message, at_key = _code_and_message(leaf)
            path = tuple(leaf.absolute_path)
            if at_key and isinstance(leaf.instance, dict):
                allowed = leaf.schema.get("properties", {})
                for key in sorted(set(leaf.instance) - set(allowed)):
                    problem = loaded.problem(path + (key,), code,
                                             message.replace("\0", shown(key)), key=True)
                    if (problem.line, problem.col, code) not in seen:
                        seen.add((problem.line, problem.col, code))
                        problems.append(problem)
                continue
            problem = loaded.problem(path, code, message)
            if (problem.line, problem.col, code) not in seen:
                seen.add((problem.line, problem.col, code))
                problems.append(problem)
    return problems
