"""The budget and the cost estimates behind it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.drivers.base import Message, ModelPrice, ProviderSettings, Request
from harness.runner.budget import Budget, replayed_for_free
from harness.runner.estimate import ModelEstimate, call_cost, total_range


def test_in_flight_estimates_count_against_the_limit() -> None:
    budget = Budget(1.0)
    assert budget.try_reserve("s", "m", 0.4)
    assert budget.try_reserve("s", "m", 0.4)
    assert not budget.try_reserve("s", "m", 0.4)  # 0.8 in flight + 0.4 > 1.0
    budget.settle("s", "m", 0.4, 0.1)  # the unused 0.3 is released
    assert budget.try_reserve("s", "m", 0.4)  # 0.1 spent + 0.4 + 0.4 in flight
    assert budget.spent == pytest.approx(0.1)


async def test_a_call_that_does_not_fit_beside_those_in_flight_waits_for_them() -> None:
    budget = Budget(1.0)
    assert await budget.reserve("s", "m", 0.6)
    waiting = asyncio.ensure_future(budget.reserve("s", "m", 0.6))
    await asyncio.sleep(0)
    assert not waiting.done()
    budget.settle("s", "m", 0.6, 0.05)  # cost far less than its ceiling
    assert await waiting


async def test_a_call_that_can_never_fit_is_refused_at_once() -> None:
    budget = Budget(1.0)
    assert await budget.reserve("s", "m", 0.5)
    budget.settle("s", "m", 0.5, 0.7)
    assert not await budget.reserve("s", "m", 0.5)  # 0.7 spent + 0.5 > 1.0, nothing in flight
    assert budget.stopped()
    assert await budget.reserve("s", "m", 0.2)  # a smaller call still fits


async def test_ceiling_estimates_do_not_skip_items_that_fit() -> None:
    # the run: 15 items, 4 at a time, each estimated at its max_tokens ceiling
    # ($0.01) but costing $0.0007; the budget is $0.02. Before, 12 of 15 were skipped.
    budget = Budget(0.02)
    ran: list[int] = []

    async def item(n: int) -> None:
        if await budget.reserve("s", "m", 0.01):
            await asyncio.sleep(0.001)
            ran.append(n)
            budget.settle("s", "m", 0.01, 0.0007)

    workers = asyncio.Semaphore(4)

    async def limited(n: int) -> None:
        async with workers:
            await item(n)

    await asyncio.gather(*(limited(n) for n in range(15)))
    assert len(ran) == 15
    assert budget.spent == pytest.approx(15 * 0.0007)


def test_unknown_price_uses_the_models_mean_cost() -> None:
    budget = Budget(None, {"s": 1.0})
    assert budget.estimate("m", None) == 0.0
    budget.try_reserve("s", "m", 0.0)
    budget.settle("s", "m", 0.0, 0.3)
    assert budget.estimate("m", None) == pytest.approx(0.3)
    assert budget.estimate("m", 0.05) == 0.05
    assert budget.try_reserve("other-spec", "m", 5.0)  # only spec 's' has a limit


def test_replays_are_free_in_replay_only_modes(tmp_path: Path) -> None:
    cassette = tmp_path / "c.yaml"
    assert replayed_for_free("none", None)
    assert not replayed_for_free("once", cassette)
    cassette.write_text("interactions: []\n")
    assert replayed_for_free("once", cassette)
    assert not replayed_for_free("new_episodes", cassette)
    assert not replayed_for_free("all", cassette)


def test_estimates_from_prices() -> None:
    settings = ProviderSettings(name="p", type="openai", base_url="http://127.0.0.1:1")
    prices = {"p:m": ModelPrice(1.0, 2.0)}
    request = Request(model="m", messages=(Message("user", "x" * 400),), params={"max_tokens": 100})
    # 400 chars / 4 + 4 = 104 input tokens, 100 output tokens
    assert call_cost(settings, request, prices) == pytest.approx((104 * 1 + 100 * 2) / 1e6)
    assert call_cost(settings, request, {}) is None  # a self-hosted endpoint has no price
    estimate = ModelEstimate("p:m")
    estimate.add(settings, request, prices)
    assert estimate.cost_low is not None and estimate.cost_high is not None
    assert estimate.cost_low < estimate.cost_high
    unknown = ModelEstimate("p:x")
    unknown.add(settings, Request(model="x", messages=()), prices)
    assert unknown.cost_low is None
    assert total_range([estimate, unknown]) is None


def test_local_models_are_estimated_free_as_the_run_prices_them() -> None:
    local = ProviderSettings(name="local", type="llamacpp")
    request = Request(model="smollm2-135m", messages=(Message("user", "hi"),))
    assert call_cost(local, request, {}) == 0.0
    priced = {"local:smollm2-135m": ModelPrice(1.0, 1.0)}
    assert call_cost(local, request, priced) == pytest.approx((4 + 512) / 1e6 * 1.0, rel=0.05)
