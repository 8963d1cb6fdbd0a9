"""``results.csv`` and ``results.json``: every result of a run, one row each, from the store.

The CSV keeps JSON values (verdicts, parsed output, tags, vars) as JSON text so it
stays one row per result; ``results.json`` nests them as real JSON. Both are written
batch by batch from the store's raw rows (JSON is spliced in as stored, never decoded
and re-encoded), so a 100,000-result run never sits in memory whole.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Iterator
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import Any

from harness.report import step_columns
from harness.store.sqlite import BOOL_FIELDS, JSON_FIELDS, RESULT_FIELDS, RESULT_TYPES, Store

CHUNK = 5000
"""Rows per batch written."""
EXPORT_FIELDS = RESULT_FIELDS + step_columns.STEP_COLUMNS
"""The columns of the results files: every ``ResultRecord`` field, then the step count
and the tools called (:mod:`harness.report.step_columns`)."""
EXPORT_TYPES = {**RESULT_TYPES, **step_columns.STEP_TYPES}


def json_scalar(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)`` for a store cell, without its per-call setup.

    Store cells are None, str, int or float; strings go through the json module's C
    encoder directly. Anything else (or a non-finite float) takes ``json.dumps``.
    """
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _json_select() -> tuple[str, str, list[int]]:
    """The SELECT list that has SQLite write each cell of a results.json row as JSON text
    (``json_quote`` writes strings exactly as ``json.dumps(..., ensure_ascii=False)``
    does; a test checks it), the row's ``%`` template, and the positions of the REAL
    cells left to Python (SQLite would round them to 15 digits)."""
    cells, floats = [], []
    for i, name in enumerate(RESULT_FIELDS):
        if name in JSON_FIELDS:  # already JSON text in the store
            cells.append(f"COALESCE({name}, 'null')")
        elif name in BOOL_FIELDS:
            cells.append(f"CASE WHEN {name} THEN 'true' ELSE 'false' END")
        elif RESULT_TYPES[name] == "float":
            cells.append(name)
            floats.append(i)
        else:
            cells.append(f"json_quote({name})")
    cells.extend(step_columns.json_cells())
    template = "{" + ", ".join(f"{json.dumps(f)}: %s" for f in EXPORT_FIELDS) + "}"
    return ", ".join(cells), template, floats


def _csv_quoted_by() -> tuple[str, ...]:
    """The characters that make this Python's csv module quote a field (they differ
    between versions: 3.11 leaves a lone ``\\r`` unquoted with a ``\\n`` line end)."""
    out = []
    for char in (",", '"', "\n", "\r"):
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow([f"a{char}b", ""])
        if line.getvalue().startswith('"'):
            out.append(char)
    return tuple(out)


def _csv_select() -> tuple[str, list[int]]:
    """The SELECT list that has SQLite write each cell of a results.csv row as the csv
    module would (minimal quoting, None as an empty cell, booleans ``True``/``False``),
    and the positions of the REAL cells left to Python (written as ``repr``). A test
    checks rows against ``csv.writer``."""
    tests = " OR ".join(f"instr({{c}}, char({ord(ch)}))" for ch in _csv_quoted_by()) or "0"
    cells, floats = [], []
    for i, name in enumerate(RESULT_FIELDS):
        kind = RESULT_TYPES[name]
        if kind == "bool":
            cells.append(f"CASE WHEN {name} THEN 'True' ELSE 'False' END")
        elif kind == "float":
            cells.append(name)
            floats.append(i)
        elif kind == "int":
            cells.append(f"COALESCE(CAST({name} AS TEXT), '')")
        else:
            quote = tests.format(c=name)
            cells.append(
                f"CASE WHEN {name} IS NULL THEN '' WHEN {quote} "
                f"""THEN '"' || replace({name}, '"', '""') || '"' ELSE {name} END"""
            )
    cells.extend(step_columns.csv_cells())
    return ", ".join(cells), floats


