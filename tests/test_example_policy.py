"""A second, invented policy works through every command and the site with no code change.

`tests/fixtures/example-policy/tables/demo-1.00.00/` is a made-up policy (bicycle bells: not a real
policy; its source.md says so) with other input names and values (a boolean among them), other
determinations, a `first` hit policy with a catch-all rule, and three revisions. Its policy.yml
gives everything about it that is not a revision. And the package's code names nothing of the
shipped policy (FEP 8.01.08): a grep over policy/*.py finds none of its fields, values, ids or
prose.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path(__file__).parent / "fixtures" / "example-policy"
POLICY = "demo-1.00.00"


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A writable copy of the example policy repository (tables and the package's schemas), as
    the current directory: the commands find its tables/ folder themselves."""
    shutil.copytree(EXAMPLE / "tables", tmp_path / "tables")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_example_says_it_is_invented():
    source = (EXAMPLE / "tables" / POLICY / "source.md").read_text(encoding="utf-8")
    assert "invented example" in source and "not a real policy" in source
    assert "not a real policy" in (EXAMPLE / "tables" / POLICY / "policy.yml").read_text()


def test_validate(repo, cli):
    code, out, err = cli("validate")
    assert (code, err) == (0, ""), out
    assert out.strip() == f"{POLICY}: 3 revisions valid (2020-01 .. 2022-01)"
    code, out, _ = cli("validate", "--format", "json")
    assert code == 0


def test_a_policy_of_two_revisions_has_its_bump_checked(repo, cli):
    """With only two revisions, both sound, the version bump between them is still checked
    (killed mutant of issue 26: `{prev.file, rev.file} < sound`, true only when some third
    revision is sound too)."""
    folder = repo / "tables" / POLICY
    (folder / "2022-01.yaml").unlink()
    shutil.rmtree(folder / "expected")
    later = folder / "2021-01.yaml"
    later.write_text(later.read_text().replace("  version: 2.0.0", "  version: 1.1.0", 1))
    code, out, _ = cli("validate")
    assert code == 1 and ":7:12: SEMVER_BUMP: 2021-01 version 1.1.0 after 1.0.0" in out, out
    # the API checks the chain too: its loading takes `chain=True` by default (killed mutant:
    # that default as False, a wrong bump then loaded in silence)
    from policy import load_policy
    from policy.core.errors import DataError

    with pytest.raises(DataError, match="SEMVER_BUMP: 2021-01 version 1.1.0 after 1.0.0"):
        load_policy(repo / "tables")


