"""Batch results into small transactions while a run is going.

Records are written when 50 are waiting or 200 ms after the first one arrived,
whichever comes first, so a crash, ``kill -9`` or Ctrl-C loses at most those few
and the calls in flight. Writes run on the event loop's thread: one batch is well
under a millisecond, cheaper than handing it to another thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

from harness.store.fallback import FallbackFile
from harness.store.records import ResultRecord
from harness.store.sqlite import Store

BATCH_SIZE = 50
MAX_DELAY = 0.2


class StoreWriter:
    """Accepts finished records and writes them in small batches.

    Use as an async context manager; leaving it flushes what is left::

        async with StoreWriter(store) as writer:
            writer.add(record)
    """

    def __init__(
        self, store: Store, *, batch_size: int = BATCH_SIZE, max_delay: float = MAX_DELAY
    ) -> None:
        self.store = store
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.written = 0
        self._pending: list[ResultRecord] = []
        self._timer: asyncio.TimerHandle | None = None
        self.fallback: FallbackFile | None = None
        """Where results the store refused went (None: all were stored)."""

    def add(self, record: ResultRecord) -> None:
        """Queue one record; writes the batch at once when it is full."""
        self._pending.append(record)
        if len(self._pending) >= self.batch_size:
            self.flush()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.max_delay, self.flush)

    def flush(self) -> None:
        """Write everything queued, in one transaction."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            batch, self._pending = self._pending, []
            try:
                self.written += self.store.write(batch)
            except sqlite3.Error as exc:  # never lose a finished result: keep it on the side
                if self.fallback is None:
                    self.fallback = FallbackFile.next_to(self.store.path)
                self.fallback.write(batch, exc)

    async def __aenter__(self) -> StoreWriter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            self.flush()
