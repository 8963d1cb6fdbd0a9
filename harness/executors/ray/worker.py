"""A Ray worker: the same :class:`~harness.runner.item_executor.ItemExecutor` a local run
uses, on chunks of items the head sends, streaming records back as they finish.

One :class:`ItemWorker` actor lives for the whole run, so its drivers, connections and any
``local:`` model server it started are made once and reused by every chunk. Its cassettes
are in a folder of its own: the head ships each chunk's cassettes with it and gets back
what was recorded (:mod:`harness.executors.ray.shipping`). It writes nothing else: the
head alone writes the store, the results files and the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.registry import parse_model_id
from harness.executors.ray.capacity import RemoteBudget, RemotePool
from harness.executors.ray.shipping import Files, Harvest, unpack
from harness.expect.evaluate import evaluate_case
from harness.limits import configure
from harness.runner.budget import Budget
from harness.runner.concurrency import RunConcurrency
from harness.runner.item_executor import Evaluate, ItemExecutor
from harness.runner.items import Item
from harness.runner.pool import Pool
from harness.store.records import ResultRecord

BATCH_RECORDS = 100
"""Records sent back together at most (fewer when no more finish within BATCH_DELAY)."""
BATCH_DELAY = 0.05
"""Seconds a finished record may wait for others to travel with it."""


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What every worker of a run is made with (pickled once per worker)."""

    run_id: str
    config: ProjectConfig
    record_mode: str
    concurrency: RunConcurrency
    rate_limit_patience: float | None
    max_cost: float | None
    spec_limits: Mapping[str, float]
    evaluate: Evaluate | None
    coordinator: Any
    """The run's :class:`~harness.executors.ray.capacity.Coordinator` (None: replay only)."""
    cwd: str = ""
    """The head's working folder: specs' relative paths (``python:`` checks, prompt and part
    files) resolve against it on workers that have it (this machine, a shared checkout)."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Records that finished on a worker, and the cassette files they recorded."""

    records: list[ResultRecord]
    files: Files


class ItemWorker:
    """Runs chunks of items; see the module doc. Made by the head as a Ray actor."""

    def __init__(self, setup: WorkerSetup, worker: str) -> None:
        configure(setup.config.limits)  # the spec limits are per process
        if setup.cwd and os.path.isdir(setup.cwd):
            os.chdir(setup.cwd)
        self.worker = worker
        self.folder = Path(tempfile.mkdtemp(prefix="harness-ray-"))
        self.recorder = Recorder(self.folder, setup.record_mode)  # type: ignore[arg-type]
        offline = setup.record_mode == "none"
        shared = {
            "concurrency": setup.concurrency,
            "offline": offline,
            "rate_limit_patience": setup.rate_limit_patience,
        }
        budget: Budget
        if setup.coordinator is None:  # replaying: nothing to share, nothing to spend
            self.pool: Pool = Pool(setup.config, self.recorder, **shared)  # type: ignore[arg-type]
            budget = Budget(setup.max_cost, dict(setup.spec_limits))
        else:
            self.pool = RemotePool(
                setup.config,
                self.recorder,
                coordinator=setup.coordinator,
                worker=worker,
                **shared,
            )
            budget = RemoteBudget(
                setup.max_cost,
                dict(setup.spec_limits),
                coordinator=setup.coordinator,
                worker=worker,
            )
        self.executor = ItemExecutor(
            run_id=setup.run_id,
            config=setup.config,
            pool=self.pool,
            recorder=self.recorder,
            budget=budget,
            evaluate=setup.evaluate or evaluate_case,
        )
        self.harvest = Harvest(self.folder)

    def pid(self) -> int:
        """This worker's process id (tests kill it)."""
        return os.getpid()

    async def run_chunk(self, items: list[Item], files: Files) -> AsyncIterator[Batch]:
        """Run ``items`` (their cassettes in ``files``), yielding records in small batches."""
        unpack(self.folder, files)
        done: asyncio.Queue[ResultRecord | None] = asyncio.Queue()
        by_provider: dict[str, list[Item]] = {}
        for item in items:
            by_provider.setdefault(parse_model_id(item.model)[0], []).append(item)

        async def work(queue: Iterator[Item]) -> None:
            for item in queue:  # next() never awaits: no item is taken twice
                done.put_nowait(await self.executor.run(item))

        async def run_all() -> None:
            try:
                workers = []
                for provider, mine in by_provider.items():
                    shared = iter(mine)
                    count = min(len(mine), self.pool.provider_limit(provider))
                    workers += [work(shared) for _ in range(count)]
                await asyncio.gather(*workers)
            finally:
                done.put_nowait(None)

        task = asyncio.create_task(run_all())
        try:
            finished = False
            while not finished:
                record = await done.get()
                if record is None:
                    break
                records = [record]
                loop = asyncio.get_running_loop()
                until = loop.time() + BATCH_DELAY
                while len(records) < BATCH_RECORDS:
                    try:
                        more = await asyncio.wait_for(done.get(), max(until - loop.time(), 0))
                    except TimeoutError:
                        break
                    if more is None:
                        finished = True
                        break
                    records.append(more)
                yield Batch(records, self.harvest.take(self.recorder.written))
            await task  # a bug outside any one item surfaces here, not as lost records
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def close(self) -> None:
        """Stop drivers and any model server; remove this worker's cassettes folder."""
        await self.pool.aclose()
        self.recorder.close()
        shutil.rmtree(self.folder, ignore_errors=True)