def _select(store: Store, run_id: str, cells: str, batch: int) -> Iterator[list[Any]]:
    cur = store.db.execute(
        f"SELECT {cells} FROM results WHERE run_id = ? ORDER BY rowid", (run_id,)
    )
    while rows := cur.fetchmany(batch):
        yield rows


def write_results_files(
    store: Store, run_id: str, out_dir: Path, *, chunk_size: int = CHUNK
) -> list[Path]:
    """Write ``results.csv`` and ``results.json`` for a run into ``out_dir``; returns the paths.

    Columns are the :class:`ResultRecord` fields, in their order, then ``step_count`` and
    ``tool_calls`` (:mod:`harness.report.step_columns`); ``results.json`` is
    ``{"run": {...RunInfo...}, "results": [{...}, ...]}``. Rows stream from store
    cursors ``chunk_size`` at a time, and SQLite formats most cells itself: memory stays
    flat and time per row small at any run size.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out_dir / "results.csv", out_dir / "results.json"
    info = store.run(run_id)
    cells, floats = _csv_select()
    with csv_path.open("w", encoding="utf-8", newline="") as csv_file:
        csv.writer(csv_file, lineterminator="\n").writerow(EXPORT_FIELDS)
        for rows in _select(store, run_id, cells, chunk_size):
            lines = []
            for row in rows:
                if floats:
                    row = list(row)
                    for i in floats:
                        value = row[i]
                        row[i] = "" if value is None else repr(value)
                lines.append(",".join(row))
            csv_file.write("\n".join(lines) + "\n")
    cells, template, floats = _json_select()
    with json_path.open("w", encoding="utf-8") as json_file:
        run = json.dumps(dataclasses.asdict(info), ensure_ascii=False, default=str)
        json_file.write(f'{{"run": {run}, "results": [')
        separator = "\n"
        for rows in _select(store, run_id, cells, chunk_size):
            texts = []
            for row in rows:
                if floats:
                    row = list(row)
                    for i in floats:
                        row[i] = json_scalar(row[i])
                texts.append(template % tuple(row))
            json_file.write(separator + ",\n".join(texts))
            separator = ",\n"
        json_file.write("\n]}\n")
    return [csv_path, json_path]


def write_parquet(csv_path: Path, path: Path, *, block_size: int = 1 << 20) -> Path | None:
    """``results.parquet`` from ``results.csv``, streamed batch by batch; None (and no file)
    when pyarrow is not installed.

    A row longer than ``block_size`` (a truncated answer keeps its line breaks) is read
    again with blocks large enough to hold it.

    Columns and order as the CSV, typed (``RESULT_TYPES``): JSON values as JSON text,
    booleans as booleans, missing values and empty text as null. Read through pyarrow's
    own CSV reader: building arrays from Python objects would import pandas, which
    ``harness run`` otherwise never loads.
    """
    try:
        import pyarrow as pa
    except ImportError:
        path.unlink(missing_ok=True)  # never leave a stale file from an earlier write
        return None
    types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
    schema = pa.schema([(name, types[EXPORT_TYPES[name]]) for name in EXPORT_FIELDS])
    size = csv_path.stat().st_size
    while True:
        try:
            _write_parquet(csv_path, path, schema, block_size)
            return path
        except pa.ArrowInvalid as exc:
            # a row longer than a block (a long answer with line breaks, many steps):
            # again with blocks that hold it; rows that long are rare, so is the cost
            if "straddl" not in str(exc) or block_size > size:
                raise
            block_size = min(block_size * 8, size + 1, 2**31 - 1)


def _write_parquet(csv_path: Path, path: Path, schema: Any, block_size: int) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    reader = pacsv.open_csv(
        csv_path,
        # one thread, 1 MB blocks: about 100 MB over pyarrow itself at any size
        read_options=pacsv.ReadOptions(block_size=block_size, use_threads=False),
        # answers hold line breaks: without this, a block that ends inside a quoted cell
        # puts the parser "out of sync with chunker"
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""],  # "null" or "N/A" in an output is text, not a missing value
            strings_can_be_null=True,
            true_values=["True"],
            false_values=["False"],
        ),
    )
    with pq.ParquetWriter(path, schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
