"""The ``local`` executor: every item on this process's event loop (the default).

Each provider gets as many async workers as its concurrency allows, all pulling from a
lazy iterator of its items, so no task exists per item and a slow provider never stalls
the others (see :meth:`harness.runner.run.Run.work`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from harness.executors import ExecutorType

if TYPE_CHECKING:
    from harness.runner.items import Item
    from harness.runner.run import Run


async def execute_locally(
    run: Run, sources: Mapping[str, Iterator[Item]], options: Mapping[str, Any]
) -> None:
    """Run every item with async workers on the running loop, per provider up to its limit."""
    workers = [
        run.work(items)
        for provider, items in sources.items()
        for _ in range(run.pool.provider_limit(provider))
    ]
    await asyncio.gather(*workers)


LOCAL = ExecutorType(
    name="local",
    summary="async workers in this process (the default)",
    execute=execute_locally,
)
