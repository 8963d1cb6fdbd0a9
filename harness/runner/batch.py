"""Run a given list of items as one concurrent batch, with a callback per finished item.

:class:`~harness.runner.run.Run` runs a whole selection; callers that already hold
the items (the pytest plugin: whatever survived ``-k``, ``-m`` and ``--lf``) use this
instead. It drives the run's own pieces: :meth:`Run.run_item` (the run's
:class:`~harness.runner.item_executor.ItemExecutor` and its stats), :meth:`Run.aclose`,
and a :class:`StoreWriter` for the results.
Items may be submitted while earlier ones are still running::

    async with ItemBatch(runner, on_result=print) as batch:
        batch.submit(items)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from types import TracebackType

from harness.runner.items import Item
from harness.runner.run import Run
from harness.store.records import ResultRecord
from harness.store.writer import StoreWriter

OnResult = Callable[[Item, ResultRecord], None]
"""Called on the event loop once per finished item, after its record is queued for the store."""


class ItemBatch:
    """Runs submitted items concurrently on ``runner``'s pool and writes each result.

    Concurrency is bounded by the pool (the run's and each provider's limits), not by
    how many items are submitted. An item id submitted twice runs once.

    Args:
        runner: the run the items belong to (its executor, stats and store).
        on_result: called with each finished item and its record.
    """

    def __init__(self, runner: Run, *, on_result: OnResult | None = None) -> None:
        self.runner = runner
        self.on_result = on_result
        self.writer = StoreWriter(runner.store)
        self._tasks: dict[str, asyncio.Task[ResultRecord]] = {}
        self._announced = False

    def submit(self, items: Iterable[Item]) -> list[asyncio.Task[ResultRecord]]:
        """Start the items not started yet (call on the batch's event loop)."""
        items = list(items)
        if not self._announced:  # hooks see one run, its size as first submitted
            self._announced = True
            r = self.runner
            r.hooks.run_started(r.run_id, r.models, r.options.record_mode, len(items), False)
        started = []
        for item in items:
            if item.id not in self._tasks:
                task = asyncio.create_task(self._run(item), name=item.id)
                self._tasks[item.id] = task
                started.append(task)
        return started

    def submitted(self, item_id: str) -> bool:
        """Whether an item with this id was submitted."""
        return item_id in self._tasks

    async def _run(self, item: Item) -> ResultRecord:
        self.runner.hooks.item_started(self.runner.run_id, item)
        record = await self.runner.run_item(item)
        self.runner.hooks.item_finished(record)
        self.writer.add(record)
        if self.on_result is not None:
            self.on_result(item, record)
        return record

    async def wait(self) -> list[ResultRecord]:
        """Wait for every submitted item; the records in submission order."""
        return list(await asyncio.gather(*self._tasks.values()))

    async def aclose(self, *, cancel: bool = False) -> None:
        """Finish (or cancel) what runs, write what is queued, close drivers and cassettes."""
        pending = [t for t in self._tasks.values() if not t.done()]
        if cancel:
            for task in pending:
                task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self.writer.flush()
        if self._announced:
            from harness.runner.run import STATUSES

            result = self.runner.result()
            status = "interrupted" if cancel and pending else "finished"
            self.runner.hooks.run_finished(
                self.runner.run_id, status, {s: result.count(s) for s in STATUSES}
            )
        await self.runner.aclose()

    async def __aenter__(self) -> ItemBatch:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose(cancel=exc is not None)


async def run_batch(
    runner: Run, items: Iterable[Item], *, on_result: OnResult | None = None
) -> list[ResultRecord]:
    """Run ``items`` concurrently on ``runner``'s pool; every result goes to its store.

    The run's row (``store.start_run``/``finish_run``) is the caller's to write.

    Returns:
        One record per distinct item, in submission order.
    """
    async with ItemBatch(runner, on_result=on_result) as batch:
        batch.submit(items)
        return await batch.wait()
