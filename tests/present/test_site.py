"""The MkDocs site: `mkdocs build --strict` builds every page from the tables with zero warnings,
the matrix and timeline say what the tables decide, table text is shown and never run, and a
broken link fails the build while the previous site stays."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from repo_paths import POLICY_DIR, ROOT
from sitebuild import (
    CANARIES,
    PLANTED,
    document,
    mkdocs_build,
    pages,
    partial_cases,
    plant,
    plant_canaries,
    try_days,
    try_page_data,
)

REVISIONS = sorted(p.stem for p in POLICY_DIR.glob("[0-9]*.yaml"))
FLIPS = ("2012-12", "2018-03")
INV, NMN, MN = "det-investigational", "det-not_medically_necessary", "det-medically_necessary"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("site") / "site"
    result = mkdocs_build(site_dir)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    return site_dir


def test_every_page_is_built(site):
    built = set(pages(site))
    expected = {"", "timeline/", "matrix/", "fields/", "try/"}
    expected |= {f"revisions/{r}/" for r in REVISIONS}
    expected |= {f"changes/{a}-to-{b}/" for a, b in pairwise(REVISIONS)}
    how_to = {p.stem + "/" for p in (ROOT / "docs").glob("*.md")}  # every one in the navigation
    assert {"cli/", "api/", "batch/", "ci/"} <= how_to
    assert built == expected | how_to
    assert len(REVISIONS) == 12 and len([p for p in built if p.startswith("changes/")]) == 11
    assert not list(ROOT.joinpath("docs").rglob("revisions")), "nothing generated under docs/"


def _matrix(site) -> dict[str, list[str]]:
    """Row label -> the determination class of each revision's cell."""
    rows = document(site, "matrix").rows
    header = [text.strip() for text, _ in rows[0]][1:]  # "2011-12" + version, "⚑ 2012-12" ...
    assert [h.removeprefix("⚑ ")[:7] for h in header] == REVISIONS
    assert [h.removeprefix("⚑ ")[:7] for h in header if h.startswith("⚑")] == list(FLIPS)
    return {cells[0][0].strip(): [next(c for c in classes if c.startswith("det-"))
                                  for _, classes in cells[1:]] for cells in rows[1:]}


@pytest.mark.parametrize("row,expected", [
    # the contract: other oncologic applications are investigational in 2011-12, not medically
    # necessary from 2012-12 through 2015-12, investigational from 2018-03 on
    ("gastric", [INV] + [NMN] * 4 + [INV] * 7),
    ("breast", [INV] + [NMN] * 4 + [INV] * 7),
    ("rectal · positive margins · T3 · not recurrent", [INV] + [NMN] * 4 + [INV] * 7),
    # the rejected reading would make this medically necessary; the contract's reading does not
    ("rectal · negative margins · T4 · recurrent", [INV] + [NMN] * 4 + [INV] * 7),
    ("rectal · positive margins · T4", [MN] * 12),
    ("rectal · close margins · T2 · recurrent", [MN] * 12),
    ("rectal · nothing else known", ["det-indeterminate"] * 12),
    ("no cancer", ["det-not_addressed"] * 12),  # policy.yml's words for cancer_site=none
])
def test_matrix_cells(site, row, expected):
    assert _matrix(site)[row] == expected


def test_matrix_has_every_cancer_site_and_a_legend(site):
    schema = json.loads((ROOT / "schemas" / "case.schema.json").read_text())
    sites = schema["$defs"]["cancer_site"]["enum"]
    labels = set(_matrix(site))
    # each other site by its words: underscores as spaces, none as policy.yml's "no cancer"
    assert {s.replace("_", " ") for s in sites if s not in ("rectal", "none")} <= labels
    assert "no cancer" in labels
    text = document(site, "matrix").text
    assert "Legend" in text and "not medically necessary" in text


def test_timeline_marks_exactly_the_two_flips(site):
    doc = document(site, "timeline")
    flipped = [cells[1][0].strip() for cells in doc.rows if any("flip" in c for _, c in cells)]
    assert flipped == list(FLIPS)
    for cells in doc.rows[1:]:  # every revision: date, version, action, literature review
        assert len(cells) == 6 and cells[1][0].strip() in REVISIONS
    assert "investigational → not medically necessary for 732 cases" in doc.text
    assert "not medically necessary → investigational for 732 cases" in doc.text


