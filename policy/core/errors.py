"""The exception hierarchy and the `Problem` record that validation collects.

Every error the package raises derives from `PolicyError`; each subclass also inherits the builtin
it behaves like, so callers that know nothing of this package can still catch `ValueError` or
`OSError`.
"""

from __future__ import annotations

from .record import Record

CODES = {
    # reading a YAML (or JSON) document
    "FILE_TOO_LARGE": "the file is larger than the loader accepts (the message gives its size)",
    "SYMLINK": "a table, source or schema path that is a symbolic link or resolves outside its "
               "folder (in the working tree and at a git revision; never followed, never read)",
    "NOT_A_TABLE": "a table file whose top level is not a mapping with revision and table "
                   "(its content is not echoed: it may be a file that is no table at all)",
    "ENCODING": "not UTF-8, or a character YAML does not allow (NUL)",
    "YAML_SYNTAX": "the text is not well-formed YAML",
    "EMPTY_FILE": "no document (empty, or only comments)",
    "MULTIPLE_DOCUMENTS": "more than one YAML document in one file",
    "DUPLICATE_KEY": "a key given twice in one mapping",
    "NON_STRING_KEY": "a mapping key that is a number, boolean, null or collection",
    "ALIAS_FORBIDDEN": "an anchor or alias",
    "MERGE_KEY": "a merge key '<<'",
    "TAG_FORBIDDEN": "an explicit tag such as !!python/object",
    "TOO_DEEP": "nesting deeper than the loader accepts",
    "NOT_A_MAPPING": "a case file that is not one mapping of fields",
    # the schema
    "UNKNOWN_KEY": "a key the schema does not define (closed objects)",
    "MISSING_KEY": "a required key is absent",
    "UNKNOWN_VALUE": "a value outside a closed vocabulary",
    "WRONG_TYPE": "a value of the wrong type (e.g. NO where true/false is due)",
    "DATE_INVALID": "not a real date in the form YYYY-MM-DD (or a month YYYY-MM)",
    "SCHEMA": "any other schema violation",
    # one table
    "FILE_NAME_MISMATCH": "the file name is not <revision id>.yaml",
    "POLICY_MISMATCH": "the policy id is not the folder's name",
    "EFFECTIVE_BEFORE_APPROVAL": "effective_from is not after the approval month",
    "INPUT_DOMAIN": "an input column's values are not the case vocabulary",
    "UNDEFINED_VALUE": "an input value that policy.yml gives no definition",
    "SINCE_UNKNOWN_REVISION": "a value's since in policy.yml (the first revision that knows it) "
                              "that names no revision of the policy",
    "DUPLICATE_INPUT": "an input column declared twice",
    "DUPLICATE_RULE_ID": "two rules with one id in a table",
    "UNKNOWN_COLUMN": "a condition on a column the table does not declare",
    "MISSING_CONDITION": "a rule without a condition for a declared column",
    "INCOMPLETE_TABLE": "some complete case matches no rule",
    "OVERLAP": "a complete case matched by several rules (unique), or by disagreeing rules (any)",
    "UNREACHABLE_RULE": "a rule that decides no case",
    "QUOTE_NOT_IN_SOURCE": "text marked verbatim (or quoted content) that the source text does "
                           "not contain",
    "QUOTE_FRAGMENT": "a verbatim statement or disclaimer that is not whole sentences of the "
                      "source",
    "STATEMENT_WORDING": "a statement whose words do not name its own determination, or name "
                         "another",
    "PATTERN_TOO_SLOW": "a pattern from a policy file (policy.yml's words, a schema's pattern) "
                        "that took too long to match (it backtracks); reported at the pattern",
    "DUPLICATE_STATEMENT_ID": "two statements with one id in a table",
    "UNKNOWN_STATEMENT": "a rule citing a statement id that the revision does not have",
    "STATEMENT_CONTRADICTED": "a rule whose determination differs from that of the statement it "
                              "cites",
    "UNSTATED_DETERMINATION": "a rule with `statement: none` whose determination policy.yml does "
                              "not mark no_statement",
    "EFFECTIVE_NOT_STATED": "effective_from marked stated that is not the date the source states",
    "SOURCE_MISSING": "a revision citing a source document (revision.source) that is not in "
                      "the policy's folder",
    "EFFECTIVE_NOT_INFERRED": "effective_from marked inferred that breaks the rule (first day of "
                              "the month after approval) without effective_from_deviation",
    "EFFECTIVE_STATED_MARKED_INFERRED": "effective_from marked inferred for the revision whose "
                                        "effective date the source states",
    # `policy new-revision`: a source document that cannot make the next revision
    "NO_NEWER_HISTORY": "a new source document whose newest Policy History row is not newer "
                        "than the newest revision (or that has no Policy History rows)",
    "REVISION_EXISTS": "the next revision's file, or the source document's copy, already exists "
                       "in the policy's folder",
    # the chain of revisions
    "DUPLICATE_REVISION": "two files with one revision id",
    "EFFECTIVE_DATE_ORDER": "effective dates do not strictly increase with revision ids",
    "VERSION_ORDER": "versions do not strictly increase with dates",
    "SEMVER_BUMP": "a version bump that does not match the diff (decision change <=> MAJOR)",
    "PUBLISHED_CHANGED": "a published revision's decisions changed without a MAJOR version bump",
    "REVISION_REMOVED": "a published revision was removed or renamed",
    # choosing a policy, a revision, a git revision
    "UNKNOWN_POLICY": "no policy of the given id in the tables folder, or none given and not "
                      "exactly one present",
    "UNKNOWN_REVISION": "a revision id, version or date that names no revision of the policy "
                        "(a date before the first revision's effective date included)",
    "GIT_REV_REFUSED": "a git revision that is empty, starts with '-' (it would be read as an "
                       "option) or holds a NUL or line break",
    # calling a batch run
    "UNKNOWN_FORMAT": "a batch input or output whose format is not one of csv, jsonl and parquet, "
                      "or is not given and cannot be told from the file's suffix",
    "OUTPUT_IS_INPUT": "a batch output that is its own input (it would be overwritten as it is "
                       "read)",
    # diagnosis and procedure codes (policy/codesets): in a case, and in a policy's crosswalk
    "CODE_MALFORMED": "not the form of a code of its field (diagnosis: ICD-10-CM such as C18.7 "
                      "or ICD-9-CM such as 154.1; procedure: CPT or HCPCS such as 99213, 0735T "
                      "or G0101)",
    "CODE_UNKNOWN": "a code that no release of its code system (as shipped) has",
    "CODE_WRONG_SYSTEM": "a code of the other diagnosis code system than the date's (ICD-9-CM "
                         "before 2015-10-01, ICD-10-CM on and after), or than its crosswalk "
                         "entry says",
    "CODE_NOT_VALID_ON_DATE": "a code of the right system that is not billable on the date "
                              "(a header, or not in the code set in force that day); in a "
                              "crosswalk, a window reaching a day on which its code is not",
    "CODE_CONTRADICTS_CASE": "a case whose codes name one value of a field and that gives that "
                             "field another value",
    "CROSSWALK_OVERLAP": "two crosswalk entries covering one code on one day",
    "CROSSWALK_WINDOW": "a crosswalk window that is empty (valid_to before valid_from) or "
                        "reaches outside its code system's dates",
    # an expected outcome (tables/<policy-id>/expected/*.yaml, `policy test`)
    "EXPECTATION_NO_DATE": "an expected outcome whose case has no date to be decided on (no "
                           "as_of, no service_date)",
    "EXPECTATION_UNKNOWN_DETERMINATION": "an expected outcome naming a determination the policy "
                                         "does not have",
    "EXPECTATION_UNKNOWN_REVISION": "an expected outcome naming a revision id the policy does "
                                    "not have",
    "EXPECTATION_UNKNOWN_RULE": "an expected outcome naming a rule id that no revision of the "
                                "policy has (or, with revision, that revision does not)",
    # a case
    "UNKNOWN_FIELD": "a case field the contract does not define",
    "NO_DATE": "a case without service_date evaluated with no as-of date (a batch line, or "
               "Policy.evaluate)",
    # a line of a batch file
    "RAGGED_ROW": "a CSV row with more or fewer cells than the header has columns",
    "MALFORMED_LINE": "a JSON Lines line that is not one JSON object",
    "INTERRUPTED": "a batch run stopped by Ctrl-C, SIGTERM or SIGHUP (the last line of a stream)",
    "LINE_TOO_LONG": "a batch line longer than the reader accepts (JSON Lines 1 MiB; a CSV record "
                     "over 4 MiB may be refused)",
    # a batch file as a whole, or the process running it
    "DECODED_TOO_LARGE": "a Parquet file whose values decode to more than the reader accepts "
                         "(256 MiB of text in 65,536 consecutive rows): a small file can hold one "
                         "long value repeated over many rows; exit 1",
    "OUT_OF_MEMORY": "a batch run that ran out of memory, or would have under the process's "
                     "address-space or data limit (ulimit -v: RLIMIT_AS, RLIMIT_DATA); nothing "
                     "is written at the output path; exit 4",
    # a decision log of `policy serve` (`policy log verify`; MALFORMED_LINE for a line that is
    # not one)
    "CHAIN_BROKEN": "a decision-log line whose seq does not follow the line before it, or that "
                    "does not carry that line's hash (an edited, removed, inserted or reordered "
                    "line)",
    "LOG_TRUNCATED": "a decision log that ends before the last line its head file names (lines "
                     "removed from the end)",
}


