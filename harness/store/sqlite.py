"""The results store: one SQLite file (WAL mode) holding runs, results and the response cache.

Writers append results in small transactions (see :mod:`harness.store.writer`), so a
crash loses at most what was in flight. Readers get a pandas frame or a stream::

    store = Store.open(Path("reports/harness.db"))
    frame = store.results_frame(store.latest_run_id())
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError
from harness.store.bounded import bounded_steps
from harness.store.integrity import check_integrity
from harness.store.migrations import migrate
from harness.store.records import ERROR, PASSED, SKIPPED, ResultRecord, RunInfo

if TYPE_CHECKING:
    import pandas as pd

RESULT_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ResultRecord))
RUN_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunInfo))
JSON_FIELDS = frozenset({"parsed_output", "verdicts", "tags", "case_vars", "expected", "steps"})
"""Result fields stored as JSON text."""
BOOL_FIELDS = frozenset({"repaired", "timings_recorded", "cached"})
"""Result fields stored as 0/1."""
RESULT_TYPES: dict[str, str] = {
    f.name: "str"
    if f.name in JSON_FIELDS
    else next((t for t in ("bool", "int", "float") if str(f.type).split(" |")[0] == t), "str")
    for f in dataclasses.fields(ResultRecord)
}
"""Each result column's type in exports: ``int``, ``float``, ``bool`` or ``str`` (JSON
values are JSON text), read from ``ResultRecord``'s annotations so a new field is typed."""
_JSON_RESULT = JSON_FIELDS
_BOOL_RESULT = BOOL_FIELDS
_JSON_RUN = frozenset({"config", "spec_hashes", "models", "params"})
_INSERT = (
    f"INSERT OR REPLACE INTO results ({', '.join(RESULT_FIELDS)}) "
    f"VALUES ({', '.join('?' for _ in RESULT_FIELDS)})"
)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
# one encoder for every value: json.dumps with options builds a new one per call


def _dumps(value: Any) -> str:
    if not value and (value == [] or value == {}):
        return "[]" if isinstance(value, list) else "{}"
    return _ENCODER.encode(value)


_KIND = tuple(
    3 if f == "steps" else 2 if f in JSON_FIELDS else 1 if f in BOOL_FIELDS else 0
    for f in RESULT_FIELDS
)


def _row(record: ResultRecord) -> tuple[Any, ...]:
    values: list[Any] = []
    for name, kind in zip(RESULT_FIELDS, _KIND, strict=True):
        value = getattr(record, name)
        if kind == 2:
            value = _dumps(value)
        elif kind == 3:  # a single call has no steps: NULL, not the text 'null'
            value = None if value is None else _dumps(bounded_steps(value))
        elif kind == 1:
            value = int(bool(value))
        values.append(value)
    return tuple(values)


def _connect(path: Path, attempts: int = 8) -> sqlite3.Connection:
    """Connect, switch to WAL and migrate; a store that another process is creating or
    migrating at this moment (xdist workers, shards) is retried, not reported broken."""
    for attempt in range(attempts):
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a power loss may drop the last commits, a crash never does
            db.execute("PRAGMA synchronous=NORMAL")
            migrate(db)
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            # SQLite skips the busy handler where waiting could deadlock; back off instead
            if "locked" not in str(exc) or attempt + 1 == attempts:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