def test_revision_pages(site):
    newest = document(site, "revisions/2023-09")
    links = [a.get("href", "") for tag, a in newest.elements if tag == "a"]
    pubmed = [h for h in links if h.startswith("https://pubmed.ncbi.nlm.nih.gov/")]
    table = (POLICY_DIR / "2023-09.yaml").read_text(encoding="utf-8")
    assert len(pubmed) == table.count("pmid: '") > 80  # one link per reference with a PMID
    assert all(h.split("/")[-2].isdigit() for h in pubmed)
    assert "https://pubmed.ncbi.nlm.nih.gov/24661656/" in pubmed
    assert "Summary of evidence" in newest.text and "Table 2. Recommendations" in newest.text
    assert "<p>" not in newest.text  # the source's paragraph tags in a guideline cell: breaks
    older = document(site, "revisions/2012-12")
    classes = {c for _, a in older.elements for c in a.get("class", "").split()}
    assert {"prov-verbatim", "prov-reconstructed"} <= classes
    assert "Decision change from 2011-12: 732 cases decided differently" in older.text
    assert "Hit policy unique" in older.text


def test_change_pages(site):
    flip = document(site, "changes/2015-12-to-2018-03")
    assert "not medically necessary → investigational (732 cases)" in flip.text
    counts = [row[0][0] for row in flip.rows if row[0][0].strip().isdigit()]
    assert counts == ["702", "18", "12"]
    quiet = document(site, "changes/2018-09-to-2019-09")
    assert "None: every complete case gets the same determination" in quiet.text
    assert "revision › literature review through" in quiet.text


def test_the_home_page_explains_every_mark_the_site_uses(site):
    """Every determination badge, provenance mark and ⚑ that any page shows is in the home page's
    legend (failed before: the home page explained none of them)."""
    home = document(site, "")
    legend = home.text[home.text.index("Reading the marks"):]
    legend_classes = {c for _, attributes in home.elements
                      for c in (attributes.get("class") or "").split()}
    used = set()
    for path in pages(site):
        for _, attributes in document(site, path).elements:
            used |= {c for c in (attributes.get("class") or "").split()
                     if c.startswith(("det-", "prov-"))}
    assert used and used <= legend_classes, used - legend_classes
    assert "⚑ after a revision or a change" in legend
    assert "struck through" in legend and "underlined" in legend


def test_every_matrix_cell_says_its_determination_and_rule_in_words(site):
    """A screen reader hears "Medically necessary (rectal-margins-t4)", not "MN": the short
    label is hidden from it and the words are given (failed before: the words were only in a
    hover tooltip)."""
    import yaml

    meanings = {d["id"]: d["meaning"] for d in yaml.safe_load(
        (POLICY_DIR / "policy.yml").read_text())["determinations"]}
    rows = document(site, "matrix").rows[1:]
    cells = [cell for row in rows for cell in row[1:]]
    assert len(cells) == len(rows) * len(REVISIONS)
    for text, classes in cells:
        assert "visually-hidden" in classes, text
        determination = next(c for c in classes if c.startswith("det-"))[4:]
        if determination in meanings:
            assert meanings[determination] in text, text
    assert any("(rectal-margins-t4)" in text for text, _ in cells)


def test_each_change_page_quotes_its_policy_history_row_beside_the_decision_change(site):
    """The why (the Policy History row) sits with the decision change, not only in a folded
    bookkeeping table: the December 2012 row explains the first flip. Failed before: the row was
    only a bookkeeping text change."""
    import yaml

    for old, new in pairwise(REVISIONS):
        history = yaml.safe_load((POLICY_DIR / f"{new}.yaml").read_text())["revision"]["history"]
        text = document(site, f"changes/{old}-to-{new}").text
        end = text.rindex("Text changes")  # the headings (the table of contents comes first)
        decisions = text[text.rindex("Decision changes", 0, end):end]
        assert f"The Policy History row of {history['date']} (verbatim from the source)" \
            in decisions, new
        assert " ".join(history["description"].split()) in " ".join(decisions.split()), new
    flip = document(site, "changes/2011-12-to-2012-12").text
    row = flip.index("changed to \"not medically necessary")
    assert row < flip.index("cases decided differently")


def test_text_changes_name_each_value_in_words_not_by_its_path(site):
    """"statements › other-oncologic › text", not `statements[id=other-oncologic].text`, which
    wrapped mid-word in a narrow column (failed before: paths in code)."""
    flip = document(site, "changes/2011-12-to-2012-12")
    names = [row[0][0].strip() for row in flip.rows if row and "›" in row[0][0]]
    assert "statements › other-oncologic › text" in names
    assert not [row for row in flip.rows if row and "[id=" in row[0][0]]


