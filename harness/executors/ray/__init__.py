"""The ``ray`` executor: a run's items on a Ray cluster (``pip install 'harness[ray]'``).

``harness run --executor ray`` starts a local Ray instance using this machine's cores;
``--ray-address auto`` (or ``HOST:PORT``) joins a running cluster. Items are split into
shards by their stable ids; each Ray worker runs the same async item executor a local run
uses, and the records stream back to this process, which alone writes the store and the
report. The pieces:

- :mod:`~harness.executors.ray.head`: sharding, streaming back, replacing lost workers;
- :mod:`~harness.executors.ray.worker`: the worker actor (one per shard, kept for the run);
- :mod:`~harness.executors.ray.capacity`: the coordinator actor that hands out every
  provider's limits and the budget to all workers;
- :mod:`~harness.executors.ray.routing`: ``resources:`` per model, shards by id;
- :mod:`~harness.executors.ray.shipping`: cassettes travel with the chunks, both ways.

Ray is imported only here, only when a run asks for this executor.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError, ExtraMissingError
from harness.executors import ExecutorType

if TYPE_CHECKING:
    from harness.runner.items import Item
    from harness.runner.run import Run

INSTALL = "pip install 'harness[ray]'"


def import_ray() -> Any:
    """The ``ray`` module.

    Raises:
        ExtraMissingError: Ray is not installed (the message has the pip line).
    """
    try:
        import ray
    except ImportError as exc:
        raise ExtraMissingError(
            f"--executor ray needs Ray, which is not installed: {INSTALL}"
        ) from exc
    return ray


_STARTED: list[bool] = []
"""Whether this process started the Ray it is connected to (then it shuts it down)."""


def check(run: Run) -> None:
    """Before anything is stored: Ray is there, the cluster answers, the options fit."""
    if run.use_cache:
        raise ConfigError(
            "--cache reads earlier responses from this machine's store, which Ray workers "
            "cannot see: drop --cache or run with --executor local"
        )
    ray = import_ray()
    if connect(ray, run.options.executor_options.get("address")):
        _STARTED.append(True)


def connect(ray: Any, address: str | None) -> bool:
    """Join the cluster at ``address``, or start a local instance on this machine's cores;
    True when this call started Ray (and so should shut it down)."""
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address:
        _probe(address)
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(
                address="local",
                num_cpus=os.cpu_count() or 1,
                include_dashboard=False,
                # Ray runs workers at nice 15; beside this process on one machine they
                # would wait behind it and everything else running
                _system_config={"worker_niceness": 0},
                **quiet,
            )
    except ConnectionError as exc:
        raise ConfigError(
            f"--ray-address {address}: no Ray cluster answers there ({exc}); start one with "
            "`ray start --head` or leave --ray-address out for a local instance"
        ) from exc
    return True


def _probe(address: str) -> None:
    """Fail at once when nothing listens at ``HOST:PORT`` (Ray itself retries for minutes)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # ``auto`` and ``ray://`` addresses: Ray finds or refuses them itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ConfigError(
            f"--ray-address {address}: no Ray cluster answers there ({exc}); start one with "
            "`ray start --head`, give its address, or leave --ray-address out for a local "
            "instance"
        ) from None


async def execute_on_ray(
    run: Run, sources: Mapping[str, Iterator[Item]], options: Mapping[str, Any]
) -> None:
    """Run every item on Ray (see the module doc); records come back to ``run.keep``."""
    ray = import_ray()
    from harness.executors.ray.head import RayHead

    if connect(ray, options.get("address")):  # not checked first (called on its own)
        _STARTED.append(True)
    try:
        head = RayHead(run, ray, workers=options.get("workers"))
        await head.execute(sources)
    finally:
        if _STARTED:
            _STARTED.clear()
            ray.shutdown()


RAY = ExecutorType(
    name="ray",
    summary="shards of the items on a Ray cluster; this process keeps the store and report",
    execute=execute_on_ray,
    options={
        "address": "a running cluster (`auto`, `HOST:PORT`); none: a local Ray instance",
        "workers": "workers for models without `resources:` (default: the cluster's CPUs)",
    },
    extra="ray",
    check=check,
)
