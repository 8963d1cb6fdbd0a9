"""results.csv, results.json and results.parquet carry each item's step count and the tools
it called, in order."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from harness.report.results_files import EXPORT_FIELDS, write_parquet, write_results_files
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.tools.trajectory import steps_json
from tests.fakes.trajectories import call, trajectory

HOSTILE = 'get,"weather"\nnow'  # a model may name any tool: CSV must still hold one cell
LOOP = steps_json(
    trajectory(
        [call("search", q="Paris")],
        [call("get_weather", city="Paris"), call(HOSTILE, id="c2"), call("search", id="c3")],
        "Sunny.",
    )
)
EXPECTED = {
    "loop": (3, ["search", "get_weather", HOSTILE, "search"]),
    "no-tools-turns": (2, []),
    "single": (1, None),
    "error": (0, None),
}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A run with a tool loop, a two-turn exchange without tools, a single call and an error."""
    turns = steps_json(trajectory("Hello.", "Goodbye."))
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(RunInfo("r", started_at=1.0))
        store.write(
            [
                ResultRecord("r", "loop", "s", "loop", "p:m", 1, "passed", output="Sunny.", steps=LOOP),
                ResultRecord("r", "no-tools-turns", "s", "t", "p:m", 1, "passed", output="Goodbye.", steps=turns),
                ResultRecord("r", "single", "s", "single", "p:m", 1, "failed", output="Paris"),
                ResultRecord("r", "error", "s", "error", "p:m", 1, "error", error="boom"),
            ]
        )  # fmt: skip
        csv_path, _ = write_results_files(store, "r", tmp_path / "out", chunk_size=2)
    assert write_parquet(csv_path, tmp_path / "out" / "results.parquet") is not None
    return tmp_path / "out"


def test_results_json_has_the_count_and_the_names_in_order(out: Path) -> None:
    rows = json.loads((out / "results.json").read_text(encoding="utf-8"))["results"]
    got = {r["item_id"]: (r["step_count"], r["tool_calls"]) for r in rows}
    assert got == EXPECTED
    loop = next(r for r in rows if r["item_id"] == "loop")
    assert loop["steps"] == LOOP  # every step, as the store keeps it


def test_results_csv_cells_are_what_csv_writer_writes(out: Path) -> None:
    text = (out / "results.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(EXPORT_FIELDS)
    at = {name: i for i, name in enumerate(rows[0])}
    got = {
        r[at["item_id"]]: (int(r[at["step_count"]]), json.loads(r[at["tool_calls"]] or "null"))
        for r in rows[1:]
    }
    assert got == EXPECTED
    # each line is exactly the csv module's: quoting, the hostile name's newline, "[]"
    for line_rows in rows[1:]:
        again = io.StringIO()
        csv.writer(again, lineterminator="\n").writerow(line_rows)
        assert again.getvalue() in text


def test_results_parquet_types_the_columns(out: Path) -> None:
    table = pd.read_parquet(out / "results.parquet")
    assert list(table.columns) == list(EXPORT_FIELDS)
    assert str(table["step_count"].dtype) == "int64"
    by_item = dict(zip(table["item_id"], table["tool_calls"], strict=True))
    assert json.loads(by_item["loop"]) == EXPECTED["loop"][1]
    assert pd.isna(by_item["single"]) and by_item["no-tools-turns"] == "[]"


def test_a_row_longer_than_a_block_still_reaches_parquet(tmp_path: Path) -> None:
    """A truncated answer keeps its line breaks: its row straddles pyarrow's blocks."""
    long_answer = ("line\n" * 3_000) + '"quoted", and more'
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(RunInfo("r", started_at=1.0))
        store.write(
            [
                ResultRecord("r", f"i{i}", "s", f"c{i}", "p:m", 1, "passed", output=long_answer)
                for i in range(3)
            ]
        )
        csv_path, _ = write_results_files(store, "r", tmp_path)
    path = write_parquet(csv_path, tmp_path / "results.parquet", block_size=1 << 10)
    assert path is not None
    table = pd.read_parquet(path)
    assert list(table["output"]) == [long_answer] * 3
