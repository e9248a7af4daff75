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
- `diagnosis` and `procedure` hold codes separated by commas, read on the date of service (a
  valid `service_date`, else the decision's day; none: not read) by the engine itself
  (`codesets.case_codes.evaluate_with_codes`), except a diagnosis code the page does not ship the
  code sets for (`codesets.covered.page_reads` false): that one is a problem of its field, and the
  engine decides the rest of the case's codes without it (an unlisted code that is valid names
  nothing, so the problems of the others are the same). The engine's problems are placed at their
  field (the code field, or the crosswalk's field for a contradiction), and the page lists each
  as `CODE: message`;
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

from policy.codesets.case_codes import crosswalk_of, evaluate_with_codes
from policy.codesets.covered import code_sets_for, page_reads
from policy.core.cases import (
    CODE_FIELDS,
    DATE_FIELDS,
    TEXT_FIELDS,
    case_fields,
    check_case,
    code_texts,
    parse_words,
)
from policy.core.dates import check_date
from policy.core.errors import DataError, InvalidCodeError, PolicyError
from policy.core.value_text import value_text

CONTRACT_IDS = ("determination", "revision", "needs", "rule", "problems")
CORPUS = Path(__file__).resolve().parent / "fuzz_corpus" / "try"
# What the page shows for each query: its data-values, the decision's JSON (null when nothing is
# decided), the command and the problems it lists.
READ_EACH = """queries => queries.map(query => {
    const values = window.policyTry.render(query);
    const decided = !document.getElementById("json-box").hidden;
    return [values, decided ? document.getElementById("decision-json").textContent : null,
            document.getElementById("command").textContent,
            Array.from(document.querySelectorAll('#problems li[data-kind="code"]'),
                       item => item.textContent)];
})"""


@dataclass(frozen=True)
class Expected:
    problems: str  # the names of the fields in trouble, sorted, space-separated
    decision: dict | None  # `policy evaluate --json`, when decided
    command: list[str] | None  # the command's words, when decided
    code_problems: tuple[str, ...] = ()  # the engine's problems of the codes, `CODE: message`

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
    fields = ["as_of", *case_fields(columns)]
    pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
    first: dict[str, str] = {}
    problems, bad = set(), set()
    for name, value in pairs:
        if name in first:
            problems.add(name)
            continue
        first[name] = value
        if name not in fields or (name not in (*TEXT_FIELDS, *CODE_FIELDS)
                                  and _bad_word(name, value, columns)):
            problems.add(name)
            bad.add(name)
    if "as_of" not in first and not any(f in first for f in DATE_FIELDS):
        problems.add("as_of")
    booleans = {name for name, values in columns if isinstance(values[0], bool)}
    case = {name: ({"true": True, "false": False}[first[name]] if name in booleans
                   else first[name]) for name, _ in columns if name in first and name not in bad}
    service = DATE_FIELDS[0]
    good_day = {f: first[f] for f in ("as_of", service) if f in first and f not in bad}
    day = good_day.get("as_of") or good_day.get(service)
    code_problems: tuple[str, ...] = ()
    codes = {f: first[f] for f in CODE_FIELDS if f in first}
    code_day = good_day.get(service) if service in first else day
    if codes and code_day is not None:
        assert day is not None  # a valid service_date is the day when as_of is not
        unchecked, found = _code_problems(policy, case, codes, good_day, day, code_day)
        problems |= unchecked | {field for field, _ in found}
        code_problems = tuple(sorted(text for _, text in found))
    if problems:
        return Expected(" ".join(sorted(problems)), None, None, code_problems)
    assert day is not None
    extra = {f: first[f] for f in (*TEXT_FIELDS, *DATE_FIELDS) if f in first}
    try:  # each problem placed at its field's name (a value its revision in force does not know)
        decision = policy.evaluate_checked(check_case({**extra, **case, **codes}, columns), day,
                                           locate=lambda field: (field, 0, 0)).to_json()
    except DataError as exc:
        return Expected(" ".join(sorted({p.file for p in exc.problems})), None, None,
                        code_problems)
    command = ["policy", "evaluate", "--as-of", day,
               *(f"{name}={value_text(value)}" for name, value in case.items()),
               *(f"{f}={first[f]}" for f in CODE_FIELDS if f in first),
               *([f"{service}={first[service]}"] if service in first and first[service] != day
                 else []),
               *(f"{f}={first[f]}" for f in TEXT_FIELDS if f in first)]
    return Expected("", decision, command)


def _code_problems(policy, case: dict, codes: dict, good_day: dict, day: str,
                   code_day: str) -> tuple[set[str], list[tuple[str, str]]]:
    """The fields of the codes the page does not check, and the engine's problems of the others
    as (field, "CODE: message")."""
    crosswalk = crosswalk_of(policy.compiled)
    unchecked: set[str] = set()
    kept: dict[str, list[str]] = {}
    for field, text in codes.items():
        texts = code_texts(text) or ()
        read = [t for t in texts if page_reads(crosswalk, t, field, code_day)]
        if len(read) < len(texts):
            unchecked.add(field)
        if read:
            kept[field] = read
    clean = check_case({**case, **kept, **({k: v for k, v in good_day.items() if k != "as_of"})},
                       policy.compiled.columns)
    try:
        evaluate_with_codes(policy.compiled, clean, day, locate=lambda field: (field, 0, 0))
    except InvalidCodeError as error:
        return unchecked, [(p.file, f"{p.code}: {p.message}") for p in error.problems]
    return unchecked, []


def differences(page, policy, queries: list[str]) -> list[tuple]:
    """Render each query on the open Try page and compare with `expected`: the queries whose
    data-values, decision or command differ, with what was shown and what was expected. A
    JavaScript error fails `page.evaluate` itself."""
    found: list[tuple] = []
    for query, (values, decision, command, listed) in zip(
            queries, page.evaluate(READ_EACH, ["?" + q for q in queries]), strict=True):
        want = expected(query, policy)
        shown = {i: values[i] for i in CONTRACT_IDS}
        code_problems = tuple(sorted(listed))
        if shown != want.values():
            found.append((query, "data-values", shown, want.values()))
        elif code_problems != want.code_problems:
            found.append((query, "code problems", code_problems, want.code_problems))
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


# Codes as a claim gives them: listed and unlisted, with and without dots, any case, headers, the
# other system, procedure codes governed or not, malformed ones and lists of them.
CODE_TEXTS = ["C20", "c20", "C18.7", "c187", "C18", "Z85.048", "z85048", "D48.1", "d481",
              "D48.11", "D48.110", "d48110", "C19", "C34.1", "C50.911", "C72.0", "154.1", "1541",
              "153.4", "154", "V10.06", "v1006", "238.1", "E831.9", "E83.19", "I10", "Q99",
              "C20,Z85.048", "C20,C18.7", "C20, c20", "77424", "77425", "77469", "99213",
              "0735T", "0735t", "G0101", "77424-26", "C 20", ".C20", "C20.", "C2.0", "", ",",
              "C20,", "1234567890123", "\u0131", "C2\u0660"]
EDGE_DAYS = ["2015-09-30", "2015-10-01", "2016-09-30", "2016-10-01", "2018-09-30", "2018-10-01",
             "2023-09-30", "2023-10-01", "2026-09-30", "2026-10-01"]


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
                      st.sampled_from(CODE_TEXTS),
                      st.sampled_from(words).map(str.upper), st.sampled_from(BUILTIN_NAMES), text)
    written = st.sampled_from([lambda s: s, lambda s: quote(s, safe=""), quote_plus,
                               lambda s: s.replace(" ", "+")])
    piece = st.one_of(
        st.tuples(name, value, written, written).map(lambda t: f"{t[2](t[0])}={t[3](t[1])}"),
        st.tuples(name, written).map(lambda t: t[1](t[0])),  # a name without "="
        st.sampled_from(["", "=", "==", "&", "?", "?as_of=2020-01-01", "as_of=2020-01-01"]))
    # mostly decidable: a date while revisions are in force, allowed values, any case id
    day = st.one_of(st.dates(datetime.date(2010, 1, 1), datetime.date(2025, 12, 31)).map(
        lambda d: d.isoformat()), st.sampled_from(EDGE_DAYS)).map(lambda d: f"as_of={d}")
    good = st.one_of(*(st.sampled_from([f"{n}={quote_plus(value_text(v))}" for v in values])
                       for n, values in columns),
                     st.tuples(text | st.sampled_from(AWKWARD), written).map(
                         lambda t: f"case_id={t[1](t[0])}"),
                     st.tuples(st.sampled_from(CODE_FIELDS), st.sampled_from(CODE_TEXTS)).map(
                         lambda t: f"{t[0]}={quote_plus(t[1])}"))
    decidable = st.tuples(day, st.lists(good, max_size=len(columns) + 1)).map(
        lambda t: "&".join([t[0], *t[1]]))
    return st.one_of(st.lists(piece, max_size=8).map("&".join), decidable)


