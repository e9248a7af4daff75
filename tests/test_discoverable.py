"""Issue 12, "Discoverable and unsurprising": the version, the fields and their values, hints that
point the right way, bad batch lines that keep their case id, the same key order everywhere."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policy import load_policy

ROOT = Path(__file__).parent.parent
IORT = load_policy(ROOT / "tables")


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "policy", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, input=stdin)


def test_version(cli):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        cli("--version")
    assert exit_.value.code == 0
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"policy {version('fep-medical-policy')}"


def test_evaluate_help_lists_every_field_and_value_from_the_tables():
    result = run("evaluate", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for name, values in IORT.compiled.columns:
        rendered = ", ".join("true" if v is True else "false" if v is False else v
                             for v in values)
        assert f"{name}: {rendered}" in text, name
    assert "case_id:" in text and "service_date:" in text


def test_evaluate_help_follows_the_tables(monkeypatch, capsys):
    """The list comes from the compiled tables, not from text in the code."""
    import types

    import policy.cli
    import policy.cli.loading

    columns = tuple((name, (*values, "T4c") if name == "t_stage" else values)
                    for name, values in IORT.compiled.columns)
    monkeypatch.setattr(policy.cli.loading, "compiled", lambda args: types.SimpleNamespace(
        columns=columns))
    with pytest.raises(SystemExit):
        policy.cli.main(["evaluate", "--help"])
    assert "T4a, T4b, T4c" in capsys.readouterr().out


def test_fields_page_is_generated_from_the_tables():
    from policy.compiler import compile_policy
    from policy.core.policy_files import find_tables_dir, policy_files
    from policy.present.site import build_site
    from policy.validate import load_and_validate

    validated = load_and_validate(policy_files(find_tables_dir()))
    site = build_site(validated, compile_policy(validated.revisions, validated.definition))
    page = site.pages["fields.md"]
    for name, values in IORT.compiled.columns:
        assert f"<code>{name}</code>" in page
        for value in values:
            rendered = "true" if value is True else "false" if value is False else value
            assert f"<code>{rendered}</code>" in page
    assert any("fields.md" in json.dumps(entry) for entry in site.nav)


@pytest.mark.parametrize("word,hint", [
    ("t_stage=t4", "did you mean 'T4'?"),
    ("t_stage=T4A", "did you mean 'T4a'?"),
    ("t_stage=t4b", "did you mean 'T4b'?"),
    ("cancer_site=Rectal", "did you mean 'rectal'?"),
    ("margin_status=POSITIVE", "did you mean 'positive'?"),
    ("recurrent=True", "did you mean 'true'?"),
])
def test_hints_match_letter_case_first(cli, word, hint):
    code, out, err = cli("evaluate", "--as-of", "2020-01-01", word)
    assert code == 1 and hint in err, err


def test_a_semicolon_csv_says_the_delimiter_looks_wrong(tmp_path):
    source = tmp_path / "claims.csv"
    source.write_text("case_id;service_date;cancer_site\nA;2020-01-01;rectal\n")
    result = run("batch", source)
    assert result.returncode == 1
    assert "delimiter" in result.stderr and "did you mean" not in result.stderr, result.stderr


def test_a_space_after_the_comma_is_named(tmp_path):
    source = tmp_path / "claims.csv"
    source.write_text("case_id, service_date, cancer_site\nA, 2020-01-01, gastric\n")
    result = run("batch", source)
    assert result.returncode == 1
    assert "a space after the comma is part of the cell" in result.stderr, result.stderr
    source.write_text("case_id,service_date,cancer_site\nA,2020-01-01, gastric\n")
    result = run("batch", source)
    assert result.returncode == 3
    assert "a space after the comma is part of the cell" in result.stderr, result.stderr


def test_a_bad_json_line_keeps_its_case_id(tmp_path):
    source = tmp_path / "claims.jsonl"
    source.write_text('{"case_id": "A-1", "service_date": "2020-01-01", "cancer_site": "x"}\n'
                      '{"case_id": "A-2", "service_date": "2020-01-01", "colour": "red"}\n'
                      '{"case_id": "A-3", "service_date": "2020-01-01", '
                      '"cancer_site": "gastric"}\n')
    result = run("batch", source)
    assert result.returncode == 3
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r.get("case_id"), "error" in r) for r in rows] == [
        (1, "A-1", True), (2, "A-2", True), (3, "A-3", False)]


def test_batch_keys_come_in_the_order_of_evaluate_json(tmp_path):
    source = tmp_path / "claims.jsonl"
    source.write_text('{"case_id": "A-1", "service_date": "2020-01-01", '
                      '"cancer_site": "gastric"}\n')
    result = run("batch", source)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    single = json.loads(run("evaluate", "--as-of", "2020-01-01", "case_id=A-1",
                            "cancer_site=gastric", "--json").stdout)
    assert list(row) == ["line", *single]
    assert {k: v for k, v in row.items() if k != "line"} == single


def test_cli_docs_list_every_json_key_in_order():
    """docs/cli.md's table of `evaluate --json` members is the real list, in the real order."""
    import re

    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = page[page.index("`--json` prints the decision"):page.index("## Validate the tables")]
    listed = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    decision = IORT.evaluate({"cancer_site": "gastric"}, as_of="2020-01-01").to_json()
    assert listed == list(decision)


def test_a_bad_json_line_with_an_unwritable_case_id_drops_only_the_id(tmp_path):
    source = tmp_path / "claims.jsonl"
    source.write_text('{"case_id": "\\ud800", "cancer_site": "x"}\n'
                      '{"case_id": "ok", "cancer_site": "gastric"}\n')
    result = run("batch", source, "--as-of", "2020-01-01")
    assert result.returncode == 3, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert "case_id" not in rows[0] and rows[0]["error"] and rows[1]["case_id"] == "ok"
