"""The Try a case page's reading of its link, in Python: the reference the page
(docs/assets/try.js, in headless Chromium) is compared with by the property test
(tests/test_site_browser.py) and the fuzz target (benchmarks/fuzz.py `try`).

A link's query is read as every browser reads one (the WHATWG application/x-www-form-urlencoded
parser: pieces between `&`, the name before the first `=`, `+` a space, percent-escapes decoded,
bytes that are not UTF-8 read as U+FFFD), which `urllib.parse.parse_qsl` implements. Then each
field is checked with the engine's own checks, as `policy evaluate` checks its words:

- a name that is not `as_of` or a case field of the policy (a JavaScript built-in name such as
  `constructor` among them) is a problem;
- a name given more than once is a problem (the first value is still checked);
- `as_of` and `service_date` must be real `YYYY-MM-DD` days (`policy.core.dates.check_date`);
- an input's value must be one the tables allow, written as on the command line
  (`policy.core.cases.check_case` of the `FIELD=VALUE` word); `case_id` takes any text;
- with neither `as_of` nor `service_date` in the link, `as_of` is the problem (no date);
- with no other problem, a value the revision in force does not know (a later revision introduces
  it: `since` in policy.yml) is a problem of its field, as `policy evaluate` refuses it.

With problems the page decides nothing and names them (sorted, once each); else it shows
`Policy.evaluate(case, as_of or service_date).to_json()`, and its command, split as a POSIX shell
splits words (`shlex`), gives back `policy evaluate --as-of DAY FIELD=VALUE... case_id=TEXT`.
"""

from __future__ import annotations

import datetime
import json
import shlex
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus

from policy.core.cases import (
    CODE_FIELDS,
    DATE_FIELDS,
    TEXT_FIELDS,
    case_fields,
    check_case,
    parse_words,
)
from policy.core.dates import check_date
from policy.core.errors import DataError, PolicyError
from policy.core.value_text import value_text

CONTRACT_IDS = ("determination", "revision", "needs", "rule", "problems")
CORPUS = Path(__file__).resolve().parent / "fuzz_corpus" / "try"
# What the page shows for each query: its data-values, the decision's JSON (null when nothing is
# decided) and the command.
READ_EACH = """queries => queries.map(query => {
    const values = window.policyTry.render(query);
    const decided = !document.getElementById("json-box").hidden;
    return [values, decided ? document.getElementById("decision-json").textContent : null,
            document.getElementById("command").textContent];
})"""


@dataclass(frozen=True)
class Expected:
    problems: str  # the names of the fields in trouble, sorted, space-separated
    decision: dict | None  # `policy evaluate --json`, when decided
    command: list[str] | None  # the command's words, when decided

    def values(self) -> dict:
        """The contract's data-values."""
        if self.decision is None:
            return {"determination": "", "revision": "", "needs": "", "rule": "",
                    "problems": self.problems}
        revision = self.decision["revision"]
        return {"determination": self.decision["determination"],
                "revision": revision["id"] if revision else "",
                "needs": " ".join(sorted(self.decision["needs"])),
                "rule": self.decision["rule"] or "", "problems": ""}


def _bad_word(name: str, value: str, columns) -> bool:
    """Whether `policy evaluate` refuses the word NAME=VALUE of a known field."""
    try:
        if name == "as_of" or name in DATE_FIELDS:
            check_date(value)
        else:
            check_case(parse_words([f"{name}={value}"], columns), columns)
    except (PolicyError, ValueError):
        return True
    return False


def expected(query: str, policy) -> Expected:
    """What the page must show for `query` (a URL query without its "?") under `policy` (a
    `policy.api.Policy`)."""
    columns = policy.compiled.columns
    # the code fields (diagnosis, procedure) are not read on the page: it says so, as a problem
    fields = ["as_of", *(f for f in case_fields(columns) if f not in CODE_FIELDS)]
    pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
    first: dict[str, str] = {}
    problems = set()
    for name, value in pairs:
        if name in first:
            problems.add(name)
            continue
        first[name] = value
        if name not in fields or (name not in TEXT_FIELDS and _bad_word(name, value, columns)):
            problems.add(name)
    if "as_of" not in first and not any(f in first for f in DATE_FIELDS):
        problems.add("as_of")
    if problems:
        return Expected(" ".join(sorted(problems)), None, None)
    booleans = {name for name, values in columns if isinstance(values[0], bool)}
    case = {name: ({"true": True, "false": False}[first[name]] if name in booleans
                   else first[name]) for name, _ in columns if name in first}
    extra = {f: first[f] for f in (*TEXT_FIELDS, *DATE_FIELDS) if f in first}
    day = first.get("as_of") or first[DATE_FIELDS[0]]
    try:  # each problem placed at its field's name
        decision = policy.evaluate_checked(check_case({**extra, **case}, columns), day,
                                           locate=lambda field: (field, 0, 0)).to_json()
    except DataError as exc:
        return Expected(" ".join(sorted({p.file for p in exc.problems})), None, None)
    command = ["policy", "evaluate", "--as-of", day,
               *(f"{name}={value_text(value)}" for name, value in case.items()),
               *(f"{f}={first[f]}" for f in TEXT_FIELDS if f in first)]
    return Expected("", decision, command)


