"""Spec items run on an event loop in a background thread while pytest reports them in order.

pytest runs items one after another on its own thread; the model calls must not. The
first spec item to run submits every spec item this process will run (all selected
items, or under xdist this worker's queue) to an :class:`~harness.runner.batch.ItemBatch`
on a background loop; each item's ``runtest`` then only waits for its own result.
The loop never shares pytest-asyncio's loops, and the store is only touched from it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from harness.errors import ConfigError
from harness.runner.batch import ItemBatch
from harness.runner.items import Item
from harness.runner.run import Run
from harness.store.records import ResultRecord, RunInfo
from harness.store.sqlite import Store

MakeRunner = Callable[[Store], Run]
"""Builds the session's runner on the background loop, given the open store."""

OPEN_ATTEMPTS = 20
SWITCH_INTERVAL = 0.0005
"""Seconds between forced GIL hand-overs while the item loop runs (Python's default: 0.005).

pytest's thread releases the GIL on every terminal write and capture ``dup2`` (a dozen
per item); with the item loop busy it then waits a whole switch interval to get it
back. At the default 5 ms that made reporting, not the model calls, the bottleneck.
"""


async def _open_store(path: Path) -> Store:
    """Open the store, waiting while another xdist worker creates or migrates it.

    Raises:
        ConfigError: still locked after a few seconds, or not a store at all.
    """
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return Store.open(path)
        except ConfigError as exc:
            # switching a new file to WAL needs a moment of exclusive access
            if "locked" not in str(exc) or attempt == OPEN_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class BackgroundExecutor:
    """Owns one background event loop, one store connection and one item batch.

    Args:
        store_path: the SQLite results store.
        make_runner: builds the runner (called once, on the background loop).
        run_info: makes the run's row, written (idempotently) before the first item runs.
    """

    def __init__(
        self, store_path: Path, make_runner: MakeRunner, run_info: Callable[[], RunInfo]
    ) -> None:
        self.store_path = store_path
        self.make_runner = make_runner
        self.run_info = run_info
        self.records: dict[str, ResultRecord] = {}
        self._futures: dict[str, concurrent.futures.Future[ResultRecord]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._batch: ItemBatch | None = None
        self._store: Store | None = None
        self._switch_interval = sys.getswitchinterval()

    @property
    def started(self) -> bool:
        """Whether anything was submitted (the loop, store and runner exist)."""
        return self._batch is not None

    @property
    def runner(self) -> Run | None:
        """The session's runner once started."""
        return None if self._batch is None else self._batch.runner

    def _start(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="harness-items", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._open(), loop).result()
        except BaseException:
            self._stop_loop()
            raise

    async def _open(self) -> None:
        self._store = await _open_store(self.store_path)
        self._store.start_run(self.run_info())
        self._batch = ItemBatch(self.make_runner(self._store), on_result=self._done)

    def _done(self, item: Item, record: ResultRecord) -> None:
        self.records[item.id] = record
        self._futures[item.id].set_result(record)

    def submit(self, items: Sequence[Item]) -> None:
        """Start the items not started yet; returns at once.

        Raises:
            HarnessError: the store or runner could not be set up (first call only).
        """
        new = []
        for item in items:
            item_id = item.id
            if item_id not in self._futures:
                self._futures[item_id] = concurrent.futures.Future()
                new.append(item)
        if not new:
            return
        if self._loop is None:
            try:
                self._start()
            except BaseException:
                for item in new:
                    del self._futures[item.id]
                raise
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._submit, new)

    def _submit(self, items: list[Item]) -> None:
        assert self._batch is not None
        for task, item in zip(self._batch.submit(items), items, strict=True):
            task.add_done_callback(functools.partial(self._crashed, item=item))

    def _crashed(self, task: asyncio.Task[ResultRecord], *, item: Item) -> None:
        future = self._futures[item.id]
        if future.done():
            return
        if task.cancelled():
            future.cancel()
        elif (exc := task.exception()) is not None:
            future.set_exception(exc)

    def submitted(self, item: Item) -> bool:
        """Whether ``item`` was submitted already (its result is, or will be, known)."""
        return item.id in self._futures

    def result(self, item: Item) -> ResultRecord:
        """Wait for one item's record (submitting it if needed).

        Raises:
            Exception: whatever broke the item outside the runner's own error handling.
            concurrent.futures.CancelledError: the session ended first.
        """
        self.submit([item])
        return self._futures[item.id].result()

    def close(self, *, cancel: bool = False) -> None:
        """Finish (or cancel) running items, flush the store, stop the loop."""
        if self._loop is None:
            return
        if self._batch is not None:
            batch, store = self._batch, self._store

            async def _close() -> None:
                await batch.aclose(cancel=cancel)
                if store is not None:
                    store.close()

            asyncio.run_coroutine_threadsafe(_close(), self._loop).result()
        self._stop_loop()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        sys.setswitchinterval(self._switch_interval)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
        self._loop = self._thread = None
