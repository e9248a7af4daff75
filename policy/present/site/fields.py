"""The case fields page: every field a case may give and its allowed values."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..markdown import md_text
from ..text import field_rows
from .paths import render_page


def fields_page(compiled: Any, definition: Any) -> str:
    """Every case field and its allowed values, as the tables declare them (what `policy evaluate
    --help` lists), each input with its label from policy.yml."""
    vocabulary = dict(compiled.columns)
    labels = {i.name: i.label for i in definition.inputs}
    fields = []
    for name, allowed in field_rows(compiled.columns):
        if name in vocabulary:
            shown = Markup(", ".join(f"<code>{md_text(v)}</code>" for v in allowed.split(", ")))
        else:
            shown = Markup(md_text(allowed))
        fields.append((name, labels.get(name), shown))
    return render_page("fields.md.j2", "fields.md", fields=fields) + "\n"
