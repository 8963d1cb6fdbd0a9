"""The head of a Ray run: shards items out to workers, keeps what streams back.

The head is the process that started the run (``harness run``): it alone writes the
store, so a run on a cluster has the same store, results files, report, exit codes,
``--resume`` and ``--max-cost`` as a local one. Per provider, a distributor hands items to
their group's shards (:mod:`~harness.executors.ray.routing`) in chunks; each shard is one
:class:`~harness.executors.ray.worker.ItemWorker` actor with two chunks in flight, its
records streaming back in small batches (a Ray streaming generator).

A worker that dies (its process killed, its node lost) fails its chunks' streams: the
items of those chunks that have not come back run again on a new worker that replaces it
(Ray places it wherever it fits), after the coordinator takes back what the dead one held.
A record is kept only for an item still pending in its chunk, so none is kept twice;
the store's primary key (run, item) would refuse a second copy anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.drivers.registry import parse_model_id
from harness.errors import CassetteError, HarnessError
from harness.executors.ray.capacity import Coordinator
from harness.executors.ray.routing import Group, group_of, plan_groups, shard_of
from harness.executors.ray.shipping import pack, write_back
from harness.executors.ray.worker import Batch, ItemWorker, WorkerSetup
from harness.expect.evaluate import evaluate_case
from harness.runner.item_executor import errored
from harness.runner.items import Item

if TYPE_CHECKING:
    from harness.runner.run import Run

CHUNK = 200
"""Items sent to a worker at once (each chunk also carries its items' cassettes)."""
CHUNKS_IN_FLIGHT = 2
"""Chunks a worker runs at once: the next is under way while one finishes its tail."""
MAX_LOSSES = 5
"""Workers one chunk may lose before its items are recorded as errors, not run again."""


class WorkerLost(HarnessError):
    """A chunk lost more workers than :data:`MAX_LOSSES`: its items end as errors."""


@dataclass(eq=False)
class Shard:
    """One worker slot of a group: its current actor and the chunks waiting for it."""

    group: Group
    index: int
    actor: Any = None
    generation: int = 0
    queue: asyncio.Queue[list[Item] | None] = field(default_factory=lambda: asyncio.Queue(4))

    @property
    def name(self) -> str:
        """``default/0.1``: group, slot, and how many workers it replaced."""
        return f"{self.group.name or 'default'}/{self.index}.{self.generation}"


@dataclass
class RayTally:
    """What the head saw: workers replaced, copies refused, and the coordinator's report."""

    lost_workers: int = 0
    duplicates: int = 0
    groups: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, Any] = field(default_factory=dict)


def _worker_env(run: Run) -> dict[str, str]:
    """The API-key variables the run's providers name, as set here, for the workers."""
    env: dict[str, str] = {}
    for model in run.models:
        settings = run.pool.settings(parse_model_id(model)[0])
        name = settings.api_key_env
        if name and name in os.environ:
            env[name] = os.environ[name]
    return env


def _describe(groups: Iterable[Group], cluster: Mapping[str, float]) -> str:
    """``ray: 2 CPUs; workers: 2 (any node), 1 for local:qwen {GPU: 1}``."""
    sizes = ", ".join(f"{v:g} {k}s" for k, v in sorted(cluster.items()) if k in ("CPU", "GPU"))
    parts = []
    for group in groups:
        if not group.name:
            parts.append(f"{group.workers} (any node)")
        else:
            needs = ", ".join(f"{k}: {v:g}" for k, v in group.resources.items())
            parts.append(f"{group.workers} for {group.name} {{{needs}}}")
    return f"ray: {sizes}; workers: {', '.join(parts)}"


