"""``results.csv`` and ``results.json``: every result of a run, one row each, from the store.

The CSV keeps JSON values (verdicts, parsed output, tags, vars) as JSON text so it
stays one row per result; ``results.json`` nests them as real JSON. Both are written
batch by batch from the store's raw rows (JSON is spliced in as stored, never decoded
and re-encoded), so a 100,000-result run never sits in memory whole.
"""

from __future__ import annotations

import dataclasses
import json
import math
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import Any

from harness.store.sqlite import BOOL_FIELDS, JSON_FIELDS, RESULT_FIELDS, Store

CHUNK = 5000
"""Rows per batch written."""


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


def _json_row(row: tuple[Any, ...], keys: tuple[str, ...], kinds: tuple[int, ...]) -> str:
    parts = []
    for key, kind, value in zip(keys, kinds, row, strict=True):
        if kind == 1:  # already JSON text in the store
            text = "null" if value is None else value
        elif kind == 2:
            text = "true" if value else "false"
        else:
            text = json_scalar(value)
        parts.append(f"{key}: {text}")
    return "{" + ", ".join(parts) + "}"


def write_results_files(
    store: Store, run_id: str, out_dir: Path, *, chunk_size: int = CHUNK
) -> list[Path]:
    """Write ``results.csv`` and ``results.json`` for a run into ``out_dir``; returns the paths.

    Columns are the :class:`ResultRecord` fields, in their order; ``results.json`` is
    ``{"run": {...RunInfo...}, "results": [{...}, ...]}``.
    """
    import pandas as pd  # imported here: `harness run` starts faster without it

    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out_dir / "results.csv", out_dir / "results.json"
    info = store.run(run_id)
    keys = tuple(json.dumps(f) for f in RESULT_FIELDS)
    kinds = tuple(1 if f in JSON_FIELDS else 2 if f in BOOL_FIELDS else 0 for f in RESULT_FIELDS)
    bools = [f for f in RESULT_FIELDS if f in BOOL_FIELDS]
    with (
        csv_path.open("w", encoding="utf-8", newline="") as csv_file,
        json_path.open("w", encoding="utf-8") as json_file,
    ):
        run = json.dumps(dataclasses.asdict(info), ensure_ascii=False, default=str)
        json_file.write(f'{{"run": {run}, "results": [')
        header = True
        separator = "\n"
        for rows in store.iter_rows(run_id, batch=chunk_size):
            json_file.write(separator + ",\n".join(_json_row(r, keys, kinds) for r in rows))
            separator = ",\n"
            frame = pd.DataFrame.from_records(rows, columns=list(RESULT_FIELDS))
            for column in bools:
                frame[column] = frame[column].astype(bool)
            frame.to_csv(csv_file, index=False, header=header)
            header = False
        if header:  # no results: still a CSV with its header
            pd.DataFrame(columns=list(RESULT_FIELDS)).to_csv(csv_file, index=False)
        json_file.write("\n]}\n")
    return [csv_path, json_path]
