"""The store's record of a run's batches (migration m010), read back by --resume."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from harness.store.batch_jobs import BatchLedger, StoredItem
from harness.store.migrations import MIGRATIONS
from harness.store.sqlite import Store


def test_a_job_and_its_items_survive_reopening_the_store(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with Store.open(db) as store:
        ledger = BatchLedger(store.db, "run-1")
        ledger.add("p:m#1", "p", "m", [StoredItem("s::a::p:m::1", "item-1", "h1")])
        ledger.update("p:m#1", input_file_id="file-1")
        ledger.update("p:m#1", batch_id="batch_1", status="submitted")
        ledger.add("p:m#2", "p", "m", [StoredItem("s::b::p:m::1", "item-1", "h2")])
        ledger.drop("p:m#2")
        BatchLedger(store.db, "run-2").add("p:m#1", "p", "m", [])
    with Store.open(db) as store:
        (job,) = BatchLedger(store.db, "run-1").jobs()
    assert (job.job, job.batch_id, job.input_file_id, job.status) == (
        "p:m#1",
        "batch_1",
        "file-1",
        "submitted",
    )
    assert job.items == (StoredItem("s::a::p:m::1", "item-1", "h1"),)


def test_m010_needs_no_other_helpers_migration(tmp_path: Path) -> None:
    """m010 adds tables only: it applies after m001..m008 alone (whatever m009 holds)."""
    db = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    for step in MIGRATIONS:
        if step.__name__ < "m009" or step.__name__.startswith("m010"):
            step(db)
    BatchLedger(db, "r").add("j", "p", "m", [StoredItem("i", "c", "h")])
    assert [j.job for j in BatchLedger(db, "r").jobs()] == ["j"]
