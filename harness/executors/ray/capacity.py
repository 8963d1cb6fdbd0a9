"""One coordinator hands out every provider's capacity and the budget to all Ray workers.

Limits hold for the run as a whole, not per worker. The :class:`Coordinator` (one Ray
actor per run) keeps the same :class:`~harness.runner.gate.ProviderGate` a local run
uses, per provider: places in flight (fixed or adaptive), RPM/TPM, the pause after a
429, pacing from reported budgets, patience; and the run's
:class:`~harness.runner.budget.Budget`. On a worker, :class:`RemoteGate` asks it for a
place before each attempt (:meth:`Coordinator.enter`) and tells it how the attempt went
(:meth:`Coordinator.leave`); retries of transient errors stay with the worker, each again
through the coordinator. :class:`RemoteBudget` reserves and settles cost the same way.

A worker that dies holding places or reservations would leak them: the head calls
:meth:`Coordinator.forget` for it before its items run again elsewhere.

Replaying (``--record-mode none``) no provider is called, so workers keep their own gates
and never ask the coordinator.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.cassettes.recorder import Recorder
from harness.config import ProjectConfig
from harness.drivers.base import Response
from harness.drivers.ratelimits import RateLimits
from harness.drivers.retry import BASE_DELAY, is_rate_limited
from harness.errors import ProviderError, RateLimitError
from harness.hooks import note_wait
from harness.runner.budget import Budget
from harness.runner.concurrency import RunConcurrency
from harness.runner.gate import _WAITS, ProviderGate
from harness.runner.pool import Pool


@dataclass(frozen=True, slots=True)
class Ticket:
    """A place in flight granted by the coordinator."""

    id: int
    waited: float
    """Seconds the call waited for rate limits (not for a place), for the item's record."""


@dataclass(frozen=True, slots=True)
class Refused:
    """The provider kept rate-limiting past its patience: the attempt must give up."""

    message: str
    status_code: int = 429


@dataclass(slots=True)
class _Held:
    worker: str
    provider: str
    counted: tuple[int, float]


@dataclass(slots=True)
class _Reserved:
    by_worker: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)


class Coordinator:
    """The run's provider gates and budget, shared by every worker (a Ray actor).

    Args:
        config: the project config (providers and their limits).
        concurrency: the run's ``--concurrency``.
        rate_limit_patience: overrides every provider's patience.
        max_cost: the run's ``--max-cost``.
        spec_limits: each spec's ``max_cost``.
    """

    def __init__(
        self,
        config: ProjectConfig,
        *,
        concurrency: RunConcurrency,
        rate_limit_patience: float | None,
        max_cost: float | None,
        spec_limits: Mapping[str, float],
    ) -> None:
        self.pool = Pool(
            config,
            Recorder(Path("."), "off"),
            concurrency=concurrency,
            rate_limit_patience=rate_limit_patience,
        )
        self.budget = Budget(max_cost, dict(spec_limits))
        self._ids = itertools.count(1)
        self._held: dict[int, _Held] = {}
        self._reserved = _Reserved()
        self.peak: dict[str, int] = {}

    async def enter(self, worker: str, provider: str, tokens: int, model: str) -> Ticket | Refused:
        """Wait for a place in flight and for the provider's limits; the place is held
        until :meth:`leave`."""
        gate = self.pool.gate(provider)
        if gate.shared is not None:
            await gate.shared.acquire()
        await gate.limit.acquire()
        self.peak[provider] = max(self.peak.get(provider, 0), gate.limit.in_flight)
        waited_before = gate.waited
        try:
            await gate._admit(tokens, model, 0)
        except RateLimitError as exc:
            self._release(gate)
            return Refused(str(exc))
        except BaseException:
            self._release(gate)
            raise
        gate._started += 1
        gate._started_tokens += tokens
        ticket = next(self._ids)
        self._held[ticket] = _Held(worker, provider, (gate._started, gate._started_tokens))
        return Ticket(ticket, gate.waited - waited_before)

    async def leave(
        self,
        ticket: int,
        latency: float | None,
        rate_limits: RateLimits | None,
        limited_after: float | bool | None = False,
    ) -> None:
        """An attempt ended: ``latency`` set when it succeeded; ``limited_after`` is the
        ``retry-after`` (or None) of a 429, False for any other failure."""
        held = self._held.pop(ticket, None)
        if held is None:  # its worker was forgotten already
            return
        gate = self.pool.gate(held.provider)
        gate.calls += 1
        if latency is not None:
            gate._succeeded(Response("", rate_limits=rate_limits), latency, held.counted)
        self._release(gate)
        if latency is None and limited_after is not False:
            error = RateLimitError("rate limited", provider=held.provider, status_code=429)
            error.retry_after = limited_after if isinstance(limited_after, float) else None
            error.rate_limits = rate_limits
            gate._limited(error, held.counted)

    @staticmethod
    def _release(gate: ProviderGate) -> None:
        gate.limit.release()
        if gate.shared is not None:
            gate.shared.release()

    async def reserve(self, worker: str, spec: str, model: str, estimate: float) -> bool:
        """The run budget's :meth:`~harness.runner.budget.Budget.reserve`, for a worker."""
        ok = await self.budget.reserve(spec, model, estimate)
        if ok:
            self._reserved.by_worker.setdefault(worker, []).append((spec, model, estimate))
        return ok

    async def settle(
        self, worker: str, spec: str, model: str, estimate: float, actual: float | None
    ) -> None:
        """The run budget's :meth:`~harness.runner.budget.Budget.settle`, for a worker."""
        held = self._reserved.by_worker.get(worker, [])
        if (spec, model, estimate) in held:
            held.remove((spec, model, estimate))
        self.budget.settle(spec, model, estimate, actual)

    async def forget(self, worker: str) -> int:
        """Give back every place and reservation a dead worker held; how many places."""
        dropped = [t for t, h in self._held.items() if h.worker == worker]
        for ticket in dropped:
            held = self._held.pop(ticket)
            self._release(self.pool.gate(held.provider))
        for spec, model, estimate in self._reserved.by_worker.pop(worker, []):
            self.budget.settle(spec, model, estimate, None)
        return len(dropped)

    async def report(self) -> dict[str, Any]:
        """Per provider: calls, most in flight at once, 429s; and the money spent."""
        return {
            "providers": {
                name: {"calls": g.calls, "peak": self.peak.get(name, 0), "429s": g.rate_limited}
                for name, g in self.pool._gates.items()
            },
            "spent": self.budget.spent,
        }