def coded_queries(policy):
    """A Hypothesis strategy of decidable-looking links with codes: a day (edge days of the code
    systems and releases among them), a service_date now and then, 0-3 diagnosis codes (codes the
    crosswalk lists, written with or without the dot, in any case; some unlisted or invalid), 0-2
    procedure codes, and now and then a value of the crosswalk's field and other facts."""
    from hypothesis import strategies as st

    compiled = policy.compiled
    sets = code_sets_for(crosswalk_of(compiled))
    listed = sorted(sets["ICD-10-CM"]["codes"]) + sets["ICD-9-CM"]["codes"]
    days = st.one_of(st.sampled_from(EDGE_DAYS), st.dates(
        datetime.date(2011, 1, 1), datetime.date(2027, 6, 30)).map(lambda d: d.isoformat()))

    def written(code: str, dotted: bool, lower: bool) -> str:
        at = 4 if code[:1] == "E" and code[1:].isdigit() else 3
        text = f"{code[:at]}.{code[at:]}" if dotted and len(code) > at else code
        return text.lower() if lower else text

    diagnosis = st.one_of(
        st.tuples(st.sampled_from(listed), st.booleans(), st.booleans()).map(
            lambda t: written(*t)),
        st.sampled_from(CODE_TEXTS[:27]))
    procedure = st.sampled_from(["77424", "77425", "77469", "99213", "0735T", "19294", "G0101",
                                 "7742", "77424-26"])
    field = sets["field"]
    facts = [st.sampled_from([f"{name}={quote_plus(value_text(v))}" for v in values])
             for name, values in compiled.columns if name != field]
    site = (st.sampled_from([f"{field}={quote_plus(value_text(v))}"
                             for v in dict(compiled.columns)[field]]) if field else st.nothing())

    def link(parts) -> str:
        day, service, dx, px, sites, known = parts
        pieces = [f"as_of={day}"] + ([f"service_date={service}"] if service else [])
        pieces += [f"diagnosis={quote_plus(','.join(dx))}"] if dx else []
        pieces += [f"procedure={quote_plus(','.join(px))}"] if px else []
        return "&".join(pieces + sites + known)

    return st.tuples(days, st.none() | days, st.lists(diagnosis, max_size=3),
                     st.lists(procedure, max_size=2), st.lists(site, max_size=1),
                     st.lists(st.one_of(*facts), max_size=3)).map(link)


