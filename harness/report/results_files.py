"""``results.csv`` and ``results.json``: every result of a run, one row each, from the store.

The CSV keeps JSON values (verdicts, parsed output, tags, vars) as JSON text so it
stays one row per result; ``results.json`` nests them as real JSON. Both are written
chunk by chunk from :meth:`Store.iter_results`, so a 100,000-result run never sits in
memory whole.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd

from harness.store.records import ResultRecord
from harness.store.sqlite import RESULT_FIELDS, Store

CHUNK = 5000
JSON_COLUMNS = ("parsed_output", "verdicts", "tags", "case_vars", "expected")


def _as_dict(record: ResultRecord) -> dict[str, Any]:
    return {f: getattr(record, f) for f in RESULT_FIELDS}


def write_results_files(
    store: Store, run_id: str, out_dir: Path, *, chunk_size: int = CHUNK
) -> list[Path]:
    """Write ``results.csv`` and ``results.json`` for a run into ``out_dir``; returns the paths.

    Columns are the :class:`ResultRecord` fields, in their order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out_dir / "results.csv", out_dir / "results.json"
    info = store.run(run_id)
    with (
        csv_path.open("w", encoding="utf-8", newline="") as csv_file,
        json_path.open("w", encoding="utf-8") as json_file,
    ):
        run = json.dumps(dataclasses.asdict(info), ensure_ascii=False, default=str)
        json_file.write(f'{{"run": {run}, "results": [')
        first, header = True, True
        chunk: list[dict[str, Any]] = []

        def flush() -> None:
            nonlocal first, header
            if not chunk and not header:
                return
            for row in chunk:
                json_file.write(("\n" if first else ",\n") + json.dumps(row, default=str))
                first = False
            frame = pd.DataFrame(chunk, columns=list(RESULT_FIELDS))
            for column in JSON_COLUMNS:
                frame[column] = [
                    json.dumps(v, ensure_ascii=False, default=str) for v in frame[column]
                ]
            frame.to_csv(csv_file, index=False, header=header)
            header = False
            chunk.clear()

        for record in store.iter_results(run_id):
            chunk.append(_as_dict(record))
            if len(chunk) >= chunk_size:
                flush()
        flush()
        json_file.write("\n]}\n")
    return [csv_path, json_path]
