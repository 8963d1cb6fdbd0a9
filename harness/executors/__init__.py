"""Executors: where a run's items run. One declaration each, found by name like drivers.

A :class:`~harness.runner.run.Run` plans the items, owns the store, the budget and the
report; its executor decides where the items' calls happen and hands every finished
record back through :meth:`Run.keep <harness.runner.run.Run.keep>`:

- ``local`` (the default): async workers on this process's event loop;
- ``ray``: shards of the items on a Ray cluster (``pip install 'harness[ray]'``), see
  :mod:`harness.executors.ray`.

Built-ins are registered under the ``harness.executors`` entry-point group in harness's own
``pyproject.toml``; a third-party package registers its own the same way (the entry point
loads an :class:`ExecutorType`). ``harness run --executor NAME`` picks one.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError, PluginError

if TYPE_CHECKING:
    from harness.runner.items import Item
    from harness.runner.run import Run

ENTRY_POINT_GROUP = "harness.executors"
DEFAULT = "local"

Execute = Callable[["Run", "Mapping[str, Iterator[Item]]", "Mapping[str, Any]"], Awaitable[None]]
"""``await execute(run, items_by_provider, options)``: run every item, hand each record to
``run.keep(record)``; never raises for one item's failure (it is that item's record)."""


@dataclass(frozen=True, slots=True)
class ExecutorType:
    """A kind of executor: its name, a one-line doc, how it runs a run's items.

    ``options`` names the settings it reads from ``RunOptions.executor_options`` (with
    their help), ``extra`` the ``pip install 'harness[EXTRA]'`` it needs, if any.
    """

    name: str
    summary: str
    execute: Execute
    options: Mapping[str, str] = field(default_factory=dict)
    extra: str | None = None
    check: Callable[[Run], None] | None = None
    """Called before the run starts (nothing stored yet): raise if it cannot run here."""


@cache
def _entry_points() -> dict[str, EntryPoint]:
    points: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        points.setdefault(ep.name, ep)  # the first on the path wins, as for imports
    if DEFAULT not in points:
        raise PluginError(
            "no built-in executors are registered: harness's installed metadata predates the "
            "'harness.executors' entry points; reinstall it (pip install -e . in a checkout)"
        )
    return points


@cache
def _own_entry_points() -> dict[str, EntryPoint]:
    """harness's own entry points in the group: read from its metadata alone (about 1 ms,
    where scanning every installed package takes 30), since every run looks one up."""
    try:
        own = distribution("harness").entry_points
    except PackageNotFoundError:
        return {}
    return {ep.name: ep for ep in own if ep.group == ENTRY_POINT_GROUP}


def executor_names() -> list[str]:
    """Every registered executor's name, sorted."""
    return sorted(_entry_points())


@cache
def executor_type(name: str) -> ExecutorType:
    """The executor registered as ``name`` (loaded on first use).

    Raises:
        ConfigError: no executor has that name (the message lists them).
        PluginError: its entry point failed to load or is not an ``ExecutorType``.
    """
    ep = _own_entry_points().get(name)
    points = _entry_points() if ep is None else {}
    ep = ep or points.get(name)
    if ep is None:
        hint = difflib.get_close_matches(name, list(points), n=1)
        also = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ConfigError(
            f"unknown executor {name!r}{also}: use one of {', '.join(sorted(points))}, or "
            f"install a package that registers it in the {ENTRY_POINT_GROUP!r} entry points"
        )
    try:
        declared = ep.load()
    except Exception as exc:  # a broken plugin names itself and breaks nothing else
        package = ep.dist.name if ep.dist is not None else ep.value.partition(":")[0]
        raise PluginError(
            f"executor {name!r} from package {package!r} failed to load: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(declared, ExecutorType) or declared.name != name:
        raise PluginError(
            f"entry point {name!r} = {ep.value!r} in group {ENTRY_POINT_GROUP!r} must load a "
            f"harness.executors.ExecutorType named {name!r}"
        )
    return declared


def docs_table() -> str:
    """The Markdown table of executors in docs/running-on-ray.md (a test keeps it equal)."""
    rows = ["| executor | what it does | needs |", "| --- | --- | --- |"]
    for name in executor_names():
        kind = executor_type(name)
        needs = f"`pip install 'harness[{kind.extra}]'`" if kind.extra else "nothing"
        rows.append(f"| `{name}` | {kind.summary} | {needs} |")
    return "\n".join(rows)


__all__ = ["DEFAULT", "ENTRY_POINT_GROUP", "ExecutorType", "docs_table", "executor_type"]
