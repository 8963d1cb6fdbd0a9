"""How many calls a provider may have in flight: a fixed number, or adapted to it.

Which one a provider gets (:func:`plan_concurrency`):

1. its own ``concurrency: N`` in harness.yaml: fixed at N (capped by ``--concurrency N``);
2. its own ``concurrency: auto``: adaptive, up to ``--concurrency N`` or :data:`AUTO_CAP`;
3. ``--concurrency auto``: adaptive, up to :data:`AUTO_CAP`;
4. ``--concurrency N`` or ``defaults.concurrency: N``: fixed at N (as before);
5. nothing said: adaptive for remote providers, fixed at :data:`LOCAL_CONCURRENCY` for
   local ones (ollama, llama.cpp, or a ``base_url`` on this machine).

Adaptive means AIMD, as TCP does it: start at :data:`AUTO_START`, double each round
trip while latency holds and no 429 comes (slow start), then grow by a little each
round trip; halve on a 429 (once per round trip) and shrink in proportion when the
round trip's mean latency rises past :data:`LATENCY_TOLERANCE` times the best seen.
The round trip after a cut gives no verdict: its calls were sent under the old limit.
A provider that slows down as more calls pile up thus settles near the concurrency it
can actually serve.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from harness.config import ProjectConfig
from harness.drivers.base import ProviderSettings

RunConcurrency = int | Literal["auto"] | None
"""The run's ``--concurrency``: a number, ``"auto"``, or None when nothing was said."""

AUTO_CAP = 64
"""Most calls in flight an adaptive provider grows to unless ``--concurrency N`` says."""
AUTO_START = 8
"""Calls in flight an adaptive provider starts with."""
LOCAL_CONCURRENCY = 16
"""Calls in flight for a local provider when nothing is configured (the old default)."""
LATENCY_TOLERANCE = 1.25
"""A round trip this many times slower than the best one seen means the provider queues."""
LATENCY_FLOOR = 0.02
"""Seconds; latency rises smaller than this are noise (loopback servers), never a signal."""
BASELINE_DRIFT = 1.005
"""Per round trip, the best latency seen may rise this much towards what is measured now,
so a suite whose later prompts are simply longer does not read as a queueing provider."""

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


@dataclass(frozen=True, slots=True)
class ConcurrencyPlan:
    """A provider's limit: ``cap`` calls in flight at most; ``adaptive`` starts lower."""

    cap: int
    adaptive: bool = False

    @property
    def start(self) -> int:
        """The limit the provider starts with."""
        return min(AUTO_START, self.cap) if self.adaptive else self.cap

    def describe(self) -> str:
        """``auto <= 64`` or ``16``."""
        return f"auto <= {self.cap}" if self.adaptive else str(self.cap)


def is_local(settings: ProviderSettings) -> bool:
    """Whether a provider runs on this machine (no remote rate limits to adapt to)."""
    if settings.type in ("ollama", "llamacpp"):
        return True
    if not settings.base_url:
        return False
    host = (urlsplit(settings.base_url).hostname or "").lower()
    return host in _LOCAL_HOSTS or host.endswith(".localhost")


def configured_concurrency(config: ProjectConfig) -> int | None:
    """``defaults.concurrency`` when harness.yaml sets it, else None (nothing was said)."""
    defaults = config.defaults
    return defaults.concurrency if "concurrency" in defaults.model_fields_set else None


def plan_concurrency(settings: ProviderSettings, run: RunConcurrency) -> ConcurrencyPlan:
    """The provider's concurrency under the run's ``--concurrency`` (rules in the module doc)."""
    own = settings.concurrency
    run_cap = run if isinstance(run, int) else None
    if isinstance(own, int):
        return ConcurrencyPlan(min(own, run_cap) if run_cap else own)
    if own == "auto":
        return ConcurrencyPlan(run_cap or AUTO_CAP, adaptive=True)
    if run == "auto":
        return ConcurrencyPlan(AUTO_CAP, adaptive=True)
    if run_cap is not None:
        return ConcurrencyPlan(run_cap)
    if is_local(settings):
        return ConcurrencyPlan(LOCAL_CONCURRENCY)
    return ConcurrencyPlan(AUTO_CAP, adaptive=True)


class ConcurrencyLimit:
    """A semaphore whose size can change while calls wait on it (FIFO).

    Fixed plans keep ``limit == cap``. Adaptive ones move ``limit`` within 1..cap from
    what :meth:`record` (a call's latency) and :meth:`rate_limited` (a 429) report.
    """

    def __init__(self, plan: ConcurrencyPlan, *, adaptive: bool | None = None) -> None:
        self.cap = plan.cap
        self.adaptive = plan.adaptive if adaptive is None else adaptive
        self.limit = plan.start if self.adaptive else plan.cap
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._slow_start = True
        self._baseline: float | None = None
        self._window_n = 0
        self._window_sum = 0.0
        self._window_peak = 0
        self._window_limited = False
        self._settling = False  # the round trip after a cut still carries the old load
        self.history: list[int] = []
        """The limit after each round trip (adaptive only): benchmarks read how it settled."""

    async def acquire(self) -> None:
        """Wait for a place in flight."""
        if self.in_flight < self.limit and not self._waiters:
            self._take()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted just as we were cancelled: give it back
            else:
                self._waiters.remove(waiter)
            raise

    def _take(self) -> None:
        self.in_flight += 1
        if self.in_flight > self._window_peak:
            self._window_peak = self.in_flight

    def release(self) -> None:
        """Give a place back and let the next waiters in."""
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._take()
                waiter.set_result(None)

    # adapting

    def record(self, latency: float) -> None:
        """A call succeeded after ``latency`` seconds; every ``limit`` calls is a round trip."""
        if not self.adaptive:
            return
        self._window_n += 1
        self._window_sum += latency
        if self._window_n >= self.limit:
            self._end_round_trip()

    def rate_limited(self) -> None:
        """A 429: halve the limit, at most once per round trip."""
        if not self.adaptive or self._window_limited:
            return
        self._window_limited = True
        self._slow_start = False
        self.limit = max(1, self.limit // 2)

    def _end_round_trip(self) -> None:
        mean = self._window_sum / self._window_n
        best = self._baseline
        rose = False
        if best is None or mean < best:
            self._baseline = mean
        else:
            rose = mean > best * LATENCY_TOLERANCE and mean - best > LATENCY_FLOOR
            self._baseline = min(mean, best * BASELINE_DRIFT)
        if self._window_limited:
            self._settling = True  # already halved in this round trip
        elif self._settling:
            self._settling = False  # its calls were sent under the old limit: no verdict
        elif rose and best is not None:
            self._slow_start = False
            self._settling = True
            self.limit = max(1, int(self.limit * max(0.5, best / mean)))
        elif self._window_peak >= self.limit:  # grow only a limit that was used
            if self._slow_start:
                self.limit = min(self.cap, self.limit * 2)
            else:
                self.limit = min(self.cap, self.limit + max(1, self.limit // 16))
        self._window_n = 0
        self._window_sum = 0.0
        self._window_peak = self.in_flight
        self._window_limited = False
        self.history.append(self.limit)
        self._wake()
