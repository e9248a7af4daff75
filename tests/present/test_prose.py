"""Prose stays out of the Python that writes pages, the changelog and the Markdown diff.

The wording of the site, CHANGELOG.md and `policy diff --format markdown` lives in
`policy/present/templates/` (Jinja2 templates and `site/words.yml`) or in a policy's policy.yml, so
a wording edit needs no Python. This test reads the code that writes them and fails on a string
that holds English words: two or more in a row (a navigation title is two). Docstrings and
comments are the code's own notes, and the words of an exception or a logged message are not page
text, so they are left out. A heuristic: it catches the prose that creeps back, not every possible
phrasing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SENTENCE = re.compile(r"[A-Za-z][a-z']*(?:,? [A-Za-z][a-z']*)+")
# Strings that hold words but are no wording: name, text and why.
ALLOWED = {
    ("policy/present/site/home.py", "$ policy evaluate --as-of {} \\\n    {}\n{}"):
        "a command and its output, shown verbatim in a fenced block (a template would escape it)",
    ("policy/present/site/try_page.py",
     '<script type="application/json" id="try-data">{}</script>'):
        "an HTML element, no words",
    ("policy/present/templating.py", '<a href="{}">{}</a>'): "an HTML element, no words",
}
# What writes Markdown: a module that imports these at its top is page code as a whole; elsewhere
# (present/text.py, whose terminal text may stay in Python), a function that imports them is.
MARKDOWN_MODULES = {"templating", "markdown"}
PAGE_MODULES = {"mkdocs_hooks.py"}  # page code that imports them lazily
NOT_TEXT = {"namedtuple"}  # field names, not words
MESSAGES = ("Error", "Exception", "Problem", "warn", "warning", "info", "debug", "error")


def _imports(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.ImportFrom):
            names.add((sub.module or "").rpartition(".")[2])
            names.update(alias.name for alias in sub.names)
    return names


def _left_out(tree: ast.AST) -> set[int]:
    """ids of the nodes that are no page text: docstrings, raised or logged messages."""
    left: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)):
            left.add(id(body[0].value))
        called = ""
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if isinstance(node, ast.Raise) or called.endswith(MESSAGES) or called in NOT_TEXT:
            left.update(id(sub) for sub in ast.walk(node))
    return left


def _strings(node: ast.AST, left: set[int]) -> Iterator[tuple[int, str]]:
    """(line, text) of every string under `node`, an f-string's values as {}."""
    inside: set[int] = set()
    for sub in ast.walk(node):
        if id(sub) in left or id(sub) in inside:
            continue
        if isinstance(sub, ast.JoinedStr):
            inside.update(id(v) for v in sub.values)
            yield sub.lineno, "".join(str(v.value) if isinstance(v, ast.Constant) else "{}"
                                      for v in sub.values)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.lineno, sub.value


def sentences(source: str, name: str) -> list[str]:
    """'name:line: text' for every sentence in the page code of the module `source`."""
    tree = ast.parse(source)
    left = _left_out(tree)
    top = {n for stmt in tree.body if isinstance(stmt, ast.ImportFrom) for n in _imports(stmt)}
    if name in PAGE_MODULES or "/site/" in name or top & MARKDOWN_MODULES:
        scopes: list[ast.AST] = [tree]
    else:
        scopes = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                  and _imports(f) & MARKDOWN_MODULES]
    return sorted({f"{name}:{line}: {text!r}" for scope in scopes
                   for line, text in _strings(scope, left)
                   if SENTENCE.search(text) and (name, text) not in ALLOWED})


def test_the_code_that_writes_pages_holds_no_sentences():
    modules = [*sorted((ROOT / "policy").rglob("*.py")), ROOT / "mkdocs_hooks.py"]
    found = [hit for module in modules if "_data" not in module.parts
             for hit in sentences(module.read_text(encoding="utf-8"),
                                  module.relative_to(ROOT).as_posix())]
    assert found == [], ("move these words into policy/present/templates/ (or policy.yml):\n"
                         + "\n".join(found))


def test_the_heuristic_finds_a_sentence_and_leaves_notes_and_messages_alone():
    page = '''
"""A docstring of four words or more."""
from .markdown import md_text
def title(n):
    """Another docstring of many words."""
    if n < 0:
        raise ValueError(f"a count of {n} is below zero")
    return md_text(f"{n} changes in this revision")
'''
    assert sentences(page, "policy/page.py") == [
        "policy/page.py:8: '{} changes in this revision'"]
    terminal = '''
def summary(n):
    return f"{n} changes in this revision"
def table(n):
    from .templating import render
    return render("t.md.j2") + "and then some more words"
'''
    assert sentences(terminal, "policy/present/render.py") == [
        "policy/present/render.py:6: 'and then some more words'"]
    assert sentences(page.replace("changes in this revision", "changes"), "policy/page.py") == []
    assert sentences('NAV = [{"Case fields": "fields.md"}]', "policy/present/site/nav.py") == [
        "policy/present/site/nav.py:1: 'Case fields'"]
