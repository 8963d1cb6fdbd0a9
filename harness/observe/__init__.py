"""Seeing what a run did: logs and OpenTelemetry traces, both hooks (:mod:`harness.hooks`).

Both are registered through the ``harness.hooks`` entry-point group, the path third-party
hooks take (``logs = harness.observe.logs:log_hook``, ``otel = harness.observe.otel:otel_hook``);
each factory decides per run whether it is wanted. The command line sets the process's
choices once (:func:`configure`: ``--otel`` / ``--no-otel``); ``otel:`` in harness.yaml
is the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.hooks import Hooks

if TYPE_CHECKING:
    from harness.config import ProjectConfig


@dataclass(slots=True)
class Observe:
    """What the command line asked for, process-wide. ``otel`` None: as harness.yaml says."""

    otel: bool | None = None


SETTINGS = Observe()


def configure(*, otel: bool | None = None) -> None:
    """Record the command line's choices for the runs of this process."""
    SETTINGS.otel = otel


def otel_wanted(config: ProjectConfig | None) -> bool:
    """Whether this run is traced: ``--otel``/``--no-otel``, else ``otel:`` of harness.yaml."""
    if SETTINGS.otel is not None:
        return SETTINGS.otel
    otel = getattr(config, "otel", None)
    return bool(otel is not None and otel.enabled)


def run_hooks(config: ProjectConfig | None = None) -> Hooks:
    """The hooks one run calls: registered in Python, then every entry point's."""
    return Hooks.for_run(config)
