"""The next revision from a new source document (`policy new-revision --source FILE`).

The document's newest Policy History row makes the revision: its id is the row's month, the row is
quoted verbatim, and the previous (newest) revision's statements, interpretation, content and
decision table are carried forward unchanged for the analyst to review. The document is copied
into the policy's folder as `source-<id>.md` and the revision cites it (`revision.source`), so its
quotes are checked against it while every published revision keeps its own source: no published
file changes.

The effective date is the one the document states ("Effective Policy Date: ...") when that date is
after the row's approval month (a stated date belongs to the document's own, newest, revision);
otherwise it is inferred by the project's rule, the first day of the month after approval, and
marked so, as the published revisions are.

The version bump is the project's reading of the row's words (`read_bump`), which gives every
published revision's bump from its own row (tests/compare/test_new_revision.py checks this):
- MAJOR when the row says a statement changes: "changed to", "unchanged except", or "statement(s)"
  followed by changed / revised / updated / corrected / added / removed;
- MINOR when it says "statement(s) unchanged" (a literature review, references);
- PATCH when it says "editorial";
- otherwise MINOR, said to be a guess (the row says nothing of the statements).
A MAJOR reading with the tables carried forward unchanged fails validation (SEMVER_BUMP) until
the analyst edits the table to say what changed: that is the review it asks for.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from datetime import datetime

import semver

from ..core.dates import first_of_next_month
from ..core.errors import DataError, Problem
from ..core.policy_files import SOURCE_PREFIX, SOURCE_SUFFIX, display_path
from ..core.reading import MAX_BYTES, read_bounded
from ..core.record import Record
from ..load.model import Revision
from ..load.source import SourceText
from ..validate import ValidatedPolicy
from ..writer import write_atomic

MAJOR, MINOR, PATCH = "MAJOR MINOR PATCH".split()  # the kinds of bump (semver's words)
# (kind, the words read), in the order they are tried; the first that matches decides
BUMP_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (MAJOR, re.compile(r"changed to|unchanged except|statements? (?:changed|revised|updated|"
                         r"corrected|added|removed)", re.IGNORECASE)),
    (MINOR, re.compile(r"statements? unchanged", re.IGNORECASE)),
    (PATCH, re.compile(r"editorial", re.IGNORECASE)),
)
_REVIEW_THROUGH = re.compile(r"literature (?:review|search) through ([A-Z][a-z]+ (?:[0-9]{1,2}, )?"
                             r"[0-9]{4})")


class Bump(Record):
    """The project's reading of a history row: the kind of bump and the words that decided it
    (empty when none did and MINOR is assumed)."""

    __slots__ = ()
    kind: str
    words: str


def read_bump(description: str) -> Bump:
    for kind, words in BUMP_WORDS:
        found = words.search(description)
        if found:
            return Bump(kind, found.group(0))
    return Bump(MINOR, "")


def bumped(version: str, kind: str) -> str:
    parsed = semver.Version.parse(version)
    return str({MAJOR: parsed.bump_major, MINOR: parsed.bump_minor,
                PATCH: parsed.bump_patch}[kind]())


class RevisionDraft(Record):
    """The next revision, not yet written: its file and text, the document's copy, and what the
    analyst must review."""

    __slots__ = ()
    revision_id: str
    previous: Revision
    target: str  # the new revision's file
    text: str
    source_copy: str  # where the document goes in the policy's folder
    source_text: str
    copy_needed: bool  # False when the document is that copy already
    version: str
    bump: Bump
    effective_from: str
    effective_from_basis: str
    review: tuple[str, ...]


def _month_id(row_date: str) -> str | None:
    try:
        return datetime.strptime(row_date, "%B %Y").strftime("%Y-%m")
    except ValueError:
        return None


def _row_line(raw: str, row: tuple[str, str, str]) -> int:
    start = f"{row[0]}\t{row[1]}\t"
    for number, line in enumerate(raw.splitlines(), 1):
        if line.startswith(start):
            return number
    return 0


def _long_date(iso: str) -> str:
    day = datetime.strptime(iso, "%Y-%m-%d").date()
    return f"{day:%B} {day.day}, {day.year}"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar of `text` (JSON's escapes are YAML's; the line separators YAML
    would fold are escaped too)."""
    return (json.dumps(text, ensure_ascii=False).replace("\u0085", "\\N")
            .replace("\u2028", "\\L").replace("\u2029", "\\P"))