MAX_MESSAGE = 1000


# A record (a named tuple: see record.py) rather than a dataclass: the evaluate command imports
# this at start-up, and dataclasses (with inspect) would cost more than the whole evaluation.
class Problem(Record):
    """One thing wrong with an input file, at a position (1-based line and column; 0 when unknown).

    Immutable, and ordered by file, line, column, code, message.
    """

    __slots__ = ()
    file: str
    line: int
    col: int
    code: str
    message: str

    def __new__(cls, file: str, line: int, col: int, code: str, message: str) -> Problem:
        if code not in CODES:  # every code is documented in one place
            raise ValueError(f"undocumented problem code {code!r}")
        if len(message) > MAX_MESSAGE:  # output stays linear in the input, whatever it echoes
            message = f"{message[:MAX_MESSAGE]}... ({len(message)} characters)"
        return super().__new__(cls, file, line, col, code, message)

    def __str__(self) -> str:
        from .escaping import escape  # file names and messages echo untrusted text

        if self.line <= 0:  # no position: a command-line word, a whole folder
            return escape(f"{self.file}: {self.code}: {self.message}")
        return escape(f"{self.file}:{self.line}:{self.col}: {self.code}: {self.message}")

    def as_json(self) -> dict:
        return {"file": self.file, "line": self.line, "col": self.col, "code": self.code,
                "message": self.message}