def differences(page, policy, queries: list[str]) -> list[tuple]:
    """Render each query on the open Try page and compare with `expected`: the queries whose
    data-values, decision or command differ, with what was shown and what was expected. A
    JavaScript error fails `page.evaluate` itself."""
    found: list[tuple] = []
    for query, (values, decision, command) in zip(
            queries, page.evaluate(READ_EACH, ["?" + q for q in queries]), strict=True):
        want = expected(query, policy)
        shown = {i: values[i] for i in CONTRACT_IDS}
        if shown != want.values():
            found.append((query, "data-values", shown, want.values()))
        elif want.decision is not None and json.loads(decision) != want.decision:
            found.append((query, "decision", json.loads(decision), want.decision))
        elif want.command is not None and shlex.split(command) != want.command:
            found.append((query, "command", command, want.command))
    return found


# --- generated links ----------------------------------------------------------------------------

BUILTIN_NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty",
                 "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "__defineGetter__",
                 "__lookupSetter__", "prototype", "length", "name", "then", "toJSON"]
AWKWARD = ["", " ", "+", "=", "&", "?", "#", "%", "%zz", "%C3", "%C3%A9", "%E2%82", "%00", "%2B",
           "%26", "%3D", "\u00e9", "\u2028", "\U0001f600", "$(touch PWNED)", "`id`", "'", '"',
           "\\", "\n", "!", "*", ";", "<img src=x onerror=alert(1)>", "true", "false", "True",
           "2016-05-03", "2023-02-30", "20230101", "0000-01-01", "2016-05-03T00:00", "１"]


def queries(columns):
    """A Hypothesis strategy of URL queries (without "?") for a policy of `columns`: known and
    unknown names, JavaScript built-in names, allowed and near-miss values, dates and awkward
    text, each piece percent-encoded, form-encoded or left raw, joined with `&` (empty pieces,
    pieces without `=` and repeated names included)."""
    from hypothesis import strategies as st

    names = ["as_of", *case_fields(columns)]
    words = [value_text(v) for _, values in columns for v in values]
    text = st.text(st.characters(codec="utf-8"), max_size=12)
    name = st.one_of(st.sampled_from(names), st.sampled_from(BUILTIN_NAMES),
                     st.sampled_from([n.upper() for n in names] + [n + " " for n in names]),
                     text)
    dates = st.dates().map(lambda d: d.isoformat())
    value = st.one_of(st.sampled_from(words), st.sampled_from(AWKWARD), dates,
                      st.sampled_from(words).map(str.upper), st.sampled_from(BUILTIN_NAMES), text)
    written = st.sampled_from([lambda s: s, lambda s: quote(s, safe=""), quote_plus,
                               lambda s: s.replace(" ", "+")])
    piece = st.one_of(
        st.tuples(name, value, written, written).map(lambda t: f"{t[2](t[0])}={t[3](t[1])}"),
        st.tuples(name, written).map(lambda t: t[1](t[0])),  # a name without "="
        st.sampled_from(["", "=", "==", "&", "?", "?as_of=2020-01-01", "as_of=2020-01-01"]))
    # mostly decidable: a date while revisions are in force, allowed values, any case id
    day = st.dates(datetime.date(2010, 1, 1), datetime.date(2025, 12, 31)).map(
        lambda d: f"as_of={d.isoformat()}")
    good = st.one_of(*(st.sampled_from([f"{n}={quote_plus(value_text(v))}" for v in values])
                       for n, values in columns),
                     st.tuples(text | st.sampled_from(AWKWARD), written).map(
                         lambda t: f"case_id={t[1](t[0])}"))
    decidable = st.tuples(day, st.lists(good, max_size=len(columns) + 1)).map(
        lambda t: "&".join([t[0], *t[1]]))
    return st.one_of(st.lists(piece, max_size=8).map("&".join), decidable)


def seeds() -> list[str]:
    """Queries kept from earlier fuzzing (tests/fuzz_corpus/try/, one per file, UTF-8) and a few
    written by hand."""
    kept = [p.read_bytes().decode("utf-8", "surrogateescape") for p in sorted(CORPUS.glob("*"))
            if p.is_file()]
    return kept + ["as_of=2016-05-03&cancer_site=rectal&margin_status=positive&t_stage=T3"
                   "&recurrent=false", "?as_of=2020-01-01", "as_of=2020-01-01&constructor=1",
                   "as_of=2020-01-01&__proto__=x&case_id=%24(touch%20PWNED)",
                   "service_date=2016-05-03&case_id=it%27s", string.punctuation]
