"""What `run_batch` makes of awkward CSV files stays exactly what it was: golden outcomes.

Each case is a CSV built here (bad rows first and last, rows and quoted line breaks across the
reader's block boundaries, CRLF, a BOM, no final newline, an empty file, a header alone, a record
longer than a block, invalid UTF-8 in the middle) and run with the reader's block shrunk to 4 KiB,
so block boundaries fall inside small files. For each, with and without `--as-of`, the outcome is
compared with tests/golden/batch-csv.json: the JSON Lines stream of standard output (but see
below for a fatal error), the CSV and JSON Lines output files byte for byte (as SHA-256 digests,
with their first and last lines to read), the Parquet output's rows and row groups, each bad
line as reported (line and message, in order), and how the run ended (the counts, or the error).

When a run stops on a fatal error (the invalid UTF-8 here), only the stream's last line, the
`fatal` line, is compared: how many results precede it depends on how far the writer thread got
(0 or 130 of them here, from one run to the next, before this work too), since a failing run
drops the writes still queued. Likewise the Parquet row groups of a file with ragged rows at
block boundaries: a row pyarrow refuses just after a block goes with the block before or after
it, depending on how far pyarrow had parsed ahead (row groups of 131, 129, ... or 130, 130, ...
rows, before this work too); there only their total is compared. The golden file was written by
the code before the speed work of issue 14 (`python tests/test_batch_golden.py` rewrites it: only
for a deliberate change). Changed since: the Parquet rows of the two `boundaries` files, whose bad
dates carried the no-policy explanation of another row's day (issue 26; now null, as every result
of a bad row), the cases of rows dated in 2012, added, and the JSON Lines files' digests, for the
`"codes": []` member every result carries (issue 22, CONTRACT.md "Codes"), and the invalid
UTF-8 file's outcome: refused before any row is decided, at its line and column (it was refused
at line 0 when pyarrow's conversion of that block met it).
"""

import hashlib
import io
import json
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "batch-csv.json"
BLOCK = 4096
HEADER = "case_id,service_date,cancer_site,margin_status,t_stage,recurrent"
GOOD = ["A{i},2016-05-03,rectal,positive,T3,false", "B{i},2020-01-01,rectal,,T4,",
        "C{i},2011-06-01,gastric,,,", "D{i},2023-09-30,colon,clear,T2,true",
        "E{i},2019-06-15,breast,,,"]


def _rows(n: int, start: int = 0) -> list[str]:
    return [GOOD[i % len(GOOD)].format(i=start + i) for i in range(n)]


def _cases() -> dict[str, bytes]:
    """name -> file bytes. Rows are about 40 bytes: 4 KiB blocks hold about 100."""
    many = _rows(400)
    cases = {
        "empty": b"",
        "header-only": HEADER.encode(),
        "header-only-newline": (HEADER + "\n").encode(),
        "good": ("\n".join([HEADER, *many]) + "\n").encode(),
        "bad-first-and-last": ("\n".join([HEADER, "X,2016-05-03,lung,,,", *many[1:-1],
                                          "Y,2016-05-03"]) + "\n").encode(),
        "no-final-newline": "\n".join([HEADER, *many[:-1], "Z,2016-05-03,rectal,,,"]).encode(),
        "ragged-last-no-newline": "\n".join([HEADER, *many, "Z,2016"]).encode(),
        "crlf-bom": ("\ufeff" + "\r\n".join([HEADER, *many]) + "\r\n").encode(),
        "blank-lines": ("\n".join([HEADER, "", *many[:150], "", ",,,,,", *many[150:], ""])
                        + "\n").encode(),
        "formulas-and-quotes": ("\n".join([HEADER, '"=1+2",2016-05-03,rectal,,,',
                                           '"a,b",2016-05-03,rectal,,,', *many,
                                           '"say ""x""",2020-01-01,colon,,,']) + "\n").encode(),
        "invalid-utf8-middle": ("\n".join([HEADER, *many[:250]]) + "\n").encode()
        + b"\xff\xfe,2016-05-03,rectal,,,\n" + ("\n".join(many[250:]) + "\n").encode(),
    }
    # rows of the first revision's period (2012), alone and after rows before it: two mutants of
    # the Arrow core decided them by the 2013 revision or as before the first (issue 26)
    in_2012 = [row.replace("2016-05-03", "2012-01-01").replace("2020-01-01", "2012-02-29")
               .replace("2011-06-01", "2012-06-30").replace("2023-09-30", "2012-12-31")
               .replace("2019-06-15", "2012-10-10") for row in _rows(250)]
    cases["first-revision-2012"] = ("\n".join([HEADER, *in_2012]) + "\n").encode()
    cases["before-and-in-2012"] = ("\n".join([HEADER, *_rows(150), *in_2012, *_rows(10, 150)])
                                   + "\n").encode()
    # bad rows and quoted line breaks around every block boundary
    rows = [HEADER]
    size = len(HEADER) + 1
    for i, row in enumerate(_rows(600)):
        near = BLOCK - size % BLOCK
        if near < 90 and i % 3 == 0:
            row = f'"Q{i}\nsecond\r\nthird",2016-05-03,rectal,,,'  # spans the boundary
        elif near < 90 and i % 3 == 1:
            row = f"R{i},2016-05-03,rectal"  # ragged, at the boundary
        elif near < 90:
            row = f"S{i},2023-02-30,rectal,,,"  # a bad date, at the boundary
        rows.append(row)
        size += len(row) + 1
    cases["boundaries"] = ("\n".join(rows) + "\n").encode()
    cases["boundaries-crlf"] = ("\r\n".join(rows) + "\r\n").encode()
    # a record longer than a block, in the middle and last
    long_cell = "L" * (BLOCK + 100)
    cases["long-record"] = ("\n".join([HEADER, *many[:120], f"{long_cell},2016-05-03,rectal,,,",
                                       *many[120:], f'"{long_cell}\n",2016-05-03,,,,'])
                            + "\n").encode()
    return cases


