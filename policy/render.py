"""Text renderings of results for people: pure functions returning strings."""

from __future__ import annotations

from .errors import Problem
from .escaping import escape
from .value_text import value_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import (5 ms of start-up)
if TYPE_CHECKING:
    from typing import Any

# How words from the source are marked wherever they are shown: verbatim words in quotation marks,
# reconstructed words never (they are not a quote), each with its mark on the same line.
PROVENANCE_LABELS = {"verbatim": "verbatim", "reconstructed": "reconstructed, not in the source"}


def attributed(text: str, provenance: str | None) -> tuple[str, str]:
    """(label, words) for showing `text`: its provenance mark, and the words in quotation marks
    when verbatim, bare when reconstructed. Markdown callers escape the words first."""
    label = PROVENANCE_LABELS.get(provenance or "", f"{provenance or 'unknown'} provenance")
    return label, (f"“{text}”" if provenance == "verbatim" else text)


def attributed_text(text: str, provenance: str | None) -> str:
    label, words = attributed(text, provenance)
    return f"({label}) {words}"


def decision_text(decision: Any) -> str:
    d = decision
    lines = [d.determination]
    rows = [("policy", d.policy), ("as of", d.as_of)]
    if d.case_id is not None:
        rows.insert(0, ("case", escape(d.case_id)))  # before wrapping turns a newline to a space
    if d.revision:
        r = d.revision
        rows.append(("revision", f"{r['id']} (version {r['version']}, effective "
                                 f"{r['effective_from']}, {r['effective_from_basis']})"))
    if d.rule:
        rows.append(("rule", d.rule))
    elif d.rules and d.determination != "indeterminate":
        rows.append(("rules", " or ".join(d.rules) + " (depending on the omitted facts)"))
    if d.needs:
        rows.append(("needs", ", ".join(d.needs)))
    if d.source:
        rows.append(("statement", attributed_text(d.source, d.provenance)))
    rows.append(("why", d.explanation))
    if d.evidence:
        scope = f"; for this case in part: {d.evidence_scope}" if d.evidence_scope else ""
        rows.append(("evidence", f"(verbatim{scope}) “{d.evidence}”"))
    if d.disclaimer:
        rows.append(("disclaimer", attributed_text(d.disclaimer, d.disclaimer_provenance)))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        wrapped = wrap(str(value), 100 - width - 4) or [""]
        lines.append(f"  {key:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
    return "\n".join(lines)


# textwrap's whitespace (only ASCII's: a no-break space does not break a line)
_TO_SPACE = {ord(c): " " for c in "\t\n\x0b\x0c\r"}


def wrap(text: str, width: int, *, subsequent_indent: str = "") -> list[str]:
    """`textwrap.wrap(text, width, subsequent_indent=..., break_on_hyphens=False)`: lines broken
    at spaces only, so a hyphenated word, a rule id or a date is never split across lines; a word
    longer than a line is cut. Not textwrap itself: it imports `re` (with enum and functools),
    about a third of a warm `policy evaluate`'s start-up; tests/test_startup_path.py checks the two
    agree."""
    text = text.expandtabs().translate(_TO_SPACE)
    chunks: list[str] = []  # runs of spaces and runs of anything else
    spaces = 0  # the spaces since the last word
    for number, word in enumerate(text.split(" ")):
        spaces += number > 0
        if word:
            if spaces:
                chunks.append(" " * spaces)
                spaces = 0
            chunks.append(word)
    if spaces:
        chunks.append(" " * spaces)
    chunks.reverse()  # last first: taken from the end
    lines: list[str] = []
    while chunks:
        indent = subsequent_indent if lines else ""
        room = width - len(indent)
        if lines and chunks[-1].strip() == "":
            del chunks[-1]  # (str.strip, as textwrap: a run of other white space counts too)
        line: list[str] = []
        used = 0
        while chunks and used + len(chunks[-1]) <= room:
            used += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and len(chunks[-1]) > room:  # a word longer than the line: cut it
            cut = room - used if room >= 1 else 1
            line.append(chunks[-1][:cut])
            chunks[-1] = chunks[-1][cut:]
        if line and line[-1].strip() == "":
            del line[-1]
        if line:
            lines.append(indent + "".join(line))
    return lines


def field_rows(columns: Any) -> list[tuple[str, str]]:
    """(field, what it may hold) for every case field, the vocabulary from the tables."""
    from .cases import DATE_FIELDS, TEXT_FIELDS

    rows = [(name, "any text, echoed in the result") for name in TEXT_FIELDS]
    rows += [(name, "a date, YYYY-MM-DD (the date of service)") for name in DATE_FIELDS]
    rows += [(name, _values(values)) for name, values in columns]
    return rows


def fields_text(columns: Any) -> str:
    """The case fields and their allowed values, for `policy evaluate --help`."""
    lines = ["case fields (FIELD=VALUE; an omitted field is unknown; values are exact, letter "
             "case included):"]
    for name, allowed in field_rows(columns):
        wrapped = wrap(f"{name}: {allowed}", 96, subsequent_indent="      ")
        lines += [f"  {line}" for line in wrapped]
    return "\n".join(lines)


def history_text(entries: list[dict]) -> str:
    lines = [f"{'id':<8} {'version':<8} {'effective':<11} {'basis':<9} action / description"]
    for e in entries:
        text = e["action"] + (f": {e['description']}" if e["description"] else "")
        lines.append(f"{e['id']:<8} {e['version']:<8} {e['effective_from']:<11} "
                     f"{e['effective_from_basis']:<9} {text}")
    return "\n".join(lines)


def problems_text(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def problems_json(problems: list[Problem]) -> str:
    import json  # (json is imported where used: `policy evaluate`'s text path needs none)

    return json.dumps([p.as_json() for p in problems], indent=2)


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = escape(text)  # control characters first: nothing can start a new workflow command
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def problems_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands: one `::error` annotation per problem."""
    return "\n".join(
        f"::error file={_github_escape(p.file, prop=True)},line={max(p.line, 1)},"
        f"col={max(p.col, 1)},title={_github_escape(p.code, prop=True)}::"
        f"{_github_escape(p.message)}" for p in problems)


def _values(values: Any) -> str:
    return ", ".join(map(value_text, values))


def condition_text(when: dict) -> str:
    """{field: [value], other_field: [value, value]} -> readable words."""
    if not when:
        return "every case"
    return "; ".join(f"{name} {'=' if len(vals) == 1 else 'in'} "
                     f"{_values(vals) if len(vals) == 1 else '{' + _values(vals) + '}'}"
                     for name, vals in when.items())


def _joined(values: Any) -> str:
    """a, b or c"""
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def condition_words(when: dict, inputs: Any=()) -> str:
    """{field: [value], other: [a, b]} -> 'value field with a or b other': a box of cases in
    words, without set notation. `inputs`: the policy's (`definition.Input`, from its
    policy.yml), whose `words` ("{values} ..."), `words_many` and `value_words` (value -> words)
    phrase a condition; the first input of the policy heads the phrase ("any case" when absent)."""
    if not when:
        return "every case"
    known = {i.name: i for i in inputs}

    def phrase(name: Any, values: Any) -> str:
        spec = known.get(name)
        if spec is None or not (spec.words or spec.value_words):
            return f"{name.replace('_', ' ')} {_joined(_values(values).split(', '))}"
        own = spec.value_words or {}
        special = [own[_values([v])] for v in values if _values([v]) in own]
        plain = [str(v).replace("_", " ") for v in values if _values([v]) not in own]
        template = (spec.words_many if len(plain) > 1 and spec.words_many else spec.words)
        if plain and template:
            special.insert(0, template.replace("{values}", _joined(plain)))
        elif plain:
            special.insert(0, f"{name.replace('_', ' ')} {_joined(plain)}")
        return ", or ".join(special)

    head_name = inputs[0].name if inputs else None
    head = phrase(head_name, when[head_name]) if head_name in when else "any case"
    parts = [phrase(name, values) for name, values in when.items() if name != head_name]
    return head + (" with " + ", ".join(parts) if parts else "")


def cases_note(diff: dict) -> str:
    """What the case counts count."""
    fields = ", ".join(diff.get("case_fields", ())) or "the case fields"
    return (f"a case is one combination of facts, one value for each of {fields}; "
            f"there are {diff['complete_cases']} complete cases")


def diff_summary(diff: dict) -> str:
    old, new = diff["from"], diff["to"]
    changes = diff["decision_changes"]
    cases = sum(c["cases"] for c in changes)
    return (f"{old['id']} ({old['version']}) -> {new['id']} ({new['version']}): "
            f"{len(changes)} decision change(s) covering {cases} of the "
            f"{diff['complete_cases']} complete cases (combinations of facts); "
            f"{len(diff['text_changes'])} text change(s)")


# --- text changes: grouped, bookkeeping folded, changed words marked ------------------------------

_ITEM = r"\[id=([^\]]*)\]"  # a path's item: rules[id=...]
_LONG_BLOCK = 80  # words: an added or removed block longer than this is named, not printed


def text_groups(changes: list[dict]) -> list[dict]:
    """Changes with the same old and new values at the same path in different items (rules that
    all change one way) become one, with the item ids listed: {path, old, new, bookkeeping}."""
    import json
    import re

    groups: dict[tuple, dict] = {}
    for change in changes:
        ids = re.findall(_ITEM, change["path"])
        pattern = re.sub(_ITEM, "[id=*]", change["path"], count=1) if ids else change["path"]
        key = (pattern, json.dumps(change["old"], sort_keys=True),
               json.dumps(change["new"], sort_keys=True), change.get("old_provenance"),
               change.get("new_provenance"))
        if key in groups:
            groups[key]["ids"].append(ids[0])
        else:
            groups[key] = {**change, "ids": [ids[0]] if ids else [], "pattern": pattern}
    result = []
    for group in groups.values():
        path = group["path"]
        if len(group["ids"]) > 1:
            path = group["pattern"].replace("[id=*]", f"[id={', '.join(group['ids'])}]", 1)
        result.append({"path": path, "old": group["old"], "new": group["new"],
                       "bookkeeping": group.get("bookkeeping", False),
                       **{side: group[side] for side in ("old_provenance", "new_provenance")
                          if group.get(side)}})
    return result


def _block(value: Any) -> str | None:
    """A name for an added or removed block too long to print, else None."""
    from .diff import value_words

    if isinstance(value, dict) and len(value_words(value).split()) > _LONG_BLOCK:
        return f"a block of {len(value)} fields ({', '.join(map(str, value))})"
    return None


def word_ops(change: dict, context: int) -> list[tuple[str, str]]:
    """The changed words of a change, with runs of unchanged words longer than 2 * `context`
    cut to `context` words each side ("…" stands for the words left out)."""
    from .diff import changed_words

    for side, op in (("new", "+"), ("old", "-")):
        other = change["old" if side == "new" else "new"]
        name = _block(change[side]) if other is None else None
        if name:
            return [(op, name)]
    ops = changed_words(change["old"], change["new"])
    shown = []
    for i, (op, text) in enumerate(ops):
        words = text.split()
        if op == "=" and len(words) > 2 * context:
            first, last = i == 0, i == len(ops) - 1
            head = [] if first else words[:context]
            tail = [] if last else words[-context:]
            text = " ".join([*head, "…", *tail])
        shown.append((op, text))
    return shown


def provenance_labels(change: dict) -> list[str]:
    """The provenance of quoted words that changed: [] for other values, [label] when it is the
    same on both sides, else [old label, new label]."""
    sides = [change.get(side) for side in ("old_provenance", "new_provenance")]
    labels = [PROVENANCE_LABELS.get(p, f"{p} provenance") for p in sides if p]
    return labels[:1] if len(set(labels)) == 1 else labels


def provenance_note(change: dict) -> str:
    """`provenance_labels` as a prefix: '(verbatim) ' or
    '(verbatim -> reconstructed, not in the source) '; '' for other values."""
    labels = provenance_labels(change)
    return f"({' -> '.join(labels)}) " if labels else ""


def words_text(ops: list[tuple[str, str]]) -> str:
    """Changed words for a terminal: [-removed-]{+added+} (as `git diff --word-diff`)."""
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    out = ""
    for op, text in ops:
        piece = marks[op].format(escape(text))  # table text is untrusted: no terminal controls
        glue = "" if not out or (op == "+" and out.endswith("-]")) else " "
        out += glue + piece
    return out or "(empty)"


def diff_text(diff: dict) -> str:
    lines = [diff_summary(diff)]
    if diff["decision_changes"]:
        lines.append(f"decision changes ({cases_note(diff)}):")
        for c in diff["decision_changes"]:
            lines.append(f"  {c['from']} -> {c['to']}  ({c['cases']} cases; rule {c['from_rule']} "
                         f"-> {c['to_rule']})  when {condition_text(c['when'])}")
    groups = text_groups(diff["text_changes"])
    content = [g for g in groups if not g["bookkeeping"]]
    bookkeeping = [g for g in groups if g["bookkeeping"]]
    if content:
        lines.append("text changes:")
        lines += [f"  {escape(g['path'])}: {provenance_note(g)}{words_text(word_ops(g, 6))}"
                  for g in content]
    if bookkeeping:
        lines.append(f"bookkeeping ({len(bookkeeping)} change(s) of ids, versions, dates and the "
                     "history row):")
        lines += [f"  {escape(g['path'])}: {provenance_note(g)}{words_text(word_ops(g, 3))}"
                  for g in bookkeeping]
    return "\n".join(lines)


def diff_markdown(diff: dict, inputs: Any=()) -> str:
    """A diff for a pull-request comment, from the template `policy/templates/diff.md.j2` (every
    piece of table text through the one Markdown escaper, for GitHub: no mention, reference,
    bare link, strikethrough or emoji from the tables is live); `inputs` phrase the conditions
    (`condition_words`)."""
    from .markdown import GITHUB
    from .templating import render as fill  # Jinja2 loads here, never on `policy evaluate`'s path

    groups = text_groups(diff["text_changes"])
    text = fill("diff.md.j2", flavour=GITHUB, old=diff["from"], new=diff["to"],
                changes=diff["decision_changes"],
                cases=sum(c["cases"] for c in diff["decision_changes"]),
                complete_cases=diff["complete_cases"], case_fields=diff.get("case_fields", ()),
                text_changes=diff["text_changes"],
                phrase=lambda when: condition_words(when, inputs),
                content=[g for g in groups if not g["bookkeeping"]],
                bookkeeping=[g for g in groups if g["bookkeeping"]])
    return text.rstrip("\n") + "\n"
