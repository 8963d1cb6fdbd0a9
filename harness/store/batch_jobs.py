"""The batches a run sent, kept in the results store (tables of migration ``m010``).

A job is written (status ``preparing``, with its items) before anything is sent, its
input file id and batch id as soon as the provider gives them (``submitted``), and
``ended`` once its answers were read. ``harness run --resume`` reads them back: a
submitted batch is polled again, never sent twice. Every write commits at once (the
store's connection is in autocommit mode), so a ``kill -9`` loses nothing written.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BatchLedger", "StoredItem", "StoredJob"]


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One item's place in a batch: its line's id and its request's hash."""

    item_id: str
    custom_id: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class StoredJob:
    """One batch of a run, as stored."""

    job: str
    provider: str
    model: str
    batch_id: str | None
    input_file_id: str | None
    status: str
    items: tuple[StoredItem, ...] = ()


class BatchLedger:
    """Reads and writes a run's batch jobs on the store's connection."""

    def __init__(self, db: sqlite3.Connection, run_id: str) -> None:
        self.db = db
        self.run_id = run_id

    def jobs(self) -> list[StoredJob]:
        """Every job of the run with its items, in the order they were made."""
        rows = self.db.execute(
            "SELECT job, provider, model, batch_id, input_file_id, status FROM batch_jobs "
            "WHERE run_id = ? ORDER BY created_at, job",
            (self.run_id,),
        ).fetchall()
        items: dict[str, list[StoredItem]] = {}
        for job, item_id, custom_id, digest in self.db.execute(
            "SELECT job, item_id, custom_id, request_hash FROM batch_items WHERE run_id = ?",
            (self.run_id,),
        ):
            items.setdefault(job, []).append(StoredItem(item_id, custom_id, digest))
        return [
            StoredJob(job, provider, model, batch_id, file_id, status, tuple(items.get(job, ())))
            for job, provider, model, batch_id, file_id, status in rows
        ]

    def add(self, job: str, provider: str, model: str, items: Sequence[StoredItem]) -> None:
        """A new job and its items, before anything is sent."""
        now = time.time()
        self.db.execute("BEGIN")
        try:
            self.db.execute(
                "INSERT INTO batch_jobs (run_id, job, provider, model, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.run_id, job, provider, model, now, now),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO batch_items VALUES (?, ?, ?, ?, ?)",
                [(self.run_id, job, i.item_id, i.custom_id, i.request_hash) for i in items],
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def update(
        self,
        job: str,
        *,
        batch_id: str | None = None,
        input_file_id: str | None = None,
        status: str | None = None,
    ) -> None:
        """Remember what the provider said about a job (None keeps the stored value)."""
        self.db.execute(
            "UPDATE batch_jobs SET batch_id = COALESCE(?, batch_id), "
            "input_file_id = COALESCE(?, input_file_id), status = COALESCE(?, status), "
            "updated_at = ? WHERE run_id = ? AND job = ?",
            (batch_id, input_file_id, status, time.time(), self.run_id, job),
        )

    def drop(self, job: str) -> None:
        """Forget a job that was never sent (its items run again)."""
        self.db.execute("DELETE FROM batch_items WHERE run_id = ? AND job = ?", (self.run_id, job))
        self.db.execute("DELETE FROM batch_jobs WHERE run_id = ? AND job = ?", (self.run_id, job))
