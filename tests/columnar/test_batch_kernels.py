"""policy.columnar.kernels: the Arrow kernels the package calls without importing pyarrow.compute.

Each function must give exactly what the pyarrow.compute function of the same name gives (same
kernel, same options and defaults), and a CSV batch run must not import pyarrow.compute at all
(its import is about 0.04 CPU-s of start-up that the batch goal's floor does not pay).
"""

import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as reference
import pytest

from policy.columnar import kernels

STRINGS = pa.array(["rectal", None, "", "=1+2", "a,b", 'say "x"', "two\nlines", "rectal", "\t"])
NUMBERS = pa.array([3, None, 0, -1, 7, 3, None, 12, 5], pa.int64())
FLAGS = pa.array([True, None, False, True, False, True, None, False, True])
INDICES = pa.array([0, 2, None, 1, 4], pa.int32())
DICTIONARY = reference.dictionary_encode(STRINGS)
LISTS = pa.array([["C20", "Z85.048"], None, [], [""], ["a", None]], pa.list_(pa.string()))
BATCH = pa.record_batch({"s": STRINGS, "n": NUMBERS, "d": DICTIONARY})

CALLS = [
    ("take", (STRINGS, INDICES), {}),
    ("take", (NUMBERS, INDICES), {"boundscheck": False}),
    ("filter", (STRINGS, FLAGS), {}),
    ("filter", (BATCH, FLAGS), {}),
    ("cast", (NUMBERS, pa.string()), {}),
    ("cast", (DICTIONARY, pa.string()), {}),
    ("cast", (FLAGS, pa.int64()), {}),
    ("fill_null", (NUMBERS, -1), {}),
    ("fill_null", (FLAGS, False), {}),
    ("fill_null", (STRINGS, "null"), {}),
    ("fill_null", (NUMBERS, pa.scalar(9, pa.int32())), {}),
    ("index_in", (STRINGS,), {"value_set": pa.array(["", "rectal", "a,b"])}),
    ("match_substring", (STRINGS, "\n"), {}),
    ("starts_with", (STRINGS, "rec"), {}),
    ("match_substring_regex", (STRINGS, '[,"\n]'), {}),
    ("count_substring_regex", (STRINGS, r"\r\n|\r|\n"), {}),
    ("binary_join_element_wise", (STRINGS, STRINGS, ","), {}),
    ("binary_join_element_wise", (STRINGS, "x", ","),
     {"null_handling": "replace", "null_replacement": ""}),
    ("binary_join_element_wise", (STRINGS, STRINGS, "; "), {"null_handling": "skip"}),
    ("if_else", (FLAGS, STRINGS, pa.scalar(None, pa.string())), {}),
    ("replace_with_mask", (STRINGS, pa.array([True, False] * 4 + [True]),
                           pa.array(["r1", "r2", "r3", "r4", "r5"])), {}),
    ("max_element_wise", (NUMBERS, 0), {}),
    ("add", (NUMBERS, 5), {}),
    ("shift_right", (NUMBERS, 1), {}),
    ("bit_wise_and", (NUMBERS, 6), {}),
    ("subtract", (NUMBERS, NUMBERS), {}),
    ("multiply", (NUMBERS, 3), {}),
    ("equal", (STRINGS, ""), {}),
    ("less", (STRINGS, "0"), {}),
    ("less_equal", (NUMBERS, 3), {}),
    ("greater", (NUMBERS, 3), {}),
    ("greater_equal", (STRINGS, ":"), {}),
    ("and_", (FLAGS, FLAGS), {}),
    ("or_", (FLAGS, pa.array([False] * 9)), {}),
    ("is_null", (STRINGS,), {}),
    ("is_valid", (NUMBERS,), {}),
    ("unique", (STRINGS,), {}),
    ("drop_null", (NUMBERS,), {}),
    ("value_counts", (NUMBERS,), {}),
    ("dictionary_encode", (STRINGS,), {}),
    ("cumulative_sum", (pa.array([1, 2, 3, 4], pa.int64()),), {}),
    ("sort_indices", (NUMBERS,), {}),
    ("sort_indices", (BATCH.select(["n", "s"]),), {"sort_keys": [("n", "ascending"),
                                                                 ("s", "ascending")]}),
    ("split_pattern", (STRINGS, ","), {}),
    ("list_flatten", (LISTS,), {}),
    ("list_parent_indices", (LISTS,), {}),
    ("list_value_length", (LISTS,), {}),
    ("binary_join", (LISTS, "; "), {}),
    ("utf8_length", (STRINGS,), {}),
    ("binary_length", (STRINGS,), {}),
    ("invert", (FLAGS,), {}),
    ("ascii_lower", (pa.array(["Rectal", None, "T4A", ""]),), {}),
    ("utf8_lower", (pa.array(["Rectal", None, "ÉSS", ""]),), {}),
    ("ascii_is_printable", (pa.array(["", "a b", "a\tb", "é", None]),), {}),
    ("is_in", (STRINGS,), {"value_set": pa.array(["", "rectal", "a,b"])}),
    ("count_substring", (STRINGS, "a"), {}),
    ("replace_substring", (STRINGS, '"', '""'), {}),
    ("replace_substring_regex", (STRINGS, ",{2,}", ","), {}),
    ("coalesce", (STRINGS, STRINGS), {}),
    ("utf8_slice_codeunits", (STRINGS, 0, 3), {}),
    ("ascii_trim", (pa.array(["  x ", None, "y", "   "]), " "), {}),
    ("min_element_wise", (NUMBERS, 2), {}),
    ("sum", (NUMBERS,), {}),
    ("sum", (pa.array([], pa.int64()),), {}),
    ("any", (FLAGS,), {}),
    ("all", (FLAGS,), {}),
    ("max", (NUMBERS,), {}),
]


@pytest.mark.parametrize(("name", "args", "options"), CALLS,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(CALLS)])
def test_each_kernel_gives_what_pyarrow_compute_gives(name, args, options):
    got = getattr(kernels, name)(*args, **options)
    want = getattr(reference, name)(*args, **options)
    assert type(got) is type(want)
    assert (got.schema if isinstance(got, pa.RecordBatch) else got.type) == \
        (want.schema if isinstance(want, pa.RecordBatch) else want.type)
    assert got.equals(want)


def test_every_kernel_the_package_calls_is_compared():
    public = {name for name in dir(kernels) if not name.startswith("_")}
    assert public - {"annotations", "Any", "pa", "arange"} == {name for name, _, _ in CALLS}


def test_arange_is_range():
    for n in (0, 1, 5):
        assert kernels.arange(n).equals(pa.array(range(n), pa.int64()))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_csv_batch_run_does_not_import_pyarrow_compute(tmp_path, suffix):
    claims = tmp_path / "claims.csv"
    claims.write_text("case_id,service_date,cancer_site,margin_status,t_stage,recurrent\n"
                      "A-1,2016-05-03,rectal,positive,T3,false\n"
                      "A-2,2023-02-30,lung,,,\n"
                      "A-3\n", encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "policy", "batch", str(claims), "--out",
         str(tmp_path / f"results{suffix}")], capture_output=True, text=True, timeout=120)
    assert process.returncode == 3, process.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in process.stderr.splitlines()
                if line.startswith("import time:")]
    assert "pyarrow.csv" in imported
    assert "pyarrow.compute" not in imported