def test_a_part_of_the_text_the_earlier_revision_lacks_is_said_not_known_to_be_new(site):
    """2022-09 -> 2023-09: the 2023 text's sections show as added because the source gives no
    earlier text, and the page says so (failed before: nothing said it)."""
    said = "2022-09 records no content: the source does not give that part of the text"
    assert said in document(site, "changes/2022-09-to-2023-09").text
    assert "records no" not in document(site, "changes/2021-09-to-2022-09").text


# --- table text is shown, never run ---------------------------------------------------------------

def test_table_text_is_escaped(tables_copy, tmp_path):
    plant_canaries(tables_copy)
    site_dir = tmp_path / "site"
    result = mkdocs_build(site_dir, tables=tables_copy)
    assert result.returncode == 0, result.stderr

    for path in site_dir.rglob("*.html"):
        doc = document(site_dir, str(path.parent.relative_to(site_dir))) \
            if path.name == "index.html" else None
        if doc is None:
            continue
        for script, attributes in zip(doc.scripts, doc.script_attributes, strict=True):
            if attributes.get("type") == "application/json":  # data, never run: plain JSON
                json.loads(script)
                assert "<" not in script and ">" not in script, path
            else:
                assert "alert(1)" not in script, path
        for tag, attributes in doc.elements:
            assert not any(name.startswith("on") for name in attributes), (path, tag, attributes)
            for name in ("href", "src", "action", "formaction"):
                assert not (attributes.get(name) or "").strip().lower().startswith("javascript:")
            assert tag != "img" or attributes.get("src") != "x", path
    revision = document(site_dir, "revisions/2023-09")
    assert revision.text.count(PLANTED) >= 4  # the note, the topic, the history row, USPSTF
    history = [row for row in revision.rows if any(PLANTED in text for text, _ in row)]
    assert history and all(len(row) in (3, 2) for row in history)  # the pipe split no cell
    assert any(row[0][0].strip() == "September 2023" and row[2][0].strip() == PLANTED
               for row in history)
    assert PLANTED in document(site_dir, "timeline").text
    data = try_page_data(site_dir)  # the Try a case page carries it as data, shown as text
    assert PLANTED in json.dumps(data["values"]["explanation"], ensure_ascii=False)
    assert PLANTED in document(site_dir, "changes/2022-09-to-2023-09").text


# --- a broken site fails the build and keeps the previous site ------------------------------------

@pytest.fixture(scope="module")
def built_docs(tmp_path_factory, site):
    """mkdocs.yml, the hook and docs/ in a folder of their own, with one good build in site/ (the
    module's build of the same files and tables, copied: building them again gives the same)."""
    folder = tmp_path_factory.mktemp("docs-copy")
    for name in ("mkdocs.yml", "mkdocs_hooks.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "docs", folder / "docs")
    shutil.copytree(site, folder / "site")
    (folder / "site" / "previous-build").write_text("kept")
    return folder


@pytest.fixture
def docs_copy(built_docs, tmp_path):
    shutil.copytree(built_docs, tmp_path / "project")
    return tmp_path / "project"


@pytest.mark.parametrize("page,text,message", [
    ("cli.md", "\n[a page that is not there](no-such-page.md)\n", "no-such-page.md"),
    ("cli.md", "\n[an anchor that is not there](timeline.md#no-such-anchor)\n", "no-such-anchor"),
    ("orphan.md", "# A page in no navigation\n", "orphan.md"),
])
def test_a_broken_site_fails_and_the_previous_site_stays(docs_copy, page, text, message):
    index = (docs_copy / "site" / "index.html").read_bytes()
    with open(docs_copy / "docs" / page, "a", encoding="utf-8") as handle:
        handle.write(text)
    result = mkdocs_build(docs_copy / "site", config=docs_copy / "mkdocs.yml",
                          tables=ROOT / "tables")
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert "Aborted with 1 warnings in strict mode" in result.stdout  # MkDocs prints it there
    assert (docs_copy / "site" / "previous-build").read_text() == "kept"
    assert (docs_copy / "site" / "index.html").read_bytes() == index
    # no build folder left behind (__pycache__: the hook's bytecode, where Python writes it)
    assert sorted(p.name for p in docs_copy.iterdir() if p.name != "__pycache__") == [
        "docs", "mkdocs.yml", "mkdocs_hooks.py", "site"]


def test_a_good_build_replaces_the_site(docs_copy):
    result = mkdocs_build(docs_copy / "site", config=docs_copy / "mkdocs.yml",
                          tables=ROOT / "tables")
    assert result.returncode == 0, result.stderr
    assert not (docs_copy / "site" / "previous-build").exists()
    assert (docs_copy / "site" / "matrix" / "index.html").exists()


def test_invalid_tables_fail_the_build_with_their_problems(tables_copy, tmp_path):
    plant(tables_copy / "fep-8.01.08" / "2015-12.yaml", "version: 2.3.0", "version: 2.3")
    result = mkdocs_build(tmp_path / "site", tables=tables_copy)
    assert result.returncode != 0 and "2015-12.yaml" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "site").exists()


