"""Issue 12, "Describing changes": decision changes follow the rules, text changes show words."""

import itertools
import json
from collections.abc import Mapping

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.compare.diff import diff_revisions
from policy.compiler import complete_outcomes
from shipped import shipped_validated

REVISIONS = shipped_validated().revisions

OTHER_SITES = ["colon", "gastric", "pancreatic", "soft_tissue_sarcoma", "gynecologic",
               "head_and_neck", "renal", "cns", "neuroblastoma", "fibromatosis", "breast",
               "thoracic", "other"]


def _rev(rev_id):
    return next(r for r in REVISIONS if r.id == rev_id)


def test_2011_to_2012_boxes_follow_the_rules(cli):
    code, out, _ = cli("diff", "2011-12", "2012-12", "--json")
    changes = json.loads(out)["decision_changes"]
    assert code == 0
    assert [(c["from_rule"], c["to_rule"], c["when"], c["cases"]) for c in changes] == [
        ("other-oncologic-sites", "other-oncologic-sites", {"cancer_site": OTHER_SITES}, 702),
        ("rectal-negative-margins", "rectal-negative-margins",
         {"cancer_site": ["rectal"], "margin_status": ["negative"]}, 18),
        ("rectal-margins-not-t4-not-recurrent", "rectal-margins-not-t4-not-recurrent",
         {"cancer_site": ["rectal"], "margin_status": ["positive", "close"],
          "t_stage": ["TX", "T0", "Tis", "T1", "T2", "T3"], "recurrent": [False]}, 12)]
    assert {(c["from"], c["to"]) for c in changes} == {("investigational",
                                                        "not_medically_necessary")}


pairs = st.tuples(st.sampled_from(REVISIONS), st.sampled_from(REVISIONS))


@settings(max_examples=20, deadline=None)
@given(pair=pairs)
def test_every_box_lies_inside_one_rule_of_each_revision(pair):
    a, b = pair
    columns = tuple((c.name, tuple(c.values)) for c in a.columns)
    before, after = complete_outcomes(a, columns), complete_outcomes(b, columns)
    changes = diff_revisions(a, b)["decision_changes"]
    for change in changes:
        sets = [change["when"].get(name, list(values)) for name, values in columns]
        for cell in itertools.product(*sets):
            assert before[cell] == (change["from_rule"], change["from"])
            assert after[cell] == (change["to_rule"], change["to"])
    # merged within a pair: with tables whose rules are boxes, one box per pair of rules
    pairs_seen = [(c["from_rule"], c["to_rule"]) for c in changes]
    assert len(pairs_seen) == len(set(pairs_seen))


def test_the_output_says_what_cases_count(cli):
    out = cli("diff", "2011-12", "2012-12")[1]
    assert "732 of the 810 complete cases" in out
    assert "combinations of facts" in out
    md = cli("diff", "2011-12", "2012-12", "--format", "markdown")[1]
    assert "810 complete cases" in md and "combinations of facts" in md


def test_text_changes_show_the_changed_words_untruncated(cli):
    out = cli("diff", "2011-12", "2012-12")[1]
    assert "...'" not in out and '..."' not in out  # the old output cut values at 90 characters
    line = next(x for x in out.splitlines() if "statements[id=other-oncologic].text" in x)
    assert "[-investigational-]{+not medically necessary+}" in line


def test_bookkeeping_is_folded_after_the_substance(cli):
    out = cli("diff", "2011-12", "2012-12")[1]
    lines = out.splitlines()
    book = next(i for i, x in enumerate(lines) if x.startswith("bookkeeping"))
    substantive = next(i for i, x in enumerate(lines)
                       if "statements[id=other-oncologic].text" in x)
    assert substantive < book
    # ids, versions, dates and the history row are one folded group, each path on one line
    folded = "\n".join(lines[book:])
    for path in ("revision.id", "revision.version", "revision.effective_from",
                 "revision.history.description",
                 "interpretation[id=effective-date].text"):
        assert path in folded, path
    data = json.loads(cli("diff", "2011-12", "2012-12", "--json")[1])
    kinds = {t["path"]: t["bookkeeping"] for t in data["text_changes"]}
    assert kinds["revision.version"] is True
    assert kinds["statements[id=other-oncologic].text"] is False
    assert kinds["interpretation[id=effective-date].text"] is True  # only dates and ids change


def _hostile(rev, text):
    """A copy of `rev` whose other-oncologic statement text is `text`."""
    import dataclasses

    from policy.load.model import freeze

    def thaw(value):  # a plain, editable copy of the frozen table
        if isinstance(value, Mapping):
            return {k: thaw(v) for k, v in value.items()}
        return [thaw(v) for v in value] if isinstance(value, tuple) else value

    data = thaw(rev.data)
    for statement in data["statements"]:
        if statement["id"] == "other-oncologic":
            statement["text"] = text
    return dataclasses.replace(rev, data=freeze(data))


@pytest.mark.parametrize("text", [
    "see [the manual](javascript:alert(1)) *now*",
    "<script>alert(1)</script> _x_ `code`",
    "| a | b |\n# heading",
])
def test_markdown_diff_leaves_table_text_inert(text):
    from policy.present.diff_markdown import diff_markdown

    old = _rev("2011-12")
    new = _hostile(_rev("2012-12"), text)
    # GitHub renders Markdown inside <details>; Python-Markdown does not, so drop those tags
    text = "\n".join(line for line in diff_markdown(diff_revisions(old, new)).splitlines()
                     if "details>" not in line and "<summary>" not in line)
    html = markdown.markdown(text, extensions=["tables"])
    for markup in ("<a", "href", "<em", "<script", "<code>code", "<h1", "<img"):
        assert markup not in html, (markup, html)


def test_markdown_diff_marks_words_and_folds_bookkeeping(cli):
    md = cli("diff", "2011-12", "2012-12", "--format", "markdown")[1]
    assert "<del>investigational</del>" in md and "<ins>not medically necessary</ins>" in md
    assert "<summary>bookkeeping" in md


def test_change_page_says_in_words_without_set_notation():
    from policy.compare.changelog import revision_changes
    from policy.present.site.change import change_page_text

    change = revision_changes(REVISIONS)[1]
    # policy.yml phrases the conditions
    page = change_page_text(change, shipped_validated().definition)
    words_line = next(x for x in page.splitlines() if x.startswith("In words"))
    assert "{" not in words_line and " in " not in words_line and "=" not in words_line
    assert "rectal cancer" in words_line.lower()
    assert "<del>investigational</del>" in page


def test_text_diff_escapes_terminal_controls():
    from policy.present.diff_text import diff_text

    text = "considered \x1b[31mred\x1b[0m \u202eevil for all other oncologic applications."
    out = diff_text(diff_revisions(_rev("2011-12"), _hostile(_rev("2012-12"), text)))
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\x1b[31mred" in out
