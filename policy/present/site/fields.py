"""The case fields page: every field a case may give and its allowed values."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ...core.value_text import value_text
from ..markdown import md_text
from ..provenance import DEFINITION_LABELS
from ..text import field_rows
from .paths import render_page


def fields_page(compiled: Any, definition: Any) -> str:
    """Every case field and its allowed values, as the tables declare them (what `policy evaluate
    --help` lists), each input with its label from policy.yml; then what each value means (its
    definition in policy.yml), marked where it is the project's reading."""
    vocabulary = dict(compiled.columns)
    inputs = {i.name: i for i in definition.inputs}
    fields, meanings = [], []
    for name, allowed in field_rows(compiled.columns):
        if name in vocabulary:
            shown = Markup(", ".join(f"<code>{md_text(v)}</code>" for v in allowed.split(", ")))
        else:
            shown = Markup(md_text(allowed))
        label = inputs[name].label if name in inputs else None
        fields.append((name, label, shown))
        if name in inputs:  # each value with its definition, marked when the project's reading
            meanings.append((name, label, [
                (value_text(v), inputs[name].definition(v) or {"text": "", "basis": "source"})
                for v in vocabulary[name]]))
    return render_page("fields.md.j2", "fields.md", fields=fields, meanings=meanings,
                       reading_mark=DEFINITION_LABELS["reading"]) + "\n"