def test_page_names_come_only_from_safe_revision_ids():
    from policy.present.site import change_page, revision_page

    assert revision_page("2015-12") == "revisions/2015-12.md"
    for bad in ("../2015-12", "2015 12", "2015-12/x", "X015-12"):
        with pytest.raises(ValueError):
            revision_page(bad)
    with pytest.raises(ValueError):
        change_page("2015-12", "../../etc")


@pytest.mark.parametrize("text", [*CANARIES, "- a list?", "# a heading?", "> a quote?",
                                  "1. a number", "_emphasis_ and *stars*", "`code`", "x\\[y"])
def test_md_text_leaves_no_markup(text):
    import markdown

    from policy.present.markdown import md_text

    html = markdown.markdown(f"| a |\n|---|\n| {md_text(text)} |", extensions=["tables"])
    inner = html.split("<td>")[1].split("</td>")[0]
    assert "<" not in inner.replace("&lt;", "")  # no element came out of the text
    import html as html_module

    assert html_module.unescape(inner) == text


# --- the Try a case page --------------------------------------------------------------------------

def _page_decision(data: dict, day: str, known: dict) -> dict:
    """What docs/assets/try.js computes from the page's data, step by step (the browser test runs
    the script itself)."""
    revision = None
    for candidate in data["revisions"]:
        if candidate["effective_from"] <= day:
            revision = candidate
    if revision is None:
        fields = dict(data["no_policy"]["fields"])
        fields.update({k: day.join(parts) for k, parts in data["no_policy"]["day_in"].items()})
    else:
        code = 0
        for name, values in data["columns"]:
            code = code * (len(values) + 1) + (values.index(known[name]) if name in known
                                               else len(values))
        outcome = revision["outcomes"][data["indexes"][revision["index"]][code]]
        fields = {k: data["values"][k][i]
                  for k, i in zip(data["outcome_keys"], outcome, strict=True)}
        fields.update({k: data["values"][k][data["indexes"][revision["by_case"][k]][code]]
                       for k in data["case_keys"]})
    fields.update(as_of=day, case={n: known[n] for n, _ in data["columns"] if n in known},
                  case_id=None)
    return {k: fields.get(k) for k in data["keys"]}


def _differences(data: dict, compiled, days) -> list:
    from policy.api import Policy

    policy = Policy(compiled)
    found = []
    for day in days:
        for case in partial_cases(compiled.columns):
            expected = policy.evaluate(case, day).to_json()
            if _page_decision(data, day, case) != expected:
                found.append((day, case, expected["determination"]))
    return found


def test_try_page_data_agrees_with_the_engine_on_every_partial_case(site):
    from policy import load_policy

    compiled = load_policy().compiled
    data = try_page_data(site)
    assert data["columns"] == [[name, list(values)] for name, values in compiled.columns]
    days = try_days(compiled)
    assert len(days) == 25 and days[0] < compiled.revisions[0].effective_from
    assert _differences(data, compiled, days) == []  # 25 days x 1920 partial cases
    assert "evidence" in data["case_keys"]  # chosen by the cancer site, not by the outcome
    assert "determination" in data["outcome_keys"] and "explanation" in data["outcome_keys"]


def _hrefs(site, page: str) -> list[str]:
    return [a.get("href", "") for tag, a in document(site, page).elements if tag == "a"]


