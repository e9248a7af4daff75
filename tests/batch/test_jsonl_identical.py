"""JSON Lines in and out, byte for byte as before the faster reader and writer (issue 22).

A varied JSON Lines file (generated, fixed seed: bad lines of every kind, unicode, escapes, nulls,
booleans given as strings, keys in every order, codes as text and as lists, days before the first
revision, an over-long line) and a claim file of the same kinds with its own columns (`--map`,
`--keep`, kept values of every JSON type) are decided by `policy batch`. Every good line's JSON
Lines result must be, byte for byte, the per-case API's object (`policy evaluate --json`'s, "line"
first, kept values after); the bad lines' results, standard error, the exit code and the CSV
output (without the `codes` column added since) exactly those of commit 796ae69, the code before
the change, whose SHA-256 digests are RECORDED. (796ae69 itself failed the first check: a block
holding a bad line lost its good lines' codes.) The reading must not depend on how the input is
cut into blocks, so each file is also read in blocks of 64 KiB, and from standard input.
"""

import csv
import hashlib
import io
import json
import random
import re
import subprocess
import sys

import pytest

from policy import load_policy
from policy.batch import jsonl_reader
from policy.core.errors import PolicyError
from repo_paths import TABLES

IORT = load_policy(TABLES)
VOCABULARY = dict(IORT.compiled.columns)
SITES = list(VOCABULARY["cancer_site"])
ODD_TEXTS = ["Zoë", "名前", "tab\there", 'quo"te', "back\\slash", "line\u2028sep", "\x01ctl",
             "=cmd|calc", "😀", "", " spaced ", "\x7fdel"]
DIAGNOSES = ["C20", "c18.7", "Z85.048", "154.1", "D48.1", "D48.110", "C18", "x", "C20,C18.7"]
CLAIM_DIAGNOSES = {"2015-09-30": ["154.1", "1530", "V10.06"], "2011-06-01": ["154.1"],
                   "2015-10-01": ["C20", "c18.7", "Z85.048"], "2019-06-15": ["C20", "C49.4"],
                   "2023-09-30": ["D48.1", "C20"], "2023-10-01": ["D48.110", "C18.7"]}
PROCEDURES = ["77424", "99213", "77469,99213", "77425"]
MAP = ["--map", "case_id=claim_id", "--map", "service_date=dos",
       "--map", "diagnosis=dx1,dx2", "--map", "procedure=px", "--keep", "member_id",
       "--keep", "note"]


