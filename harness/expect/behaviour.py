"""Assertions on how the model answered: cost and speed, finish reason, refusal.

Metrics come from ``output.response``; an unknown metric fails with a reason that says
so (``Unmet``, which ``not-`` does not flip): a missing price never passes silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.drivers.base import Response
from harness.expect.common import Context, Outcome, Unmet, as_text, show
from harness.expect.refusal import refusal_phrase
from harness.spec.types import Assertion


def _response(ctx: Context, what: str) -> Response:
    if ctx.output.response is None:
        raise Unmet(f"{what} unknown: no model response was recorded for this output")
    return ctx.output.response


def _metric(
    name: str, unit: str, read: Callable[[Response], float | int | None], why: str
) -> Callable[[Assertion, Any, Context], Outcome]:
    def check(a: Assertion, subject: Any, ctx: Context) -> Outcome:
        got = read(_response(ctx, name))
        if got is None:
            raise Unmet(f"{name} unknown: {why}")
        ok = got <= a.value
        word = "<=" if ok else ">"
        return Outcome.check(ok, f"{name} {got:g}{unit} {word} max {a.value:g}{unit}")

    check.__doc__ = f"The call's {name} is at most ``value``."
    return check


max_latency_ms = _metric(
    "latency", " ms", lambda r: r.latency_ms, "the driver did not measure the call's latency"
)
max_ttft_ms = _metric(
    "time to first token",
    " ms",
    lambda r: r.ttft_ms,
    "only streamed calls measure it; set 'stream: true' in the spec's params",
)
max_cost_usd = _metric(
    "cost",
    " USD",
    lambda r: r.cost_usd,
    "no price for this model; add one under 'models:' in harness.yaml",
)
max_output_tokens = _metric(
    "output tokens", "", lambda r: r.usage.output_tokens, "the provider reported no usage"
)


def finish_reason(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The finish reason equals ``value``, ignoring case (providers spell them differently)."""
    got = _response(ctx, "finish reason").finish_reason
    if got is None:
        raise Unmet("finish reason unknown: the provider reported none")
    ok = got.casefold() == str(a.value).casefold()
    return Outcome.check(ok, f"finish reason {got!r}" + ("" if ok else f", expected {a.value!r}"))


def is_refusal(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The model declined to answer (see :mod:`harness.expect.refusal` for the detector)."""
    reason = ctx.output.response.finish_reason if ctx.output.response else None
    text = as_text(subject)
    phrase = refusal_phrase(text, reason if a.field is None else None)
    if phrase is not None:
        return Outcome.check(True, f"refusal: {show(phrase, 60)}")
    return Outcome.check(False, f"no refusal phrase in the opening of {show(text)}")