def test_try_page_is_linked_from_home_matrix_and_revision_pages(site):
    from policy import load_policy

    compiled = load_policy().compiled
    # (a link names the folder's index.html, so that the site works from file:// too)
    assert "try/index.html" in _hrefs(site, "")
    matrix = [h for h in _hrefs(site, "matrix") if h.startswith("../try/index.html?")]
    assert len(matrix) == len(_matrix(site)) * 12  # every cell opens its case
    assert "../try/index.html?as_of=2016-01-01&cancer_site=gastric" in matrix  # 2015-12 in force
    assert ("../try/index.html?as_of=2012-01-01&cancer_site=rectal&margin_status=close"
            "&t_stage=T2&recurrent=true") in matrix
    for revision in compiled.revisions:
        assert f"../../try/index.html?as_of={revision.effective_from}" in _hrefs(
            site, f"revisions/{revision.id}")


def test_try_page_controls_come_from_the_policy_inputs(site):
    from policy import load_policy

    doc = document(site, "try")
    radios: dict[str, list[str]] = {}
    for tag, attributes in doc.elements:
        if tag == "input" and attributes.get("type") == "radio":
            radios.setdefault(attributes["name"], []).append(attributes["value"])
    words = {True: "true", False: "false"}
    assert radios == {name: ["", *(words.get(v, v) for v in values)]
                      for name, values in load_policy().compiled.columns}
    with_value = {a["id"] for _, a in doc.elements if "id" in a and "data-value" in a}
    assert {"determination", "revision", "needs", "rule", "problems"} <= with_value
    # the date typed as YYYY-MM-DD (a date input shows the browser's locale format)
    assert {(tag, a.get("type"), a.get("placeholder")) for tag, a in doc.elements
            if a.get("id") == "as_of"} == {("input", "text", "YYYY-MM-DD")}


def test_try_page_is_generic():
    """Another policy's inputs (a boolean first, a two-value field) make other controls and data:
    two revisions of the shipped tables with their columns and rules replaced."""
    from dataclasses import replace

    from policy.compiler import compile_policy
    from policy.core.policy_files import find_tables_dir, policy_files
    from policy.load.model import ANY, Column
    from policy.present.site import revision_page
    from policy.present.site.try_page import try_data, try_page
    from policy.validate import load_and_validate
    from sitebuild import Document

    validated = load_and_validate(policy_files(find_tables_dir(None), None))
    shipped = validated.revisions

    def toy(revision, rev_id, day, then):
        first, second = revision.rules[:2]
        rules = (replace(first, id="urgent", index=0, then="medically_necessary",
                         quote="Urgent <b>cases</b>.",
                         when={"urgent": frozenset({True}), "colour": ANY}),
                 replace(second, id="other", index=1, then=then,
                         when={"urgent": frozenset({False}), "colour": ANY}))
        return replace(revision, id=rev_id, effective_from=day, hit_policy="first", rules=rules,
                       columns=(Column("urgent", (True, False)), Column("colour", ("red", "blue"))))

    compiled = compile_policy([toy(shipped[0], "2020-01", "2020-02-01", "investigational"),
                               toy(shipped[1], "2021-01", "2021-02-01", "not_medically_necessary")],
                              validated.definition)
    page = try_page(compiled, revision_page)
    radios = [(a["name"], a["value"]) for _, a in Document(page).elements
              if a.get("type") == "radio"]
    assert radios == [("urgent", ""), ("urgent", "true"), ("urgent", "false"), ("colour", ""),
                      ("colour", "red"), ("colour", "blue")]
    data = try_data(compiled)
    assert data["columns"] == [["urgent", [True, False]], ["colour", ["red", "blue"]]]
    assert _differences(data, compiled, ["2019-12-31", "2020-02-01", "2021-01-31",
                                         "2021-02-01"]) == []
    assert "Urgent <b>cases</b>." in data["values"]["source"]
    assert "<b>" not in data_text(page)  # written as JSON escapes in the page


