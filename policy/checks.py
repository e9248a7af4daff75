"""`policy validate`: the schema first, then the semantic checks, collecting every problem.

Per table: file name = revision id, policy id = folder, approval month before `effective_from`, the
inputs are the case vocabulary, rule ids unique, conditions on declared columns and values only, the
table complete under its hit policy with no overlap and no rule that can never fire; each rule
cites a statement of its own determination (or `none`, where policy.yml allows it), each
statement's words name its determination (policy.yml gives the words), verbatim statements are
whole sentences of the source and every other quoted value is in it; a stated effective date is
the source's, an inferred one follows the rule. Across tables:
ids unique, effective dates and versions strictly increasing. The policy's own file, policy.yml, is
checked first: the tables are read with its vocabulary and determinations; then its crosswalk of
codes, codes.yml, when it has one (policy/codesets/crosswalk.py).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dates import first_of_next_month
from .definition import PolicyDefinition, SlowWords, build_definition, definition_problems
from .errors import DataError, PolicyIOError, Problem
from .escaping import shown
from .model import Revision, build_revision
from .snapshot import Snapshot, read_snapshot
from .source import SourceText, normalize_text, whole_sentences_of  # noqa: F401 (re-exported)
from .tables import PolicyFiles, display_path
from .yaml_loader import KeyPath, Loaded, load_yaml, read_yaml_file

if TYPE_CHECKING:
    import semver

MAX_EXAMPLES = 3


@dataclass(frozen=True)
class ValidatedPolicy:
    files: PolicyFiles
    revisions: tuple[Revision, ...]  # in effective order
    definition: PolicyDefinition  # its policy.yml


def load_definition(snapshot: Snapshot, schemas: tuple[tuple[str, bytes], ...]) -> PolicyDefinition:
    """The policy's policy.yml, checked by its schema and `definition.definition_problems`;
    DataError listing every problem (the tables cannot be checked without it)."""
    from .schema import schema_problems

    path = snapshot.files.definition_file
    loaded = load_yaml(snapshot.read(path), display_path(path))
    problems = schema_problems(loaded, "policy", schemas) or definition_problems(loaded)
    if problems:
        raise DataError(problems)
    return build_definition(loaded)


def crosswalk_file_problems(snapshot: Snapshot, definition: PolicyDefinition) -> list[Problem]:
    """The problems of the policy's crosswalk of codes, codes.yml (policy/codesets/crosswalk.py);
    [] when it is sound."""
    from .codesets.crosswalk import crosswalk_problems

    path = snapshot.files.codes_file
    assert path is not None
    try:
        loaded = load_yaml(snapshot.read(path), display_path(path))
    except DataError as exc:
        return exc.problems
    schemas = (snapshot.schema("revision"), snapshot.schema("policy"), snapshot.schema("codes"))
    return crosswalk_problems(loaded, definition, schemas)


def _looks_like_a_table(data: object, keys: Iterable[str]) -> bool:
    """A mapping sharing a top-level key with the revision schema (`keys`: its properties): any
    other document may be a file that is no table at all (credentials, a key), and its content is
    never echoed."""
    return isinstance(data, dict) and any(key in keys for key in data)


def _describe(case: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v) if isinstance(v, bool) else v}" for k, v in case.items())


def _table_problems(loaded: Loaded, rev: Revision, definition: PolicyDefinition) -> list[Problem]:
    problems: list[Problem] = []
    table = loaded.data["table"]
    vocabulary = definition.vocabulary()
    seen_columns: dict[str, int] = {}
    for i, column in enumerate(rev.columns):
        if column.name in seen_columns:
            problems.append(loaded.problem(("table", "inputs", i, "name"), "DUPLICATE_INPUT",
                                           f"input column '{column.name}' is declared twice"))
        seen_columns[column.name] = i
        expected = vocabulary.get(column.name)
        if expected is None:
            problems.append(loaded.problem(
                ("table", "inputs", i, "name"), "INPUT_DOMAIN",
                f"input '{column.name}' is not an input of the policy (policy.yml: "
                f"{', '.join(vocabulary)})"))
        elif set(column.values) != set(expected) or any(
                isinstance(v, bool) != isinstance(expected[0], bool) for v in column.values):
            missing = [v for v in expected if v not in column.values]
            extra = [v for v in column.values if v not in expected]
            problems.append(loaded.problem(
                ("table", "inputs", i, "values"), "INPUT_DOMAIN",
                f"input '{column.name}' must list exactly the case vocabulary; "
                f"missing: {missing or 'none'}; not in the vocabulary: {extra or 'none'}"))
    absent = [name for name in vocabulary if name not in seen_columns]
    if absent:
        problems.append(loaded.problem(("table", "inputs"), "INPUT_DOMAIN",
                                       f"the inputs must be every input of the policy; missing: "
                                       f"{', '.join(absent)}"))
    domains = {c.name: c.values for c in rev.columns}
    determinations = definition.order()

    first_rule_line: dict[str, int] = {}
    for i, rule in enumerate(rev.rules):
        at = ("table", "rules", i)
        if rule.id in first_rule_line:
            problems.append(loaded.problem(at + ("id",), "DUPLICATE_RULE_ID",
                                           f"rule id '{rule.id}' is used again "
                                           f"(first at line {first_rule_line[rule.id]})"))
        else:
            first_rule_line[rule.id] = loaded.where(at + ("id",))[0]
        for name, allowed in rule.when.items():
            if name not in domains:
                problems.append(loaded.problem(
                    at + ("when", name), "UNKNOWN_COLUMN",
                    f"rule '{rule.id}' conditions on '{name}', which is not an input column "
                    f"({', '.join(domains)})", key=True))
                continue
            for j, value in enumerate(table["rules"][i]["when"][name]
                                      if allowed is not None else ()):
                boolean = isinstance(domains[name][0], bool)
                if boolean and not isinstance(value, bool):
                    problems.append(loaded.problem(
                        at + ("when", name, j), "WRONG_TYPE",
                        f"rule '{rule.id}': {shown(value)} is not of type boolean (YAML 1.2 "
                        "booleans are written true or false; yes/no/on/off are strings)"))
                elif value not in domains[name] or isinstance(value, bool) != boolean:
                    problems.append(loaded.problem(
                        at + ("when", name, j), "UNKNOWN_VALUE",
                        f"rule '{rule.id}': {value!r} is not a value of '{name}' "
                        f"({', '.join(map(str, domains[name]))})"))
        if rule.then not in determinations:
            problems.append(loaded.problem(at + ("then",), "UNKNOWN_VALUE",
                                           f"rule '{rule.id}': {shown(rule.then)} is not one of "
                                           f"{', '.join(determinations)}"))
        for name in domains:
            if name not in rule.when:
                problems.append(loaded.problem(at + ("when",), "MISSING_CONDITION",
                                               f"rule '{rule.id}' has no condition for '{name}'; "
                                               f"write '{name}: any' if every value applies"))
    if problems:
        return problems  # the coverage check needs well-formed rules and columns
    return _coverage_problems(loaded, rev)


def _coverage_problems(loaded: Loaded, rev: Revision) -> list[Problem]:
    """Every complete case gets exactly one outcome; no overlap that disagrees; every rule can
    fire."""
    problems: list[Problem] = []
    names = [c.name for c in rev.columns]
    uncovered: list[dict[str, Any]] = []
    overlaps: dict[tuple[int, ...], list[dict[str, Any]]] = {}
    fired = [0] * len(rev.rules)
    for values in itertools.product(*(c.values for c in rev.columns)):
        case = dict(zip(names, values, strict=True))
        hits = [r for r in rev.rules if r.matches(case)]
        if not hits:
            uncovered.append(case)
            continue
        fired[hits[0].index] += 1
        if rev.hit_policy == "first":
            continue
        if len(hits) > 1:
            if rev.hit_policy == "any":
                for r in hits[1:]:
                    fired[r.index] += 1
            if rev.hit_policy == "unique" or len({r.then for r in hits}) > 1:
                overlaps.setdefault(tuple(r.index for r in hits), []).append(case)
    if uncovered:
        examples = "; ".join(_describe(c) for c in uncovered[:MAX_EXAMPLES])
        problems.append(loaded.problem(("table", "rules"), "INCOMPLETE_TABLE",
                                       f"{len(uncovered)} complete case(s) match no rule, e.g. "
                                       f"{examples}"))
    for indexes, cases in overlaps.items():
        rules = [rev.rules[i] for i in indexes]
        ids = ", ".join(f"'{r.id}' ({r.then}, line {loaded.where(('table', 'rules', r.index))[0]})"
                        for r in rules)
        why = ("the unique hit policy allows no overlap" if rev.hit_policy == "unique"
               else "overlapping rules must agree under the any hit policy")
        problems.append(loaded.problem(("table", "rules", indexes[1]), "OVERLAP",
                                       f"rules {ids} all match {len(cases)} case(s), e.g. "
                                       f"{_describe(cases[0])}; {why}"))
    for rule in rev.rules:
        if not fired[rule.index]:
            matches_a_case = any(rule.matches(dict(zip(names, v, strict=True)))
                                 for v in itertools.product(*(c.values for c in rev.columns)))
            reason = ("earlier rules decide every case it matches (hit policy first)"
                      if matches_a_case else "it matches no case")
            problems.append(loaded.problem(("table", "rules", rule.index), "UNREACHABLE_RULE",
                                           f"rule '{rule.id}' can never fire: {reason}"))
    return problems


def named_determinations(text: str, definition: PolicyDefinition) -> set[str]:
    """The determinations that the words of a statement name (policy.yml gives the words)."""
    return definition.named_determinations(normalize_text(text).lower())


def _statement_problems(loaded: Loaded, rev: Revision, source: SourceText,
                        definition: PolicyDefinition) -> list[Problem]:
    """Each statement's words name its own determination and no other; verbatim words are whole
    sentences of the source; each rule cites a statement of its own determination (or none, where
    policy.yml allows it)."""
    problems: list[Problem] = []
    statements: dict[str, dict[str, Any]] = {}
    stated = [d.id for d in definition.determinations if d.words is not None]
    unstated = [d.id for d in definition.determinations if d.no_statement]
    for i, statement in enumerate(loaded.data["statements"]):
        if statement["id"] in statements:
            problems.append(loaded.problem(
                ("statements", i, "id"), "DUPLICATE_STATEMENT_ID",
                f"statement id '{statement['id']}' is used again; a rule must cite one statement"))
        statements.setdefault(statement["id"], statement)
        if statement["determination"] not in stated:
            problems.append(loaded.problem(
                ("statements", i, "determination"), "UNKNOWN_VALUE",
                f"statement '{statement['id']}': {shown(statement['determination'])} is not one of "
                f"{', '.join(stated)}"))
            continue
        try:
            named = named_determinations(statement["text"], definition)
        except SlowWords as slow:  # at the pattern in policy.yml (once: see load_and_validate)
            problems.append(slow.problem)
            continue
        if named != {statement["determination"]}:
            said = " and ".join(sorted(named)) or "no determination"
            problems.append(loaded.problem(
                ("statements", i, "text"), "STATEMENT_WORDING",
                f"statement '{statement['id']}' is {statement['determination']} but its words name "
                f"{said}; change the words with the determination"))
        if statement["provenance"] != "verbatim":
            continue
        if statement["text"] not in source:
            problems.append(loaded.problem(
                ("statements", i, "text"), "QUOTE_NOT_IN_SOURCE",
                f"statement '{statement['id']}' is marked verbatim but its text is not in the "
                "source; fix it or mark it reconstructed"))
        elif not source.whole_sentences(statement["text"]):
            problems.append(loaded.problem(
                ("statements", i, "text"), "QUOTE_FRAGMENT",
                f"statement '{statement['id']}' is marked verbatim but is not whole sentences of "
                "the source; quote whole sentences"))
    for rule in rev.rules:
        at = ("table", "rules", rule.index, "statement")
        if rule.statement is None:
            if rule.then not in unstated:
                problems.append(loaded.problem(
                    at, "UNSTATED_DETERMINATION",
                    f"rule '{rule.id}' decides {rule.then} with no statement; cite the statement "
                    f"that decides it (only {' or '.join(unstated) or 'none'} may have none)"))
            continue
        statement = statements.get(rule.statement)
        if statement is None:
            problems.append(loaded.problem(
                at, "UNKNOWN_STATEMENT",
                f"rule '{rule.id}' cites statement '{rule.statement}', which this revision does "
                f"not have ({', '.join(statements) or 'no statements'}; or none)"))
        elif statement["determination"] != rule.then:
            problems.append(loaded.problem(
                ("table", "rules", rule.index, "then"), "STATEMENT_CONTRADICTED",
                f"rule '{rule.id}' decides {rule.then} but cites statement '{rule.statement}', "
                f"which is {statement['determination']}"))
    return problems


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


def _evidence_problems(loaded: Loaded, definition: PolicyDefinition) -> list[Problem]:
    """The values an evidence paragraph is about are values of the policy's evidence_key."""
    problems: list[Problem] = []
    key = definition.evidence_key
    allowed = definition.vocabulary().get(key, ())
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


