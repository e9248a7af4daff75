"""Text renderings of results for people: pure functions returning strings."""

from __future__ import annotations

import json
import re
import textwrap

from .errors import Problem
from .escaping import escape


# How words from the source are marked wherever they are shown: verbatim words in quotation marks,
# reconstructed words never (they are not a quote), each with its mark on the same line.
PROVENANCE_LABELS = {"verbatim": "verbatim", "reconstructed": "reconstructed, not in the source"}


def attributed(text: str, provenance: str | None) -> tuple[str, str]:
    """(label, words) for showing `text`: its provenance mark, and the words in quotation marks
    when verbatim, bare when reconstructed. Markdown callers escape the words first."""
    label = PROVENANCE_LABELS.get(provenance, f"{provenance or 'unknown'} provenance")
    return label, (f"“{text}”" if provenance == "verbatim" else text)


def attributed_text(text: str, provenance: str | None) -> str:
    label, words = attributed(text, provenance)
    return f"({label}) {words}"


def decision_text(decision) -> str:
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
        wrapped = textwrap.wrap(str(value), width=100 - width - 4) or [""]
        lines.append(f"  {key:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
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


def _values(values) -> str:
    return ", ".join("true" if v is True else "false" if v is False else str(v) for v in values)


def condition_text(when: dict) -> str:
    """{cancer_site: [rectal], margin_status: [negative]} -> readable words."""
    if not when:
        return "every case"
    return "; ".join(f"{name} {'=' if len(vals) == 1 else 'in'} "
                     f"{_values(vals) if len(vals) == 1 else '{' + _values(vals) + '}'}"
                     for name, vals in when.items())


def diff_summary(diff: dict) -> str:
    old, new = diff["from"], diff["to"]
    changes = diff["decision_changes"]
    cases = sum(c["cases"] for c in changes)
    return (f"{old['id']} ({old['version']}) -> {new['id']} ({new['version']}): "
            f"{len(changes)} decision change(s) covering {cases} case(s); "
            f"{len(diff['text_changes'])} text change(s)")


def _shown_value(change: dict, side: str):
    """A text change's old or new value, with its provenance when it is quoted words."""
    provenance = change.get(f"{side}_provenance")
    value = change[side]
    return attributed_text(value, provenance) if provenance and isinstance(value, str) else value


def _short(value, width: int = 90) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def diff_text(diff: dict) -> str:
    lines = [diff_summary(diff)]
    if diff["decision_changes"]:
        lines.append("decision changes:")
        for c in diff["decision_changes"]:
            lines.append(f"  {c['from']} -> {c['to']}  ({c['cases']} cases)  when "
                         f"{condition_text(c['when'])}")
    if diff["text_changes"]:
        lines.append("text changes:")
        for t in diff["text_changes"]:
            lines.append(f"  {t['path']}: {_short(_shown_value(t, 'old'))} -> "
                         f"{_short(_shown_value(t, 'new'))}")
    return "\n".join(lines)


def md_escape(value) -> str:
    """Text for a Markdown table cell or list item: HTML-escaped, pipes and breaks neutralised."""
    import html

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = html.escape(text, quote=True).replace("|", "&#124;").replace("`", "&#96;")
    return " ".join(text.split()) or "&nbsp;"


# Characters that HTML or Markdown would read as markup (links, images, code, emphasis, cells).
_INERT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "`": "&#96;", "\\": "&#92;",
          "[": "&#91;", "]": "&#93;", "*": "&#42;"}
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # not in cancer_site
_BLOCK_MARKER = re.compile(r"[-+=#>!]|[0-9]+[.)](?:\s|$)")  # a list, heading, quote, admonition


def md_text(value) -> str:
    """Table text as inert Markdown: HTML, pipes, backticks and the punctuation of links, images
    and emphasis escaped, so `<script>` or `[x](javascript:...)` stay text, and text that starts
    like a list, heading or quote does not become one. Line breaks become spaces (nothing is
    dropped). Needs no Markdown extension that reads attributes from text (attr_list)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    escaped = _EMPHASIS_UNDERSCORE.sub("&#95;", "".join(_INERT.get(c, c) for c in text))
    if _BLOCK_MARKER.match(text) and not escaped.startswith("&"):
        escaped = f"&#{ord(escaped[0])};{escaped[1:]}"
    return escaped or "&nbsp;"


def diff_markdown(diff: dict) -> str:
    old, new = diff["from"], diff["to"]
    lines = [f"### {md_escape(old['id'])} ({md_escape(old['version'])}) → "
             f"{md_escape(new['id'])} ({md_escape(new['version'])})", "",
             md_escape(diff_summary(diff)).replace(" -&gt; ", " → "), ""]
    if diff["decision_changes"]:
        lines += ["| from | to | cases | when |", "|---|---|---:|---|"]
        lines += [f"| {md_escape(c['from'])} | {md_escape(c['to'])} | {c['cases']} | "
                  f"{md_escape(condition_text(c['when']))} |" for c in diff["decision_changes"]]
        lines.append("")
    if diff["text_changes"]:
        lines += ["<details><summary>text changes</summary>", "",
                  "| path | old | new |", "|---|---|---|"]
        lines += [f"| {md_escape(t['path'])} | {md_escape(_shown_value(t, 'old'))} | "
                  f"{md_escape(_shown_value(t, 'new'))} |" for t in diff["text_changes"]]
        lines += ["", "</details>", ""]
    return "\n".join(lines)
