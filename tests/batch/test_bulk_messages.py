"""The columnar core's bulk checks (`policy.columnar.bulk`) against the per-value path they stand in
for: for any values, the same digit and the same message, character for character.

Issue 20, item 10: a column of 2,000,000 distinct junk values took 183 s (each value's message,
its "did you mean" hint chosen by `difflib`, cost about 90 us in Python). The bulk path tells
most messages with Arrow kernels; whatever it cannot tell exactly goes the per-value way. These
properties check that the two never differ, so batch output stays byte for byte as it was.
"""

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from policy import load_policy
from policy.columnar import inputs as inputs_module
from policy.columnar.inputs import InputChecks
from repo_paths import ROOT, TABLES

COMPILED = load_policy(TABLES).compiled
# the invented second policy too (bicycle bells), and one whose values are single letters, which
# also occur in the words around them ("did you mean 'a'?")
EXAMPLE = load_policy(ROOT / "tests" / "fixtures" / "example-policy" / "tables").compiled
LETTERS = EXAMPLE._replace(columns=(("bell", ("a", "e", "n", "mean")),
                                    *EXAMPLE.columns[1:]))
POLICIES = {"shipped": COMPILED, "example": EXAMPLE, "letters": LETTERS}
VOCABULARY = {name: [str(v).lower() if isinstance(v, bool) else v for v in values]
              for compiled in POLICIES.values() for name, values in compiled.columns}

# characters that exercise every rule: letters of the vocabulary in both cases, digits, spaces,
# quotes and commas, controls and separators `escape` rewrites, letters whose casefold is not
# their lower case (or is ASCII), and plain non-ASCII letters
TRICKY = (list("aeilnorstcgmpTXT04_ABCZ19 ,\"'=") + ["\t", "\n", "\x00", "\x7f", "\x85",
          "\u00a0", "\u2028", "\u202e", "\u200b", "\u3000", "ß", "ſ", "\u212a", "İ", "ﬁ", "é",
          "Σ", "ς", "ー", "😀"])


def _near(choice: str) -> st.SearchStrategy[str]:
    """A value a letter or two from an allowed one, in another case, or padded."""
    return st.tuples(st.sampled_from([choice, choice.upper(), choice.title(), f"  {choice} "]),
                     st.text(st.sampled_from(TRICKY), max_size=3),
                     st.sampled_from(["prefix", "suffix", "insert"])).map(
        lambda parts: {"prefix": parts[1] + parts[0], "suffix": parts[0] + parts[1],
                       "insert": parts[0][:2] + parts[1] + parts[0][2:]}[parts[2]])


def values_of(name: str) -> st.SearchStrategy[list[str]]:
    choices = [str(v) for v in VOCABULARY[name]]
    one = st.one_of(st.sampled_from(choices), st.text(st.sampled_from(TRICKY), max_size=14),
                    st.sampled_from(choices).flatmap(_near), st.just(""),
                    st.text(st.sampled_from("ab"), min_size=95, max_size=130),  # cut at 100, 120
                    st.text(max_size=8))
    return st.lists(one, min_size=1, max_size=60, unique=True)


def both_paths(monkeypatch, name: str, values: list[str], text_cells: bool, compiled=COMPILED):
    checks = InputChecks(compiled)
    array = pa.array(values, pa.string())
    monkeypatch.setattr(inputs_module, "BULK_MIN", 0)  # the bulk path for any number of values
    digits, messages = checks.check_values(name, array, text_cells)
    monkeypatch.setattr(inputs_module, "BULK_MIN", 10**9)  # the per-value path
    one_by_one, alone = InputChecks(compiled).check_values(name, array, text_cells)
    return (digits, None if messages is None else messages.to_pylist()), \
        (one_by_one, None if alone is None else alone.to_pylist())


@pytest.mark.parametrize("policy,name", [(policy, name) for policy, compiled in POLICIES.items()
                                         for name, _ in compiled.columns])
@pytest.mark.parametrize("text_cells", [True, False])
@seed(20261207)
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bulk_and_per_value_checks_agree(monkeypatch, policy, name, text_cells, data):
    values = data.draw(values_of(name))
    bulk, single = both_paths(monkeypatch, name, values, text_cells, POLICIES[policy])
    assert bulk == single


