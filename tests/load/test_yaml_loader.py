"""The safe loader: YAML 1.2 core typing, positions, and every hazard as one Problem."""

import time

import pytest

from policy.core.errors import DataError
from policy.load.yaml_loader import load_yaml


def test_yaml_1_1_surprises_stay_strings():
    data = load_yaml(b"a: NO\nb: yes\nc: 010\nd: 2011-12-01\ne: 1:30\nf: 1e3\ng: on\n", "f").data
    assert data == {"a": "NO", "b": "yes", "c": "010", "d": "2011-12-01", "e": "1:30",
                    "f": "1e3", "g": "on"}


def test_core_types_are_typed():
    data = load_yaml(b"a: true\nb: false\nc: 12\nd: null\ne: ~\nf: 1.5\ng: '12'\n", "f").data
    assert data == {"a": True, "b": False, "c": 12, "d": None, "e": None, "f": 1.5, "g": "12"}


def test_positions_of_values_and_keys():
    loaded = load_yaml(b"top:\n  list:\n    - x\n    - {k: v}\n", "f")
    assert loaded.where(("top", "list", 1, "k")) == (4, 11)
    assert loaded.where(("top", "list"), key=True) == (2, 3)
    assert loaded.where(("top", "missing", 3)) == (2, 3)  # nearest ancestor


@pytest.mark.parametrize("text,code,line", [
    (b"a: 1\na: 2\n", "DUPLICATE_KEY", 2),
    (b"a: &x 1\nb: *x\n", "ALIAS_FORBIDDEN", 1),
    (b"b: *x\n", "ALIAS_FORBIDDEN", 1),
    (b"<<: {a: 1}\n", "MERGE_KEY", 1),
    (b"? [1, 2]\n: x\n", "NON_STRING_KEY", 1),
    (b"true: x\n", "NON_STRING_KEY", 1),
    (b"a: !!binary aGVsbG8=\n", "TAG_FORBIDDEN", 1),
    (b"a: !!timestamp 2023-02-30\n", "TAG_FORBIDDEN", 1),
    (b"a: !!python/object/apply:os.system [echo hi]\n", "TAG_FORBIDDEN", 1),
    (b"a: 1\n---\nb: 2\n", "MULTIPLE_DOCUMENTS", 2),
    (b"", "EMPTY_FILE", 1),
    (b"# only a comment\n", "EMPTY_FILE", 1),
    (b"a: [\n", "YAML_SYNTAX", 2),
    (b"a:\n\tb: 1\n", "YAML_SYNTAX", 2),
    (b"a: \xff\n", "ENCODING", 1),
    (b"a: 1\nb: \x00\n", "ENCODING", 2),
    (b"[" * 50000, "TOO_DEEP", 1),
    (b"a: " + b"x" * (1024 * 1024), "FILE_TOO_LARGE", 1),
])
def test_hazards_are_problems_with_a_line(text, code, line):
    with pytest.raises(DataError) as caught:
        load_yaml(text, "case.yaml")
    [problem] = caught.value.problems
    assert (problem.code, problem.line, problem.file) == (code, line, "case.yaml")
    assert isinstance(caught.value, ValueError)


def test_billion_laughs_is_refused_at_once():
    bomb = b'a: &a ["lol","lol"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: &d [*c,*c]\n'
    started = time.perf_counter()
    with pytest.raises(DataError, match="ALIAS_FORBIDDEN"):
        load_yaml(bomb, "bomb.yaml")
    assert time.perf_counter() - started < 1


def test_all_duplicates_are_collected():
    with pytest.raises(DataError) as caught:
        load_yaml(b"a: 1\na: 2\nb:\n  c: 1\n  c: 2\n", "f")
    assert [p.line for p in caught.value.problems] == [2, 5]


def test_libyaml_events_compose_exactly_what_the_pure_python_parser_does():
    """`load_yaml` reads a clean document from libyaml's events when PyYAML has them: the same
    data and the same line and column for every value and key as the reference parser."""
    from pathlib import Path

    from policy.load import yaml_loader

    if len(yaml_loader._LOADERS) == 1:
        pytest.skip("PyYAML without libyaml: only the pure-Python parser exists")
    root = Path(__file__).resolve().parent.parent.parent
    files = sorted((root / "tables").glob("*/*.yaml")) + sorted(root.glob("tests/**/*.yaml"))
    assert len(files) >= 12
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast, reference = (yaml_loader._compose(loader, text, path.name)
                           for loader in yaml_loader._LOADERS)
        assert (fast.data, fast.positions, fast.key_positions) == (
            reference.data, reference.positions, reference.key_positions), path
