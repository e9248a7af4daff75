"""A box of cases (`{field: [values]}`, as `policy diff` groups them) in words."""

from __future__ import annotations

from typing import Any

from ..core.value_text import values_text


def condition_text(when: dict) -> str:
    """{field: [value], other_field: [value, value]} -> readable words."""
    if not when:
        return "every case"
    return "; ".join(f"{name} {'=' if len(vals) == 1 else 'in'} "
                     f"{values_text(vals) if len(vals) == 1 else '{' + values_text(vals) + '}'}"
                     for name, vals in when.items())

def _joined(values: Any) -> str:
    """a, b or c"""
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]

def condition_words(when: dict, inputs: Any = ()) -> str:
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
            return f"{name.replace('_', ' ')} {_joined(values_text(values).split(', '))}"
        own = spec.value_words or {}
        special = [own[values_text([v])] for v in values if values_text([v]) in own]
        plain = [str(v).replace("_", " ") for v in values if values_text([v]) not in own]
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