def _effective(source: SourceText, approved: str, row_date: str,
               revisions: tuple[Revision, ...]) -> tuple[str, str, str]:
    """(effective_from, basis, note): the document's stated date when it is after the approval
    month, else the project's rule, with the note the published revisions give."""
    earliest = first_of_next_month(approved)
    stated = source.stated_effective_date()
    if source.stated_date_after(approved) is not None and stated is not None:
        return stated, "stated", (f"Stated in the source: 'Effective Policy Date: "
                                  f"{_long_date(stated)}'.")
    pairs = [r for r in revisions if r.effective_from_basis == "stated"]
    rule = ("the rule the one stated pair follows (approved "
            f"{pairs[-1].history['date']}, effective {_long_date(pairs[-1].effective_from)})"
            if pairs else "the project's rule")
    why = ("The source gives only the approval month" if stated is None else
           f"The source states 'Effective Policy Date: {_long_date(stated)}', which is not after "
           "this row's approval month, so not this revision's date; it gives only the approval "
           "month")
    return earliest, "inferred", (f"Inferred. {why} ({row_date}, Policy History). Taken as the "
                                  f"first day of the month after the approval month, {rule}.")


def _revision_block(*, revision_id: str, version: str, bump: Bump, previous: Revision,
                    effective: tuple[str, str, str], row: tuple[str, str, str],
                    source_name: str) -> str:
    words = (f"the Policy History row says '{bump.words}'" if bump.words else
             "the Policy History row says nothing of the policy statements")
    note = (f"{bump.kind} ({words}; new-revision's reading, to be reviewed): the decision table "
            f"and statements are carried forward from {previous.id}.")
    lines = ["revision:",
             f"  id: {_quoted(revision_id)}",
             f"  version: {version}",
             f"  version_note: {_quoted(note)}",
             f"  approved: {_quoted(revision_id)}",
             f"  effective_from: {_quoted(effective[0])}",
             f"  effective_from_basis: {effective[1]}",
             f"  effective_from_note: {_quoted(effective[2])}",
             f"  source: {source_name}  # the document this revision comes from",
             "  history:  # the Policy History row, verbatim",
             f"    date: {_quoted(row[0])}",
             f"    action: {_quoted(row[1])}",
             f"    description: {_quoted(row[2])}"]
    through = _REVIEW_THROUGH.search(row[2])
    if through:
        for shape, kind in (("%B %d, %Y", "%Y-%m-%d"), ("%B %Y", "%Y-%m")):
            try:
                value = datetime.strptime(through.group(1), shape).strftime(kind)
            except ValueError:
                continue
            lines.append(f"  literature_review_through: {_quoted(value)}  # stated in the "
                         "history row")
            break
    return "\n".join(lines) + "\n"


def _carried_forward(previous_text: str, block: str, header: list[str]) -> str:
    """The previous revision's file with its `revision:` block and its leading comments replaced
    (a schema comment, `# yaml-language-server: ...`, is kept)."""
    lines = previous_text.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")),
                 len(lines))
    kept = [line for line in lines[:first] if line.startswith("# yaml-language-server:")]
    body = lines[first:]
    start = next(i for i, line in enumerate(body) if line.startswith("revision:"))
    end = next((i for i in range(start + 1, len(body))
                if body[i].strip() and not body[i][0].isspace()), len(body))
    return "".join([*kept, *header, *body[:start], block, *body[end:]])


def _same_file(document: str, copy: str) -> bool:
    """True when the document is its copy in the policy's folder already (a dangling link or
    a file that cannot be looked at is not)."""
    try:
        return os.path.samefile(document, copy)
    except OSError:
        return False


