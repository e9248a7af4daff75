"""Claim files for the batch tests: rows written as CSV, JSON Lines (a null field left out) or
Parquet."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def write_claims(folder: Path, kind: str, rows: list[dict], stem: str = "claims") -> Path:
    """`rows` as the claim file `folder/stem.kind`: csv, jsonl or parquet."""
    path = folder / f"{stem}.{kind}"
    if kind == "csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    elif kind == "jsonl":
        path.write_text("".join(json.dumps({k: v for k, v in c.items() if v is not None}) + "\n"
                                for c in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path