def _text_problems(loaded: Loaded, rev: Revision, source: SourceText,
                   definition: PolicyDefinition) -> list[Problem]:
    problems = _statement_problems(loaded, rev, source, definition)
    for path, text in _quoted_fields(loaded.data):
        if text not in source:
            where = ".".join(str(part) for part in path)
            problems.append(loaded.problem(path, "QUOTE_NOT_IN_SOURCE",
                                           f"{where} quotes the source, but the source text does "
                                           "not contain it"))
    disclaimer = loaded.data["disclaimer"]
    if disclaimer["provenance"] == "verbatim" and not source.whole_sentences(disclaimer["text"]):
        code = "QUOTE_FRAGMENT" if disclaimer["text"] in source else "QUOTE_NOT_IN_SOURCE"
        problems.append(loaded.problem(("disclaimer", "text"), code,
                                       "the disclaimer is marked verbatim but is not whole "
                                       "sentences of the source"))
    return problems


def _effective_problems(loaded: Loaded, rev: Revision, source: SourceText) -> list[Problem]:
    """A stated date is the one the source states, for the revision the source is; an inferred one
    follows the documented rule (first day of the month after approval) or says why not."""
    at = ("revision", "effective_from")
    if rev.effective_from_basis == "stated":
        stated, rows = source.stated_effective_date(), source.history_rows()
        latest = rows[-1][0] if rows else None
        if rev.history["date"] != latest:
            return [loaded.problem(
                ("revision", "effective_from_basis"), "EFFECTIVE_NOT_STATED",
                f"effective_from is marked stated, but the source states a date only for its own "
                f"revision ({latest or 'none'}), not for {rev.history['date']}; mark it inferred")]
        if rev.effective_from != stated:
            return [loaded.problem(at, "EFFECTIVE_NOT_STATED",
                                   f"effective_from {rev.effective_from} is marked stated, but the "
                                   f"source states {stated or 'no date'}")]
        return []
    expected = first_of_next_month(rev.approved)
    if rev.effective_from != expected and "effective_from_deviation" not in loaded.data["revision"]:
        return [loaded.problem(at, "EFFECTIVE_NOT_INFERRED",
                               f"effective_from {rev.effective_from} is marked inferred, but the "
                               f"rule (the first day of the month after approval {rev.approved}) "
                               f"gives {expected}; use it, or give effective_from_deviation saying "
                               "why")]
    return []


