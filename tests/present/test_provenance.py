"""Provenance and fidelity (issue 12): wherever a statement's words are shown, their provenance goes
with them, and reconstructed words never look like a quote; the notes say what the source says;
the manual's disclaimer goes with every determination; evidence is attached where its scope fits."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from policy.load.source import normalize_text
from policy.load.yaml_loader import load_yaml
from repo_paths import POLICY_DIR, ROOT, TABLES

RECONSTRUCTED = ("Use of intraoperative radiotherapy is considered not medically necessary for all "
                 "other oncologic applications.")
VERBATIM = ("Use of intraoperative radiotherapy is considered investigational for all other "
            "oncologic applications.")
WARRANTY = "does not constitute a representation or warranty"
QUOTE_MARKS = "“\"'>"


@pytest.fixture(scope="module")
def iort():
    from policy import load_policy

    return load_policy(TABLES)


@pytest.fixture(scope="module")
def validated():
    from policy.core.policy_files import policy_files
    from policy.validate import load_and_validate

    return load_and_validate(policy_files(TABLES, None))


def _renderings(validated, iort, site_pages) -> dict[str, str]:
    """Every text the package renders for people, by name."""
    from policy.compare.diff import consecutive_diffs
    from policy.present.changelog import changelog_markdown
    from policy.present.diff_markdown import diff_markdown
    from policy.present.diff_text import diff_text
    from policy.present.text import decision_text
    out = {"CHANGELOG.md": changelog_markdown(validated.revisions)}
    # the pages as people read them: data embedded for scripts (the Try a case page's JSON) is not
    # shown as such; that page's own tests check what its script shows
    out.update({f"site:{path}": re.sub(r"(?s)<script\b.*?</script>", "", text) for path, text in
                site_pages.items()})
    for diff in consecutive_diffs(validated.revisions):
        name = f"{diff['from']['id']}..{diff['to']['id']}"
        out[f"diff markdown {name}"] = diff_markdown(diff)
        out[f"diff text {name}"] = diff_text(diff)
    for day in ("2012-06-01", "2014-06-01", "2020-06-01"):
        decision = iort.evaluate({"cancer_site": "gastric"}, day)
        out[f"evaluate text {day}"] = decision_text(decision)
    return out


@pytest.fixture(scope="module")
def site_pages(validated, iort) -> dict[str, str]:
    """The site's pages, built once for the tests that read them."""
    from policy.present.site import build_site

    return build_site(validated, iort.compiled).pages


@pytest.fixture(scope="module")
def renderings(validated, iort, site_pages) -> dict[str, str]:
    """Rendered once for the tests that read them."""
    return _renderings(validated, iort, site_pages)


def _occurrences(text: str, words: str):
    """(the character before, the rest of the line) at each place `words` is shown (any
    rendering: raw, or Markdown-escaped words that still read the same)."""
    plain = re.sub(r"&#?\w+;", lambda m: {"&#95;": "_", "&amp;": "&"}.get(m.group(0), " "), text)
    flat = " ".join(plain.split()) if "\n" not in words else plain
    for line in plain.splitlines() or [flat]:
        line = " ".join(line.split())
        at = line.find(words)
        while at >= 0:
            yield line[at - 1] if at else "", line
            at = line.find(words, at + 1)


def test_every_rendering_marks_reconstructed_words_and_never_quotes_them(renderings):
    shown = 0
    for name, text in renderings.items():
        for before, line in _occurrences(text, RECONSTRUCTED):
            shown += 1
            assert before not in QUOTE_MARKS, (name, line)
            assert "reconstructed" in line, (name, line)
    assert shown > 5  # CHANGELOG, timeline, revision and change pages (diffs show changed words)


def test_diffs_mark_the_provenance_of_changed_statement_words(renderings):
    for name, text in renderings.items():
        if name.startswith("diff") and ("2011-12..2012-12" in name or "2015-12..2018-03" in name):
            # the terminal names the value by its path, Markdown in words
            [line] = [row for row in text.splitlines()
                      if "statements[id=other-oncologic].text" in row.replace("&#91;", "[")
                      .replace("&#93;", "]") or "statements › other-oncologic › text" in row]
            assert "verbatim" in line and "reconstructed, not in the source" in line, (name, line)


