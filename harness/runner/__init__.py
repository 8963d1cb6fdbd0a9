"""The runner: specs x cases x models -> items -> concurrent calls -> verdicts -> the store.

Public names load lazily: cassettes import :mod:`harness.runner.items` early, and the
runner itself needs drivers, expectations and the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.runner.expand import Selection, expand
    from harness.runner.items import Item
    from harness.runner.run import Runner, RunOptions, RunResult, new_run_id

_EXPORTS = {
    "Item": "harness.runner.items",
    "RunOptions": "harness.runner.run",
    "RunResult": "harness.runner.run",
    "Runner": "harness.runner.run",
    "Selection": "harness.runner.expand",
    "expand": "harness.runner.expand",
    "new_run_id": "harness.runner.run",
}

__all__ = ["Item", "RunOptions", "RunResult", "Runner", "Selection", "expand", "new_run_id"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'harness.runner' has no attribute {name!r}")
