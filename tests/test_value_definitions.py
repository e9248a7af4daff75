"""What the case values mean and which readings the project made (issue 25, item 5): every input
value has a definition in policy.yml, marked where it is the project's reading, shown by
`policy evaluate --help`, the Case fields page and the Try a case page; the modelling choices are
interpretation notes of every revision (what the source says, the choice, why), shown on the
revision pages; and the notes quote only the source.

Each test here failed before issue 25: there were no definitions, no such notes, a note quoted
words that are not the source's, and one rejected an alternative for a reason about the model."""

from __future__ import annotations

import re

import pytest

from policy.load.source import normalize_text
from policy.load.yaml_loader import load_yaml
from repo_paths import POLICY_DIR, ROOT, TABLES

EXAMPLE_TABLES = ROOT / "tests" / "fixtures" / "example-policy" / "tables"
CHOICES = ("recurrent-disease", "tx-not-t4", "t-stage-basis", "close-margins",
           "original-policy-date", "evidence-and-statement", "may-be-considered",
           "rectosigmoid-boundary")
# values whose meaning the source does not give (the list): marked the project's reading
READINGS = {"cancer_site": {"renal", "cns", "other", "thoracic", "none"},
            "margin_status": {"close"}, "t_stage": {"TX"}}


def _yaml(path):
    return load_yaml(path.read_bytes(), path.name).data


def _revisions():
    return [(path.stem, _yaml(path)) for path in sorted(POLICY_DIR.glob("[0-9]*.yaml"))]


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def definition():
    return _yaml(POLICY_DIR / "policy.yml")


@pytest.fixture(scope="module")
def site_pages():
    from policy import load_policy
    from policy.core.policy_files import policy_files
    from policy.present.site import build_site
    from policy.validate import load_and_validate

    return build_site(load_and_validate(policy_files(TABLES, None)),
                      load_policy(TABLES).compiled).pages


# --- definitions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("tables", [TABLES, EXAMPLE_TABLES], ids=["shipped", "example"])
def test_every_input_value_has_a_definition(tables):
    [folder] = [p for p in tables.iterdir() if p.is_dir()]
    for entry in _yaml(folder / "policy.yml")["inputs"]:
        values = ["true" if v is True else "false" if v is False else v for v in entry["values"]]
        assert list(entry["definitions"]) == values, entry["name"]
        assert all(d["basis"] in ("source", "reading") and d["text"].strip()
                   for d in entry["definitions"].values())


def test_values_the_source_does_not_define_are_marked_the_projects_reading(definition):
    inputs = {entry["name"]: entry for entry in definition["inputs"]}
    for name, values in READINGS.items():
        for value in values:
            assert inputs[name]["definitions"][value]["basis"] == "reading", (name, value)
    # which T staging: the definition of T4 says the source names none
    assert "does not say which staging" in inputs["t_stage"]["definitions"]["T4"]["text"]


def test_evaluate_help_shows_every_definition(capsys, definition):
    from policy.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--help", "--tables", str(TABLES)])
    assert exit_.value.code == 0
    flat = _flat(capsys.readouterr().out)
    for entry in definition["inputs"]:
        for value, meaning in entry["definitions"].items():
            mark = "(the project's reading) " if meaning["basis"] == "reading" else ""
            assert _flat(f"{value}: {mark}{meaning['text']}") in flat, (entry["name"], value)


def test_the_case_fields_and_try_pages_show_every_definition(site_pages, definition):
    fields = _flat(site_pages["fields.md"])
    [try_page] = [text for path, text in site_pages.items() if path.startswith("try")]
    try_flat = _flat(try_page)
    for entry in definition["inputs"]:
        for value, meaning in entry["definitions"].items():
            words = _flat(meaning["text"]).replace('"', "")
            assert words in fields.replace('"', ""), (entry["name"], value)
            assert words in try_flat.replace("&quot;", "").replace('"', ""), (entry["name"], value)
    assert "*the project's reading:* Kidney cancer" in fields
    assert "<em>the project's reading:</em> Kidney cancer" in try_flat


# --- the modelling choices, as interpretation notes -------------------------------------------

def test_every_revision_records_the_modelling_choices(site_pages):
    for rev_id, data in _revisions():
        notes = {note["id"]: note for note in data["interpretation"]}
        page = _flat(site_pages[f"revisions/{rev_id}.md"])
        for choice in CHOICES:
            text = notes[choice]["text"]
            assert ("What the source says:" in text and "The choice:" in text
                    and "Why:" in text), (rev_id, choice)
            assert _flat(notes[choice]["topic"]).replace('"', "") in page.replace("&quot;", "") \
                .replace('"', ""), (rev_id, choice)


def test_notes_quote_only_the_source():
    """Every phrase a note puts in quotation marks ("..." or '...'; ' ... ' marks an omission) is
    the source's text. Before: the effective-date notes quoted 'first day of the month after
    approval', which the source does not say."""
    source = normalize_text((POLICY_DIR / "source.md").read_text(encoding="utf-8"))
    quoted = re.compile(r'"([^"]+)"|(?<!\w)\'([^\']+?)\'(?!\w)')
    definitions = _yaml(POLICY_DIR / "policy.yml")["inputs"]
    texts = [(f"policy.yml {e['name']}.{v}", d["text"]) for e in definitions
             for v, d in e["definitions"].items()]
    for rev_id, data in _revisions():
        texts += [(f"{rev_id} {n['id']}", t) for n in data["interpretation"]
                  for t in (n["topic"], n["text"], *n.get("rejected_alternatives", ()))]
        texts += [(f"{rev_id} {s['id']}", s["provenance_note"]) for s in data["statements"]]
    wrong = [(where, words) for where, text in texts for match in quoted.finditer(text)
             for words in [match.group(1) or match.group(2)]
             if not all(normalize_text(part) in source for part in words.split(" ... "))]
    assert wrong == []


def test_the_fda_device_alternative_is_rejected_on_the_sources_words():
    """The December 2012 FDA-device reading was rejected because "the case vocabulary records no
    device", a reason about the model; the source's support is the March 2018 row."""
    for rev_id, data in _revisions():
        for note in data["interpretation"]:
            for alternative in note.get("rejected_alternatives", ()):
                assert "case vocabulary" not in alternative, rev_id
    [note] = [n for n in dict(_revisions())["2012-12"]["interpretation"]
              if n["id"] == "fda-approved-device-clause"]
    assert '"based on FDA 510(k) approval"' in note["rejected_alternatives"][0]


def test_the_unchanged_heading_sits_only_on_rows_that_say_it():
    heading = 'What "policy statements unchanged" carries forward'
    for rev_id, data in _revisions():
        says = "statements unchanged" in data["revision"]["history"]["description"].lower()
        topics = [note["topic"] for note in data["interpretation"]]
        assert (heading in topics) <= says, rev_id
