"""`policy validate`: the schema first, then the semantic checks, collecting every problem.

Per table: file name = revision id, policy id = folder, approval month before `effective_from`, the
inputs are the case vocabulary, rule ids unique, conditions on declared columns and values only, the
table complete under its hit policy with no overlap and no rule that can never fire; each rule
cites a statement of its own determination (or `none`, where policy.yml allows it), each
statement's words name its determination (policy.yml gives the words), verbatim statements are
whole sentences of the source and every other quoted value is in it; a stated effective date is
the source's, an inferred one follows the rule. The source is the document the revision cites
(`revision.source`, default source.md), one of the policy's source files. Across tables:
ids unique, effective dates and versions strictly increasing. The policy's own file, policy.yml, is
checked first: the tables are read with its vocabulary and determinations; then its crosswalk of
codes, codes.yml, when it has one (policy/codesets/crosswalk.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..codesets.crosswalk import Crosswalk, build_crosswalk, crosswalk_file_problems
from ..core.errors import DataError, PolicyError, PolicyIOError, Problem
from ..core.escaping import shown
from ..core.policy_files import SOURCE_FILE, PolicyFiles, display_path
from ..core.snapshot import Snapshot, read_snapshot
from ..load.definition import PolicyDefinition, build_definition, definition_problems
from ..load.model import Revision, build_revision
from ..load.schema import parse_schema, schema_problems
from ..load.source import SourceText
from ..load.yaml_loader import Loaded, load_yaml
from .chain import chain_problems
from .decision_table import since_problems, table_problems
from .identity import effective_problems, revision_problems
from .quotes import evidence_problems, text_problems


@dataclass(frozen=True)
class ValidatedPolicy:
    files: PolicyFiles
    revisions: tuple[Revision, ...]  # in effective order
    definition: PolicyDefinition  # its policy.yml
    crosswalk: Crosswalk | None = None  # its codes.yml, None without one


def load_definition(snapshot: Snapshot, schemas: tuple[tuple[str, bytes], ...]) -> PolicyDefinition:
    """The policy's policy.yml, checked by its schema and `definition.definition_problems`;
    DataError listing every problem (the tables cannot be checked without it)."""
    path = snapshot.files.definition_file
    loaded = load_yaml(snapshot.read(path), display_path(path))
    problems = schema_problems(loaded, "policy", schemas) or definition_problems(loaded)
    if problems:
        raise DataError(problems)
    return build_definition(loaded)


def read_definition(files: PolicyFiles) -> PolicyDefinition:
    """The policy's policy.yml alone, checked (for what needs the vocabulary's wording, not the
    tables: `policy evaluate --help`)."""
    snapshot = read_snapshot(files)
    return load_definition(snapshot, (snapshot.schema("revision"), snapshot.schema("policy")))


class _Sources:
    """The source documents the revisions cite (`revision.source`, default source.md), each read
    from the snapshot and parsed once. A revision checks its quotes, history row and stated date
    against its own source, so a later document never invalidates an earlier revision."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.parsed: dict[str, SourceText] = {}

    def name(self, loaded: Loaded) -> str:
        return str(loaded.data["revision"].get("source", SOURCE_FILE))

    def of(self, loaded: Loaded) -> SourceText | None:
        """The revision's source; None when it names a source-*.md the policy's folder lacks.
        The default source.md missing or unreadable is an I/O error, as any file of the policy."""
        files = self.snapshot.files
        path = os.path.join(files.folder, self.name(loaded))
        if path != files.source_file and path not in files.source_files:
            return None
        if path not in self.parsed:
            try:
                self.parsed[path] = SourceText(self.snapshot.read(path).decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise PolicyIOError(f"{display_path(path)}: cannot read the source text: "
                                    f"not UTF-8 at byte {exc.start}") from None
        return self.parsed[path]

    def missing(self, loaded: Loaded) -> Problem:
        present = [os.path.basename(p) for p in (self.snapshot.files.source_file,
                                                 *self.snapshot.files.source_files)
                   if not isinstance(self.snapshot.contents.get(p), PolicyError)]
        return loaded.problem(("revision", "source"), "SOURCE_MISSING",
                              f"the revision cites the source {shown(self.name(loaded))}, which "
                              f"is not in {display_path(self.snapshot.files.folder)} (sources "
                              f"there: {', '.join(present) or 'none'}); add the document, or "
                              "name one of those")


def _looks_like_a_table(data: object, keys: Iterable[str]) -> bool:
    """A mapping sharing a top-level key with the revision schema (`keys`: its properties): any
    other document may be a file that is no table at all (credentials, a key), and its content is
    never echoed."""
    return isinstance(data, dict) and any(key in keys for key in data)


def load_and_validate(files: PolicyFiles, *, chain: bool = True,
                      snapshot: Snapshot | None = None) -> ValidatedPolicy:
    """Load every revision of a policy and check it; raise DataError listing every problem.

    `chain=False` skips the checks across revisions (order, versions, semver bumps), so that a diff
    can show an edit whose version is not bumped yet: each table on its own must still be valid.
    `snapshot`: the files' bytes, already read (the cache hashes exactly what is validated).
    """
    snapshot = snapshot or read_snapshot(files)
    problems: list[Problem] = []
    sources = _Sources(snapshot)
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
        problems += revision_problems(loaded, rev, files, path)
        found = table_problems(loaded, rev, definition)
        if not found:
            sound.add(rev.file)
        problems += found
        source = sources.of(loaded)
        if source is None:
            problems.append(sources.missing(loaded))
        else:
            problems += text_problems(loaded, rev, source, definition)
            problems += effective_problems(loaded, rev, source)
        problems += evidence_problems(loaded, definition)
        entries.append((loaded, rev))
    problems += since_problems(definition, [*(rev.id for _, rev in entries),
                                            *(Path(p).stem for p in files.revision_files)])
    if chain:
        problems += chain_problems(entries, sound)
    if problems:
        raise DataError(list(dict.fromkeys(problems)))  # one policy.yml problem, not one a table
    revisions = tuple(sorted((rev for _, rev in entries), key=lambda r: r.effective_from))
    crosswalk = None
    if files.codes_file is not None:  # (checked above, from the same snapshot)
        crosswalk = build_crosswalk(load_yaml(snapshot.read(files.codes_file),
                                              display_path(files.codes_file)))
    return ValidatedPolicy(files=files, revisions=revisions, definition=definition,
                           crosswalk=crosswalk)
