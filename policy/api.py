"""The Python API: load a policy once, evaluate cases as of dates.

A case is a mapping of the policy's inputs (its `policy.yml`); whatever is left out is unknown.
With nothing known, the revision in force can only say what it might decide, and before the
first revision no policy was in force (docs/api.md shows a case with its fields):

    >>> from policy import load_policy
    >>> shipped = load_policy()  # validated once, then read from the sealed cache
    >>> decision = shipped.evaluate({}, as_of="2016-05-03")
    >>> decision.determination, len(decision.possible) > 1
    ('indeterminate', True)
    >>> shipped.evaluate({}, as_of="1999-12-31").determination
    'no_policy_in_force'
"""

from __future__ import annotations

import os

from .core.cases import check_case, day_of
from .core.compiled import CompiledPolicy, CompiledRevision
from .core.decision import Decision
from .core.decision_memo import DecisionMemo

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from .codesets.case_codes import CellCode, Locate


class Policy:
    """A validated, compiled policy: every revision, ready to evaluate."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        self._templates = DecisionMemo(compiled)

    @property
    def id(self) -> str:
        return self.compiled.policy_id

    @property
    def revisions(self) -> tuple[CompiledRevision, ...]:
        return self.compiled.revisions

    def evaluate(self, case: Mapping[str, object], as_of: str | date | None = None) -> Decision:
        """Decide `case` as of `as_of` (else the case's `service_date`).

        Raises DataError for an invalid case or date, and (code NO_DATE) when there is no date;
        InvalidCodeError (a DataError) for a diagnosis or procedure code that cannot be read on
        the date of service (docs/codes.md).
        """
        decided = self._templates.decide(case, as_of)
        if decided is not None:
            return decided
        # the full path: anything the fast path does not take, with every error it can raise
        return self.evaluate_checked(check_case(case, self.compiled.columns), as_of)

    def evaluate_checked(self, clean: Mapping[str, object], as_of: str | date | None = None, *,
                         locate: Locate | None = None) -> Decision:
        """Decide a case `check_case` has checked; `locate(field)` gives (file, line, col) of a
        field for its problems (a case file's lines): a code field's, or a value the revision in
        force does not know."""
        if clean.get("diagnosis") is None and clean.get("procedure") is None:
            return self.compiled.evaluate(clean, day_of(clean, as_of), locate=locate)
        from .codesets.case_codes import evaluate_with_codes  # (only for a case with codes)

        return evaluate_with_codes(self.compiled, clean, as_of, locate=locate)


def cell_code(compiled: CompiledPolicy, text: str, field: str, day: str) -> CellCode:
    """One code of a row read on `day` and resolved, for the columnar core
    (`codesets.case_codes.cell_code`: the columnar layer reaches the code sets through the API
    only)."""
    from .codesets.case_codes import cell_code as read

    return read(compiled, text, field, day)


def cell_diagnoses(compiled: CompiledPolicy, codes: list[CellCode],
                   site: object) -> tuple[str | None, str | None, tuple[str, str] | None]:
    """What a row's valid diagnosis codes decide (`codesets.case_codes.cell_diagnoses`)."""
    from .codesets.case_codes import cell_diagnoses as decide

    return decide(compiled, codes, site)


def cell_not_applicable(compiled: CompiledPolicy, decided_on: str,
                        procedures: list[str]) -> str | None:
    """A not_applicable row's explanation (`codesets.case_codes.cell_not_applicable`)."""
    from .codesets.case_codes import cell_not_applicable as explain

    return explain(compiled, decided_on, procedures)


def load_policy(tables: str | os.PathLike[str] | None = None, policy: str | None = None) -> Policy:
    """Find, validate (or reuse the validated cache) and compile a policy's tables."""
    from .cache import compiled_policy
    from .core.policy_files import find_tables_dir, policy_files

    return Policy(compiled_policy(policy_files(find_tables_dir(tables), policy)))
