"""Where one item runs: request, call, parse, verdicts -> one ``ResultRecord``.

:class:`ItemExecutor` is the whole life of one item and nothing else: it knows no
scheduling, no store rows, no progress. A :class:`~harness.runner.run.Run` drives it
for every item of a run; the pytest plugin's batch drives it for the items pytest
selected; anything that changes how one item runs (a tool loop, prompt variants, a
remote worker) drives or subclasses it through three steps::

    executor.request(item)                  # -> Request (templated prompt, model params)
    await executor.call(item, request)      # -> Response (limits, cassette, cost)
    await executor.verdict(item, record, response)  # parse, evaluate, fill the record

:meth:`ItemExecutor.run` chains them inside the item's cassette scope, with the budget
and the response cache, and never raises for one item's failure: it is recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import jinja2

from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.base import Request, Response
from harness.drivers.pricing import cost_usd
from harness.drivers.registry import parse_model_id
from harness.embed.router import embed_kwargs
from harness.errors import HarnessError
from harness.expect.evaluate import evaluate_case, parse_output
from harness.expect.types import CaseVerdict, JudgeCall, Output
from harness.hooks import Hooks
from harness.runner.budget import Budget, replayed_for_free
from harness.runner.cache import cache_key, response_from_json, response_to_json
from harness.runner.estimate import call_cost
from harness.runner.gate import track_waits
from harness.runner.items import Item
from harness.runner.pool import Pool
from harness.runner.requests import build_request, prompt_text
from harness.runner.tool_loop import exchange_of, step_call
from harness.spec.types import Case, Spec
from harness.store.bounded import bounded_output, is_truncated
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED, ResultRecord
from harness.store.sqlite import Store
from harness.tools.trajectory import Trajectory, steps_json
from harness.tools.verdicts import evaluate_exchange
from harness.transforms.apply import case_output

_PARSE_OFF_LOOP = 64_000  # characters: longer answers are parsed in a thread

__all__ = ["Evaluate", "ItemExecutor", "ResponseCache", "errored", "fill_response"]


class Evaluate(Protocol):
    """Evaluates one case's output (default :func:`harness.expect.evaluate_case`).

    ``judge_model`` is passed only when harness.yaml sets ``defaults.judge``; ``embed`` and
    ``embedder`` (semantic-similar's embeddings) only to evaluators that take them.
    """

    def __call__(
        self,
        spec: Spec,
        case: Case,
        output: Output,
        *,
        judge: JudgeCall | None = None,
        judge_model: str | None = None,
    ) -> Awaitable[CaseVerdict]: ...


@dataclass(frozen=True, slots=True)
class ResponseCache:
    """Earlier identical responses, reused (``harness run --cache``)."""

    store: Store
    ttl: float | None


class ItemExecutor:
    """Runs one item at a time to its record; see the module docstring.

    Args:
        run_id: the run the records belong to.
        config: the project config (model params, prices, the default judge).
        pool: the drivers and their limits (judge calls share them).
        recorder: the cassettes (mode ``off`` records nothing).
        budget: the run's cost limits (unlimited by default).
        evaluate: evaluates a case's output.
        cache: reuse identical earlier responses (None: never).
        hooks: told before and after every call, the judge's included (none by default).
    """

    def __init__(
        self,
        *,
        run_id: str,
        config: ProjectConfig,
        pool: Pool,
        recorder: Recorder,
        budget: Budget | None = None,
        evaluate: Evaluate = evaluate_case,
        cache: ResponseCache | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self.run_id = run_id
        self.hooks = hooks if hooks is not None else Hooks([])
        self.config = config
        self.pool = pool
        self.recorder = recorder
        self.budget = budget or Budget(None, {})
        self.evaluate = evaluate
        # passed only when harness.yaml names a default judge, so an evaluator written
        # without the keyword (tests' fakes, older plugins) keeps working
        self._judge_model: dict[str, str] = (
            {"judge_model": config.defaults.judge} if config.defaults.judge else {}
        )
        # semantic-similar embeds through the same pool, limits and cassettes (passed only
        # to evaluators that take the keywords)
        self._embed: dict[str, Any] = embed_kwargs(evaluate, config, pool)
        self.cache = cache
        self._expected: dict[int, dict[str, Any]] = {}

    # the steps

    def request(self, item: Item) -> Request:
        """The item's request.

        Raises:
            jinja2.TemplateError, HarnessError: the prompt cannot be rendered.
        """
        return build_request(item, self.config.model_params)

    async def call(self, item: Item, request: Request) -> Response:
        """One model call within the pool's limits, priced when the driver did not.

        Raises:
            HarnessError: the call failed (after the driver's retries).
        """
        response = await self.hooks.call(self.run_id, item.model, request, self.pool.complete)
        if response.cost_usd is None:
            settings = self.pool.settings(parse_model_id(item.model)[0])
            cost = cost_usd(settings, request.model, response.usage, self.config.prices)
            if cost is not None:
                response = replace(response, cost_usd=cost)
        return response

    async def verdict(
        self,
        item: Item,
        record: ResultRecord,
        response: Response,
        *,
        trajectory: Trajectory | None = None,
    ) -> ResultRecord:
        """Parse ``response``, evaluate the case's expectations and fill ``record``
        (``trajectory``: the steps of a tool loop or conversation, ``response`` its final
        answer with usage, cost and latency summed over them)."""
        fill_response(record, response)
        output: Output
        if len(response.text) > _PARSE_OFF_LOOP:  # extracting JSON from a long answer takes a while
            parse = partial(parse_output, response.text, item.spec.schema, response=response)
            output = await asyncio.to_thread(parse)
        else:
            output = parse_output(response.text, item.spec.schema, response=response)
        prepared = case_output(item.spec, item.case, output)  # transforms, once, stored too
        if isinstance(prepared, Output):
            output = prepared
            record.transformed_output = output.text if output.transforms else None
        record.parsed_output = None if is_truncated(record.output) else output.parsed
        record.repaired = output.repaired
        options = {"judge": self.judge, **self._judge_model, **self._embed}
        try:
            if trajectory is not None:  # turn: N, and the max-steps cut-off
                record.steps = steps_json(trajectory)
                output = replace(output, trajectory=trajectory)
                verdict = await evaluate_exchange(
                    self.evaluate, item.spec, item.case, output, trajectory, **options
                )
            else:
                verdict = await self.evaluate(item.spec, item.case, output, **options)
        except Exception as exc:  # an assertion bug is this item's error, not the run's
            return errored(record, exc)
        record.status = PASSED if verdict.passed else FAILED
        record.score = verdict.score
        record.verdicts = [_shallow(v) for v in verdict.verdicts]
        record.finished_at = time.time()
        return record

    async def judge(self, model_id: str, request: Request) -> Response:
        """The ``JudgeCall`` given to assertions: same pool, limits and cassettes."""
        return await self.hooks.call(self.run_id, model_id, request, self.pool.complete, judge=True)

    # the whole item

    async def run(self, item: Item) -> ResultRecord:
        """Run one item to a record; never raises a HarnessError (it is recorded instead)."""
        record = self.record(item)
        if item.case.skip:
            return _skipped(record, "skip", item.case.skip)
        try:
            request = self.request(item)
        except (jinja2.TemplateError, HarnessError) as exc:
            return errored(record, exc)
        record.prompt = prompt_text(request)
        if self.recorder.active:
            record.cassette = str(self.recorder.cassette_path(item))
        settings = self.pool.settings(parse_model_id(item.model)[0])
        exchange = exchange_of(item, request)  # a tool loop or turns: (None: one call)
        cached_ok = self.cache is not None and exchange is None  # the cache holds single calls
        key = cache_key(settings, request) if cached_ok else None
        if key is not None and self.cache is not None:
            cached = self.cache.store.cache_get(key, ttl=self.cache.ttl)
            if cached is not None:
                record.cached = True
                return await self.verdict(item, record, response_from_json(cached))
        budget = self.item_budget(item)
        estimate = 0.0
        free = False
        if budget.limited:
            cassette = Path(record.cassette) if record.cassette else None
            free = replayed_for_free(self.recorder.mode, cassette)
            priced = None if free else call_cost(settings, request, self.config.prices)
            estimate = 0.0 if free else budget.estimate(item.model, priced)
            if not await budget.reserve(item.spec.name, item.model, estimate):
                return _skipped(record, "budget", "budget: the cost limit was reached")
        response: Response | None = None
        try:
            with self.recorder.scope(item), track_waits(record):
                if exchange is not None:
                    response = await exchange.run(step_call(self, item, free=free))
                    trajectory = exchange.trajectory()
                    return await self.verdict(item, record, response, trajectory=trajectory)
                response = await self.call(item, request)
                if key is not None and self.cache is not None:
                    self.cache.store.cache_put(key, response_to_json(response))
                return await self.verdict(item, record, response)
        except HarnessError as exc:
            return errored(record, exc)
        except Exception as exc:  # a bug in one item must not end the run
            return errored(record, exc)
        finally:
            if exchange is not None:  # every step so far, an errored item's included
                record.steps = steps_json(exchange.trajectory()) if exchange.steps else None
                response = exchange.first_response()  # later steps settled their own cost
            if budget.limited:
                actual = response.cost_usd if response is not None and not free else None
                budget.settle(item.spec.name, item.model, estimate, actual)

    def item_budget(self, item: Item) -> Budget:
        """The budget ``item``'s call is reserved against (the run's; a call already paid
        for, such as a batch's answer, may be given an unlimited one)."""
        return self.budget

    def record(self, item: Item) -> ResultRecord:
        """The item's record before it runs (status ``error`` until it finishes)."""
        case = item.case
        return ResultRecord(
            run_id=self.run_id,
            item_id=item.id,
            spec=item.spec.name,
            case_id=case.id,
            model=item.model,
            attempt=item.attempt,
            status=ERROR,
            prompt_name=item.prompt,
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


def fill_response(record: ResultRecord, response: Response) -> None:
    """Copy what the model answered (text, usage, cost, timings) into ``record``."""
    record.output = bounded_output(response.text)  # assertions still see the whole answer
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


def errored(record: ResultRecord, exc: BaseException) -> ResultRecord:
    """``record`` ended by ``exc``: status ``error``, its type and message."""
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