def _revision_problems(loaded: Loaded, rev: Revision, files: PolicyFiles,
                       path: Path) -> list[Problem]:
    problems: list[Problem] = []
    if path.stem != rev.id:
        problems.append(loaded.problem(("revision", "id"), "FILE_NAME_MISMATCH",
                                       f"revision id '{rev.id}' does not match the file name "
                                       f"'{path.name}'; name the file {rev.id}.yaml"))
    if rev.policy_id != files.policy_id:
        problems.append(loaded.problem(("policy", "id"), "POLICY_MISMATCH",
                                       f"policy id '{rev.policy_id}' does not match its folder "
                                       f"'{files.policy_id}'"))
    earliest = first_of_next_month(rev.approved)
    if rev.effective_from < earliest:
        problems.append(loaded.problem(
            ("revision", "effective_from"), "EFFECTIVE_BEFORE_APPROVAL",
            f"effective_from {rev.effective_from} is not after the approval month "
            f"{rev.approved}; the earliest is {earliest}"))
    return problems


def _chain_problems(entries: list[tuple[Loaded, Revision]], sound: set[str]) -> list[Problem]:
    """Across revisions: unique ids, strictly increasing effective dates and versions."""
    import semver  # only validation needs it

    problems: list[Problem] = []
    by_id: dict[str, Loaded] = {}
    for loaded, rev in entries:
        if rev.id in by_id:
            problems.append(loaded.problem(("revision", "id"), "DUPLICATE_REVISION",
                                           f"revision id '{rev.id}' is also used by "
                                           f"{by_id[rev.id].file}"))
        by_id.setdefault(rev.id, loaded)
    ordered = sorted(entries, key=lambda e: (e[1].id, e[1].file))
    for (prev_loaded, prev), (loaded, rev) in itertools.pairwise(ordered):
        if rev.effective_from <= prev.effective_from:
            same = "the same" if rev.effective_from == prev.effective_from else "an earlier"
            problems.append(loaded.problem(
                ("revision", "effective_from"), "EFFECTIVE_DATE_ORDER",
                f"{rev.id} has {same} effective_from ({rev.effective_from}) as {prev.id} in "
                f"{prev_loaded.file} ({prev.effective_from}); effective dates must strictly "
                "increase"))
        old_version = semver.Version.parse(prev.version)
        new_version = semver.Version.parse(rev.version)
        if new_version <= old_version:
            problems.append(loaded.problem(
                ("revision", "version"), "VERSION_ORDER",
                f"version {rev.version} of {rev.id} is not greater than {prev.version} of "
                f"{prev.id} in {prev_loaded.file}; versions must strictly increase with dates"))
            continue
        # the bump check decides every case under both tables, so both must be sound
        problem = (_bump_problem(prev_loaded, prev, loaded, rev, old_version, new_version)
                   if {prev.file, rev.file} <= sound else None)
        if problem:
            problems.append(problem)
    return problems


