"""Run items on models: schedule, call, evaluate, store. One asyncio event loop.

Every provider gets its own workers (as many as its concurrency allows) pulling from a
lazy iterator of its items, so no task exists per item (memory stays flat at 100,000
items) and a slow provider never stalls the others; a global semaphore caps the calls
in flight across providers. Each item's model call and evaluation run inside
``recorder.scope(item)``; any error becomes that item's record, never the run's end.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import secrets
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import jinja2
from rich.console import Console

from harness.config import ProjectConfig
from harness.drivers.base import Request, Response
from harness.drivers.pricing import cost_usd
from harness.drivers.registry import parse_model_id
from harness.embed.router import embed_kwargs
from harness.errors import HarnessError
from harness.expect.evaluate import evaluate_case, parse_output
from harness.expect.types import CaseVerdict, JudgeCall, Output
from harness.runner.budget import Budget
from harness.runner.cache import DEFAULT_TTL, cache_key, response_from_json, response_to_json
from harness.runner.estimate import call_cost
from harness.runner.expand import Selection, expand, run_models
from harness.runner.items import Item
from harness.runner.pool import DriverFactory, Pool
from harness.runner.progress import RunProgress
from harness.runner.requests import build_request, prompt_text
from harness.runner.summary import ModelStats
from harness.spec.types import Case, Spec
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED, ResultRecord, RunInfo
from harness.store.sqlite import Store
from harness.store.writer import StoreWriter

Evaluate = Callable[..., Awaitable[CaseVerdict]]


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


class _NoRecorder:
    """Stand-in when cassettes are off: no wrapping, no scope."""

    mode = "off"

    def wrap(self, transport: Any) -> Any:
        return transport

    def scope(self, item: Item) -> Any:
        import contextlib

        return contextlib.nullcontext()

    def cassette_path(self, item: Item) -> Any:
        return None

    def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run. ``run_id`` with ``resume`` continues that run, skipping what it completed."""

    selection: Selection = field(default_factory=Selection)
    concurrency: int | None = None
    max_cost: float | None = None
    record_mode: str = "off"
    cache: bool = False
    cache_ttl: float | None = DEFAULT_TTL
    run_id: str | None = None
    resume: bool = False
    progress: bool | None = None
    paths: tuple[str, ...] = ()


@dataclass(slots=True)
class RunResult:
    """What a finished run reports: counts per status and per-model stats."""

    run_id: str
    stats: list[ModelStats]
    status: str = "finished"
    resumed_skipped: int = 0

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


