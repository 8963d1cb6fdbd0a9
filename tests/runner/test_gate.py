"""The provider gate: every attempt through one place that owns the pressure on a provider."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest

from harness.config import ProjectConfig
from harness.drivers.base import Message, ProviderSettings, Request, Response
from harness.errors import RateLimitError, ServerError
from harness.runner.concurrency import ConcurrencyLimit, ConcurrencyPlan, plan_concurrency
from harness.runner.gate import ProviderGate, track_waits
from harness.runner.pool import Pool
from harness.store.records import ResultRecord
from tests.fakes import pressure_fake
from tests.fakes.server import FakeServer
from tests.runner.fakes import Drivers, echo


class _Passthrough:
    mode = "off"
    active = False

    def wrap(self, transport: object) -> object:
        return transport


def _request(i: int) -> Request:
    return Request(
        model="fake-model", messages=(Message("user", f"item {i}"),), params={"max_tokens": 4}
    )


def _pool(tmp_path: Path, url: str, concurrency: int | str | None, **settings: object) -> Pool:
    provider = ProviderSettings(
        name="p",
        type="openai",
        base_url=url + "/v1",
        options={"retry_base_delay": 0.01},
        **settings,  # type: ignore[arg-type]
    )
    config = ProjectConfig(root=tmp_path, path=None, providers={"p": provider})
    return Pool(config, _Passthrough(), concurrency=concurrency)  # type: ignore[arg-type]


async def _run_all(pool: Pool, n: int) -> list[Response | BaseException]:
    try:
        return await asyncio.gather(
            *(pool.complete("p:fake-model", _request(i)) for i in range(n)), return_exceptions=True
        )
    finally:
        await pool.aclose()


async def test_a_429_storm_pauses_the_whole_provider(tmp_path: Path) -> None:
    # every 0.4 s the provider rejects everything for 0.15 s; 32 calls in flight
    options = {"storm_every": 0.4, "storm_for": 0.15}
    async with FakeServer(pressure_fake.setup, options=options) as server:
        pool = _pool(tmp_path, server.base_url, 32)
        start = time.monotonic()
        results = await _run_all(pool, 400)
        elapsed = time.monotonic() - start
        stats = server.stats  # type: ignore[attr-defined]
    assert all(isinstance(r, Response) for r in results), [
        r for r in results if not isinstance(r, Response)
    ][:3]
    storms = int(elapsed / 0.4) + 1
    # a 429 pauses every call until the storm is over: only the calls already on their
    # way are rejected, not a fresh wave from each item backing off on its own
    assert stats.rejected <= storms * 32 + 32, (stats.rejected, storms)
    assert pool.stats()[0].rate_limited == stats.rejected


async def test_retries_of_other_errors_pass_the_rate_limiter_too(config: ProjectConfig) -> None:
    # each request fails once with a 500: 6 items are 12 attempts, and a limit of 10 a
    # minute must hold the 11th attempt back, retried or not
    seen: set[str] = set()

    def script(request: Request) -> Response | Exception:
        text = request.messages[-1].text
        if text not in seen:
            seen.add(text)
            return ServerError("boom", provider="fake", model="m", status_code=500)
        return echo(request)

    limited = replace(
        config.providers["fake"], requests_per_minute=10, options={"retry_base_delay": 0.001}
    )
    config = replace(config, providers={**config.providers, "fake": limited})
    drivers = Drivers({"fake": script})
    pool = Pool(config, _Passthrough(), concurrency=8, driver_factory=drivers)  # type: ignore[arg-type]
    calls = [
        pool.complete("fake:m", Request(model="m", messages=(Message("user", f"w{i}"),)))
        for i in range(6)
    ]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*calls), 0.5)
    assert len(drivers.made["fake"].calls) == 10
    await pool.aclose()


async def test_pacing_from_the_budget_headers_keeps_calls_per_second_at_the_limit(
    tmp_path: Path,
) -> None:
    # 40 requests a second (a bucket of 10), 64 in flight, and the first 30 calls fail with
    # a 500 and are retried: the server sees no second with more than the bucket allows
    options = {"rps": 40, "burst": 10}
    async with FakeServer(pressure_fake.setup, options=options) as server:
        server.faults.status(500, times=30)
        pool = _pool(tmp_path, server.base_url, 64)
        results = await _run_all(pool, 160)
        stats = server.stats  # type: ignore[attr-defined]
    assert all(isinstance(r, Response) for r in results)
    assert stats.accepted == 160
    assert max(stats.per_second.values()) <= 40 + 10 + 2  # the rate, the bucket, rounding
    assert stats.rejected < 0.2 * (stats.accepted + stats.rejected), stats.rejected


async def test_patience_running_out_ends_items_with_a_message_that_says_so(tmp_path: Path) -> None:
    options = {"storm_every": 1000, "storm_for": 1000}  # nothing ever gets through
    async with FakeServer(pressure_fake.setup, options=options) as server:
        pool = _pool(tmp_path, server.base_url, 4, rate_limit_patience=0.5)
        start = time.monotonic()
        results = await _run_all(pool, 12)
        elapsed = time.monotonic() - start
    assert all(isinstance(r, RateLimitError) for r in results)
    message = str(results[0])
    assert "kept rate-limiting for" in message and "patience 0.5 seconds" in message
    assert "rate_limit_patience" in message and "--rate-limit-patience" in message
    assert elapsed < 5, "the retry-after (1000 s, capped at 120 s) must not outlast the patience"


async def test_waits_are_added_up_per_item(tmp_path: Path) -> None:
    # the first 0.3 s after the first call are a storm
    options = {"storm_every": 1000, "storm_for": 0.3, "storm_from": "first"}
    async with FakeServer(pressure_fake.setup, options=options) as server:
        pool = _pool(tmp_path, server.base_url, 4)
        record = ResultRecord("r", "i", "s", "c", "p:fake-model", 1, "error")
        with track_waits(record):
            await pool.complete("p:fake-model", _request(1))
        await pool.aclose()
        stats = server.stats  # type: ignore[attr-defined]
    told = (0.3 - (stats.first - stats.started)) * 1000  # the 429's retry-after-ms
    assert stats.rejected == 1 and told > 0
    assert record.rate_limit_wait_ms is not None
    assert 0.9 * told <= record.rate_limit_wait_ms <= told + 1000


async def test_a_gate_never_exceeds_its_fixed_concurrency() -> None:
    gate = ProviderGate("p", ConcurrencyPlan(3))
    in_flight = peak = 0

    async def send() -> Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return Response(text="ok")

    await asyncio.gather(*(gate.call(send) for _ in range(30)))
    assert peak == 3
    assert gate.calls == 30


# adaptive concurrency


def test_auto_is_the_default_for_remote_providers_only() -> None:
    remote = ProviderSettings(name="o", type="openai", base_url="https://api.openai.com/v1")
    local = ProviderSettings(name="l", type="openai", base_url="http://127.0.0.1:8080/v1")
    assert plan_concurrency(remote, None) == ConcurrencyPlan(64, adaptive=True)
    assert plan_concurrency(local, None) == ConcurrencyPlan(16)
    assert plan_concurrency(remote, 32) == ConcurrencyPlan(32)  # an explicit number stays fixed
    assert plan_concurrency(local, "auto") == ConcurrencyPlan(64, adaptive=True)
    assert plan_concurrency(replace(remote, concurrency=8), "auto") == ConcurrencyPlan(8)
    assert plan_concurrency(replace(local, concurrency="auto"), 20) == ConcurrencyPlan(
        20, adaptive=True
    )


def _round_trips(limit: ConcurrencyLimit, latency: float, rounds: int) -> None:
    for _ in range(rounds):
        limit.in_flight = limit.limit  # the limit was used
        limit._window_peak = limit.limit
        for _ in range(limit.limit):
            limit.record(latency)
        limit.in_flight = 0


def test_adaptive_limit_doubles_while_latency_holds_up_to_its_cap() -> None:
    limit = ConcurrencyLimit(ConcurrencyPlan(64, adaptive=True))
    assert limit.limit == 8
    _round_trips(limit, 0.2, 4)
    assert limit.history == [16, 32, 64, 64]


def test_adaptive_limit_halves_on_a_429_once_per_round_trip() -> None:
    limit = ConcurrencyLimit(ConcurrencyPlan(64, adaptive=True))
    _round_trips(limit, 0.2, 2)
    assert limit.limit == 32
    for _ in range(10):  # a burst of 429s in one round trip
        limit.rate_limited()
    assert limit.limit == 16
    _round_trips(limit, 0.2, 1)
    assert limit.limit == 16  # no growth in the round trip that saw the 429
    _round_trips(limit, 0.2, 1)
    assert limit.limit == 16  # nor in the next: its calls were sent under the old limit
    _round_trips(limit, 0.2, 1)
    assert limit.limit == 17  # then additive increase, no more doubling


def test_adaptive_limit_shrinks_when_latency_rises() -> None:
    limit = ConcurrencyLimit(ConcurrencyPlan(64, adaptive=True))
    _round_trips(limit, 0.2, 2)
    assert limit.limit == 32
    _round_trips(limit, 0.4, 1)  # twice as slow: the provider queues
    assert limit.limit == 16


def test_fixed_limit_never_moves() -> None:
    limit = ConcurrencyLimit(ConcurrencyPlan(10))
    _round_trips(limit, 0.2, 3)
    limit.rate_limited()
    assert limit.limit == 10 and limit.history == []


def _flaky(errors: list[Exception]) -> tuple[list[float], object]:
    times: list[float] = []

    async def send() -> Response:
        times.append(time.monotonic())
        if errors:
            raise errors.pop(0)
        return Response(text="ok")

    return times, send


async def test_a_503_with_retry_after_is_a_rate_limit_not_a_counted_retry() -> None:
    overloaded = [ServerError("busy", status_code=503, retry_after=0.01) for _ in range(6)]
    times, send = _flaky(list(overloaded))
    gate = ProviderGate("p", ConcurrencyPlan(4), max_retries=2, base_delay=0.001)
    response = await gate.call(send)  # type: ignore[arg-type]
    assert response.retries == 6 and len(times) == 7
    assert gate.rate_limited == 6


async def test_other_errors_stop_after_max_retries() -> None:
    failures = [ServerError("boom", status_code=500) for _ in range(6)]
    times, send = _flaky(list(failures))
    gate = ProviderGate("p", ConcurrencyPlan(4), max_retries=2, base_delay=0.001)
    with pytest.raises(ServerError) as info:
        await gate.call(send)  # type: ignore[arg-type]
    assert len(times) == 3 and info.value.retries == 2


async def test_replayed_429s_are_not_waited_for() -> None:
    _times, send = _flaky([RateLimitError("429", retry_after=30.0)])
    gate = ProviderGate("p", ConcurrencyPlan(4), replay=True)
    start = time.monotonic()
    response = await gate.call(send)  # type: ignore[arg-type]
    assert response.retries == 1 and time.monotonic() - start < 1.0


async def test_a_live_429_pauses_later_calls_too() -> None:
    # one call's 429 holds back a call that never saw it
    _times, send = _flaky([RateLimitError("429", retry_after=0.3)])
    gate = ProviderGate("p", ConcurrencyPlan(4))
    first = asyncio.create_task(gate.call(send))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    start = time.monotonic()
    await gate.call(send)  # type: ignore[arg-type]
    assert time.monotonic() - start >= 0.2
    await first