def _bump_problem(prev_loaded: Loaded, prev: Revision, loaded: Loaded, rev: Revision,
                  old_version: semver.Version, new_version: semver.Version) -> Problem | None:
    """A decision change needs a MAJOR bump; no decision change forbids one."""
    from .compiler import complete_outcomes

    columns = tuple((c.name, tuple(c.values)) for c in prev.columns)
    if tuple((c.name, set(c.values)) for c in rev.columns) != tuple(
            (name, set(values)) for name, values in columns):
        return None  # INPUT_DOMAIN already reports the difference
    before, after = complete_outcomes(prev, columns), complete_outcomes(rev, columns)
    changed = sum(before[v][1] != after[v][1] for v in before)
    major_bump = new_version.major > old_version.major
    if changed and not major_bump:
        return loaded.problem(
            ("revision", "version"), "SEMVER_BUMP",
            f"{rev.id} version {rev.version} after {prev.version} ({prev_loaded.file}) is not a "
            f"MAJOR bump, but {changed} complete case(s) change determination; the diff calls for "
            f"MAJOR ({old_version.bump_major()})")
    if not changed and major_bump:
        return loaded.problem(
            ("revision", "version"), "SEMVER_BUMP",
            f"{rev.id} version {rev.version} after {prev.version} ({prev_loaded.file}) is a MAJOR "
            f"bump, but no determination changes; the diff calls for MINOR "
            f"({old_version.bump_minor()}) or PATCH ({old_version.bump_patch()})")
    return None


