"""Text changes between revisions as people read them: grouped, bookkeeping folded, changed words
marked (shared by the terminal diff, the pull-request Markdown and the site's change pages)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..compare.diff import TextChange, changed_words, value_words
from ..core.escaping import escape

_ITEM = r"\[id=([^\]]*)\]"  # a path's item: rules[id=...]
_LONG_BLOCK = 80  # words: an added or removed block longer than this is named, not printed

def text_groups(changes: Sequence[TextChange]) -> list[dict[str, Any]]:
    """Changes with the same old and new values at the same path in different items (rules that
    all change one way) become one, with the item ids listed: {path, old, new, bookkeeping}."""
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

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(?:[^=\]]*=)?([^\]]*)\]")


def path_words(path: str) -> str:
    """A value's path as a reader names it: each step in words, an item by its id
    (`rules[id=r1].provenance_note` is "rules › r1 › provenance note"); `policy diff --json`
    keeps the exact path."""
    steps = [(name or item).replace("_", " ") for name, item in _PATH_PART.findall(path)]
    return " › ".join(step for step in steps if step)


def _block(value: Any) -> str | None:
    """A name for an added or removed block too long to print, else None."""
    if isinstance(value, dict) and len(value_words(value).split()) > _LONG_BLOCK:
        return f"a block of {len(value)} fields ({', '.join(map(str, value))})"
    return None

def word_ops(change: dict, context: int) -> list[tuple[str, str]]:
    """The changed words of a change, with runs of unchanged words longer than 2 * `context`
    cut to `context` words each side ("…" stands for the words left out)."""
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

def words_text(ops: list[tuple[str, str]]) -> str:
    """Changed words for a terminal: [-removed-]{+added+} (as `git diff --word-diff`)."""
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    out = ""
    for op, text in ops:
        piece = marks[op].format(escape(text))  # table text is untrusted: no terminal controls
        glue = "" if not out or (op == "+" and out.endswith("-]")) else " "
        out += glue + piece
    return out or "(empty)"
