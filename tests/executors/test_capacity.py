"""The coordinator's bookkeeping, in-process: places in flight, 429 pauses, dead workers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from harness.config import ProjectConfig
from harness.drivers.base import ProviderSettings
from harness.executors.ray.capacity import Coordinator, Refused, Ticket


def _coordinator(concurrency: int = 2, **limits: float) -> Coordinator:
    config = ProjectConfig(
        root=Path("."),
        path=None,
        providers={
            "p": ProviderSettings(name="p", type="openai", base_url="http://127.0.0.1:9/v1")
        },
    )
    return Coordinator(
        config,
        concurrency=concurrency,
        rate_limit_patience=None,
        max_cost=limits.get("max_cost"),
        spec_limits={},
    )


async def test_places_are_shared_by_every_worker_and_given_back() -> None:
    coordinator = _coordinator(concurrency=2)
    a = await coordinator.enter("w1", "p", 0, "m")
    b = await coordinator.enter("w2", "p", 0, "m")
    assert isinstance(a, Ticket) and isinstance(b, Ticket)
    third = asyncio.create_task(coordinator.enter("w1", "p", 0, "m"))
    await asyncio.sleep(0.01)
    assert not third.done()  # two places, both held, whichever worker asks
    await coordinator.leave(a.id, 0.01, None)
    assert isinstance(await asyncio.wait_for(third, 1), Ticket)
    report = await coordinator.report()
    assert report["providers"]["p"] == {"calls": 1, "peak": 2, "429s": 0}


async def test_a_dead_workers_places_and_reservations_come_back() -> None:
    coordinator = _coordinator(concurrency=1, max_cost=1.0)
    held = await coordinator.enter("dead", "p", 0, "m")
    assert isinstance(held, Ticket)
    assert await coordinator.reserve("dead", "qa", "p:m", 0.8)
    waiting = asyncio.create_task(coordinator.enter("alive", "p", 0, "m"))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    assert await coordinator.forget("dead") == 1
    assert isinstance(await asyncio.wait_for(waiting, 1), Ticket)
    assert await coordinator.reserve("alive", "qa", "p:m", 0.8)  # the 0.8 was released
    await coordinator.leave(held.id, 0.01, None)  # a late word from the dead: ignored


async def test_a_429_pauses_the_provider_for_every_worker() -> None:
    coordinator = _coordinator(concurrency=4)
    first = await coordinator.enter("w1", "p", 0, "m")
    assert isinstance(first, Ticket)
    await coordinator.leave(first.id, None, None, 0.3)  # 429, retry-after 0.3 s
    loop = asyncio.get_running_loop()
    start = loop.time()
    second = await coordinator.enter("w2", "p", 0, "m")
    assert isinstance(second, Ticket) and not isinstance(second, Refused)
    assert loop.time() - start >= 0.25
    assert second.waited >= 0.25  # counted as the item's rate-limit wait
