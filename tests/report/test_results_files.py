"""results.csv and results.json: one row per result, ResultRecord columns, then the step
count and the tools called."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.report.results_files import EXPORT_FIELDS, json_scalar, write_results_files
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import BOOL_FIELDS, RESULT_FIELDS, Store


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
    assert list(frame.columns) == [*RESULT_FIELDS, "step_count", "tool_calls"]
    assert list(EXPORT_FIELDS) == list(frame.columns)
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
    assert rows == [
        {
            **json.loads(json.dumps(dataclasses.asdict(r), default=str)),
            "step_count": 0 if r.output is None else 1,  # single calls
            "tool_calls": None,
        }
        for r in records
    ]
    # results.csv reads back to the same cells
    frame = pd.read_csv(tmp_path / "out" / "results.csv", keep_default_na=False)
    assert list(frame["item_id"]) == [r.item_id for r in records]
    assert list(frame["repaired"]) == [r.repaired for r in records]


texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    output=st.none() | texts,
    prompt=texts,
    case=texts,
    score=st.none() | st.floats(allow_nan=False),
    tokens=st.none() | st.integers(0, 10**12),
)
def test_results_csv_rows_are_what_csv_writer_writes(
    tmp_path_factory: pytest.TempPathFactory,
    output: str | None,
    prompt: str,
    case: str,
    score: float | None,
    tokens: int | None,
) -> None:
    # SQLite formats most CSV cells: each row must be exactly the csv module's
    record = ResultRecord("r", "i", "s", case, "p:m", 1, "failed", score=score, prompt=prompt,
                          output=output, input_tokens=tokens, error=output, repaired=True)  # fmt: skip
    root = tmp_path_factory.mktemp("csv")
    with Store.open(root / "h.db") as store:
        store.start_run(RunInfo("r", started_at=1.0))
        store.write([record])
        (raw,) = next(store.iter_rows("r"))
        csv_path, _ = write_results_files(store, "r", root / "out")
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    cells = ["" if v is None else v for v in raw]
    cells += [0 if output is None else 1, ""]  # a single call: one step when it answered
    for i, name in enumerate(RESULT_FIELDS):
        if name in BOOL_FIELDS:
            cells[i] = bool(raw[i])
    writer.writerow(cells)
    assert csv_path.read_bytes().decode("utf-8") == expected.getvalue()  # no newline translation