def _keys(value) -> set:
    """Every key of every mapping in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*map(_keys, value.values()))
    if isinstance(value, list):
        return set().union(*map(_keys, value))
    return set()


def test_a_policy_named_like_javascript_builtins_validates_decides_and_builds(tmp_path, cli,
                                                                              monkeypatch):
    """The example policy renamed to names every JavaScript object answers to (an input
    `constructor` with values `__proto__` and `toString`, bell kinds `valueOf` and
    `hasOwnProperty`): valid, decided by the command line, and its site builds. The page's data
    keys no mapping by an input's or a value's name (inputs and values travel in lists), so the
    script never looks one up in an object; the data block reads back as written. (A guard, not a
    fix: the data was already laid out so; tests/test_site_browser.py decides every partial case of
    this policy in the browser.)"""
    from policy.compiler import compile_policy
    from policy.core.policy_files import policy_files
    from policy.present.site.try_page import data_block, try_data
    from policy.validate import load_and_validate
    from sitebuild import builtin_names_tables

    tables = builtin_names_tables(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli("validate")[0] == 0
    code, out, err = cli("evaluate", "--as-of", "2022-03-01", "bell_kind=hasOwnProperty",
                         "constructor=__proto__", "--json")
    assert code == 0, err
    assert json.loads(out)["case"] == {"bell_kind": "hasOwnProperty", "constructor": "__proto__"}
    code, _, err = cli("evaluate", "--as-of", "2022-03-01", "toString=1")
    assert code == 1 and "UNKNOWN_FIELD" in err
    validated = load_and_validate(policy_files(str(tables)))
    compiled = compile_policy(validated.revisions, validated.definition)
    data = try_data(compiled)
    names = {name for name, _ in compiled.columns} | {
        str(v) for _, values in compiled.columns for v in values}
    assert {"constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"} <= names
    assert _keys(data) & names == set()
    assert json.loads(data_text(data_block(data))) == data
    result = mkdocs_build(tmp_path / "site", tables=tables)
    assert result.returncode == 0, result.stderr[-3000:]
    assert try_page_data(tmp_path / "site") == data


def data_text(markdown: str) -> str:
    """The data block's text as it stands in the page."""
    return markdown.split('id="try-data">', 1)[1].split("</script>", 1)[0]


def test_try_page_contract_is_documented(site):
    home = document(site, "")
    documented = {cells[0][0].strip() for cells in home.rows}  # the contract's table
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "site.md").read_text(encoding="utf-8")  # the README points to it
    for element in ("determination", "revision", "needs", "rule", "problems"):
        assert element in documented
        assert f"`{element}`" in readme and f"| `{element}` |" in guide
    assert "data-value" in home.text and "data-value" in readme and "`try/`" in readme


def test_try_page_carries_fields_the_engine_adds(monkeypatch):
    """A field `Decision.to_json()` gains (a disclaimer, say) reaches the page's data unasked,
    with the value the engine gives for each case."""
    from policy import load_policy
    from policy.core.decision import Decision
    from policy.present.site.try_page import try_data

    plain = Decision.to_json
    monkeypatch.setattr(Decision, "to_json", lambda self: {
        **plain(self), "disclaimer": f"Not a warranty ({self.determination})."})
    compiled = load_policy().compiled
    data = try_data(compiled)
    assert "disclaimer" in data["keys"] and "disclaimer" in data["outcome_keys"]
    assert _differences(data, compiled, ["2011-12-31", "2016-05-03", "2023-10-01"]) == []


def test_templates_never_concatenate_text():
    """`{{ ... }}` escapes what it shows with the one Markdown escaper unless a helper marked it
    Markup; joining escaped Markup with raw text (`~`, `+` or `%` on strings) would escape the
    raw text for HTML only. The templates build text from `{% set %}` blocks instead."""
    templates = sorted((ROOT / "policy" / "present" / "templates").rglob("*.j2"))
    assert len(templates) > 5
    tag = re.compile(r"\{\{-?(.*?)-?\}\}|\{%[-+]?(.*?)[-+]?%\}", re.S)
    joined = re.compile(r"~|[\"'][\s)]*[%+]|[%+]\s*[\"'(]")  # ~, or % or + beside a string
    for template in templates:
        for inner in tag.findall(template.read_text(encoding="utf-8")):
            code = "".join(inner)
            assert not joined.search(code), (template, code)


def test_a_template_shows_table_text_inert():
    from markupsafe import Markup

    from policy.present.templating import environment

    hostile = "[x](javascript:alert(1)) <script>alert(1)</script> **bold** a|b"
    shown = environment().from_string(
        "{{ text }} {{ link(text, 'matrix.md') }} {{ badge('x', text) }} {{ [text, text]|join }}"
    ).render(text=hostile)
    assert "<script>" not in shown and "](javascript" not in shown and "**" not in shown
    assert "|" not in shown.replace("](matrix.md)", "")
    assert environment().from_string("{{ text }}").render(text=Markup("<b>")) == "<b>"


