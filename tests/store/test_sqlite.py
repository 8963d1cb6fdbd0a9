"""The results store: schema by migrations, records round-trip, runs and resume bookkeeping."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.store.migrations import MIGRATIONS, migrate
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import RESULT_FIELDS, Store


def _record(i: int, status: str = "passed", run_id: str = "r1", **kw: object) -> ResultRecord:
    return ResultRecord(
        run_id=run_id,
        item_id=f"qa::c{i}::p:m::1",
        spec="qa",
        case_id=f"c{i}",
        model="p:m",
        attempt=1,
        status=status,
        **kw,  # type: ignore[arg-type]
    )


def test_fresh_store_applies_every_migration_in_wal_mode(tmp_path: Path) -> None:
    with Store.open(tmp_path / "sub" / "h.db") as store:
        names = [r[0] for r in store.db.execute("SELECT name FROM _migrations ORDER BY rowid")]
        assert names == [m.__name__ for m in MIGRATIONS]
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [r[1] for r in store.db.execute("PRAGMA table_info(results)")]
        assert set(RESULT_FIELDS) <= set(columns)


def test_old_store_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    MIGRATIONS[0](db)
    db.execute("INSERT INTO _migrations VALUES (?, 0)", (MIGRATIONS[0].__name__,))
    db.execute("INSERT INTO runs (run_id, started_at) VALUES ('old', 1)")
    db.execute(
        "INSERT INTO results (run_id, item_id, spec, case_id, model, attempt, status) "
        "VALUES ('old', 'i', 's', 'c', 'p:m', 1, 'passed')"
    )
    db.close()
    with Store.open(path) as store:
        (record,) = store.iter_results("old")
        assert record.cached is False and record.status == "passed"
        assert migrate(store.db) == []  # idempotent


def test_records_round_trip_with_json_values(store: Store) -> None:
    store.start_run(RunInfo("r1", started_at=1.0, models=["p:m"], spec_hashes={"qa": "h"}))
    record = _record(
        1,
        parsed_output={"name": "Ann", "age": [1, 2]},
        verdicts=[{"assertion": "equals", "passed": True, "score": 1.0, "reason": "ok"}],
        tags=["smoke"],
        case_vars={"text": "é"},
        repaired=True,
        cost_usd=0.25,
    )
    store.write([record])
    (back,) = store.iter_results("r1")
    assert back == record
    frame = store.results_frame("r1")
    assert list(frame.columns) == list(RESULT_FIELDS)
    assert frame["verdicts"][0].startswith('[{"assertion"')
    assert bool(frame["repaired"][0]) is True
    assert store.run("r1").models == ["p:m"]


def test_an_item_written_twice_is_kept_once(store: Store) -> None:
    store.write([_record(1, "error"), _record(2)])
    store.write([_record(1, "passed")])
    assert store.count("r1") == 2
    assert {r.status for r in store.iter_results("r1")} == {"passed"}


@pytest.mark.parametrize(
    ("status", "error_type", "completed"),
    [
        pytest.param("passed", None, True, id="passed"),
        pytest.param("failed", None, True, id="failed"),
        pytest.param("skipped", "skip", True, id="skipped-case"),
        pytest.param("error", "ServerError", False, id="error-reruns"),
        pytest.param("skipped", "budget", False, id="budget-reruns"),
    ],
)
def test_completed_item_ids_for_resume(
    store: Store, status: str, error_type: str | None, completed: bool
) -> None:
    store.write([_record(1, status, error_type=error_type)])
    assert (store.completed_item_ids("r1") == {"qa::c1::p:m::1"}) is completed


def test_latest_runs(store: Store) -> None:
    assert store.latest_run_id() is None
    store.start_run(RunInfo("20250101T000000-aaaaaa", started_at=1.0))
    store.start_run(RunInfo("20250102T000000-bbbbbb", started_at=2.0))
    store.finish_run("20250102T000000-bbbbbb")
    assert store.latest_run_id() == "20250102T000000-bbbbbb"
    assert store.latest_run_id(unfinished=True) == "20250101T000000-aaaaaa"
    assert store.run("20250102T000000-bbbbbb").status == "finished"
    with pytest.raises(ConfigError, match="no run 'nope'"):
        store.run("nope")


def test_response_cache_expires(store: Store) -> None:
    store.cache_put("k", {"text": "hi"})
    assert store.cache_get("k", ttl=60) == {"text": "hi"}
    assert store.cache_get("k", ttl=-1) is None
    assert store.cache_get("other", ttl=None) is None


def test_unopenable_store_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(ConfigError, match="cannot open results store"):
        Store.open(tmp_path / "dir.db")
