"""The budget and the cost estimates behind it."""

from __future__ import annotations

import pytest

from harness.drivers.base import Message, ModelPrice, ProviderSettings, Request
from harness.runner.budget import Budget
from harness.runner.estimate import ModelEstimate, call_cost, total_range


def test_in_flight_estimates_count_against_the_limit() -> None:
    budget = Budget(1.0)
    assert budget.reserve("s", "m", 0.4)
    assert budget.reserve("s", "m", 0.4)
    assert not budget.reserve("s", "m", 0.4)  # 0.8 in flight + 0.4 > 1.0
    budget.settle("s", "m", 0.4, 0.1)
    assert not budget.reserve("s", "m", 0.0)  # once stopped, stays stopped
    assert budget.spent == pytest.approx(0.1)


def test_unknown_price_uses_the_models_mean_cost() -> None:
    budget = Budget(None, {"s": 1.0})
    assert budget.estimate("m", None) == 0.0
    budget.reserve("s", "m", 0.0)
    budget.settle("s", "m", 0.0, 0.3)
    assert budget.estimate("m", None) == pytest.approx(0.3)
    assert budget.estimate("m", 0.05) == 0.05
    assert budget.reserve("other-spec", "m", 5.0)  # only spec 's' has a limit


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
