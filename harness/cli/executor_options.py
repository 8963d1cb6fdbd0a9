"""The ``harness run`` options that say where the items run: ``--executor`` and Ray's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from harness.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
_KEY = "harness.executor"


def _keep(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None and param.name is not None:
        ctx.meta.setdefault(_KEY, {})[param.name] = value


def executor_options(command: F) -> F:
    """``--executor NAME``, ``--ray-address ADDRESS``, ``--ray-workers N``."""
    options = [
        click.option(
            "--executor",
            metavar="NAME",
            callback=_keep,
            expose_value=False,
            help="Where the items run: local (default: this process), ray (a Ray cluster; "
            "pip install 'harness[ray]'), or an executor plugin's name.",
        ),
        click.option(
            "--ray-address",
            metavar="ADDRESS",
            callback=_keep,
            expose_value=False,
            help="With --executor ray: a running cluster ('auto', HOST:PORT). Default: a "
            "local Ray instance on this machine's cores.",
        ),
        click.option(
            "--ray-workers",
            type=click.IntRange(min=1),
            callback=_keep,
            expose_value=False,
            help="With --executor ray: workers for models without resources: in harness.yaml "
            "(default: the cluster's CPUs).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def chosen_executor() -> tuple[str, dict[str, Any]]:
    """The executor named on the command line and its options.

    Raises:
        ConfigError: a Ray option without ``--executor ray``.
    """
    given = dict(click.get_current_context().meta.get(_KEY, {}))
    name = str(given.pop("executor", "local"))
    options = {key.removeprefix("ray_"): value for key, value in given.items()}
    if options and name != "ray":
        flags = ", ".join("--ray-" + key for key in options)
        raise ConfigError(f"{flags} only applies with --executor ray (the executor is {name!r})")
    return name, options