def seeds() -> list[str]:
    """Queries kept from earlier fuzzing (tests/fuzz_corpus/try/, one per file, UTF-8) and a few
    written by hand."""
    kept = [p.read_bytes().decode("utf-8", "surrogateescape") for p in sorted(CORPUS.glob("*"))
            if p.is_file()]
    return kept + ["as_of=2016-05-03&cancer_site=rectal&margin_status=positive&t_stage=T3"
                   "&recurrent=false", "?as_of=2020-01-01", "as_of=2020-01-01&constructor=1",
                   "as_of=2020-01-01&__proto__=x&case_id=%24(touch%20PWNED)",
                   "service_date=2016-05-03&case_id=it%27s", string.punctuation,
                   "as_of=2023-10-01&diagnosis=C20,Z85.048&procedure=77424",
                   "as_of=2023-09-30&diagnosis=D48.1", "as_of=2023-10-01&diagnosis=D48.1",
                   "as_of=2023-10-01&diagnosis=d48110", "as_of=2023-09-30&diagnosis=D48.110",
                   "as_of=2015-09-30&diagnosis=1541", "as_of=2015-10-01&diagnosis=154.1",
                   "as_of=2015-09-30&diagnosis=C20", "as_of=2015-10-01&diagnosis=c20",
                   "as_of=2023-10-01&diagnosis=C20,C18.7", "as_of=2023-10-01&diagnosis=C20"
                   "&cancer_site=colon", "as_of=2023-10-01&diagnosis=C20&cancer_site=rectal",
                   "as_of=2023-10-01&diagnosis=C20&procedure=99213",
                   "as_of=2012-01-01&diagnosis=154.1&procedure=77424",
                   "as_of=2023-10-01&service_date=2015-09-30&diagnosis=154.1",
                   "as_of=2023-10-01&diagnosis=I10", "as_of=2023-10-01&diagnosis=",
                   "as_of=2023-10-01&procedure=77424-26", "as_of=2023-10-01&diagnosis=E83.19"]
