"""Scoring a batch's answers exactly as live calls: same driver, cassette, verdict and store.

Once a run's batches ended (:mod:`harness.runner.batch_api`), every item still runs
through the ordinary :class:`~harness.runner.item_executor.ItemExecutor`, in a subclass
that changes one thing: an item with a batch answer makes its model call through an
*answer driver*, the provider's own driver class on an :class:`AnswerTransport` that
hands back the batch's body for the very request the live call sends (checked by its
hash) instead of going to the network. So the driver parses the body as it parses a
live answer, the cassette transport wrapped around it records the request and the
answer in the item's usual cassette, and ``verdict`` scores it. The call is priced at
the batch rate and passes no provider gate (nothing is sent). A request that differs
from the batched one (a structured-output fallback, a second step) goes live.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from harness.drivers.base import Request, Response
from harness.drivers.http_driver import HTTPCall, HTTPDriver
from harness.drivers.pricing import batch_cost_usd
from harness.drivers.registry import parse_model_id
from harness.drivers.structured import with_schema_prompt
from harness.runner.budget import Budget
from harness.runner.item_executor import ItemExecutor
from harness.runner.items import Item
from harness.store.records import ResultRecord

__all__ = [
    "AnswerTransport",
    "BatchAnswered",
    "BatchItemExecutor",
    "NotInBatch",
    "batched_call",
    "request_hash",
]


def request_hash(path: str, body: Any) -> str:
    """A stable digest of a call's URL path and JSON body (key order ignored)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{path}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BatchAnswered:
    """An item's answer from a batch: the batched request's hash and the answer."""

    batch_id: str
    request_hash: str
    status: int
    body: bytes


def batched_call(driver: HTTPDriver, request: Request) -> tuple[HTTPCall, str]:
    """The call a live request would make first (the best structured-output mode, not
    streamed) and its full URL path: what a batch line holds."""
    modes = driver.structured_modes(request)
    mode = modes[0] if modes else None
    prepared = with_schema_prompt(request) if mode == "prompt" else request
    call = driver.build_call(prepared, mode, stream=False)
    return call, driver.connection.url(call.path, call.params).path


class NotInBatch(Exception):  # a signal between two modules, never shown
    """The request is not the one that was batched: make it live."""


_ANSWER: contextvars.ContextVar[BatchAnswered | None] = contextvars.ContextVar(
    "harness_batch_answer", default=None
)


class AnswerTransport(httpx.AsyncBaseTransport):
    """Answers the batched request of the current item with the batch's body; never
    reaches the network (any other request raises :class:`NotInBatch`)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The batch's answer for this exact request."""
        answer = _ANSWER.get()
        if answer is None:
            raise NotInBatch(request.url.path)
        try:
            body = json.loads(await request.aread())
        except ValueError as exc:
            raise NotInBatch(request.url.path) from exc
        if request_hash(request.url.path, body) != answer.request_hash:
            raise NotInBatch(request.url.path)
        _ANSWER.set(None)  # one answer, one call
        headers = {"content-type": "application/json", "x-harness-batch": answer.batch_id}
        return httpx.Response(answer.status, headers=headers, content=answer.body)


class BatchItemExecutor(ItemExecutor):
    """An :class:`ItemExecutor` whose items may already have an answer from a batch.

    Args:
        base: the run's executor (its settings are taken over).
        answers: item id -> its batch answer.
        holds: item id -> (spec, estimate) the batch reserved in the budget for it.
    """

    def __init__(
        self,
        base: ItemExecutor,
        answers: dict[str, BatchAnswered],
        holds: dict[str, tuple[str, float]],
    ) -> None:
        super().__init__(
            run_id=base.run_id,
            config=base.config,
            pool=base.pool,
            recorder=base.recorder,
            budget=base.budget,
            evaluate=base.evaluate,
            cache=base.cache,
            hooks=base.hooks,
        )
        self.answers = answers
        self.holds = holds
        self._drivers: dict[str, HTTPDriver] = {}
        self._free = Budget(None, {})

    def item_budget(self, item: Item) -> Budget:
        """An item with a batch answer was paid for: its reservation is the batch's."""
        return self._free if item.id in self.answers else self.budget

    async def run(self, item: Item) -> ResultRecord:
        """Run the item; a batch's reservation for it becomes its actual cost."""
        held = self.holds.pop(item.id, None)
        answered = item.id in self.answers
        record = await super().run(item)
        if held is not None or (answered and self.budget.limited):
            # a resumed batch's items were reserved by the run that sent it: spend only
            estimate = held[1] if held is not None else 0.0
            self.budget.settle(item.spec.name, item.model, estimate, record.cost_usd)
        return record

    async def call(self, item: Item, request: Request) -> Response:
        """The batch's answer, through the driver, at the batch price; else a live call."""
        answer = self.answers.pop(item.id, None)
        if answer is None:
            return await super().call(item, request)
        provider = parse_model_id(item.model)[0]
        driver = self._answer_driver(provider)
        call, path = batched_call(driver, request)
        if request.stream or request_hash(path, call.body) != answer.request_hash:
            return await super().call(item, request)  # not what was batched: ask live

        async def answered(model_id: str, req: Request) -> Response:
            return await driver.complete(req)

        token = _ANSWER.set(answer)
        try:
            response = await self.hooks.call(self.run_id, item.model, request, answered)
        except NotInBatch:
            return await super().call(item, request)
        finally:
            _ANSWER.reset(token)
        settings = self.pool.settings(provider)
        cost = batch_cost_usd(settings, request.model, response.usage, self.config.prices)
        # a batch has no per-call latency: None, not the microseconds of reading a body
        return replace(response, cost_usd=cost, latency_ms=None, ttft_ms=None)

    def _answer_driver(self, provider: str) -> HTTPDriver:
        driver = self._drivers.get(provider)
        if driver is None:
            live = self.pool.driver(provider)
            transport = self.recorder.wrap(AnswerTransport())
            prices: Mapping[str, Any] = self.config.prices
            made = type(live)(live.settings, transport=transport, prices=prices)
            assert isinstance(made, HTTPDriver)  # only HTTP drivers declare a batch API
            self._drivers[provider] = driver = made
        return driver