def _digest(items: list) -> dict:
    """How many, the start of the first and the last (to read), and a SHA-256 of them all."""
    text = json.dumps(items, sort_keys=True, default=str, ensure_ascii=False)
    return {"count": len(items), "first": [str(item)[:120] for item in items[:1]],
            "last": [str(item)[:120] for item in items[-1:]],
            "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _outcome(path: Path, out: Path | None, as_of: str | None) -> dict:
    from policy import load_policy
    from policy.batch import run_batch
    from policy.core.errors import PolicyError

    bad: list[list] = []
    stream = io.BytesIO()
    try:
        summary = run_batch(str(path), load_policy(HERE.parent / "tables"), out=None
                            if out is None else str(out), as_of=as_of, stdout=stream,
                            on_bad=lambda line, message: bad.append([line, message]))
        ended = {"rows": summary.rows, "bad": summary.bad,
                 "determinations": dict(sorted(summary.determinations.items()))}
    except PolicyError as exc:
        problems = getattr(exc, "problems", None)
        ended = {"error": type(exc).__name__,
                 "problems": [[p.line, p.col, p.code, p.message] for p in problems]
                 if problems else str(exc)}
    outcome: dict = {"bad": _digest(bad), "ended": ended}
    if out is None and "error" in ended:  # which results precede the fatal line is timing:
        outcome["stdout_last"] = stream.getvalue().decode().splitlines()[-1:]  # (see below)
    elif out is None:
        outcome["stdout"] = _digest(stream.getvalue().decode().splitlines())
    elif not out.exists():
        outcome["file"] = None
    elif out.suffix == ".parquet":
        parquet = pq.ParquetFile(out)
        groups = [parquet.metadata.row_group(i).num_rows
                  for i in range(parquet.metadata.num_row_groups)]
        # (see below: where a ragged row ends a block, only the rows of all groups are fixed)
        outcome["row_groups"] = sum(groups) if path.stem.startswith("boundaries") else groups
        outcome["rows"] = _digest(parquet.read().to_pylist())
    else:
        outcome["file"] = _digest(out.read_bytes().decode().split("\n"))
    return outcome


def outcomes(folder: Path) -> dict:
    from policy.batch import csv_reader

    saved = csv_reader.BLOCK_BYTES, csv_reader.MAX_CSV_RECORD_BYTES, csv_reader.TOO_LONG
    csv_reader.BLOCK_BYTES = csv_reader.MAX_CSV_RECORD_BYTES = BLOCK
    csv_reader.TOO_LONG = (("LINE_TOO_LONG", f"a CSV record longer than {BLOCK} bytes"),)
    try:
        found = {}
        for name, data in _cases().items():
            path = folder / f"{name}.csv"
            path.write_bytes(data)
            for as_of in (None, "2024-01-01", *(["2012-07-01"] if "2012" in name else [])):
                for suffix in (None, ".csv", ".jsonl", ".parquet"):
                    out = None if suffix is None else folder / f"{name}.out{suffix}"
                    key = f"{name} {suffix or 'stdout'} as_of={as_of}"
                    found[key] = _outcome(path, out, as_of)
        return found
    finally:
        csv_reader.BLOCK_BYTES, csv_reader.MAX_CSV_RECORD_BYTES, csv_reader.TOO_LONG = saved


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    return outcomes(tmp_path_factory.mktemp("golden-batch"))


GOLDEN_OUTCOMES = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}


@pytest.mark.parametrize("key", sorted(GOLDEN_OUTCOMES))
def test_outcome_is_the_golden_one(found, key):
    assert found[key] == GOLDEN_OUTCOMES[key]


def test_every_case_has_a_golden_outcome(found):
    assert sorted(found) == sorted(GOLDEN_OUTCOMES)


if __name__ == "__main__":  # rewrite the golden file from the code on sys.path
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        result = outcomes(Path(scratch))
    GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    print(f"{len(result)} outcomes -> {GOLDEN}", file=sys.stderr)
