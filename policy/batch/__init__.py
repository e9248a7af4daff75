"""Batch evaluation of claim files: CSV, JSON Lines or Parquet in; JSON Lines, CSV or Parquet out.

Files are read in record batches (bounded memory), each batch goes through the columnar core
(`columnar.ColumnarPolicy`), and results are written in input order with each row's 1-based line
number. Bad rows (an unknown value, a bad date, a ragged CSV row, a malformed JSON line) are
reported with their line and evaluated no further; every other row is. Output goes through
`writer.atomic_output`, so nothing appears at the output path unless the whole run succeeded.

Line numbers are physical lines of the input file (see `csv_lines` for CSV); for Parquet, "line"
is the 1-based row number.

The package, by seam: `inputs` (opening a file, standard input or a pipe), the readers
(`csv_reader` with `csv_lines`, `jsonl_reader`, `parquet_reader`), `writers`, `pipeline` (the
read-ahead and write-behind threads) and `run`; `records` holds what passes between them.
"""

from __future__ import annotations

from .csv_reader import read_csv
from .formats import INPUT_FORMATS, OUTPUT_FORMATS, format_of
from .jsonl_reader import read_jsonl
from .parquet_reader import read_parquet
from .records import BadLine, Chunk, Summary
from .run import READERS, WRITERS, bad_lines_text, run_batch, summary_text, use_reusing_memory_pool
from .writers import CSV_COLUMNS, CsvWriter, JsonLinesWriter, ParquetWriter

__all__ = ["CSV_COLUMNS", "INPUT_FORMATS", "OUTPUT_FORMATS", "READERS", "WRITERS", "BadLine",
           "bad_lines_text",
           "Chunk", "CsvWriter", "JsonLinesWriter", "ParquetWriter", "Summary",
           "format_of", "read_csv", "read_jsonl", "read_parquet", "run_batch", "summary_text",
           "use_reusing_memory_pool"]