class RayHead:
    """Runs a :class:`~harness.runner.run.Run`'s items on Ray; see the module doc."""

    def __init__(self, run: Run, ray: Any, *, workers: int | None) -> None:
        self.run = run
        self.ray = ray
        self.mode = run.options.record_mode
        self.tally = RayTally()
        cluster = ray.cluster_resources()
        count = workers or max(int(cluster.get("CPU", 1)), 1)
        self.groups = plan_groups(run.models, run.config.model_resources, cluster, workers=count)
        self.tally.groups = {g.name or "default": g.workers for g in self.groups.values()}
        run.console.print(_describe(self.groups.values(), cluster), markup=False, emoji=False)
        self.coordinator: Any = None
        if self.mode != "none":  # replaying calls no provider: nothing to share
            self.coordinator = (
                ray.remote(Coordinator)
                .options(num_cpus=0, max_concurrency=1_000_000)
                .remote(
                    run.config,
                    concurrency=run.pool.concurrency,
                    rate_limit_patience=run.options.rate_limit_patience,
                    max_cost=run.options.max_cost,
                    spec_limits=dict(run.budget.spec_limits),
                )
            )
        evaluate = run.evaluate
        self.setup = WorkerSetup(
            run_id=run.run_id,
            config=run.config,
            record_mode=self.mode,
            concurrency=run.pool.concurrency,
            rate_limit_patience=run.options.rate_limit_patience,
            max_cost=run.options.max_cost,
            spec_limits=dict(run.budget.spec_limits),
            evaluate=None if evaluate is evaluate_case else evaluate,
            coordinator=self.coordinator,
            cwd=os.getcwd(),
        )
        self.env = _worker_env(run)
        self.shards: dict[str, list[Shard]] = {
            name: [Shard(group, i) for i in range(group.workers)]
            for name, group in self.groups.items()
        }

    def _new_actor(self, shard: Shard) -> Any:
        options: dict[str, Any] = {
            **shard.group.actor_options(),
            "max_restarts": 0,  # the head replaces a dead worker itself, see _replace
            "max_task_retries": 0,
            "max_concurrency": CHUNKS_IN_FLIGHT + 4,
        }
        if self.env:
            options["runtime_env"] = {"env_vars": self.env}
        return self.ray.remote(ItemWorker).options(**options).remote(self.setup, shard.name)

    # distributing

    async def execute(self, sources: Mapping[str, Iterator[Item]]) -> None:
        """Run every item; records go to ``run.keep`` as they come back."""
        every = [s for shards in self.shards.values() for s in shards]

        async def feed() -> None:
            await asyncio.gather(*(self._distribute(items) for items in sources.values()))
            for shard in every:
                for _ in range(CHUNKS_IN_FLIGHT):
                    await shard.queue.put(None)

        runs = [feed(), *(self._consume(s) for s in every for _ in range(CHUNKS_IN_FLIGHT))]
        tasks = [asyncio.create_task(run) for run in runs]
        try:
            # the first failure ends the run: a distributor must never wait on a dead consumer
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await self._close(every)

    async def _distribute(self, items: Iterator[Item]) -> None:
        buffers: dict[Shard, list[Item]] = {}
        for item in items:
            shards = self.shards[group_of(item.model, self.groups)]
            shard = shards[shard_of(item.id, len(shards))]
            buffer = buffers.setdefault(shard, [])
            buffer.append(item)
            if len(buffer) >= CHUNK:
                buffers[shard] = []
                await shard.queue.put(buffer)  # waits while the worker is CHUNKs behind
        for shard, buffer in buffers.items():
            if buffer:
                await shard.queue.put(buffer)

    async def _consume(self, shard: Shard) -> None:
        while (chunk := await shard.queue.get()) is not None:
            await self._run_chunk(shard, chunk)

    # one chunk, through worker losses

    async def _run_chunk(self, shard: Shard, chunk: list[Item]) -> None:
        run = self.run
        for item in chunk:
            run.hooks.item_started(run.run_id, item)
        pending = {item.id: item for item in chunk}
        losses = 0
        lost = self._lost_errors()
        while pending:
            if shard.actor is None:  # made on its first chunk: a shard without items costs nothing
                shard.actor = self._new_actor(shard)
            generation, actor = shard.generation, shard.actor
            try:
                files = pack(
                    run.recorder.root, (i.cassette_key for i in pending.values()), self.mode
                )
            except CassetteError as exc:  # unreadable cassettes: these items' error, as locally
                self._give_up(pending, exc)
                return
            try:
                stream = actor.run_chunk.options(num_returns="streaming").remote(
                    list(pending.values()), files
                )
                async for ref in stream:
                    self._keep(await ref, pending)
            except lost as exc:
                losses += 1
                if losses > MAX_LOSSES:
                    self._give_up(pending, WorkerLost(f"{losses} workers were lost: {exc}"))
                    return
                await self._replace(shard, generation, exc, len(pending))
            except self.ray.exceptions.RayTaskError as exc:  # not one item's failure
                self._give_up(pending, exc.as_instanceof_cause())
                return

    def _lost_errors(self) -> tuple[type[BaseException], ...]:
        errors = self.ray.exceptions
        names = ("RayActorError", "WorkerCrashedError", "ObjectLostError", "OwnerDiedError")
        return tuple(getattr(errors, n) for n in names if hasattr(errors, n))

    def _keep(self, batch: Batch, pending: dict[str, Item]) -> None:
        unwritten: CassetteError | None = None
        if batch.files:  # cassettes first: a stored record's cassette exists
            try:
                write_back(self.run.recorder.root, batch.files)
            except CassetteError as exc:  # as locally: the items' error, never a lost record
                unwritten = exc
        for record in batch.records:
            item = pending.pop(record.item_id, None)
            if item is None:  # a copy from a worker thought lost: never kept twice
                self.tally.duplicates += 1
                continue
            if record.cassette is not None:
                record.cassette = str(self.run.recorder.cassette_path(item))
                if unwritten is not None:
                    record = errored(record, unwritten)
            self.run.keep(record)

    def _give_up(self, pending: dict[str, Item], exc: BaseException) -> None:
        executor = self.run.executor
        for item in list(pending.values()):
            self.run.keep(errored(executor.record(item), exc))
        pending.clear()

    async def _replace(self, shard: Shard, generation: int, exc: BaseException, left: int) -> None:
        if shard.generation != generation:  # the other chunk of this shard did it already
            return
        old_name, old = shard.name, shard.actor
        shard.generation += 1
        self.tally.lost_workers += 1
        self.run.console.print(
            f"Ray worker {old_name} was lost ({type(exc).__name__}); its unfinished items "
            f"({left} in this chunk) run again on a new worker",
            style="yellow",
            markup=False,
            emoji=False,
        )
        with contextlib.suppress(Exception):
            self.ray.kill(old, no_restart=True)
        if self.coordinator is not None:
            await self.coordinator.forget.remote(old_name)
        shard.actor = self._new_actor(shard)

    async def _close(self, shards: list[Shard]) -> None:
        closing = [s.actor.close.remote() for s in shards if s.actor is not None]
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), 30)
        if self.coordinator is not None:
            with contextlib.suppress(Exception):
                self.tally.capacity = await self.coordinator.report.remote()
        for actor in [*(s.actor for s in shards), self.coordinator]:
            if actor is not None:
                with contextlib.suppress(Exception):
                    self.ray.kill(actor, no_restart=True)
