"""Token and cost estimates before a call: for the budget and for ``--dry-run``.

Tokens are guessed from the rendered prompt (about four characters a token) and the
output from ``max_tokens``; prices come from harness.yaml and the genai-prices table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from harness.drivers.base import ModelPrice, ProviderSettings, Request, Usage
from harness.drivers.pricing import batch_cost_usd, cost_usd

LOCAL_TYPE = "llamacpp"
"""The driver type of models run on this machine (``local:``)."""

DEFAULT_MAX_OUTPUT = 512
"""Output tokens assumed when a spec sets no ``max_tokens``."""


def input_tokens(request: Request) -> int:
    """Estimated prompt tokens: characters / 4 plus a few per message."""
    return sum(len(m.text) for m in request.messages) // 4 + 4 * len(request.messages)


def max_output(request: Request) -> int:
    """The output ceiling: ``max_tokens`` or :data:`DEFAULT_MAX_OUTPUT`."""
    value = request.params.get("max_tokens")
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_OUTPUT


def call_cost(
    settings: ProviderSettings,
    request: Request,
    prices: Mapping[str, ModelPrice],
    *,
    output_tokens: int | None = None,
    batch: bool = False,
) -> float | None:
    """Estimated USD of one call (None when the model's price is unknown); ``batch``:
    sent through a batch API, at the batch price."""
    out = max_output(request) if output_tokens is None else output_tokens
    usage = Usage(input_tokens=input_tokens(request), output_tokens=out)
    cost = (batch_cost_usd if batch else cost_usd)(settings, request.model, usage, prices)
    if (
        cost is None
        and settings.type == LOCAL_TYPE
        and f"{settings.name}:{request.model}" not in prices
    ):
        return 0.0  # as the run prices it: a local model runs on your CPU, $0 unless priced
    return cost


@dataclass(slots=True)
class ModelEstimate:
    """``--dry-run`` figures for one model. Costs are None when the price is unknown."""

    model: str
    calls: int = 0
    input_tokens: int = 0
    max_output_tokens: int = 0
    cost_low: float | None = 0.0
    cost_high: float | None = 0.0
    replays: int = 0
    """Calls served from cassettes: they cost nothing."""

    def add_replay(self, request: Request) -> None:
        """Count one call that replays from its cassette (free)."""
        self.calls += 1
        self.replays += 1
        self.input_tokens += input_tokens(request)
        self.max_output_tokens += max_output(request)

    def add(
        self,
        settings: ProviderSettings,
        request: Request,
        prices: Mapping[str, ModelPrice],
        *,
        batch: bool = False,
    ) -> None:
        """Count one planned call: low assumes a tenth of max_tokens out, high all of it
        (``batch``: at the batch price)."""
        self.calls += 1
        self.input_tokens += input_tokens(request)
        self.max_output_tokens += max_output(request)
        low_out = max(1, max_output(request) // 10)
        low = call_cost(settings, request, prices, output_tokens=low_out, batch=batch)
        high = call_cost(settings, request, prices, batch=batch)
        if low is None or high is None or self.cost_low is None or self.cost_high is None:
            self.cost_low = self.cost_high = None
        else:
            self.cost_low += low
            self.cost_high += high


def total_range(estimates: Iterable[ModelEstimate]) -> tuple[float, float] | None:
    """The whole run's cost range, or None when any model's price is unknown."""
    low = high = 0.0
    for e in estimates:
        if e.cost_low is None or e.cost_high is None:
            return None
        low, high = low + e.cost_low, high + e.cost_high
    return low, high
