"""Golden cases, reviewed against the source: case, date, expected determination, revision, rule."""

from pathlib import Path

import pytest

from policy import load_policy
from policy.load.yaml_loader import load_yaml

GOLDEN = Path(__file__).parent / "golden"


def _cases():
    for path in sorted(GOLDEN.glob("*.yaml")):
        for entry in load_yaml(path.read_bytes(), path.name).data:
            yield pytest.param(entry, id=f"{path.stem}: {entry['name']}")


CASES = list(_cases())


@pytest.fixture(scope="module")
def iort():
    return load_policy(Path(__file__).parent.parent / "tables")


@pytest.mark.parametrize("entry", CASES)
def test_golden_case(entry, iort):
    decision = iort.evaluate(entry["case"], as_of=entry["as_of"])
    expect = entry["expect"]
    assert decision.determination == expect["determination"]
    assert (decision.revision or {}).get("id") == expect["revision"]
    assert (decision.revision or {}).get("version") == expect["version"]
    assert decision.rule == expect["rule"]
    assert list(decision.needs) == expect["needs"]
    assert decision.as_of == entry["as_of"]
    assert decision.case_id == entry["case"].get("case_id")
    if decision.rule is not None:
        assert decision.rule in decision.explanation
    if expect["determination"] not in ("indeterminate", "no_policy_in_force", "not_addressed"):
        assert decision.source and decision.provenance in ("verbatim", "reconstructed")


def test_golden_files_cover_every_revision_with_at_least_20_cases(iort):
    counts = {}
    for param in CASES:
        revision = param.values[0]["expect"]["revision"]
        counts[revision] = counts.get(revision, 0) + 1
    assert {r.id for r in iort.revisions} <= set(counts)
    assert all(counts[r.id] >= 20 for r in iort.revisions), counts


def test_golden_cases_include_both_sides_of_every_effective_date(iort):
    from datetime import date, timedelta

    dates = {p.values[0]["as_of"] for p in CASES}
    for revision in iort.revisions:
        day = date.fromisoformat(revision.effective_from)
        assert day.isoformat() in dates and (day - timedelta(days=1)).isoformat() in dates
