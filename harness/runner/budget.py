"""Cost budget: stop starting new calls once spent + in-flight estimate would pass the limit.

The estimate of a call is its price-table cost for the prompt's tokens and
``max_tokens``, or, when the price is unknown, the mean actual cost of that model's
calls so far. Once a budget is hit it stays hit: the rest of the run is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
        >>> b.reserve("qa", "m", 0.6), b.reserve("qa", "m", 0.6)
        (True, False)
    """

    max_cost: float | None = None
    spec_limits: Mapping[str, float] = field(default_factory=dict)
    spent: float = 0.0
    _run: _Account | None = None
    _specs: dict[str, _Account] = field(default_factory=dict)
    _mean: dict[str, tuple[float, int]] = field(default_factory=dict)

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

    def reserve(self, spec: str, model: str, estimate: float) -> bool:
        """Whether a call may start; if so its estimate counts as in flight until settled."""
        accounts = [a for a in (self._run, self._specs.get(spec)) if a is not None]
        for account in accounts:
            if account.stopped or account.spent + account.in_flight + estimate > account.limit:
                account.stopped = True
                return False
        for account in accounts:
            account.in_flight += estimate
        return True

    def settle(self, spec: str, model: str, estimate: float, actual: float | None) -> None:
        """A reserved call ended; ``actual`` is its cost (None when unknown)."""
        cost = actual or 0.0
        self.spent += cost
        if actual is not None:
            total, count = self._mean.get(model, (0.0, 0))
            self._mean[model] = (total + actual, count + 1)
        for account in (self._run, self._specs.get(spec)):
            if account is not None:
                account.in_flight -= estimate
                account.spent += cost

    @property
    def limited(self) -> bool:
        """Whether any budget applies."""
        return self._run is not None or bool(self._specs)