def test_every_rendering_marks_verbatim_words(renderings):
    shown = 0
    for name, text in renderings.items():
        for _, line in _occurrences(text, VERBATIM):
            shown += 1
            assert "verbatim" in line, (name, line)
    assert shown > 10


def test_the_changelog_names_the_provenance_of_the_new_words():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"“{RECONSTRUCTED}”" not in text
    assert "now decided by (reconstructed, not in the source):" in text


def test_evaluate_json_and_text_carry_provenance(cli):
    code, out, _ = cli("evaluate", "--as-of", "2014-06-01", "cancer_site=colon", "--json")
    result = json.loads(out)
    assert (result["source"], result["provenance"]) == (RECONSTRUCTED, "reconstructed")
    code, out, _ = cli("evaluate", "--as-of", "2014-06-01", "cancer_site=colon")
    assert f"“{RECONSTRUCTED[:40]}" not in out and f'"{RECONSTRUCTED[:40]}' not in out
    assert "reconstructed" in out


# --- the disclaimer ------------------------------------------------------------------------------

@pytest.mark.parametrize("words", [
    ["--as-of", "2024-01-01", "cancer_site=rectal", "margin_status=close", "t_stage=T4"],
    ["--as-of", "2014-01-01", "cancer_site=rectal"],          # indeterminate
    ["--as-of", "2016-01-01", "cancer_site=none"],            # not_addressed
    ["--as-of", "2010-06-01", "cancer_site=gastric"],         # no_policy_in_force
])
def test_every_determination_carries_the_disclaimer(cli, words):
    code, out, _ = cli("evaluate", *words, "--json")
    result = json.loads(out)
    assert code == 0 and WARRANTY in result["disclaimer"]
    assert result["disclaimer"].startswith("The conclusion that a particular service or supply")
    assert result["disclaimer_provenance"] == "verbatim"
    if result["determination"] == "no_policy_in_force":  # how it is carried before 2011-12 too
        assert result["disclaimer_note"].startswith("No revision is in force: the manual's "
                                                    "disclaimer as the first revision, 2011-12")
    else:
        assert ("carried back" in result["disclaimer_note"]) == (result["as_of"] < "2023-10-01")
    code, out, _ = cli("evaluate", *words)
    if result["determination"] == "no_policy_in_force":  # nothing decided: nothing to qualify
        assert WARRANTY not in " ".join(out.split()) and "disclaimer" not in out
    else:
        assert WARRANTY in " ".join(out.split()) and "disclaimer" in out


def test_evaluate_text_prints_no_disclaimer_when_no_revision_is_in_force(cli):
    """Issue 25 item 4 (failed before: the text printed the disclaimer for a date before the
    first revision, where no determination was made)."""
    code, out, _ = cli("evaluate", "--as-of", "2010-06-01", "cancer_site=rectal")
    assert code == 0 and out.startswith("no_policy_in_force\n")
    assert "disclaimer" not in out and WARRANTY not in " ".join(out.split())


@pytest.mark.parametrize("as_of", ["2012-06-01", "2014-06-01", "2019-01-01", "2024-01-01"])
def test_evaluate_text_marks_carried_back_words_as_the_json_does(cli, as_of):
    """Issue 25 item 4 (failed before: for a date before 2023-10-01 the text printed the 2023 words
    as "(verbatim)" with no word of the JSON's provenance_note, so nothing said they were carried
    back). The text shows both notes of the JSON, the statement's and the disclaimer's, each
    after the words it is about."""
    words = ["evaluate", "--as-of", as_of, "cancer_site=rectal", "margin_status=close",
             "t_stage=T4"]
    code, out, _ = cli(*words, "--json")
    result = json.loads(out)
    code, out, _ = cli(*words)
    flat = " ".join(out.split())
    for note in (result["provenance_note"], result["disclaimer_note"]):
        assert " ".join(note.split()) in flat
    assert ("carried back" in flat) == (as_of < "2023-10-01")
    # each note directly after its words: the statement's before the explanation
    assert (flat.index(result["provenance_note"][:40]) < flat.index(" why ")
            < flat.index(" disclaimer ") < flat.index(result["disclaimer_note"][:40]))


