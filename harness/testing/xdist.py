"""pytest-xdist glue: which items this worker will run next, and the run id handed to workers.

A worker learns its share a few items at a time (the controller sends indices into
``session.items``). To run that share concurrently, the worker looks at its pending
queue when a spec item starts. xdist has no public API for the queue, so this reads
its ``WorkerInteractor`` defensively: if the attribute names ever change, each item
simply runs on its own (correct, only slower).
"""

from __future__ import annotations

import pytest

RUN_ID_KEY = "harness_run_id"
STARTED_KEY = "harness_started_at"
OUTPUT_KEY = "harness"


def is_worker(config: pytest.Config) -> bool:
    """Whether this process is an xdist worker."""
    return hasattr(config, "workerinput")


def is_controller(config: pytest.Config) -> bool:
    """Whether this process distributes items to xdist workers (and runs none itself)."""
    return config.pluginmanager.has_plugin("dsession")


def queued_items(session: pytest.Session) -> list[pytest.Item]:
    """The items already sent to this worker and not started yet, in order."""
    for plugin in session.config.pluginmanager.get_plugins():
        torun = getattr(plugin, "torun", None)
        if torun is None or not hasattr(torun, "lock"):
            continue
        try:
            with torun.lock() as queue:
                indices = [i for i in queue if isinstance(i, int)]
            nxt = getattr(plugin, "nextitem_index", None)
            if isinstance(nxt, int):
                indices.insert(0, nxt)
            return [session.items[i] for i in indices if 0 <= i < len(session.items)]
        except (AttributeError, TypeError, IndexError):
            return []
    return []
