"""Seeing what a run did: logs and OpenTelemetry traces, both built on :mod:`harness.hooks`.

The command line sets the process's choices once (:func:`configure`: ``--otel``,
``--log-file``, ...); every run then gets its hooks from :func:`run_hooks`: those
registered in Python or by entry point, the log hook when a log would show its lines,
and the OpenTelemetry hook when ``--otel`` or ``otel:`` in ``harness.yaml`` asks for it.
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


def run_hooks(config: ProjectConfig | None = None) -> Hooks:
    """The hooks one run calls: registered, entry points, logs, then OpenTelemetry."""
    from harness.observe.logs import LogHook, wants_log_hook

    extra: list[object] = []
    if wants_log_hook():
        extra.append(LogHook())
    otel = getattr(config, "otel", None)
    enabled = SETTINGS.otel if SETTINGS.otel is not None else bool(otel and otel.enabled)
    if enabled:
        from harness.observe.otel import OTelHook

        extra.append(OTelHook.from_config(otel))
    return Hooks.for_run(extra)
