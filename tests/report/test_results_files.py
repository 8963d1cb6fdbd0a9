"""results.csv and results.json: one row per result, ResultRecord columns."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from harness.report.results_files import json_scalar, write_results_files
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import RESULT_FIELDS, Store


def test_results_files_have_every_record_and_column(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(RunInfo("r", started_at=1.0, models=["p:m"]))
        store.write(
            ResultRecord(
                "r",
                f"s::c{i}::p:m::1",
                "s",
                f"c{i}",
                "p:m",
                1,
                "passed" if i % 2 else "failed",
                verdicts=[{"assertion": "contains", "passed": bool(i % 2)}],
                parsed_output={"n": i},
                tags=["t"],
            )
            for i in range(7)
        )
        # several chunks: the CSV header is written once
        csv_path, json_path = write_results_files(store, "r", tmp_path / "out", chunk_size=3)
    frame = pd.read_csv(csv_path)
    assert list(frame.columns) == list(RESULT_FIELDS)
    assert len(frame) == 7
    assert json.loads(frame["verdicts"][1]) == [{"assertion": "contains", "passed": True}]
    data = json.loads(json_path.read_text())
    assert data["run"]["run_id"] == "r"
    assert [r["parsed_output"]["n"] for r in data["results"]] == list(range(7))
    assert data["results"][0]["status"] == "failed"


def test_empty_run_still_writes_headers(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(RunInfo("r", started_at=1.0))
        csv_path, json_path = write_results_files(store, "r", tmp_path)
    assert csv_path.read_text().startswith("run_id,item_id,")
    assert json.loads(json_path.read_text())["results"] == []


@given(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included
    | st.text()  # control characters, quotes, surrogates, non-ASCII
    | st.lists(st.integers(), max_size=3)
)
def test_json_scalar_writes_exactly_what_json_dumps_writes(value: object) -> None:
    assert json_scalar(value) == json.dumps(value, ensure_ascii=False)


@given(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]))
)  # SQLite stores no lone surrogates
def test_sqlite_json_quote_writes_exactly_what_json_dumps_writes(value: str) -> None:
    # results.json has SQLite quote its text cells: they must be json.dumps's output
    db = sqlite3.connect(":memory:")
    assert db.execute("SELECT json_quote(?)", (value,)).fetchone()[0] == json.dumps(
        value, ensure_ascii=False
    )


def test_results_json_rows_are_json_dumps_of_the_records(tmp_path: Path) -> None:
    from tests.report.fixtures import mixed_records

    records = mixed_records()
    with Store.open(tmp_path / "h.db") as store:
        store.start_run(RunInfo("run-1", started_at=1.0))
        store.write(records)
        _, json_path = write_results_files(store, "run-1", tmp_path / "out", chunk_size=4)
    rows = json.loads(json_path.read_text())["results"]
    assert rows == [json.loads(json.dumps(dataclasses.asdict(r), default=str)) for r in records]
    # results.csv reads back to the same cells
    frame = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False)
    assert list(frame["item_id"]) == [r.item_id for r in records]
    assert list(frame["repaired"]) == [r.repaired for r in records]
