"""An empty string is a value, not unknown (issue 22, item 6): wherever a case can hold one (the
per-case API, a JSON Lines line, an Arrow table or Parquet file, a mapped code column), it is
refused, and the message says that null (or leaving the field out) means unknown. Each test
failed before the hint: the message named the value and stopped."""

import json

import pyarrow as pa
import pytest

from policy import load_policy
from policy.columnar import evaluate_arrow
from policy.core.errors import DataError
from repo_paths import TABLES

IORT = load_policy(TABLES)
HINT = ("; an empty string is not unknown: leave the field out (null in a table) for an unknown "
        "value")


def _problems(case):
    with pytest.raises(DataError) as caught:
        IORT.evaluate(case, "2020-01-01")
    return [(p.code, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("case, code", [
    ({"cancer_site": ""}, "UNKNOWN_VALUE"),
    ({"margin_status": ""}, "UNKNOWN_VALUE"),
    ({"procedure": ""}, "CODE_MALFORMED"),
    ({"diagnosis": ""}, "CODE_MALFORMED"),
    ({"diagnosis": ["C20", ""]}, "CODE_MALFORMED"),
])
def test_the_per_case_api_says_an_empty_string_is_not_unknown(case, code):
    [(found, message)] = _problems(case)
    assert found == code
    assert message.endswith(HINT), message


def test_a_value_that_is_not_empty_gets_no_such_hint():
    [(_, message)] = _problems({"cancer_site": "lung"})
    assert "empty string" not in message
    [(_, message)] = _problems({"procedure": "7742"})
    assert "empty string" not in message


def test_an_arrow_table_says_it_per_row_as_the_api_does():
    table = pa.table({"service_date": ["2020-01-01"] * 4,
                      "site": ["", "rectal", None, "rectal"],
                      "px": ["77424", "", None, "77424"]})
    rows = evaluate_arrow(table, IORT, columns={"cancer_site": "site", "procedure": ["px"]})
    errors = rows.column("error").to_pylist()
    assert errors[2] is None and errors[3] is None  # null is unknown: no error
    for error, case in ((errors[0], {"cancer_site": "", "procedure": "77424"}),
                        (errors[1], {"cancer_site": "rectal", "procedure": ""})):
        [(code, message)] = _problems(case)
        assert error == f"{code}: {message}"
        assert error.endswith(HINT)


def test_a_json_lines_batch_says_it(cli, tmp_path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps({"service_date": "2020-01-01", "procedure": ""}) + "\n")
    code, _, err = cli("batch", str(claims))
    assert code == 3
    assert err.splitlines()[0].endswith(HINT), err
