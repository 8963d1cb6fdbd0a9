"""The ``harness run`` options about pressure on providers: ``--concurrency N|auto`` and
``--rate-limit-patience``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

import click

from harness.config import patience_seconds

F = TypeVar("F", bound=Callable[..., Any])


class ConcurrencyParam(click.ParamType[int | Literal["auto"]]):
    """A positive number of calls in flight, or ``auto``."""

    name = "N|auto"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | Literal["auto"]:
        if isinstance(value, int) or value == "auto":
            return value  # type: ignore[no-any-return]
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        try:
            number = int(text)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"{value!r} is not a positive number of calls or 'auto'", param, ctx)
        return number


class PatienceParam(click.ParamType[float]):
    """A duration: seconds (600) or with a unit (90s, 10m, 1h)."""

    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        try:
            return patience_seconds(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def concurrency_option(command: F) -> F:
    """``--concurrency N|auto``."""
    return click.option(
        "--concurrency",
        type=ConcurrencyParam(),
        help="Model calls in flight: a number (fixed, across providers) or 'auto' (adapt to "
        "each provider). Default: harness.yaml, else auto for remote providers, 16 for local.",
    )(command)


def patience_option(command: F) -> F:
    """``--rate-limit-patience DURATION``."""
    return click.option(
        "--rate-limit-patience",
        "rate_limit_patience",
        type=PatienceParam(),
        help="How long a provider may answer nothing but rate limits before its items "
        "end as errors (600, 90s, 10m, 1h). Default: each provider's rate_limit_patience, 10m.",
    )(command)