class Runner:
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
    """

    def __init__(
        self,
        specs: Sequence[Spec],
        config: ProjectConfig,
        store: Store,
        options: RunOptions,
        *,
        recorder: Any = None,
        driver_factory: DriverFactory | None = None,
        evaluate: Evaluate = evaluate_case,
        console: Console | None = None,
    ) -> None:
        self.specs = list(specs)
        self.config = config
        self.store = store
        self.options = options
        self.recorder = recorder if recorder is not None else _NoRecorder()
        self.evaluate = evaluate
        self._eval_kwargs: dict[str, Any] = {}
        if config.defaults.judge and "judge_model" in inspect.signature(evaluate).parameters:
            self._eval_kwargs["judge_model"] = config.defaults.judge
        self.console = console or Console(stderr=True)
        self.run_id = options.run_id or new_run_id()
        self.models = run_models(self.specs, options.selection, config)
        concurrency = options.concurrency or config.defaults.concurrency
        self.pool = Pool(
            config,
            self.recorder,
            concurrency=concurrency,
            offline=options.record_mode == "none",
            driver_factory=driver_factory,
        )
        # semantic-similar embeds through the same pool, limits and cassettes
        self._eval_kwargs.update(embed_kwargs(evaluate, config, self.pool))
        for model in self.models:  # unknown providers fail before anything is stored
            self.pool.settings(parse_model_id(model)[0])
        limits = {s.name: s.max_cost for s in self.specs if s.max_cost is not None}
        self.budget = Budget(options.max_cost, limits)
        self.stats = {m: ModelStats(m) for m in self.models}
        repeats = options.selection.repeat or max(
            (c.repeat for s in self.specs for c in s.cases), default=1
        )
        self.use_cache = options.cache and repeats <= 1
        self._done: set[str] = set()
        self._writer: StoreWriter | None = None
        self._progress: RunProgress | None = None
        self._expected: dict[int, dict[str, Any]] = {}

    # planning

    def run_info(self) -> RunInfo:
        """The run's metadata row."""
        sel = self.options.selection
        return RunInfo(
            run_id=self.run_id,
            started_at=time.time(),
            git_commit=git_commit(self.config.root),
            config={"path": str(self.config.path) if self.config.path else None},
            spec_hashes={s.name: s.content_hash for s in self.specs},
            models=list(self.models),
            params={
                "paths": list(self.options.paths),
                "models": list(sel.models),
                "repeat": sel.repeat,
                "filter": sel.filter,
                "shard": list(sel.shard) if sel.shard else None,
                "concurrency": self.pool.concurrency,
                "max_cost": self.options.max_cost,
                "cache": self.use_cache,
            },
            record_mode=self.options.record_mode,
            timings="recorded" if self.options.record_mode == "none" else "live",
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
        if self.options.resume:
            self._done = self.store.completed_item_ids(self.run_id)
            self.store.reopen_run(self.run_id)
        else:
            self.store.start_run(self.run_info())
        sources = self._provider_items()
        total = self.count_items() - len(self._done)
        status = "interrupted"
        try:
            with RunProgress(self.console, total, live=self.options.progress) as progress:
                self._progress = progress
                async with StoreWriter(self.store) as writer:
                    self._writer = writer
                    workers = [
                        self._worker(items)
                        for provider, items in sources.items()
                        for _ in range(self.pool.provider_limit(provider))
                    ]
                    await asyncio.gather(*workers)
            status = "finished"
        finally:
            await self.pool.aclose()
            self.recorder.close()
            self.store.finish_run(self.run_id, status)
        return RunResult(self.run_id, list(self.stats.values()), status, len(self._done))

    async def _worker(self, items: Iterator[Item]) -> None:
        # several workers share one iterator: next() never awaits, so no item is taken twice
        for item in items:
            record = await self.run_item(item)
            assert self._writer is not None and self._progress is not None
            self._writer.add(record)
            self._progress.add(record)
            self.stats[item.model].add(record)

    async def judge(self, model_id: str, request: Request) -> Response:
        """The JudgeCall given to assertions: same pool, limits and cassettes."""
        return await self.pool.complete(model_id, request)

    def _base(self, item: Item) -> ResultRecord:
        case = item.case
        return ResultRecord(
            run_id=self.run_id,
            item_id=item.id,
            spec=item.spec.name,
            case_id=case.id,
            model=item.model,
            attempt=item.attempt,
            status=ERROR,
            tags=list(case.tags),
            case_vars=dict(case.vars),
            expected=self._expected_of(case),
            started_at=time.time(),
        )

    def _expected_of(self, case: Case) -> list[dict[str, Any]]:
        # keyed per assertion: spec-level expectations are shared by every case
        out = []
        for assertion in case.expect:
            key = id(assertion)
            stored = self._expected.get(key)
            if stored is None:
                stored = _assertion_dict(assertion)
                if len(self._expected) < 10_000:
                    self._expected[key] = stored
            out.append(stored)
        return out

    async def run_item(self, item: Item) -> ResultRecord:
        """Run one item to a record; never raises a HarnessError (it is recorded instead)."""
        record = self._base(item)
        if item.case.skip:
            return _skipped(record, "skip", item.case.skip)
        try:
            request = build_request(item, self.config.model_params)
        except (jinja2.TemplateError, HarnessError) as exc:
            return _errored(record, exc)
        record.prompt = prompt_text(request)
        if getattr(self.recorder, "mode", "off") != "off":
            record.cassette = str(self.recorder.cassette_path(item))
        provider, _ = parse_model_id(item.model)
        settings = self.pool.settings(provider)
        key = cache_key(settings, request) if self.use_cache else None
        if key is not None:
            cached = self.store.cache_get(key, ttl=self.options.cache_ttl)
            if cached is not None:
                record.cached = True
                return await self._evaluate(item, record, response_from_json(cached))
        estimate = 0.0
        if self.budget.limited:
            priced = call_cost(settings, request, self.config.prices)
            estimate = self.budget.estimate(item.model, priced)
            if not self.budget.reserve(item.spec.name, item.model, estimate):
                return _skipped(record, "budget", "budget: the cost limit was reached")
        response: Response | None = None
        try:
            with self.recorder.scope(item):
                response = await self.pool.complete(item.model, request)
                if response.cost_usd is None:
                    cost = cost_usd(settings, request.model, response.usage, self.config.prices)
                    if cost is not None:
                        response = _with_cost(response, cost)
                if key is not None:
                    self.store.cache_put(key, response_to_json(response))
                return await self._evaluate(item, record, response)
        except HarnessError as exc:
            return _errored(record, exc)
        except Exception as exc:  # a bug in one item must not end the run
            return _errored(record, exc)
        finally:
            if self.budget.limited:
                actual = response.cost_usd if response is not None else None
                self.budget.settle(item.spec.name, item.model, estimate, actual)

    async def _evaluate(self, item: Item, record: ResultRecord, response: Response) -> ResultRecord:
        _fill_response(record, response)
        output: Output = parse_output(response.text, item.spec.schema, response=response)
        record.parsed_output = output.parsed
        record.repaired = output.repaired
        judge: JudgeCall = self.judge
        try:
            verdict = await self.evaluate(
                item.spec, item.case, output, judge=judge, **self._eval_kwargs
            )
        except Exception as exc:  # an assertion bug is this item's error, not the run's
            return _errored(record, exc)
        record.status = PASSED if verdict.passed else FAILED
        record.score = verdict.score
        record.verdicts = [_shallow(v) for v in verdict.verdicts]
        record.finished_at = time.time()
        return record


def _shallow(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, without asdict's deep copies (values are read-only)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _assertion_dict(assertion: Any) -> dict[str, Any]:
    """What a case expects, as stored: the assertion's fields that are set."""
    out = {}
    for f in fields(assertion):
        value = getattr(assertion, f.name)
        if value is None or value == () or value == {}:
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    if "options" in out:
        out["options"] = dict(out["options"])
    return out


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


def _with_cost(response: Response, cost: float) -> Response:
    from dataclasses import replace

    return replace(response, cost_usd=cost)


def _fill_response(record: ResultRecord, response: Response) -> None:
    record.output = response.text
    record.latency_ms = response.latency_ms
    record.ttft_ms = response.ttft_ms
    usage = response.usage
    record.input_tokens = usage.input_tokens
    record.output_tokens = usage.output_tokens
    record.cached_tokens = usage.cached_tokens
    record.reasoning_tokens = usage.reasoning_tokens
    record.cost_usd = 0.0 if record.cached else response.cost_usd
    record.finish_reason = response.finish_reason
    record.structured_mode = response.structured_mode
    record.retries = response.retries
    record.timings_recorded = response.timings_recorded


def _errored(record: ResultRecord, exc: BaseException) -> ResultRecord:
    record.status = ERROR
    record.error_type = type(exc).__name__
    record.error = str(exc) or type(exc).__name__
    record.retries = max(record.retries, getattr(exc, "retries", 0))
    record.finished_at = time.time()
    return record


def _skipped(record: ResultRecord, reason: str, message: str) -> ResultRecord:
    record.status = SKIPPED
    record.error_type = reason
    record.error = message
    record.finished_at = time.time()
    return record
