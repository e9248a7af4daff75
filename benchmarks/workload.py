"""Generated claim cases for the batch benchmark and the scale-out test: fixed seed, no I/O needed.

Every case has a `service_date` (uniform over 2010-01-01 .. 2030-12-31, so some fall before the
first revision) and, most of the time, a `case_id`; each policy field is omitted now and then, so
decided, indeterminate and `no_policy_in_force` outcomes all occur. Rectal cancer, the one site
with a medically necessary criterion, is drawn more often than the others.

Columns are plain Python lists (None = omitted), typed as a JSON case would be (`recurrent` is a
bool); `write_csv`, `write_jsonl`, `arrow_table` and `cases` turn them into the inputs each
evaluator takes.
"""

from __future__ import annotations

import json
import random
from datetime import date

FIELDS = ("case_id", "service_date", "cancer_site", "margin_status", "t_stage", "recurrent")
FIRST_DAY, LAST_DAY = date(2010, 1, 1), date(2030, 12, 31)
OMIT = {"case_id": 0.05, "cancer_site": 0.10, "margin_status": 0.15, "t_stage": 0.15,
        "recurrent": 0.20}
RECTAL_SHARE = 0.4


def generate(n: int, columns, seed: int = 20261126) -> dict[str, list]:
    """n cases as columns; `columns` is the compiled policy's ((name, values), ...)."""
    rng = random.Random(seed)
    vocabulary = dict(columns)
    days = [date.fromordinal(d).isoformat()
            for d in range(FIRST_DAY.toordinal(), LAST_DAY.toordinal() + 1)]
    data: dict[str, list] = {
        "case_id": [None if rng.random() < OMIT["case_id"] else f"C{i:08d}" for i in range(n)],
        "service_date": [rng.choice(days) for _ in range(n)],
    }
    for name, values in vocabulary.items():
        values = list(values)
        column: list[str | bool | None] = []
        for _ in range(n):
            if rng.random() < OMIT[name]:
                column.append(None)
            elif name == "cancer_site" and rng.random() < RECTAL_SHARE:
                column.append("rectal")
            else:
                column.append(rng.choice(values))
        data[name] = column
    return data


def cases(data: dict[str, list], start: int = 0, stop: int | None = None) -> list[dict]:
    """Rows start..stop as case mappings, omitted fields left out."""
    names = list(data)
    stop = len(data[names[0]]) if stop is None else stop
    rows = zip(*(data[name][start:stop] for name in names), strict=True)
    return [{k: v for k, v in zip(names, row, strict=True) if v is not None} for row in rows]


def _cell(value) -> str:
    return "" if value is None else "true" if value is True else "false" if value is False \
        else value


def write_csv(data: dict[str, list], path) -> None:
    """A header and one line per case; an omitted field is an empty cell, booleans true/false.

    The generated values hold no comma, quote or line break, so no cell needs quoting.
    """
    names = list(data)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(names) + "\n")
        for row in zip(*(data[name] for name in names), strict=True):
            out.write(",".join(map(_cell, row)) + "\n")


def write_jsonl(data: dict[str, list], path) -> None:
    """One JSON object per line, omitted fields left out."""
    names = list(data)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8", newline="") as out:
        for row in zip(*(data[name] for name in names), strict=True):
            case = {k: v for k, v in zip(names, row, strict=True) if v is not None}
            out.write(dumps(case) + "\n")


def arrow_table(data: dict[str, list]):
    """A typed Arrow table (strings, `recurrent` bool, nulls for omitted fields)."""
    import pyarrow as pa

    types = {name: pa.bool_() if name == "recurrent" else pa.string() for name in data}
    return pa.table({name: pa.array(values, types[name]) for name, values in data.items()})
