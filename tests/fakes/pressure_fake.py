"""An OpenAI-compatible fake that pushes back like a real provider: rate limits, latency,
a limited number of workers, and 429 storms.

Server ``options`` (all optional):

- ``rps``: requests per second, a token bucket holding ``burst`` (default ``rps``) requests;
- ``tpm``: tokens per minute, a token bucket holding one second's worth
  (``tpm / 60``); a request costs its prompt's tokens (characters / 4) plus ``max_tokens``,
  as OpenAI reserves them;
- ``latency``: seconds each answer takes; ``workers``: answers computed at once (more
  requests queue, so latency grows once more than ``workers`` are in flight);
- ``storm_every`` / ``storm_for``: every ``storm_every`` seconds, reject everything for
  ``storm_for`` seconds (a provider that rate-limits in bursts), timed from when the
  fake was set up, or with ``storm_from: first`` from its first request (so a test on a
  loaded machine still meets the storm however late its first call comes);
- ``headers``: send ``x-ratelimit-*`` budget headers (default true).

Beyond a bucket the answer is a 429 with ``retry-after`` (whole seconds, rounded up),
``retry-after-ms`` and the ``x-ratelimit-*`` headers, like OpenAI's. ``GET /stats``
returns what was accepted, rejected and when, for benchmarks that run the fake in a
subprocess::

    python -m tests.fakes.pressure_fake --rps 50 --burst 50        # prints its base URL
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import openai_fake
from tests.fakes.server import FakeServer, ReceivedRequest, Reply


@dataclass
class Bucket:
    """A token bucket: ``rate`` units a second, holding ``capacity`` at most."""

    rate: float
    capacity: float
    level: float = -1.0
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.level < 0:
            self.level = self.capacity

    def refill(self, now: float) -> None:
        """Add what accrued since the last look."""
        self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
        self.at = now

    def wait_for(self, units: float) -> float:
        """Seconds until ``units`` fit (0 when they fit now)."""
        units = min(units, self.capacity)
        return max(units - self.level, 0.0) / self.rate

    def reset(self) -> float:
        """Seconds until the bucket is full again."""
        return (self.capacity - self.level) / self.rate


@dataclass
class PressureStats:
    """What the fake saw: accepted and rejected calls, per second since the first call."""

    accepted: int = 0
    rejected: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    first: float | None = None
    last: float | None = None
    started: float = 0.0
    """When the fake was set up: storms are timed from here."""
    per_second: dict[int, int] = field(default_factory=dict)
    rejected_per_second: dict[int, int] = field(default_factory=dict)

    def count(self, now: float, *, accepted: bool) -> None:
        """Count one call arriving at ``now``."""
        if self.first is None:
            self.first = now
        self.last = now
        second = int(now - self.first)
        if accepted:
            self.accepted += 1
            self.per_second[second] = self.per_second.get(second, 0) + 1
        else:
            self.rejected += 1
            self.rejected_per_second[second] = self.rejected_per_second.get(second, 0) + 1

    def as_json(self) -> dict[str, Any]:
        """The numbers as JSON (for ``GET /stats``)."""
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "max_in_flight": self.max_in_flight,
            "first": self.first,
            "last": self.last,
            "per_second": [
                self.per_second.get(s, 0) for s in range(max(self.per_second, default=-1) + 1)
            ],
        }


def _duration(seconds: float) -> str:
    """A Go-style duration as OpenAI writes it: ``20ms``, ``1.5s``, ``1m2s``."""
    if seconds < 1:
        return f"{max(seconds * 1000, 0):.0f}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    return f"{int(seconds // 60)}m{seconds % 60:.0f}s"


def cost(body: dict[str, Any]) -> int:
    """Tokens a request reserves: its prompt (characters / 4) plus ``max_tokens``."""
    chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    return chars // 4 + int(body.get("max_tokens") or 16)


def setup(server: FakeServer) -> None:
    """Register Chat Completions behind the rate limits, latency and workers in ``options``."""
    opts = server.options
    rps, tpm = opts.get("rps"), opts.get("tpm")
    requests = Bucket(float(rps), float(opts.get("burst") or rps)) if rps else None
    tokens = Bucket(float(tpm) / 60.0, float(tpm) / 60.0) if tpm else None
    workers = asyncio.Semaphore(int(opts["workers"])) if opts.get("workers") else None
    latency = float(opts.get("latency") or 0.0)
    storm_every, storm_for = float(opts.get("storm_every") or 0), float(opts.get("storm_for") or 0)
    send_headers = bool(opts.get("headers", True))
    stats = PressureStats()
    server.stats = stats  # type: ignore[attr-defined]
    started = stats.started = time.monotonic()
    storm_from_first = opts.get("storm_from") == "first"

    def budget_headers() -> dict[str, str]:
        if not send_headers:
            return {}
        out: dict[str, str] = {}
        if requests is not None:
            out["x-ratelimit-limit-requests"] = str(int(requests.capacity))
            out["x-ratelimit-remaining-requests"] = str(int(requests.level))
            out["x-ratelimit-reset-requests"] = _duration(requests.reset())
        if tokens is not None:
            out["x-ratelimit-limit-tokens"] = str(int(tokens.capacity))
            out["x-ratelimit-remaining-tokens"] = str(int(tokens.level))
            out["x-ratelimit-reset-tokens"] = _duration(tokens.reset())
        return out

    def too_many(wait: float, what: str) -> Reply:
        headers = {
            "retry-after": str(max(math.ceil(wait), 1)),
            "retry-after-ms": f"{max(wait * 1000, 1):.0f}",
            **budget_headers(),
        }
        error = {
            "message": f"Rate limit reached for {what}",
            "type": "requests",
            "code": "rate_limit_exceeded",
        }
        return Reply(json={"error": error}, status=429, headers=headers)

    async def chat(request: ReceivedRequest, srv: FakeServer) -> Reply:
        nonlocal started
        now = time.monotonic()
        body = request.json or {}
        if storm_from_first and stats.first is None:
            started = stats.started = now
        if storm_every and (now - started) % storm_every < storm_for:
            stats.count(now, accepted=False)
            return too_many(storm_for - (now - started) % storm_every, "requests (storm)")
        need = float(cost(body))
        for bucket in (requests, tokens):
            if bucket is not None:
                bucket.refill(now)
        if requests is not None and requests.level < 1:
            stats.count(now, accepted=False)
            return too_many(requests.wait_for(1), "requests per second")
        if tokens is not None and tokens.level < min(need, tokens.capacity):
            stats.count(now, accepted=False)
            return too_many(tokens.wait_for(need), "tokens per minute")
        if requests is not None:
            requests.level -= 1
        if tokens is not None:
            tokens.level -= min(need, tokens.capacity)
        stats.count(now, accepted=True)
        headers = budget_headers()
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            if workers is not None:
                async with workers:
                    await asyncio.sleep(latency)
            elif latency:
                await asyncio.sleep(latency)
            reply = await openai_fake.chat(request, srv)
        finally:
            stats.in_flight -= 1
        return Reply(json=reply.json, status=reply.status, headers={**reply.headers, **headers})

    async def stats_route(request: ReceivedRequest, srv: FakeServer) -> Reply:
        return Reply(json=stats.as_json())

    server.route("POST", "/v1/chat/completions", chat)
    server.route("GET", "/stats", stats_route)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until killed; prints the base URL on the first line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("rps", "burst", "tpm", "latency", "workers", "storm-every", "storm-for"):
        parser.add_argument(f"--{name}", type=float)
    parser.add_argument("--no-headers", action="store_true")
    args = parser.parse_args(argv)
    options = {k: v for k, v in vars(args).items() if v is not None and k != "no_headers"}
    options["headers"] = not args.no_headers
    if "workers" in options:
        options["workers"] = int(options["workers"])

    async def serve() -> None:
        server = FakeServer(setup, options=options)
        url = await server.start()
        print(url, flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