class PolicyError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1


class DataError(PolicyError, ValueError):
    """Input data (a table, a case, a case file) is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = sorted(problems) if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class AsOfError(DataError):
    """The date to decide a case on is not a real `YYYY-MM-DD` day (DATE_INVALID), or there is
    none: no as-of date and no service_date (NO_DATE). On the command line, the option's error."""


class SiteError(PolicyError, ValueError):
    """The tables cannot be shown as the site's pages: a name that cannot name a page, two pages
    whose names differ only in letter case, a decision the Try page cannot reproduce."""


class UsageError(PolicyError, ValueError):
    """The command line was used wrongly (a bad or missing option); raised by `policy.cli` only:
    the library says the same things as `DataError`s with a code."""

    exit_code = 2


class PolicyIOError(PolicyError, OSError):
    """A file could not be read or written, or git could not answer."""

    exit_code = 4


class OutOfMemory(PolicyError, MemoryError):
    """The process ran out of memory (OUT_OF_MEMORY), or would have under its limit: exit 4, as
    for an I/O error, since the input may be fine and the machine was not."""

    exit_code = 4

    def __init__(self, file: str, message: str):
        self.problem = Problem(file, 0, 0, "OUT_OF_MEMORY", message)
        super().__init__(str(self.problem))


class InvalidCodeError(DataError):
    """A case's diagnosis or procedure code cannot be read on its date (CODE_* problems: one line
    each naming the code, the date and why)."""


class CodeSetMissingError(PolicyIOError):
    """A code-set package the code checks read is not installed (or its file cannot be read)."""
