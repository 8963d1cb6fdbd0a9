"""The driver pool: lazy drivers, offline settings, per-provider limits, rate limits."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from harness.config import ProjectConfig
from harness.drivers.base import Message, Request
from harness.errors import ConfigError
from harness.runner.pool import Pool
from tests.runner.fakes import Drivers

REQUEST = Request(model="m", messages=(Message("user", "hi"),))


class _Passthrough:
    active = False

    def wrap(self, transport: object) -> object:
        return transport


def test_offline_pool_marks_providers_offline(config: ProjectConfig) -> None:
    pool = Pool(config, _Passthrough(), concurrency=8, offline=True)  # type: ignore[arg-type]
    assert pool.settings("fake").mode.offline is True
    assert pool.provider_limit("slow") == 2  # its own concurrency
    assert pool.provider_limit("fake") == 8  # the run's
    with pytest.raises(ConfigError, match="unknown provider 'nope'"):
        pool.settings("nope")


async def test_one_driver_per_provider_closed_at_the_end(config: ProjectConfig) -> None:
    drivers = Drivers()
    pool = Pool(config, _Passthrough(), concurrency=4, driver_factory=drivers)  # type: ignore[arg-type]
    await asyncio.gather(*(pool.complete("fake:m", REQUEST) for _ in range(5)))
    await pool.complete("slow:m", REQUEST)
    assert sorted(drivers.made) == ["fake", "slow"]
    assert len(drivers.made["fake"].calls) == 5
    await pool.aclose()
    assert all(d.closed for d in drivers.made.values())


async def test_requests_per_minute_holds_back_calls(config: ProjectConfig) -> None:
    limited = replace(config.providers["fake"], requests_per_minute=3)
    config = replace(config, providers={**config.providers, "fake": limited})
    drivers = Drivers()
    pool = Pool(config, _Passthrough(), concurrency=8, driver_factory=drivers)  # type: ignore[arg-type]
    await asyncio.gather(*(pool.complete("fake:m", REQUEST) for _ in range(3)))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(pool.complete("fake:m", REQUEST), 0.2)  # the 4th waits ~20 s
    assert len(drivers.made["fake"].calls) == 3
    await pool.aclose()