def test_a_template_naming_what_it_is_not_given_fails():
    import jinja2

    from policy.present.templating import environment

    with pytest.raises(jinja2.UndefinedError):  # StrictUndefined: never a silent empty string
        environment().from_string("Revision {{ revision.id }}").render()


def test_evaluate_never_imports_the_template_engine():
    """Start-up time: Jinja2 (and the site's and changelog's modules) load only when a page or the
    changelog is written, never on the `policy evaluate` path."""
    import subprocess
    import sys

    code = ("import sys\nfrom policy.cli import main\n"
            "try:\n    main(['evaluate', '--as-of', '2016-05-03', 'cancer_site=rectal'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in ('jinja2', 'markupsafe', 'policy.present.templating', "
            "'policy.present.markdown', 'policy.present.site', 'policy.compare.changelog') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_a_page_the_site_cannot_make_is_a_policy_error_and_one_line_from_the_hook(monkeypatch):
    """The site's own refusals (a name that cannot name a page, pages that differ only in letter
    case, a decision the Try page cannot reproduce) were bare ValueErrors, which the MkDocs hook
    let through as a traceback; they are SiteErrors (PolicyErrors), each one clean line."""
    from mkdocs.exceptions import PluginError

    import mkdocs_hooks
    from policy.core.errors import PolicyError, SiteError
    from policy.present.site.paths import revision_page

    with pytest.raises(SiteError, match="cannot name a page"):
        revision_page("../../etc")
    assert issubclass(SiteError, PolicyError) and issubclass(SiteError, ValueError)

    def refuse(*args, **kwargs):
        raise SiteError("two generated pages differ only in letter case")

    monkeypatch.setattr(mkdocs_hooks, "build_site", refuse)
    config = type("Config", (), {"config_file_path": str(ROOT / "mkdocs.yml")})()
    with pytest.raises(PluginError) as raised:
        mkdocs_hooks.on_config(config)
    assert str(raised.value) == ("policy tables: two generated pages differ only in letter "
                                 "case")


def test_a_hand_written_page_at_a_generated_path_fails_the_build(docs_copy):
    """A docs/ file with a generated page's path would silently shadow the page."""
    (docs_copy / "docs" / "matrix.md").write_text("# My own matrix\n", encoding="utf-8")
    result = mkdocs_build(docs_copy / "site", config=docs_copy / "mkdocs.yml",
                          tables=ROOT / "tables")
    assert result.returncode != 0
    assert "docs/matrix.md is generated from the tables; remove the file" in result.stderr
    assert (docs_copy / "site" / "previous-build").read_text() == "kept"


# --- another builder renders the same pages ----------------------------------------------------


def test_zensical_renders_the_written_pages_as_mkdocs_does(site, tmp_path):
    """`policy site --out DIR` writes the pages as Markdown; `zensical build` renders them with the
    same titles and tables, page by page, as the published `mkdocs build` (the site fixture).
    Fails before `policy site` existed: the pages lived only inside the MkDocs hook."""
    from compare_site_builds import differences

    sources = tmp_path / "sources"
    written = subprocess.run([sys.executable, "-m", "policy", "site", "--out", str(sources)],
                             cwd=ROOT, capture_output=True, text=True, check=False)
    assert written.returncode == 0, written.stderr
    built = subprocess.run([str(Path(sys.executable).parent / "zensical"), "build", "--strict",
                            "-f", str(sources / "mkdocs.yml")],
                           cwd=tmp_path, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    compared, found = differences(site, sources / "site")
    assert found == []
    assert compared == len(list(site.rglob("index.html")))


def test_try_page_data_carries_the_crosswalk_of_codes(site):
    """The site's hook compiles the policy with its crosswalk of codes, so the Try page reads
    codes by it: the page's code sets are `codesets.covered`'s export of the engine's crosswalk.
    Failed before (mkdocs_hooks.py compiled without codes.yml: the page had no crosswalk)."""
    from policy import load_policy
    from policy.codesets.case_codes import crosswalk_of
    from policy.codesets.covered import code_sets_for

    sets = try_page_data(site)["code_sets"]
    assert sets["has_crosswalk"] is True and sets["field"] == "cancer_site"
    exported = code_sets_for(crosswalk_of(load_policy().compiled))
    assert sets == json.loads(json.dumps(exported))
    assert "C20" in sets["ICD-10-CM"]["codes"] and "1541" in sets["ICD-9-CM"]["codes"]