def test_junk_is_told_by_the_bulk_path(monkeypatch):
    """Random junk, misspellings that need `difflib`, and non-ASCII junk: the bulk path tells
    most of the first and the last itself (it would be a Python call per value otherwise)."""
    import random

    rng = random.Random(1)
    junk = [f"{rng.getrandbits(40):x}z{i}" for i in range(500)]
    unicode = [f"j{rng.getrandbits(30):x}é{i}" for i in range(500)]
    calls = []
    checks = InputChecks(COMPILED)
    original = checks.check_value

    def counted(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(checks, "check_value", counted)
    for values in (junk, unicode):
        calls.clear()
        digits, messages = checks.check_values("cancer_site", pa.array(values), True)
        assert digits == [None] * len(values) and messages.null_count == 0
        assert len(calls) < len(values) // 10, len(calls)


@seed(20261207)
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(st.sampled_from("0123456789-T :Z"), max_size=12),
                          st.dates().map(str), st.text(max_size=12)), min_size=1, max_size=60,
                unique=True))
def test_bulk_and_per_value_date_checks_agree(days):
    from policy.columnar import bulk

    array = pa.array(days, pa.string())
    original = bulk.BULK_MIN
    try:
        inputs_module.BULK_MIN = 0
        bulk_positions, bulk_messages = InputChecks(COMPILED)._check_new_dates(array)
        inputs_module.BULK_MIN = 10**9
        positions, messages = InputChecks(COMPILED)._check_new_dates(array)
    finally:
        inputs_module.BULK_MIN = original
    assert bulk_positions.to_pylist() == positions.to_pylist()
    assert bulk_messages.to_pylist() == messages.to_pylist()


def test_junk_days_are_told_by_the_bulk_path(monkeypatch):
    """Days not shaped YYYY-MM-DD, many at once, are told by the date screen, not by a Python
    call each (killed mutants of issue 26: the screen's use turned around or never taken)."""
    junk = [f"day {i}" for i in range(500)] + [f"2020/01/{i:03}" for i in range(500)]
    calls = []
    checks = InputChecks(COMPILED)
    original = checks.check_date

    def counted(day):
        calls.append(day)
        return original(day)

    monkeypatch.setattr(checks, "check_date", counted)
    positions, messages = checks._check_new_dates(pa.array(junk, pa.string()))
    assert positions.null_count == len(junk) and messages.null_count == 0
    assert len(calls) < len(junk) // 10, len(calls)


def test_a_vocabulary_without_a_template_is_checked_one_by_one(monkeypatch):
    """When the per-value messages do not split around a value (`NoTemplate`), there is no
    screen and every value is checked alone, with the same answers (killed mutant of issue 26:
    the `except NoTemplate` that keeps a policy with such words from failing)."""
    values = [f"junk{i}" for i in range(400)] + ["rectal", "colon"]  # more than BULK_MIN
    want = InputChecks(COMPILED).check_values("cancer_site", pa.array(values), True)

    def no_template(*args):
        raise inputs_module.NoTemplate

    monkeypatch.setattr(inputs_module, "VocabularyScreen", no_template)
    digits, messages = InputChecks(COMPILED).check_values("cancer_site", pa.array(values), True)
    assert (digits, messages.to_pylist()) == (want[0], want[1].to_pylist())


def test_days_without_a_template_are_checked_one_by_one(monkeypatch):
    """When the date check's messages do not split around a day (`NoTemplate`), there is no
    date screen and every day is checked alone, with the same answers (killed mutant of issue
    26: the `except NoTemplate` of the date screen)."""
    days = pa.array([f"day {i}" for i in range(400)] + ["2016-05-03"], pa.string())
    want = InputChecks(COMPILED)._check_new_dates(days)

    def no_template(*args):
        raise inputs_module.NoTemplate

    monkeypatch.setattr(inputs_module, "DateScreen", no_template)
    positions, messages = InputChecks(COMPILED)._check_new_dates(days)
    assert (positions.to_pylist(), messages.to_pylist()) == (want[0].to_pylist(),
                                                             want[1].to_pylist())


def test_many_junk_values_in_a_dictionary_of_large_strings_go_one_by_one():
    """The bulk screen takes plain strings only: a dictionary column whose values are large
    strings (as Polars and DuckDB may hand over) with more distinct junk values than BULK_MIN is
    checked one by one, and words every row as a plain string column does. Kills a survivor of
    the second full mutation run (`len(values) < BULK_MIN or not is_string(...)` read with
    `and`: the screen then met large strings, ArrowNotImplementedError)."""
    from policy.columnar import evaluate_arrow

    junk = [f"junk{i}" for i in range(inputs_module.BULK_MIN + 44)]
    plain = pa.table({"cancer_site": pa.array(junk)})
    large = pa.table({"cancer_site": pa.DictionaryArray.from_arrays(
        pa.array(range(len(junk)), pa.int32()), pa.array(junk, pa.large_string()))})
    want = evaluate_arrow(plain, COMPILED, as_of="2016-05-03").column("error").to_pylist()
    assert want[0].startswith("UNKNOWN_VALUE: cancer_site cannot be 'junk0'")
    assert evaluate_arrow(large, COMPILED, as_of="2016-05-03").column("error").to_pylist() == want
