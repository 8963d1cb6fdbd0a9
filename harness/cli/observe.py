"""The options every command takes: ``-v``/``-vv``, ``--log-level``, ``--log-file``, ``--otel``.

They work before the command (``harness -v run``) and after it (``harness run -v``);
the later one wins. Each sets the process's logging and tracing choices as it is parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from harness.observe.logs import LEVELS

_KEY = "harness.observe"


def _settings(ctx: click.Context) -> dict[str, Any]:
    meta: dict[str, Any] = ctx.find_root().meta.setdefault(
        _KEY, {"verbose": 0, "log_level": None, "log_file": None, "otel": None}
    )
    return meta


def _apply(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if param.name is None or value is None or (param.name == "verbose" and not value):
        return
    settings = _settings(ctx)
    settings[param.name] = value
    if ctx.resilient_parsing:
        return
    from harness.observe import configure
    from harness.observe.logs import setup_logging

    setup_logging(
        verbose=settings["verbose"], level=settings["log_level"], log_file=settings["log_file"]
    )
    configure(otel=settings["otel"])


def observe_params() -> list[click.Parameter]:
    """Fresh copies of the shared options (click parameters belong to one command)."""
    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_apply,
            help="More log lines on stderr: -v info, -vv debug (default: warnings only).",
        ),
        click.Option(
            ["--log-level"],
            type=click.Choice(LEVELS, case_sensitive=False),
            expose_value=False,
            callback=_apply,
            help="Log level on stderr (overrides -v).",
        ),
        click.Option(
            ["--log-file"],
            type=click.Path(dir_okay=False, path_type=Path),
            expose_value=False,
            callback=_apply,
            help="Append JSON lines (one per model call, run and retry) to this file.",
        ),
        click.Option(
            ["--otel/--no-otel"],
            default=None,
            expose_value=False,
            callback=_apply,
            help="Trace runs with OpenTelemetry (the otel extra; OTEL_* variables apply).",
        ),
    ]


def add_observe_params(command: click.Command) -> click.Command:
    """Give ``command`` (and a group's subcommands) the shared options, once."""
    if not any(p.name == "verbose" for p in command.params):
        command.params.extend(observe_params())
    if isinstance(command, click.Group):  # the lazy top-level group lists none here
        for sub in command.commands.values():
            add_observe_params(sub)
    return command


def setup_default_logging(ctx: click.Context) -> None:
    """Quiet logging (warnings on stderr) for a command given none of the options."""
    if _KEY in ctx.find_root().meta:
        return
    from harness.observe.logs import setup_logging

    _settings(ctx)
    setup_logging()
