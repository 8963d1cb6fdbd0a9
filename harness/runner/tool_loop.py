"""The runner's side of a multi-step exchange (:mod:`harness.tools.loop`): every step is
an :meth:`ItemExecutor.call <harness.runner.item_executor.ItemExecutor.call>` (the pool,
limits, retries, hooks and pricing), and under a budget each step after the first reserves
its own estimate (the first is the item's own reservation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.drivers.base import Request, Response
from harness.drivers.registry import parse_model_id
from harness.errors import BudgetExceededError
from harness.runner.estimate import call_cost
from harness.runner.items import Item
from harness.tools.loop import Exchange, StepCall, loops

if TYPE_CHECKING:
    from harness.runner.item_executor import ItemExecutor

__all__ = ["exchange_of", "step_call"]


def exchange_of(item: Item, request: Request) -> Exchange | None:
    """The item's exchange when it loops (tools with results, or ``turns:``), else None."""
    if not loops(item.spec, item.case):
        return None
    return Exchange(item.spec, item.case, item.template, request)


def step_call(executor: ItemExecutor, item: Item, *, free: bool) -> StepCall:
    """How the item's exchange calls its model: through the executor, within the budget.

    The call raises BudgetExceededError when a later step does not fit in the budget.
    """
    budget = executor.budget

    async def call(request: Request, index: int) -> Response:
        if index == 1 or not budget.limited:
            return await executor.call(item, request)
        settings = executor.pool.settings(parse_model_id(item.model)[0])
        priced = None if free else call_cost(settings, request, executor.config.prices)
        estimate = 0.0 if free else budget.estimate(item.model, priced)
        if not await budget.reserve(item.spec.name, item.model, estimate):
            raise BudgetExceededError(f"budget: the cost limit was reached at step {index}")
        response: Response | None = None
        try:
            response = await executor.call(item, request)
            return response
        finally:
            actual = response.cost_usd if response is not None and not free else None
            budget.settle(item.spec.name, item.model, estimate, actual)

    return call
