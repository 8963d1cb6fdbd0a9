"""Cost budget: a call starts only when what is spent plus what is in flight leaves room.

The estimate of a call is its price-table cost for the prompt's tokens and
``max_tokens``, or, when the price is unknown, the mean actual cost of that model's
calls so far. A call's estimate is reserved while it is in flight; when it ends, the
actual cost is spent and the unused part released. A call that does not fit beside the
calls in flight waits for them, since they usually cost far less than their ceiling; it
is skipped only when it cannot fit even once everything in flight has settled.

Replays cost nothing: in record mode ``none``, and in ``once`` for an item whose cassette
exists, a call is served from its cassette and never counts against the budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class _Account:
    limit: float
    spent: float = 0.0
    in_flight: float = 0.0
    stopped: bool = False


@dataclass(slots=True)
class Budget:
    """The run's budget (``--max-cost``) and each spec's ``max_cost``.

    Example:
        >>> b = Budget(1.0)
        >>> b.try_reserve("qa", "m", 0.6), b.try_reserve("qa", "m", 0.6)
        (True, False)
    """

    max_cost: float | None = None
    spec_limits: Mapping[str, float] = field(default_factory=dict)
    spent: float = 0.0
    _run: _Account | None = None
    _specs: dict[str, _Account] = field(default_factory=dict)
    _mean: dict[str, tuple[float, int]] = field(default_factory=dict)
    _settled: asyncio.Event | None = None

    def __post_init__(self) -> None:
        if self.max_cost is not None:
            self._run = _Account(self.max_cost)
        self._specs = {name: _Account(limit) for name, limit in self.spec_limits.items()}

    def estimate(self, model: str, priced: float | None) -> float:
        """A call's expected cost: the price estimate, else the model's mean so far."""
        if priced is not None:
            return priced
        total, count = self._mean.get(model, (0.0, 0))
        return total / count if count else 0.0

    def _accounts(self, spec: str) -> list[_Account]:
        return [a for a in (self._run, self._specs.get(spec)) if a is not None]

    def try_reserve(self, spec: str, model: str, estimate: float) -> bool:
        """Reserve ``estimate`` if it fits beside what is spent and in flight now."""
        accounts = self._accounts(spec)
        if any(a.spent + a.in_flight + estimate > a.limit for a in accounts):
            return False
        for account in accounts:
            account.in_flight += estimate
        return True

    def can_never_fit(self, spec: str, estimate: float) -> bool:
        """True when ``estimate`` passes a limit even with nothing in flight."""
        return any(a.spent + estimate > a.limit for a in self._accounts(spec))

    async def reserve(self, spec: str, model: str, estimate: float) -> bool:
        """Whether a call may start; waits while calls in flight might leave it room.

        If so, its estimate counts as in flight until :meth:`settle`.
        """
        while not self.try_reserve(spec, model, estimate):
            in_flight = any(a.in_flight > 0 for a in self._accounts(spec))
            if self.can_never_fit(spec, estimate) or not in_flight:
                for account in self._accounts(spec):
                    account.stopped = True
                return False
            if self._settled is None:
                self._settled = asyncio.Event()
            await self._settled.wait()
        return True

    def stopped(self) -> bool:
        """Whether any budget has skipped a call."""
        return any(a.stopped for a in (self._run, *self._specs.values()) if a is not None)

    def settle(self, spec: str, model: str, estimate: float, actual: float | None) -> None:
        """A reserved call ended; ``actual`` is its cost (None when unknown)."""
        cost = actual or 0.0
        self.spent += cost
        if actual is not None:
            total, count = self._mean.get(model, (0.0, 0))
            self._mean[model] = (total + actual, count + 1)
        for account in (self._run, self._specs.get(spec)):
            if account is not None:
                account.in_flight = max(account.in_flight - estimate, 0.0)
                account.spent += cost
        if self._settled is not None:  # wake the calls waiting for room
            self._settled.set()
            self._settled = None

    @property
    def limited(self) -> bool:
        """Whether any budget applies."""
        return self._run is not None or bool(self._specs)


def replayed_for_free(record_mode: str, cassette: Path | None) -> bool:
    """True when a call will be served from its cassette: it costs nothing.

    Record mode ``none`` only replays; ``once`` replays an item whose cassette exists
    (and records only items without one). ``new_episodes`` may do either, so its calls
    are budgeted as live ones.
    """
    if record_mode == "none":
        return True
    return record_mode == "once" and cassette is not None and cassette.is_file()