def _case_line(rng: random.Random, i: int) -> str:
    """One line of the case file: mostly a good case, now and then a bad line of some kind."""
    pick = rng.random()
    if pick < 0.01:
        return rng.choice(["", "   ", "[1, 2]", '"text"', "3", "null", "{not json",
                           '{"case_id": "d", "case_id": "e"}', '{"a": {"b": [1, {"c": 2}]}}'])
    case: dict[str, object] = {}
    if rng.random() < 0.9:
        case["case_id"] = rng.choice([f"C{i:05d}", f"C{i:05d}-" + rng.choice(ODD_TEXTS), None])
    case["service_date"] = rng.choices([
        f"{rng.randrange(2005, 2031)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "2023-02-30", "2015-10-01", "2023-10-01", None], [80, 2, 8, 8, 2])[0]
    for name, values in VOCABULARY.items():
        roll = rng.random()
        if roll < 0.2:
            continue
        if roll < 0.25:
            case[name] = None
        elif isinstance(values[0], bool):
            case[name] = rng.choice([True, False, "true"] if roll < 0.27 else [True, False])
        elif roll < 0.26:
            case[name] = rng.choice([7, "lung", ["rectal"], "Rectal"])  # wrong type or value
        elif name == "cancer_site" and roll < 0.5:
            case[name] = "rectal"
        else:
            case[name] = rng.choice(values)
    if rng.random() < 0.05:
        case["diagnosis"] = rng.choice([rng.choice(DIAGNOSES), rng.sample(DIAGNOSES[:4], 2)])
    if rng.random() < 0.05:
        case["procedure"] = rng.choice(PROCEDURES)
    if rng.random() < 0.005:
        case["colour"] = "red"
    items = list(case.items())
    rng.shuffle(items)
    text = json.dumps(dict(items), ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.02:
        text = " " + text + "\r"
    return text


def _claim_line(rng: random.Random, i: int) -> str:
    """One line of the claim file: its own column names, codes in two columns, kept columns."""
    if rng.random() < 0.01:
        return rng.choice(["{bad", "[]", '{"claim_id": "x", "dos": "2020-01-01", "dos": "z"}',
                           '{"claim_id": "y", "service_date": "2020-01-01", '
                           '"dos": "2020-01-01"}'])
    claim: dict[str, object] = {
        "claim_id": f"K{i:05d}" + (rng.choice(ODD_TEXTS) if rng.random() < 0.1 else ""),
        "dos": rng.choice(["2015-09-30", "2015-10-01", "2023-09-30", "2023-10-01", "2019-06-15",
                           "2011-06-01"]),
        "member_id": rng.choice([f"M{i % 97}", None, 17, 2.5, True, ["a", 1], {"k": "v"},
                                 rng.choice(ODD_TEXTS)]),
    }
    for column, share in (("dx1", 0.9), ("dx2", 0.4)):
        if rng.random() < share:  # mostly codes of the day's system, now and then any
            claim[column] = rng.choice(DIAGNOSES if rng.random() < 0.1
                                       else CLAIM_DIAGNOSES[str(claim["dos"])])
    if rng.random() < 0.8:
        claim["px"] = rng.choice(PROCEDURES)
    for name in ("margin_status", "t_stage", "recurrent"):
        if rng.random() < 0.6:
            claim[name] = rng.choice(VOCABULARY[name])
    if rng.random() < 0.3:
        claim["note"] = rng.choice([*ODD_TEXTS, None, 0, False])
    items = list(claim.items())
    rng.shuffle(items)
    return json.dumps(dict(items), ensure_ascii=False)


def _write(path, line, n: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = [line(rng, i) for i in range(n)]
    lines[n // 2] = json.dumps({"case_id": "long", "note": "x" * (1 << 20)})  # over 1 MiB
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jsonl")
    cases, claims = folder / "cases.jsonl", folder / "claims.jsonl"
    _write(cases, _case_line, 3000, 20261207)
    _write(claims, _claim_line, 2000, 20261208)
    return {"cases": (cases, []), "claims": (claims, MAP)}


# Recorded from commit 796ae69, the code before the vectorised JSON Lines reader and writer:
# sha256 of the bad lines of the JSON Lines output with standard error (the summary line's counts
# only) and the exit code; of the CSV output's rows (parsed, as JSON, without a `codes` column).
RECORDED = {
    ("cases", "jsonl"): "fe2d8e7309f9c6de02d3c3c531ef5ac219da13a5e927cb1c9edbaa6b6900ee8e",
    ("claims", "jsonl"): "d71e903f6854141c8b2f769547510891f7e6cc419a4e253166bf3cd7ed2dfef0",
    ("cases", "csv"): "ac29a54217b4e8508bb222ab93941ef6be9a348b5de6d52c5f1bdbfb7add3c0b",
    ("claims", "csv"): "7ec4d76b486e28f703d00a7f10fda46dcb31e933ea2131af8a1afffe4aef79da",
}


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8",
                                                                       "surrogatepass")).hexdigest()


def _stderr(err: str, folder) -> str:
    """Standard error of a run; of its summary line only the counts (not the time or output)."""
    return re.sub(r"[0-9.]+ s \([0-9,]+ rows/s\)( -> [^;\n]*)?", "",
                  err.replace(str(folder), "<dir>"))


def _unique_keys(pairs: list) -> dict:
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("a key given twice")
    return dict(pairs)


def _expected_line(number: int, raw: str, mapped: bool) -> str | None:
    """The result line of a good input line as the per-case API gives it (`policy evaluate
    --json`'s object, "line" first, kept values after), None for a line that is bad."""
    try:
        case = json.loads(raw, object_pairs_hook=_unique_keys)
    except ValueError:
        return None
    if not isinstance(case, dict) or "colour" in case:
        return None
    kept = {}
    if mapped:
        kept = {name: case.pop(name, None) for name in ("member_id", "note")}
        kept = {name: value if value is None or isinstance(value, str)
                else json.dumps(value, ensure_ascii=False) for name, value in kept.items()}
        for column, field in (("claim_id", "case_id"), ("dos", "service_date"),
                              ("px", "procedure")):
            if column in case:
                if field in case:
                    return None
                case[field] = case.pop(column)
        diagnoses = [case.pop(c) for c in ("dx1", "dx2") if c in case]
        if diagnoses := [code for code in diagnoses if code not in (None, "")]:
            case["diagnosis"] = ",".join(diagnoses)
    try:
        decision = IORT.evaluate(case).to_json()
    except PolicyError:
        return None
    return json.dumps({"line": number, **decision, **kept}, ensure_ascii=False,
                      separators=(",", ":"))


def _run(cli, path, options, out, block, monkeypatch):
    if block is not None:
        monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", block)
    result = path.parent / f"{path.stem}-{block}-results.{out}"
    code, _, err = cli("batch", path, *options, "--tables", TABLES, "--out", result)
    return code, result.read_bytes(), _stderr(err, path.parent)


def _check_jsonl(path, options, output: bytes, err: str, code: int) -> None:
    raws = path.read_bytes().decode("utf-8", "surrogatepass").split("\n")[:-1]
    lines = output.decode().split("\n")  # (not splitlines: a result may hold U+2028)
    assert lines.pop() == ""
    got = {json.loads(line)["line"]: line for line in lines}
    bad = []
    for number, raw in enumerate(raws, 1):
        expected = _expected_line(number, raw, bool(options))
        if expected is None:
            if number in got:  # (a blank line has no result)
                bad.append(got.pop(number))
                assert '"error":' in bad[-1]
        else:
            assert got.pop(number) == expected, number
    assert not got
    assert _digest(bad, err, code) == RECORDED[(path.stem, "jsonl")]


@pytest.mark.parametrize("block", [None, 1 << 16])
@pytest.mark.parametrize("name", ["cases", "claims"])
def test_json_lines_results_are_the_per_case_api_objects_byte_for_byte(cli, files, monkeypatch,
                                                                        name, block):
    """Every good line's result is `policy evaluate --json`'s object, byte for byte; bad lines
    and standard error as the code before gave them. (Failed before: a block holding a bad line
    lost its good lines' codes and the sentence they add to the explanation.)"""
    path, options = files[name]
    code, output, err = _run(cli, path, options, "jsonl", block, monkeypatch)
    assert code == 3
    _check_jsonl(path, options, output, err, code)


@pytest.mark.parametrize("block", [None, 1 << 16])
@pytest.mark.parametrize("name", ["cases", "claims"])
def test_csv_results_of_json_lines_are_those_of_the_code_before(cli, files, monkeypatch, name,
                                                                 block):
    path, options = files[name]
    code, output, err = _run(cli, path, options, "csv", block, monkeypatch)
    rows = list(csv.reader(io.StringIO(output.decode(), newline="")))
    if "codes" in rows[0]:  # (issue 22: added after the recording)
        at = rows[0].index("codes")
        rows = [row[:at] + row[at + 1:] for row in rows]
    assert _digest(rows, err, code) == RECORDED[(name, "csv")]


@pytest.mark.parametrize("name", ["cases", "claims"])
def test_standard_input_gives_the_same_bytes(files, name):
    path, options = files[name]
    done = subprocess.run([sys.executable, "-m", "policy", "batch", "-", "--format", "jsonl",
                           *options, "--tables", str(TABLES)], input=path.read_bytes(),
                          capture_output=True, timeout=300, cwd=path.parent)
    err = _stderr(done.stderr.decode().replace("<stdin>", str(path)), path.parent)
    assert done.returncode == 3
    _check_jsonl(path, options, done.stdout, err, done.returncode)
