"""How words from the source are marked wherever they are shown: the provenance vocabulary shared
by the terminal, Markdown and the site."""

from __future__ import annotations

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


# How the definition of an input value (policy.yml) is marked: none when the source's words are the
# definition, else that it is the project's reading.
DEFINITION_LABELS = {"source": "", "reading": "the project's reading"}

def definition_mark(basis: str) -> str:
    """'(the project's reading) ' before a definition that is, '' before the source's."""
    label = DEFINITION_LABELS.get(basis, basis)
    return f"({label}) " if label else ""
