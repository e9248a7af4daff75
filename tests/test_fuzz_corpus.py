"""Every input the fuzzing campaign (benchmarks/fuzz.py) ever found crashing is replayed here.

tests/fuzz_corpus/<target>/ holds them (crash-<sha1>, as libFuzzer names them); the property is
the campaign's: only documented outcomes (tests/fuzz_targets.py)."""

import pytest

from fuzz_targets import CORPUS, TARGETS

KEPT = sorted((target, path) for target in TARGETS for path in (CORPUS / target).glob("*")
              if path.is_file())


@pytest.mark.parametrize("target, path", KEPT, ids=[f"{t}/{p.name[:18]}" for t, p in KEPT])
def test_a_kept_input_has_a_documented_outcome(target, path):
    TARGETS[target](path.read_bytes())


def test_the_corpus_is_not_empty():
    assert KEPT, "the crashes found so far are kept as regression inputs"
