"""The provider gate: the one place that owns the pressure put on a provider.

Every attempt at a call, first or retried, passes its provider's gate::

    place in flight (ConcurrencyLimit) -> configured RPM/TPM -> pause after a 429
        -> pacing from the reported budgets (Allowance) -> the driver's one attempt

A 429 (or a 503 that says when to come back) pauses the whole provider until its
``retry-after`` passes instead of each call sleeping on its own and all of them
stampeding back; the attempt then queues again like any other. Such retries are bounded
by time, the provider's ``rate_limit_patience``: once the provider has answered nothing
but rate limits for that long, the waiting items end as errors that say so. Other
transient errors (5xx, timeouts, dropped connections) get ``max_retries`` retries with
jittered backoff, each again through the gate.

How long each item waited for rate limits is added up in :func:`track_waits`, which the
runner wraps around an item.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Protocol

from aiolimiter import AsyncLimiter

from harness.config import DEFAULT_PATIENCE
from harness.drivers.base import Response
from harness.drivers.ratelimits import RateLimits
from harness.drivers.retry import (
    BASE_DELAY,
    MAX_DELAY,
    MAX_RETRY_AFTER,
    is_rate_limited,
    transient_delay,
)
from harness.errors import ProviderError, RateLimitError
from harness.hooks import note_wait
from harness.runner.concurrency import ConcurrencyLimit, ConcurrencyPlan
from harness.runner.pacing import Allowance


class _HasWait(Protocol):
    rate_limit_wait_ms: float | None


@dataclass(slots=True)
class _Tally:
    seconds: float = 0.0


_WAITS: ContextVar[_Tally | None] = ContextVar("harness_rate_limit_waits", default=None)


@contextlib.contextmanager
def track_waits(record: _HasWait) -> Iterator[None]:
    """Add up the rate-limit waits of the calls made inside; written to
    ``record.rate_limit_wait_ms`` on the way out (errors included)."""
    tally = _Tally()
    token = _WAITS.set(tally)
    try:
        yield
    finally:
        _WAITS.reset(token)
        record.rate_limit_wait_ms = round(tally.seconds * 1000.0, 3) if tally.seconds else 0.0


def format_patience(seconds: float) -> str:
    """``10 minutes``, ``90 seconds``, ``1.5 minutes``."""
    if seconds < 120:
        return f"{seconds:g} seconds"
    return f"{seconds / 60:g} minutes"


@dataclass(slots=True)
class GateStats:
    """What the progress line shows for a provider."""

    provider: str
    concurrency: int
    cap: int
    adaptive: bool
    in_flight: int
    calls: int
    rate_limited: int
    waited: float


class ProviderGate:
    """Pressure on one provider: concurrency, RPM/TPM, pauses, pacing and retries.

    Args:
        provider: the provider's name (for messages).
        plan: its concurrency (fixed, or adaptive within a cap).
        requests_per_minute: a configured RPM limit, if any.
        tokens_per_minute: a configured TPM limit, if any.
        patience: seconds of nothing but rate limits before giving up.
        max_retries: retries of other transient errors.
        base_delay: first backoff ceiling (seconds) for those.
        replay: answers come from cassettes: no pauses, no pacing, no adapting.
        shared: a run-wide semaphore taken before the provider's own limit.
        sleep: how to wait (tests pass a fast one).
        clock: monotonic seconds.
    """

    def __init__(
        self,
        provider: str,
        plan: ConcurrencyPlan,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        patience: float = DEFAULT_PATIENCE,
        max_retries: int = 4,
        base_delay: float = BASE_DELAY,
        replay: bool = False,
        shared: asyncio.Semaphore | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.plan = plan
        self.limit = ConcurrencyLimit(plan, adaptive=plan.adaptive and not replay)
        self.rpm = AsyncLimiter(requests_per_minute, 60.0) if requests_per_minute else None
        self.tpm = AsyncLimiter(tokens_per_minute, 60.0) if tokens_per_minute else None
        self.patience = patience
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.replay = replay
        self.shared = shared
        self.sleep = sleep
        self.clock = clock
        self.requests = Allowance()
        self.tokens = Allowance()
        self._pace = asyncio.Lock()
        self._paused_until = 0.0
        self._limited_since: float | None = None  # first 429 since the last success
        self._limited_streak = 0
        self._started = 0
        self._started_tokens = 0.0
        self.calls = 0
        self.rate_limited = 0
        self.waited = 0.0

    # ------------------------------------------------------------------ public

    def stats(self) -> GateStats:
        """The provider's state for the progress line."""
        return GateStats(
            self.provider,
            self.limit.limit,
            self.limit.cap,
            self.limit.adaptive,
            self.limit.in_flight,
            self.calls,
            self.rate_limited,
            self.waited,
        )

    async def call(
        self, send: Callable[[], Awaitable[Response]], *, tokens: int = 0, model: str = ""
    ) -> Response:
        """Make one call through the gate, retrying as the module doc says.

        Args:
            send: makes one attempt (the driver's ``complete`` with no retries of its own).
            tokens: the call's estimated tokens (for TPM limits and token budgets).
            model: the model name, for the give-up message.

        Raises:
            RateLimitError: the provider kept rate-limiting past the patience.
            ProviderError: a non-retryable error, or a transient one past ``max_retries``.
        """
        retries = transient = 0
        while True:
            error: ProviderError | None = None
            asked = time.perf_counter()
            async with self._place():
                await self._admit(tokens, model, retries)
                # hooks and logs report every wait for limits (places and rate limits)
                note_wait(time.perf_counter() - asked)
                self._started += 1
                self._started_tokens += tokens
                counted = (self._started, self._started_tokens)
                begun = time.perf_counter()
                try:
                    response = await send()
                except ProviderError as exc:
                    error = exc
                else:
                    self._succeeded(response, time.perf_counter() - begun, counted)
                    return replace(response, retries=retries) if retries else response
                finally:
                    self.calls += 1
            assert error is not None
            if is_rate_limited(error):
                self._limited(error, counted)
            elif error.retryable and transient < self.max_retries:
                transient += 1
                await self.sleep(self._backoff(transient, error))
            else:
                error.retries = max(error.retries, retries)
                raise error
            retries += 1

    # ------------------------------------------------------------------ internals

    @contextlib.asynccontextmanager
    async def _place(self) -> AsyncIterator[None]:
        if self.shared is not None:
            await self.shared.acquire()
        try:
            await self.limit.acquire()
            try:
                yield
            finally:
                self.limit.release()
        finally:
            if self.shared is not None:
                self.shared.release()

    async def _admit(self, tokens: int, model: str, retries: int) -> None:
        """Wait until the provider may take one more call; the wait counts as rate-limited."""
        start = self.clock()
        if self.rpm is not None:
            await self.rpm.acquire()
        if self.tpm is not None:
            await self.tpm.acquire(min(float(tokens), self.tpm.max_rate))
        if self._limited_since is not None or (
            not self.replay
            and (self._paused_until > start or self.requests.known or self.tokens.known)
        ):
            async with self._pace:
                while True:
                    now = self.clock()
                    self._check_patience(now, model, retries)
                    wait = max(
                        self._paused_until - now,
                        self.requests.wait(now, self._started, 1.0),
                        self.tokens.wait(now, self._started_tokens, float(tokens)),
                    )
                    if wait <= 0:
                        break
                    if self._limited_since is not None:  # look at the patience on time
                        wait = min(wait, self._limited_since + self.patience - now + 0.001)
                    await self.sleep(wait)
        waited = self.clock() - start
        if waited > 0.0005:
            self.waited += waited
            tally = _WAITS.get()
            if tally is not None:
                tally.seconds += waited

    def _succeeded(self, response: Response, latency: float, counted: tuple[int, float]) -> None:
        self._limited_since = None
        self._limited_streak = 0
        if not self.replay:
            self.limit.record(latency)
            if response.rate_limits is not None:
                self._learn(response.rate_limits, counted)

    def _limited(self, error: ProviderError, counted: tuple[int, float]) -> None:
        """A 429: pause the provider, shrink its concurrency, remember since when."""
        self.rate_limited += 1
        now = self.clock()
        if self._limited_since is None:
            self._limited_since = now
        self._limited_streak += 1
        if self.replay:
            return
        self.limit.rate_limited()
        limits = error.rate_limits if isinstance(error.rate_limits, RateLimits) else None
        if limits is not None:
            self._learn(limits, counted)
        if error.retry_after is not None:
            pause = min(float(error.retry_after), MAX_RETRY_AFTER)
        else:  # no hint: back off the whole provider, longer while the 429s keep coming
            ceiling = min(MAX_DELAY, self.base_delay * 2 ** min(self._limited_streak - 1, 8))
            pause = random.uniform(ceiling / 2, ceiling)
        self._paused_until = max(self._paused_until, now + pause)

    def _learn(self, limits: RateLimits, counted: tuple[int, float]) -> None:
        now = self.clock()
        self.requests.update(
            limit=limits.requests_limit,
            remaining=limits.requests_remaining,
            reset=limits.requests_reset,
            now=now,
            counted=counted[0],
        )
        self.tokens.update(
            limit=limits.tokens_limit,
            remaining=limits.tokens_remaining,
            reset=limits.tokens_reset,
            now=now,
            counted=counted[1],
        )

    def _check_patience(self, now: float, model: str, retries: int) -> None:
        since = self._limited_since
        if since is None or now - since < self.patience:
            return
        error = RateLimitError(
            f"rate limited: the provider kept rate-limiting for "
            f"{format_patience(now - since)} with no call getting through (patience "
            f"{format_patience(self.patience)}); raise rate_limit_patience for provider "
            f"{self.provider!r} in harness.yaml, or pass --rate-limit-patience 30m, "
            "and continue with harness run --resume",
            provider=self.provider,
            model=model,
            status_code=429,
        )
        error.retries = max(retries - 1, 0)  # ``retries`` failed attempts were made
        raise error

    def _backoff(self, retry: int, error: ProviderError) -> float:
        delay = transient_delay(retry, base_delay=self.base_delay)
        if error.retry_after is not None:
            delay = max(delay, min(float(error.retry_after), MAX_RETRY_AFTER))
        return delay