def _read_document(path: str) -> str:
    raw = read_bounded(path, MAX_BYTES, what="source document", display=display_path(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(Problem(display_path(path), 0, 0, "ENCODING",
                                f"the source document is not UTF-8 (byte {exc.start})")) from None


def draft_revision(validated: ValidatedPolicy, document: str) -> RevisionDraft:
    """The next revision of `validated` from the source document at `document`; DataError
    (NO_NEWER_HISTORY, REVISION_EXISTS, ENCODING) when it cannot make one."""
    files = validated.files
    previous = validated.revisions[-1]
    raw = _read_document(document)
    source = SourceText(raw)
    shown_document = display_path(document)
    dated = [(month, row) for row in source.history_rows()
             if (month := _month_id(row[0])) is not None]
    if not dated:
        raise DataError(Problem(shown_document, 0, 0, "NO_NEWER_HISTORY",
                                "the document has no Policy History row (a line 'Month YYYY<TAB>"
                                "action<TAB>description'); it cannot make a revision"))
    revision_id, row = max(dated, key=lambda found: found[0])
    if revision_id <= previous.approved:
        raise DataError(Problem(shown_document, _row_line(raw, row), 1, "NO_NEWER_HISTORY",
                                f"the document's newest Policy History row ({row[0]}) is not "
                                f"newer than the newest revision, {previous.id}; nothing to add"))
    target = os.path.join(files.folder, f"{revision_id}.yaml")
    source_copy = os.path.join(files.folder, f"{SOURCE_PREFIX}{revision_id}{SOURCE_SUFFIX}")
    copy_needed = not _same_file(document, source_copy)
    for path in (target, source_copy) if copy_needed else (target,):
        if os.path.lexists(path):
            raise DataError(Problem(display_path(path), 0, 0, "REVISION_EXISTS",
                                    f"{display_path(path)} already exists; the revision "
                                    f"{revision_id} is made once (edit that file, or remove it "
                                    "to start again)"))
    bump = read_bump(row[2])
    version = bumped(previous.version, bump.kind)
    effective = _effective(source, revision_id, row[0], validated.revisions)
    block = _revision_block(revision_id=revision_id, version=version, bump=bump,
                            previous=previous, effective=effective, row=row,
                            source_name=os.path.basename(source_copy))
    header = [f"# The revision approved {row[0]}, from {os.path.basename(source_copy)}; written "
              f"by `policy new-revision`\n",
              f"# from {previous.id}.yaml (statements, interpretation, content and decision "
              "table carried forward).\n",
              f"# provenance: verbatim = the words are quoted from {os.path.basename(source_copy)};"
              "\n#             reconstructed = the words are rebuilt from the Policy History rows "
              "and are not in the source.\n"]
    previous_path = os.path.join(files.folder, f"{previous.id}.yaml")
    previous_text = read_bounded(previous_path, MAX_BYTES, what="table",
                                 display=display_path(previous_path),
                                 folder=files.folder).decode("utf-8")
    text = _carried_forward(previous_text, block, header)
    review = _review(validated, previous, raw, row, bump, effective, dated, revision_id)
    return RevisionDraft(revision_id=revision_id, previous=previous, target=target, text=text,
                         source_copy=source_copy, source_text=raw, copy_needed=copy_needed,
                         version=version, bump=bump, effective_from=effective[0],
                         effective_from_basis=effective[1], review=tuple(review))


def _previous_source(validated: ValidatedPolicy, previous: Revision) -> tuple[str, str | None]:
    """(file name, text or None when unreadable) of the source the previous revision cites."""
    try:
        text = read_bounded(os.path.join(validated.files.folder, previous.source), MAX_BYTES,
                            what="source text").decode("utf-8")
    except (DataError, OSError, UnicodeDecodeError):
        return previous.source, None
    return previous.source, text


def _review(validated: ValidatedPolicy, previous: Revision, raw: str, row: tuple[str, str, str],
            bump: Bump, effective: tuple[str, str, str], dated: list[tuple[str, tuple]],
            revision_id: str) -> list[str]:
    """What the analyst must read before committing the new revision, most important first."""
    review = []
    if bump.words:
        review.append(f"version: {bump.kind}, from the row's words '{bump.words}' (the "
                      "project's reading); a changed determination needs MAJOR")
    else:
        review.append("version: MINOR assumed: the row says nothing of the policy statements; "
                      "make it MAJOR if a determination changes, PATCH for editorial changes")
    if bump.kind == MAJOR:
        review.append(f"the row says a statement changes, but the decision table and statements "
                      f"are {previous.id}'s: edit them (validate reports SEMVER_BUMP until a "
                      "determination changes)")
    review.append(f"effective_from {effective[0]} ({effective[1]}): {effective[2]}")
    skipped = sorted({month for month, _ in dated if previous.approved < month < revision_id})
    if skipped:
        review.append(f"the document has rows newer than {previous.id} before {revision_id} "
                      f"({', '.join(skipped)}): only the newest is made a revision")
    name, before = _previous_source(validated, previous)
    if before is not None:
        old_lines = before.splitlines()
        new_lines = [line for line in raw.splitlines() if not line.startswith(row[0] + "\t")]
        new_or_changed = removed = 0
        for kind, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines,
                                                            autojunk=False).get_opcodes():
            if kind in ("replace", "insert"):
                new_or_changed += sum(1 for line in new_lines[j1:j2] if line.strip())
            if kind == "delete":
                removed += sum(1 for line in old_lines[i1:i2] if line.strip())
        review.append(f"besides the new history row, {new_or_changed} line(s) of the document "
                      f"are new or changed and {removed} removed since {name} (the source of "
                      f"{previous.id}): read them for changes to the statements, evidence, "
                      "guidelines and references")
    review.append("statements, interpretation (the effective date's and the carried-forward "
                  f"entries' words) and content are {previous.id}'s: bring them up to date with "
                  "the document")
    return review


def write_draft(draft: RevisionDraft) -> None:
    """Copy the document into the policy's folder, then write the revision; each atomically, and
    the copy removed again when the revision cannot be written (nothing half-done is left)."""
    if draft.copy_needed:
        write_atomic(draft.source_copy, draft.source_text)
    try:
        write_atomic(draft.target, draft.text)
    except BaseException:
        if draft.copy_needed:
            os.unlink(draft.source_copy)
        raise