class Store:
    """A results store on one SQLite file. Not thread-safe: use it from one thread."""

    def __init__(self, db: sqlite3.Connection, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating folders and schema as needed) the store at ``path``.

        Raises:
            ConfigError: the file cannot be opened or is not a harness store.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = _connect(path)
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"cannot open results store {path}: {exc}") from None
        return cls(db, path)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # runs

    def start_run(self, info: RunInfo) -> None:
        """Insert (or replace) a run's row, after checking the store is not damaged.

        Raises:
            ConfigError: the store is damaged (the message says how to recover it).
        """
        check_integrity(self.db, self.path)
        values = [
            _dumps(getattr(info, n)) if n in _JSON_RUN else getattr(info, n) for n in RUN_FIELDS
        ]
        self.db.execute(
            f"INSERT OR REPLACE INTO runs ({', '.join(RUN_FIELDS)}) "
            f"VALUES ({', '.join('?' for _ in RUN_FIELDS)})",
            values,
        )

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        """Mark a run finished (``status`` 'finished', 'interrupted' or 'failed')."""
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
            (time.time(), status, run_id),
        )

    def reopen_run(self, run_id: str) -> None:
        """Mark a run as running again (``--resume``), after checking the store is whole."""
        check_integrity(self.db, self.path)
        self.db.execute(
            "UPDATE runs SET finished_at = NULL, status = 'running' WHERE run_id = ?", (run_id,)
        )

    def run(self, run_id: str) -> RunInfo:
        """The run's metadata.

        Raises:
            ConfigError: no such run in this store.
        """
        cur = self.db.execute(
            f"SELECT {', '.join(RUN_FIELDS)} FROM runs WHERE run_id = ?", (run_id,)
        )
        row = cur.fetchone()
        if row is None:
            raise ConfigError(f"no run {run_id!r} in {self.path or 'the store'}")
        data = {
            n: json.loads(v) if n in _JSON_RUN else v for n, v in zip(RUN_FIELDS, row, strict=True)
        }
        return RunInfo(**data)

    def run_ids(self) -> list[str]:
        """Every run id, oldest first (ids sort by start time)."""
        return [r[0] for r in self.db.execute("SELECT run_id FROM runs ORDER BY run_id")]

    def latest_run_id(self, *, unfinished: bool = False) -> str | None:
        """The newest run's id (only runs not marked finished when ``unfinished``)."""
        where = "WHERE status != 'finished'" if unfinished else ""
        row = self.db.execute(
            f"SELECT run_id FROM runs {where} ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])

    # results

    def write(self, records: Iterable[ResultRecord]) -> int:
        """Write records in one transaction; an item written twice keeps its last record."""
        rows = [_row(r) for r in records]
        if not rows:
            return 0
        self.db.execute("BEGIN")
        try:
            self.db.executemany(_INSERT, rows)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return len(rows)

    def completed_item_ids(self, run_id: str) -> set[str]:
        """Items of a run that need no rerun: everything except errors and budget skips."""
        cur = self.db.execute(
            "SELECT item_id FROM results WHERE run_id = ? AND status != ? "
            "AND NOT (status = ? AND error_type = 'budget')",
            (run_id, ERROR, SKIPPED),
        )
        return {r[0] for r in cur}

    def count(self, run_id: str) -> int:
        """How many results a run has."""
        row = self.db.execute("SELECT COUNT(*) FROM results WHERE run_id = ?", (run_id,))
        return int(row.fetchone()[0])

    def iter_results(self, run_id: str, *, batch: int = 1000) -> Iterator[ResultRecord]:
        """Stream a run's results in write order without holding them all in memory."""
        cur = self.db.execute(
            f"SELECT {', '.join(RESULT_FIELDS)} FROM results WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        )
        while rows := cur.fetchmany(batch):
            for row in rows:
                yield _record(row)

    def iter_rows(self, run_id: str, *, batch: int = 1000) -> Iterator[list[tuple[Any, ...]]]:
        """A run's results as raw rows in ``RESULT_FIELDS`` order, JSON values still text,
        booleans as 0/1; in batches. The fast path for exports."""
        cur = self.db.execute(
            f"SELECT {', '.join(RESULT_FIELDS)} FROM results WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        )
        while rows := cur.fetchmany(batch):
            yield rows

    def results_frame(self, run_id: str) -> pd.DataFrame:
        """One row per result; columns are ``ResultRecord`` fields, JSON values as text."""
        import pandas as pd

        frame = pd.read_sql_query(
            f"SELECT {', '.join(RESULT_FIELDS)} FROM results WHERE run_id = ? ORDER BY rowid",
            self.db,
            params=(run_id,),
        )
        for name in _BOOL_RESULT:
            frame[name] = frame[name].astype(bool)
        return frame

    def case_attempts(self, run_id: str) -> list[tuple[str, str, str, int, int]]:
        """Per (spec, case, model): graded attempts and how many passed, as
        ``(spec, case_id, model, attempts, passed)``; what pass@k, pass^k and majority vote
        are computed from (:mod:`harness.report.aggregate`). Skipped attempts are left out."""
        cur = self.db.execute(
            "SELECT spec, case_id, model, COUNT(*), SUM(status = ?) FROM results "
            "WHERE run_id = ? AND status != ? GROUP BY spec, case_id, model "
            "ORDER BY spec, case_id, model",
            (PASSED, run_id, SKIPPED),
        )
        return [(str(s), str(c), str(m), int(n), int(p)) for s, c, m, n, p in cur]

    # response cache

    def cache_get(self, key: str, *, ttl: float | None) -> dict[str, Any] | None:
        """A cached response (as stored) younger than ``ttl`` seconds (None: any age)."""
        row = self.db.execute(
            "SELECT created_at, response FROM response_cache WHERE key = ?", (key,)
        ).fetchone()
        if row is None or (ttl is not None and time.time() - row[0] > ttl):
            return None
        value: dict[str, Any] = json.loads(row[1])
        return value

    def cache_put(self, key: str, response: dict[str, Any]) -> None:
        """Remember a response under its canonical request key."""
        self.db.execute(
            "INSERT OR REPLACE INTO response_cache VALUES (?, ?, ?)",
            (key, time.time(), _dumps(response)),
        )


def _record(row: tuple[Any, ...]) -> ResultRecord:
    data: dict[str, Any] = {}
    for name, value in zip(RESULT_FIELDS, row, strict=True):
        if name in _JSON_RESULT and value is not None:
            value = json.loads(value)
        elif name in _BOOL_RESULT:
            value = bool(value)
        data[name] = value
    return ResultRecord(**data)