def test_a_validated_policy_is_frozen():
    """What validation returns is shared by threads and caches: it cannot be changed (killed
    mutant of issue 26: `ValidatedPolicy` as a mutable dataclass)."""
    import dataclasses

    from policy.core.policy_files import policy_files
    from policy.validate import load_and_validate

    validated = load_and_validate(policy_files(str(EXAMPLE / "tables")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        validated.revisions = ()


def test_history(repo, cli):
    code, out, _ = cli("history", "--json")
    assert code == 0
    revisions = json.loads(out)
    assert [(r["id"], r["version"], r["effective_from_basis"]) for r in revisions] == [
        ("2020-01", "1.0.0", "inferred"), ("2021-01", "2.0.0", "inferred"),
        ("2022-01", "2.1.0", "stated")]


def test_evaluate_text_and_json(repo, cli):
    code, out, _ = cli("evaluate", "--as-of", "2021-06-01", "bell_kind=electronic",
                       "night_riding=true")
    assert code == 0 and out.startswith("referred\n")
    code, out, _ = cli("evaluate", "--as-of", "2020-06-01", "bell_kind=electronic",
                       "night_riding=true", "--json")
    decision = json.loads(out)
    assert (decision["determination"], decision["revision"]["id"], decision["rule"]) == (
        "declined", "2020-01", "electronic-at-night")
    # the order of possible outcomes is the example's own (policy.yml), the needs its inputs
    code, out, _ = cli("evaluate", "--as-of", "2022-03-01", "bell_kind=electronic", "--json")
    decision = json.loads(out)
    assert decision["determination"] == "indeterminate"
    assert (decision["needs"], decision["possible"]) == (["night_riding"], ["referred", "declined"])
    # the evidence is keyed by the example's evidence_key, in part where the table says so
    assert decision["evidence"].startswith("Electronic bells were heard at night")
    assert decision["evidence_scope"] == "at night only"
    code, out, _ = cli("evaluate", "--as-of", "2022-03-01", "bell_kind=none", "rider_age=child",
                       "--json")
    decision = json.loads(out)
    assert (decision["determination"], decision["source"]) == ("out_of_scope", None)
    code, out, _ = cli("evaluate", "--as-of", "2019-01-01", "bell_kind=brass", "--json")
    assert json.loads(out)["determination"] == "no_policy_in_force"


def test_evaluate_rejects_what_the_example_does_not_know(repo, cli):
    code, out, err = cli("evaluate", "--as-of", "2022-03-01", "cancer_site=rectal")
    assert code == 1 and "UNKNOWN_FIELD" in err and "bell_kind" in err
    code, out, err = cli("evaluate", "--as-of", "2022-03-01", "night_riding=yes")
    assert code == 1 and "night_riding" in err


def test_diff(repo, cli):
    code, out, _ = cli("diff", "2020-01", "2021-01", "--json")
    assert code == 0
    changes = json.loads(out)["decision_changes"]
    assert [(c["from"], c["to"], c["when"], c["cases"]) for c in changes] == [
        ("declined", "referred", {"bell_kind": ["electronic"], "night_riding": [True]}, 2)]
    code, out, _ = cli("diff", "2021-01", "2022-01", "--json")
    assert code == 0 and json.loads(out)["decision_changes"] == []


def test_batch_csv_and_json_lines(repo, cli):
    (repo / "claims.csv").write_text(
        "case_id,service_date,bell_kind,night_riding,rider_age\n"
        "a,2021-06-01,electronic,true,\n"
        "b,2021-06-01,brass,,\n"
        "c,2021-06-01,cancer,,\n", encoding="utf-8")
    code, out, err = cli("batch", "claims.csv", "--out", "results.jsonl")
    assert code == 3, err  # one bad line
    results = [json.loads(line) for line in
               (repo / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r.get("determination") for r in results] == ["referred", "approved", None]
    assert "error" in results[2] and "bell_kind" in results[2]["error"]
    (repo / "claims.jsonl").write_text(
        json.dumps({"case_id": "d", "bell_kind": "none", "rider_age": "adult"}) + "\n"
        + json.dumps({"case_id": "e", "bell_kind": "electronic", "night_riding": False}) + "\n",
        encoding="utf-8")
    code, out, err = cli("batch", "claims.jsonl", "--as-of", "2022-03-01")
    assert code == 0, err
    assert [json.loads(line)["determination"] for line in out.splitlines()] == [
        "declined", "declined"]


def test_changelog(repo, cli):
    code, out, err = cli("changelog", "--check")
    assert code == 1  # none written yet
    code, out, err = cli("changelog")
    assert code == 0, err
    text = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "2.0.0" in text and "referred" in text
    code, out, err = cli("changelog", "--check")
    assert code == 0, (out, err)


def test_site_pages(repo):
    from policy.compiler import compile_policy
    from policy.core.policy_files import policy_files
    from policy.present.site import build_site
    from policy.validate import load_and_validate

    validated = load_and_validate(policy_files(str(repo / "tables")))
    pages = build_site(validated, compile_policy(validated.revisions,
                                                 validated.definition)).pages
    assert {"index.md", "matrix.md", "timeline.md", "try.md", "revisions/2022-01.md",
            "changes/2020-01-to-2021-01.md"} <= set(pages)
    matrix = pages["matrix.md"]
    for label in ("electronic · at night", "electronic · by day", ">brass<", ">none<"):
        assert label in matrix  # row headers of the matrix's table
    assert "referred for review" in matrix and "invented example" in matrix
    assert "bell_kind=electronic" in pages["index.md"]


@pytest.mark.skipif(shutil.which("mkdocs") is None and not Path(
    sys.executable).with_name("mkdocs").exists(), reason="mkdocs not installed")
def test_site_builds_with_mkdocs(repo, tmp_path):
    from sitebuild import document, mkdocs_build, try_page_data

    result = mkdocs_build(tmp_path / "site", tables=repo / "tables")
    assert result.returncode == 0, result.stderr[-3000:]
    data = try_page_data(tmp_path / "site")
    assert data["policy"] == POLICY
    assert "electronic · at night" in document(tmp_path / "site", "matrix").text


# --- no policy knowledge in the package ---------------------------------------------------------

# The shipped policy's field names, values that name it, rule and statement ids, determinations
# and prose. Matched as words, case-insensitively, in every module of policy/.
SHIPPED_WORDS = ["cancer_site", "margin_status", "t_stage", "recurrent", "rectal", "IORT",
                 "8.01.08", "medically_necessary", "investigational", "not_addressed",
                 "oncologic", "radiotherapy", "medically necessary", "soft_tissue_sarcoma",
                 "head_and_neck", "T4", "other-oncologic", "rectal-margins", "77424", "77425",
                 "77469", "fibromatosis"]


def test_the_package_names_no_field_value_id_or_prose_of_the_shipped_policy():
    """Every module (the site's package too) and every template the package ships."""
    pattern = re.compile("|".join(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])"
                                  for w in SHIPPED_WORDS), re.IGNORECASE)
    found = []
    files = sorted([*(ROOT / "policy").rglob("*.py"), *(ROOT / "policy").rglob("*.j2")])
    assert any(f.suffix == ".j2" for f in files) and (ROOT / "policy/present/site/home.py") in files
    for module in files:
        if "_data" in module.parts:  # the installed copy of tables/, not code
            continue
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{module.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_example_gets_its_own_prose_on_the_site_and_in_the_changelog(repo, cli):
    """policy.yml's site.notice (the example says it is invented) heads the home page and the
    changelog; the shipped policy has none, so its pages carry none."""
    from policy.compiler import compile_policy
    from policy.core.policy_files import policy_files
    from policy.present.site import build_site
    from policy.validate import load_and_validate

    validated = load_and_validate(policy_files(str(repo / "tables")))
    notice = validated.definition.site["notice"]
    assert "invented example" in notice and "not a real policy" in notice
    pages = build_site(validated, compile_policy(validated.revisions, validated.definition)).pages
    assert notice in pages["index.md"]
    assert cli("changelog")[0] == 0
    assert notice in (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    # labels from policy.yml where the site shows inputs
    assert "riding at night" in pages["revisions/2022-01.md"]
    assert "<legend>riding at night <code>night_riding</code></legend>" in pages["try.md"]


def test_the_case_schema_is_derived_from_the_shipped_policy_yaml():
    """schemas/case.schema.json is the shipped policy's case schema: what
    `definition.case_schema` derives from its policy.yml, so the two cannot drift apart."""
    from policy.load.definition import build_definition, case_schema
    from policy.load.yaml_loader import load_yaml

    shipped = json.loads((ROOT / "schemas" / "case.schema.json").read_text(encoding="utf-8"))
    raw = (ROOT / "tables" / "fep-8.01.08" / "policy.yml").read_bytes()
    definition = build_definition(load_yaml(raw, "policy.yml"))
    assert case_schema(definition, schema_id=shipped["$id"], title=shipped["title"]) == shipped


def test_a_policy_may_reword_the_determinations_every_policy_has(repo):
    """The labels of `indeterminate` and `no_policy_in_force` come from the package's
    templates/site/words.yml unless policy.yml's site.common_determinations rewords them; what it
    leaves out keeps the package's wording."""
    from policy.compiler import compile_policy
    from policy.core.policy_files import policy_files
    from policy.present.site import build_site, site_words
    from policy.validate import load_and_validate

    def matrix() -> str:
        validated = load_and_validate(policy_files(str(repo / "tables")))
        return build_site(validated, compile_policy(validated.revisions,
                                                    validated.definition)).pages["matrix.md"]

    package = site_words()["determinations"]["indeterminate"]
    assert f'>{package["short"]}</span> {package["meaning"]}' in matrix()
    policy_yml = repo / "tables" / POLICY / "policy.yml"
    text = policy_yml.read_text(encoding="utf-8")
    policy_yml.write_text(text.replace("site:\n", "site:\n  common_determinations:\n"
                                       "    indeterminate: {meaning: undecided for now}\n", 1),
                          encoding="utf-8")
    reworded = matrix()
    assert f'>{package["short"]}</span> undecided for now' in reworded
    assert package["meaning"] not in reworded


def test_a_value_the_second_of_two_revisions_introduces_is_compiled_after_the_first_ones():
    """The compiled columns are the first revision's values, then each value a later revision
    introduces (issue 23's `since`). The mutation run's last survivor in the compiler (issue 26,
    `revisions[1:]` read as `revisions[2:]`) dropped the value a second revision introduced: the
    shipped and frozen-value policies introduce theirs in a third revision or later."""
    from dataclasses import replace

    from policy.compiler import compile_policy
    from policy.core.policy_files import policy_files
    from policy.validate import load_and_validate

    validated = load_and_validate(policy_files(str(EXAMPLE / "tables")))
    first, second = validated.revisions[:2]
    column = next(c for c in second.columns if not isinstance(c.values[0], bool))
    widened = replace(column, values=(*column.values, "introduced"))
    introduced = replace(second, columns=tuple(widened if c is column else c
                                               for c in second.columns))
    compiled = compile_policy([first, introduced], validated.definition)
    first_values = next(c.values for c in first.columns if c.name == column.name)
    assert dict(compiled.columns)[column.name] == (*first_values, "introduced")
    assert compiled.revisions[0].unknown == ((column.name, ("introduced",)),)
    assert compiled.revisions[1].unknown == ()