class RemoteGate(ProviderGate):
    """A worker's gate for one provider: every attempt takes its place from the coordinator.

    Same loop as :meth:`ProviderGate.call`: 429s pause the provider (at the coordinator)
    and go round again; other transient errors get ``max_retries`` retries with backoff.
    """

    def __init__(self, *args: Any, coordinator: Any, worker: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.coordinator = coordinator
        self.worker = worker

    async def call(
        self, send: Callable[[], Awaitable[Response]], *, tokens: int = 0, model: str = ""
    ) -> Response:
        """One call with the run-wide limits (see the class doc)."""
        retries = transient = 0
        while True:
            asked = time.perf_counter()
            granted = await self.coordinator.enter.remote(self.worker, self.provider, tokens, model)
            if isinstance(granted, Refused):
                error = RateLimitError(
                    granted.message.partition(": ")[2] or granted.message,
                    provider=self.provider,
                    model=model,
                    status_code=granted.status_code,
                )
                error.retries = max(retries - 1, 0)
                raise error
            note_wait(time.perf_counter() - asked)
            if granted.waited > 0.0005:
                self.waited += granted.waited
                tally = _WAITS.get()
                if tally is not None:
                    tally.seconds += granted.waited
            begun = time.perf_counter()
            try:
                response = await send()
            except ProviderError as exc:
                failed = exc
            except BaseException:
                self.coordinator.leave.remote(granted.id, None, None, False)
                raise
            else:
                latency = time.perf_counter() - begun
                self.coordinator.leave.remote(granted.id, latency, response.rate_limits)
                self.calls += 1
                return replace(response, retries=retries) if retries else response
            self.calls += 1
            if is_rate_limited(failed):
                self.rate_limited += 1
                after = None if failed.retry_after is None else float(failed.retry_after)
                limits = failed.rate_limits if isinstance(failed.rate_limits, RateLimits) else None
                self.coordinator.leave.remote(granted.id, None, limits, after)
            else:
                self.coordinator.leave.remote(granted.id, None, None, False)
                if failed.retryable and transient < self.max_retries:
                    transient += 1
                    await self.sleep(self._backoff(transient, failed))
                else:
                    failed.retries = max(failed.retries, retries)
                    raise failed
            retries += 1


class RemotePool(Pool):
    """A worker's pool: its drivers are its own, its gates ask the coordinator."""

    def __init__(self, *args: Any, coordinator: Any, worker: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.coordinator = coordinator
        self.worker = worker

    def gate(self, provider: str) -> ProviderGate:
        """The provider's :class:`RemoteGate`, created on first use."""
        gate = self._gates.get(provider)
        if gate is None:
            settings = self.settings(provider)
            gate = RemoteGate(
                provider,
                self.plan(provider),
                max_retries=settings.max_retries,
                base_delay=float(settings.options.get("retry_base_delay", BASE_DELAY)),
                coordinator=self.coordinator,
                worker=self.worker,
            )
            self._gates[provider] = gate
        return gate


@dataclass(slots=True)
class RemoteBudget(Budget):
    """A worker's view of the run's budget: reservations go to the coordinator."""

    coordinator: Any = None
    worker: str = ""

    async def reserve(self, spec: str, model: str, estimate: float) -> bool:
        """Reserve at the coordinator (waits there while calls in flight may leave room)."""
        ok: bool = await self.coordinator.reserve.remote(self.worker, spec, model, estimate)
        return ok

    def settle(self, spec: str, model: str, estimate: float, actual: float | None) -> None:
        """Settle at the coordinator; keep this model's mean cost for local estimates."""
        if actual is not None:
            total, count = self._mean.get(model, (0.0, 0))
            self._mean[model] = (total + actual, count + 1)
        self.coordinator.settle.remote(self.worker, spec, model, estimate, actual)
