"""`policy evaluate`: one case, as of a date, as text or JSON."""

from __future__ import annotations

from ..api import Policy
from ..core.cases import WORDS, check_case, is_field_word, parse_words
from ..core.errors import UsageError
from ..core.value_text import value_text
from ..present.text import decision_text
from . import loading
from .output import out

TYPE_CHECKING = False  # typing.TYPE_CHECKING without the import: on a warm evaluate's path
if TYPE_CHECKING:
    from argparse import Namespace

    from ..core.cases import Where


def run(args: Namespace) -> int:
    compiled = loading.compiled(args)
    raw: dict[str, object] = {}
    where: Where | None = None
    name = "case"
    if args.case is not None:
        from ..load.case_files import read_case_file  # (YAML: only for a case file)

        raw, where, name = read_case_file(args.case)
    for word in args.fields:
        if not is_field_word(word):
            example = (f" (e.g. {compiled.columns[0][0]}={value_text(compiled.columns[0][1][0])})"
                       if compiled.columns else "")
            raise UsageError(f"'{word}' is not FIELD=VALUE{example}")
    word_case = parse_words(args.fields, compiled.columns)
    if word_case:  # words override the file; their problems are named by the word, not a line
        file_case = check_case({k: v for k, v in raw.items() if k not in word_case},
                               compiled.columns, where=where, file=name)
        case = {**file_case, **check_case(word_case, compiled.columns, file=WORDS)}
    else:
        case = check_case(raw, compiled.columns, where=where, file=name)
    words = {word.partition("=")[0]: word for word in args.fields}

    def locate(field: str) -> tuple[str, int, int]:
        """Where a code field was given: its word, else its line in the case file."""
        if field in words:
            return (words[field], 0, 0)
        if where is not None and field in raw:
            return (name, *where((field,)))
        return (name, 0, 0)

    decision = Policy(compiled).evaluate_checked(case, args.as_of, locate=locate)
    if args.json:
        import json  # (not on the text path: a warm evaluate's start-up counts)

        out(json.dumps(decision.to_json(), indent=2, ensure_ascii=False), escaped=False)
    else:
        out(decision_text(decision))
    return 0
