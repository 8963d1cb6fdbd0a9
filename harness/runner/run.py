"""A run: its row in the store, resume, budget, scheduling. One asyncio event loop.

:class:`Run` owns what belongs to the whole run (the ``RunInfo`` row, resumed items,
the budget, the pool of drivers, per-model stats) and schedules items; one item's
life (request, call, parse, verdicts) is :class:`~harness.runner.item_executor.ItemExecutor`'s.

Every provider gets its own workers (as many as its concurrency allows) pulling from a
lazy iterator of its items, so no task exists per item (memory stays flat at 100,000
items) and a slow provider never stalls the others; a global semaphore caps the calls
in flight across providers. Any error becomes that item's record, never the run's end.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Console

from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.base import Request, Response
from harness.drivers.registry import parse_model_id
from harness.executors import executor_type
from harness.expect.evaluate import evaluate_case
from harness.hooks import Hooks
from harness.runner.budget import Budget
from harness.runner.cache import DEFAULT_TTL
from harness.runner.concurrency import configured_concurrency
from harness.runner.expand import Selection, check_prompts, expand, nothing_selected, run_models
from harness.runner.item_executor import Evaluate, ItemExecutor, ResponseCache
from harness.runner.items import Item
from harness.runner.pool import DriverFactory, Pool
from harness.runner.progress import RunProgress
from harness.runner.resume import count_completed
from harness.runner.summary import ModelStats
from harness.spec.types import Spec
from harness.store.fallback import FallbackFile
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED, ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.store.writer import StoreWriter

__all__ = ["Evaluate", "Run", "RunOptions", "RunResult", "Runner", "new_run_id", "run_info"]
STATUSES = (PASSED, FAILED, ERROR, SKIPPED)


def new_run_id() -> str:
    """A sortable run id: UTC time and a random suffix, e.g. ``20250101T120000-3fa2c1``."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def git_commit(root: os.PathLike[str] | str) -> str | None:
    """The checkout's HEAD commit, or None outside git."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run. ``run_id`` with ``resume`` continues that run, skipping what it completed.

    ``source`` (``cli``, ``pytest``, ``api``), ``args`` (the command line, kept in the
    run's params) and ``started_at`` describe where the run came from. ``executor``
    names where the items run (``local``, ``ray``: :mod:`harness.executors`), with its
    ``executor_options`` (``{"address": "auto"}`` for Ray).
    """

    selection: Selection = field(default_factory=Selection)
    concurrency: int | Literal["auto"] | None = None
    max_cost: float | None = None
    record_mode: str = "off"
    cache: bool = False
    cache_ttl: float | None = DEFAULT_TTL
    run_id: str | None = None
    resume: bool = False
    progress: bool | None = None
    paths: tuple[str, ...] = ()
    source: str = "cli"
    args: tuple[str, ...] = ()
    started_at: float | None = None
    rate_limit_patience: float | None = None
    executor: str = "local"
    executor_options: Mapping[str, Any] = field(default_factory=dict)
    batch: bool = False
    """Send calls through the providers' batch APIs (:mod:`harness.runner.batch_api`)."""


@dataclass(slots=True)
class RunResult:
    """What a finished run reports: counts per status and per-model stats."""

    run_id: str
    stats: list[ModelStats]
    status: str = "finished"
    resumed_skipped: int = 0
    unsaved: FallbackFile | None = None
    """Results the store could not take, and the file they went to instead."""

    def count(self, status: str) -> int:
        """How many items ended with ``status``."""
        attr = {PASSED: "passed", FAILED: "failed", ERROR: "errors", SKIPPED: "skipped"}[status]
        return sum(getattr(s, attr) for s in self.stats)

    @property
    def pass_rate(self) -> float | None:
        """Passed over passed + failed + errors (None when nothing was evaluated)."""
        evaluated = self.count(PASSED) + self.count(FAILED) + self.count(ERROR)
        return self.count(PASSED) / evaluated if evaluated else None

    def exit_code(self, fail_under: float | None = None) -> int:
        """0 all passed (or pass rate >= ``fail_under``), 1 some failed, 2 run stopped."""
        if self.status != "finished":
            return 2
        if fail_under is not None:
            rate = self.pass_rate
            return 0 if rate is None or rate >= fail_under else 1
        return 0 if self.count(FAILED) + self.count(ERROR) == 0 else 1


