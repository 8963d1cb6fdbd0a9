"""The results store: SQLite runs and results, written in small batches, read by reports."""

from __future__ import annotations

from harness.store.merge import merge_stores
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED, ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.store.writer import StoreWriter

__all__ = [
    "ERROR",
    "FAILED",
    "PASSED",
    "SKIPPED",
    "ResultRecord",
    "RunInfo",
    "Store",
    "StoreWriter",
    "merge_stores",
]
