"""The runner: specs x cases x models -> items -> concurrent calls -> verdicts -> the store.

``api.py`` is ``harness.run``; ``run.py`` the whole run (:class:`Run`); one item runs in
``item_executor.py`` (:class:`ItemExecutor`); ``batch.py`` feeds given items to a run.

Public names load lazily: cassettes import :mod:`harness.runner.items` early, and the
runner itself needs drivers, expectations and the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.runner.expand import Selection, expand
    from harness.runner.item_executor import ItemExecutor
    from harness.runner.items import Item
    from harness.runner.run import Run, Runner, RunOptions, RunResult, new_run_id

_EXPORTS = {
    "Item": "harness.runner.items",
    "ItemExecutor": "harness.runner.item_executor",
    "Run": "harness.runner.run",
    "RunOptions": "harness.runner.run",
    "RunResult": "harness.runner.run",
    "Runner": "harness.runner.run",
    "Selection": "harness.runner.expand",
    "expand": "harness.runner.expand",
    "new_run_id": "harness.runner.run",
}

__all__ = [
    "Item",
    "ItemExecutor",
    "Run",
    "RunOptions",
    "RunResult",
    "Runner",
    "Selection",
    "expand",
    "new_run_id",
]


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