class Run:
    """One run of items over a pool of drivers, writing every result to the store.

    Args:
        specs: loaded specs.
        config: the project config.
        store: the open results store.
        options: run options.
        recorder: the cassette recorder (None: cassettes off).
        driver_factory: builds drivers (tests pass fakes).
        evaluate: evaluates a case (default :func:`harness.expect.evaluate_case`).
        console: where progress goes.
        hooks: the run's hooks (default: :func:`harness.observe.run_hooks`).
    """

    def __init__(
        self,
        specs: Sequence[Spec],
        config: ProjectConfig,
        store: Store,
        options: RunOptions,
        *,
        recorder: Recorder | None = None,
        driver_factory: DriverFactory | None = None,
        evaluate: Evaluate = evaluate_case,
        console: Console | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        from harness.observe import run_hooks

        self.hooks = hooks if hooks is not None else run_hooks(config)
        self.specs = list(specs)
        self.config = config
        self.store = store
        self.options = options
        self.recorder = recorder or Recorder(config.cassettes_dir, "off")
        self.console = console or Console(stderr=True)
        self.run_id = options.run_id or new_run_id()
        self.models = run_models(self.specs, options.selection, config)
        check_prompts(self.specs, options.selection)
        concurrency = options.concurrency or configured_concurrency(config)
        self.pool = Pool(
            config,
            self.recorder,
            concurrency=concurrency,
            offline=options.record_mode == "none",
            driver_factory=driver_factory,
            rate_limit_patience=options.rate_limit_patience,
        )
        for model in self.models:  # unknown providers fail before anything is stored
            self.pool.settings(parse_model_id(model)[0])
        limits = {s.name: s.max_cost for s in self.specs if s.max_cost is not None}
        self.budget = Budget(options.max_cost, limits)
        self.stats = {m: ModelStats(m) for m in self.models}
        repeats = options.selection.repeat or max(
            (c.repeat for s in self.specs for c in s.cases), default=1
        )
        self.use_cache = options.cache and repeats <= 1
        self.executor = ItemExecutor(
            run_id=self.run_id,
            config=config,
            pool=self.pool,
            recorder=self.recorder,
            budget=self.budget,
            evaluate=evaluate,
            cache=ResponseCache(store, options.cache_ttl) if self.use_cache else None,
            hooks=self.hooks,
        )
        self._done: set[str] = set()
        self._writer: StoreWriter | None = None
        self._progress: RunProgress | None = None

    @property
    def evaluate(self) -> Evaluate:
        """The executor's case evaluation (settable, as before the split)."""
        return self.executor.evaluate

    @evaluate.setter
    def evaluate(self, evaluate: Evaluate) -> None:
        self.executor.evaluate = evaluate

    # planning

    def run_info(self) -> RunInfo:
        """The run's metadata row."""
        return run_info(
            self.run_id,
            self.config,
            self.options,
            specs=self.specs,
            models=self.models,
            concurrency=self.pool.concurrency,
            cache=self.use_cache,
        )

    def _provider_items(self) -> dict[str, Iterator[Item]]:
        """Per provider, a lazy iterator interleaving its models' items (resumed ones left out)."""
        by_provider: dict[str, list[str]] = {}
        for model in self.models:
            by_provider.setdefault(parse_model_id(model)[0], []).append(model)
        sources: dict[str, Iterator[Item]] = {}
        for provider, models in by_provider.items():
            per_model = [
                expand(self.specs, self.options.selection, self.config, only_model=m)
                for m in models
            ]
            merged = _interleave(per_model)
            sources[provider] = (i for i in merged if i.id not in self._done)
        return sources

    def count_items(self) -> int:
        """How many items the selection holds (resumed ones included)."""
        return sum(1 for _ in expand(self.specs, self.options.selection, self.config))

    # running

    async def run(self) -> RunResult:
        """Run every selected item and return the counts; results are in the store."""
        executor = executor_type(self.options.executor)  # local, ray, or a plugin
        if executor.check is not None:  # e.g. its extra is missing: before anything is stored
            executor.check(self)
        selected = self.count_items()
        if not selected:
            raise nothing_selected(self.specs, self.options.selection, self.config)
        if self.options.resume:
            self._done = self.store.completed_item_ids(self.run_id)
            self.store.reopen_run(self.run_id)
            count_completed(self.store, self.run_id, self._done, self.stats)
        else:
            self.store.start_run(self.run_info())
        sources = self._provider_items()
        total = selected - len(self._done)
        status = "interrupted"
        self.hooks.run_started(
            self.run_id, self.models, self.options.record_mode, total, self.options.resume
        )
        try:
            from harness.runner.batch_api import send_batches

            self.executor = await send_batches(self)  # the batches' answers, if any
            quiet = self.options.progress is False
            with RunProgress(
                self.console, total, live=self.options.progress, quiet=quiet
            ) as progress:
                self._progress = progress
                progress.watch(self.pool.stats)
                async with StoreWriter(self.store) as writer:
                    self._writer = writer
                    await executor.execute(self, sources, self.options.executor_options)
            status = "finished"
        finally:
            await self.aclose()
            with contextlib.suppress(sqlite3.Error):  # the results are safe; the status is not
                self.store.finish_run(self.run_id, status)
            result = self.result(status)
            self.hooks.run_finished(self.run_id, status, {s: result.count(s) for s in STATUSES})
        return result

    def result(self, status: str = "finished") -> RunResult:
        """The counts so far, as a :class:`RunResult`."""
        unsaved = self._writer.fallback if self._writer is not None else None
        return RunResult(self.run_id, self._summary_stats(), status, len(self._done), unsaved)

    def _summary_stats(self) -> list[ModelStats]:
        """Per model (per prompt@model for variants); a model whose every item ran under a
        prompt variant has no row of its own."""
        by_variant = {label.partition("@")[2] for label in self.stats if "@" in label}
        return [
            s
            for label, s in self.stats.items()
            if not (label in by_variant and s.passed + s.failed + s.errors + s.skipped == 0)
        ]

    async def work(self, items: Iterator[Item]) -> None:
        """Run items one after another on this event loop, keeping each record (the
        local executor runs as many of these per provider as its limit allows)."""
        # several workers share one iterator: next() never awaits, so no item is taken twice
        for item in items:
            self.hooks.item_started(self.run_id, item)
            record = await self.run_item(item)
            self.hooks.item_finished(record)
            assert self._writer is not None and self._progress is not None
            self._writer.add(record)
            self._progress.add(record)

    def keep(self, record: ResultRecord) -> None:
        """Count, report and store a record an executor ran elsewhere (a Ray worker)."""
        prompt = record.prompt_name
        label = record.model if prompt is None else f"{prompt}@{record.model}"
        stats = self.stats.get(label)
        if stats is None and record.prompt_name is not None:
            stats = self.stats[label] = ModelStats(label)
        if stats is not None:
            stats.add(record)
        self.hooks.item_finished(record)
        assert self._writer is not None and self._progress is not None
        self._writer.add(record)
        self._progress.add(record)

    async def run_item(self, item: Item) -> ResultRecord:
        """Run one item with the run's executor and count it in the stats."""
        record = await self.executor.run(item)
        # a prompt variant is its own row of the summary, as in the report: prompt@model
        label = item.model if item.prompt is None else f"{item.prompt}@{item.model}"
        stats = self.stats.get(label)
        if stats is None and item.prompt is not None:
            stats = self.stats[label] = ModelStats(label)
        if stats is not None:
            stats.add(record)
        return record

    async def judge(self, model_id: str, request: Request) -> Response:
        """The JudgeCall given to assertions: same pool, limits and cassettes."""
        return await self.executor.judge(model_id, request)

    async def aclose(self) -> None:
        """Close the drivers and write the open cassettes."""
        await self.pool.aclose()
        self.recorder.close()


Runner = Run
"""The name :class:`Run` had before the run and the item executor were split (kept)."""


def run_info(
    run_id: str,
    config: ProjectConfig,
    options: RunOptions,
    *,
    specs: Sequence[Spec],
    models: Sequence[str],
    concurrency: int | Literal["auto"] | None,
    cache: bool = False,
) -> RunInfo:
    """A run's metadata row; the CLI, the API and the pytest plugin all build it here."""
    sel = options.selection
    params: dict[str, Any]
    if options.source == "pytest":
        params = {
            "models": list(sel.models),
            "repeat": sel.repeat,
            "concurrency": concurrency,
            "args": list(options.args),
        }
    else:
        params = {
            "paths": list(options.paths),
            "models": list(sel.models),
            "repeat": sel.repeat,
            "filter": sel.filter,
            "shard": list(sel.shard) if sel.shard else None,
            "prompts": list(sel.prompts),
            "concurrency": concurrency,
            "max_cost": options.max_cost,
            "cache": cache,
            "batch": options.batch,
            "spec_descriptions": {s.name: s.description for s in specs if s.description},
        }
    return RunInfo(
        run_id=run_id,
        started_at=options.started_at if options.started_at is not None else time.time(),
        git_commit=git_commit(config.root),
        config={"path": str(config.path) if config.path else None},
        spec_hashes={s.name: s.content_hash for s in specs},
        models=list(models),
        params=params,
        record_mode=options.record_mode,
        timings="recorded" if options.record_mode == "none" else "live",
        source=options.source,
    )


def _interleave(iterators: list[Iterator[Item]]) -> Iterator[Item]:
    """Round-robin over iterators so a provider's models progress together."""
    if len(iterators) == 1:
        yield from iterators[0]
        return
    active = list(iterators)
    while active:
        for it in list(active):
            item = next(it, None)
            if item is None:
                active.remove(it)
            else:
                yield item