def test_batch_json_lines_and_parquet_carry_the_disclaimer(tmp_path):
    source = tmp_path / "cases.jsonl"
    source.write_text(json.dumps({"case_id": "a", "cancer_site": "colon"}) + "\n"
                      + json.dumps({"case_id": "b", "cancer_site": "rectal"}) + "\n")
    for day in ("2010-01-01", "2014-01-01", "2024-01-01"):
        out = tmp_path / f"out-{day}.jsonl"
        result = subprocess.run([sys.executable, "-m", "policy", "batch", source, "--out", out,
                                 "--as-of", day, "--tables", TABLES], capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert all(WARRANTY in row["disclaimer"] for row in rows), rows
        parquet = tmp_path / f"out-{day}.parquet"
        result = subprocess.run([sys.executable, "-m", "policy", "batch", source, "--out",
                                 parquet, "--as-of", day, "--tables", TABLES],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        table = pq.read_table(parquet)
        assert all(WARRANTY in text for text in table.column("disclaimer").to_pylist())
        assert table.column("provenance").to_pylist() == [row["provenance"] for row in rows]


def test_the_site_shows_the_disclaimer(site_pages):
    for path, text in site_pages.items():
        if path.startswith("revisions/") or path == "index.md":
            assert WARRANTY in " ".join(text.split()), path


def test_every_revision_carries_the_disclaimer_and_2023_the_related_policies():
    for path in sorted(POLICY_DIR.glob("[0-9]*.yaml")):
        data = load_yaml(path.read_bytes(), path.name).data
        assert WARRANTY in data["disclaimer"]["text"]
        if path.stem != "2023-09":
            assert "carried back" in data["disclaimer"]["provenance_note"]
    latest = load_yaml((POLICY_DIR / "2023-09.yaml").read_bytes(), "2023-09.yaml").data
    assert latest["content"]["related_policies"] == "None"
    assert latest["content"]["closing_statement"].endswith(data["disclaimer"]["text"])


# --- notes that say what the source says ----------------------------------------------------------

def _notes():
    for path in sorted(POLICY_DIR.glob("[0-9]*.yaml")):
        data = load_yaml(path.read_bytes(), path.name).data
        for statement in data["statements"]:
            yield path.stem, statement["id"], statement["provenance_note"]


def test_no_note_claims_more_than_the_policy_history_says():
    for rev, statement, note in _notes():
        assert "every history row from" not in note, (rev, statement)
        assert "name only the statement on other applications" not in note, (rev, statement)
        if rev != "2023-09":
            assert "What the source says:" in note and "The project's reading:" in note, (
                rev, statement)
            says = note.split("The project's reading:")[0]
            assert "reading" not in says and "read as" not in says, (rev, statement)


def test_the_rows_a_note_quotes_are_in_the_source():
    source = normalize_text((POLICY_DIR / "source.md").read_text(encoding="utf-8"))
    for rev, statement, note in _notes():
        for quoted in re.findall(r"'([^']+)'", note):
            assert normalize_text(quoted) in source, (rev, statement, quoted)


def test_the_2023_nccn_guideline_is_not_cited_as_if_older_revisions_had_it():
    for path in sorted(POLICY_DIR.glob("[0-9]*.yaml")):
        data = load_yaml(path.read_bytes(), path.name).data
        [reading] = [n for n in data["interpretation"] if n["id"] == "rectal-criterion-reading"]
        assert "NCCN" in reading["text"] and "v.3.2023" in reading["text"]
        if path.stem != "2023-09":
            assert "carried back" in reading["text"], path.stem


# --- evidence where its scope fits ----------------------------------------------------------------

def test_evidence_is_attached_where_the_source_scope_fits_and_partial_scope_is_said(iort):
    def decide(site):
        return iort.evaluate({"cancer_site": site}, "2024-01-01")

    neuro, cns, rectal = decide("neuroblastoma"), decide("cns"), decide("rectal")
    assert neuro.evidence.startswith("For individuals who have glioblastoma")
    assert neuro.evidence_scope is None
    assert cns.evidence == neuro.evidence
    assert "glioblastoma only" in cns.evidence_scope and "brain metastases" in cns.evidence_scope
    assert rectal.evidence_scope is None and rectal.evidence
    assert decide("breast").evidence is None
    text = json.dumps(cns.to_json())
    assert "evidence_scope" in text