def load_and_validate(files: PolicyFiles, *, chain: bool = True,
                      snapshot: Snapshot | None = None) -> ValidatedPolicy:
    """Load every revision of a policy and check it; raise DataError listing every problem.

    `chain=False` skips the checks across revisions (order, versions, semver bumps), so that a diff
    can show an edit whose version is not bumped yet: each table on its own must still be valid.
    `snapshot`: the files' bytes, already read (the cache hashes exactly what is validated).
    """
    from .schema import parse_schema, schema_problems

    snapshot = snapshot or read_snapshot(files)
    problems: list[Problem] = []
    try:
        source = SourceText(snapshot.read(files.source_file).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PolicyIOError(f"{display_path(files.source_file)}: cannot read the source text: "
                            f"not UTF-8 at byte {exc.start}") from None
    schemas = (snapshot.schema("revision"), snapshot.schema("policy"))
    definition = load_definition(snapshot, schemas)
    if files.codes_file is not None:
        problems += crosswalk_file_problems(snapshot, definition)
    table_keys = parse_schema(*schemas[0]).get("properties", {})
    entries: list[tuple[Loaded, Revision]] = []
    sound: set[str] = set()  # files whose decision table is well-formed and complete
    for path in map(Path, files.revision_files):
        try:
            loaded = load_yaml(snapshot.read(str(path)), display_path(path))
        except DataError as exc:
            problems += exc.problems
            continue
        if not _looks_like_a_table(loaded.data, table_keys):
            problems.append(Problem(loaded.file, 1, 1, "NOT_A_TABLE",
                                    "not a decision table: the top level is not a mapping with "
                                    "the keys revision and table (content not shown)"))
            continue
        found = schema_problems(loaded, "revision", schemas)
        if found:
            problems += found
            continue
        rev = build_revision(loaded.data, loaded.file)
        problems += _revision_problems(loaded, rev, files, path)
        table_problems = _table_problems(loaded, rev, definition)
        if not table_problems:
            sound.add(rev.file)
        problems += table_problems
        problems += _text_problems(loaded, rev, source, definition)
        problems += _evidence_problems(loaded, definition)
        problems += _effective_problems(loaded, rev, source)
        entries.append((loaded, rev))
    if chain:
        problems += _chain_problems(entries, sound)
    if problems:
        raise DataError(list(dict.fromkeys(problems)))  # one policy.yml problem, not one a table
    revisions = tuple(sorted((rev for _, rev in entries), key=lambda r: r.effective_from))
    return ValidatedPolicy(files=files, revisions=revisions, definition=definition)


def published_problems(before: dict[str, Revision], after: dict[str, Revision],
                       diffs: list[dict[str, Any]], rev: str) -> list[Problem]:
    """For `validate --against REV`: published revisions must not vanish, nor change decisions
    without a MAJOR bump of their own version."""
    import semver

    problems: list[Problem] = []
    for gone in sorted(before.keys() - after.keys()):
        problems.append(Problem(f"{rev}:{Path(before[gone].file).name}", 0, 0, "REVISION_REMOVED",
            f"revision {gone} (version {before[gone].version}) exists at {rev} but not in the "
            "working tree; published revisions are never removed or renamed"))
    for diff in diffs:
        if not diff["decision_changes"]:
            continue
        old, new = before[diff["from"]["id"]], after[diff["to"]["id"]]
        if semver.Version.parse(new.version).major > semver.Version.parse(old.version).major:
            continue
        loaded = read_yaml_file(new.file, new.file)
        cases = sum(c["cases"] for c in diff["decision_changes"])
        problems.append(loaded.problem(
            ("revision", "version"), "PUBLISHED_CHANGED",
            f"revision {new.id} changes the determination of {cases} case(s) since {rev} but its "
            f"version {new.version} is not a MAJOR bump of {old.version}; "
            f"use {semver.Version.parse(old.version).bump_major()} or higher"))
    return problems
