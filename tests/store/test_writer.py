"""The batching writer: full batches at once, stragglers within 200 ms, the rest on exit."""

from __future__ import annotations

import asyncio

from harness.store.records import ResultRecord
from harness.store.sqlite import Store
from harness.store.writer import StoreWriter


def _record(i: int) -> ResultRecord:
    return ResultRecord("r", f"i{i}", "s", f"c{i}", "p:m", 1, "passed")


async def test_full_batch_is_written_immediately(store: Store) -> None:
    async with StoreWriter(store, batch_size=10) as writer:
        for i in range(25):
            writer.add(_record(i))
        assert store.count("r") == 20
    assert store.count("r") == 25


async def test_partial_batch_is_written_after_the_delay(store: Store) -> None:
    async with StoreWriter(store, batch_size=50, max_delay=0.05) as writer:
        writer.add(_record(1))
        assert store.count("r") == 0
        await asyncio.sleep(0.15)
        assert store.count("r") == 1
        assert writer.written == 1
