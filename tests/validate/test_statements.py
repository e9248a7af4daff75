"""Rules cite the statements that decide them (issue 10 §4): the words shown with a decision come
from the cited statement, and `policy validate` refuses a rule or statement that contradicts
them."""

from __future__ import annotations

import pytest

from policy.load.source import normalize_text
from repo_paths import POLICY_DIR


def _edit(tables_copy, name: str, old: str, new: str, count: int = 1) -> None:
    path = tables_copy / "fep-8.01.08" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _codes(cli, tables_copy) -> tuple[int, str]:
    code, out, err = cli("validate", "--tables", tables_copy)
    assert "Traceback" not in out + err
    return code, out


def test_every_deciding_rule_cites_a_statement_of_its_own_determination():
    from policy.load.yaml_loader import load_yaml

    for path in sorted(POLICY_DIR.glob("[0-9]*.yaml")):
        data = load_yaml(path.read_bytes(), path.name).data
        statements = {s["id"]: s for s in data["statements"]}
        for rule in data["table"]["rules"]:
            assert "quote" not in rule and "provenance" not in rule, (path.name, rule["id"])
            if rule["then"] == "not_addressed":
                assert rule["statement"] == "none" and rule["no_statement_reason"]
            else:
                assert statements[rule["statement"]]["determination"] == rule["then"]


def test_an_investigational_rule_citing_the_medically_necessary_statement_is_refused(
        tables_copy, cli):
    _edit(tables_copy, "2023-09.yaml",
          "      then: investigational\n      statement: other-oncologic",
          "      then: investigational\n      statement: medically-necessary")
    code, out = _codes(cli, tables_copy)
    assert code == 1 and ": STATEMENT_CONTRADICTED: " in out and "2023-09.yaml" in out


def test_a_statement_whose_determination_changes_without_its_words_is_refused(tables_copy, cli):
    # the rules follow the statement, so only the words contradict it
    _edit(tables_copy, "2023-09.yaml", "determination: investigational",
          "determination: not_medically_necessary")
    _edit(tables_copy, "2023-09.yaml", "then: investigational", "then: not_medically_necessary",
          count=3)
    code, out = _codes(cli, tables_copy)
    assert code == 1 and ": STATEMENT_WORDING: " in out


def test_not_medically_necessary_is_not_taken_for_medically_necessary(tables_copy, cli):
    # 2012-12's reconstructed statement says "not medically necessary": it cannot be relabelled
    # medically_necessary although "medically necessary" is inside its words
    _edit(tables_copy, "2012-12.yaml", "determination: not_medically_necessary",
          "determination: medically_necessary")
    code, out = _codes(cli, tables_copy)
    assert code == 1 and ": STATEMENT_WORDING: " in out


@pytest.mark.parametrize("fragment", [
    "e",
    "considered investigational for all other oncologic applications.",
    "Use of intraoperative radiotherapy is considered investigational",
])
def test_a_verbatim_fragment_is_refused(tables_copy, cli, fragment):
    _edit(tables_copy, "2023-09.yaml",
          'text: "Use of intraoperative radiotherapy is considered investigational for all other '
          'oncologic applications."', f'text: "{fragment}"')
    code, out = _codes(cli, tables_copy)
    assert code == 1 and ": QUOTE_FRAGMENT: " in out, out


def test_the_bare_substring_check_no_longer_lets_a_letter_pass():
    from policy.load.source import whole_sentences_of

    source = (POLICY_DIR / "source.md").read_text(encoding="utf-8")
    assert "e" in normalize_text(source)
    assert not whole_sentences_of("e", source)
    assert not whole_sentences_of("considered investigational for all other oncologic "
                                  "applications.", source)
    assert whole_sentences_of("Use of intraoperative radiotherapy is considered investigational "
                              "for all other oncologic applications.", source)
    # a table cell and a paragraph after a heading start sentences; a page break inside one does not
    assert whole_sentences_of("Monotherapy should not be offered unless in the context of a "
                              "prospective clinical trial.", source)
    assert whole_sentences_of("Not applicable.", source)
    assert not whole_sentences_of("patients with stage III disease, OS improved.", source)
    assert whole_sentences_of("When IORT was administered without adjuvant EBRT in patients with "
                              "stage III disease, OS improved.", source)


def test_a_rule_citing_an_unknown_statement_is_refused(tables_copy, cli):
    _edit(tables_copy, "2015-12.yaml", "statement: other-oncologic", "statement: other-oncolgic")
    code, out = _codes(cli, tables_copy)
    assert code == 1 and ": UNKNOWN_STATEMENT: " in out and "other-oncolgic" in out


def test_a_rule_without_a_statement_decides_only_not_addressed(tables_copy, cli):
    _edit(tables_copy, "2015-12.yaml",
          "      then: not_medically_necessary\n      statement: other-oncologic",
          "      then: not_medically_necessary\n      statement: none\n"
          "      no_statement_reason: \"none\"")
    code, out = _codes(cli, tables_copy)
    assert code == 1 and ": UNSTATED_DETERMINATION: " in out


def test_decisions_show_the_cited_statement_whole():
    from policy import load_policy

    iort = load_policy(POLICY_DIR.parent)
    decision = iort.evaluate({"cancer_site": "rectal", "margin_status": "close", "t_stage": "T4"},
                             as_of="2024-01-01")
    assert decision.rule == "rectal-margins-t4"
    assert decision.source.startswith("Use of intraoperative radiotherapy may be considered "
                                      "medically necessary in the following situation:")
    assert decision.provenance == "verbatim"
    decision = iort.evaluate({"cancer_site": "colon"}, as_of="2014-01-01")
    assert decision.source == ("Use of intraoperative radiotherapy is considered not medically "
                               "necessary for all other oncologic applications.")
    assert decision.provenance == "reconstructed"
    assert decision.provenance_note.startswith("Reconstructed")
