"""Assertions on how the model answered: cost and speed, finish reason, refusal, tool calls.

Metrics come from ``output.response``; an unknown metric fails with a reason that says
so (``Unmet``, which ``not-`` does not flip): a missing price never passes silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from harness.drivers.base import Response, ToolCall
from harness.expect.common import Context, Outcome, Unmet, as_text, show
from harness.expect.refusal import refusal_phrase
from harness.expect.structure import validator_for
from harness.expect.text import values_equal
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


def _calls(ctx: Context) -> tuple[ToolCall, ...]:
    return _response(ctx, "tool calls").tool_calls


def partial_mismatch(expected: Any, got: Any, path: str = "arguments") -> str | None:
    """Where ``got`` fails to contain ``expected`` (objects may hold extra keys), or None."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"{path} is {show(got, 40)}, expected an object"
        for key, want in expected.items():
            if key not in got:
                return f"{path}.{key} missing"
            inner = partial_mismatch(want, got[key], f"{path}.{key}")
            if inner is not None:
                return inner
        return None
    if values_equal(expected, got):
        return None
    return f"{path} is {show(got, 40)}, expected {show(expected, 40)}"


def tool_called(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The model called tool ``value`` with arguments containing ``arguments`` (a partial
    object) and/or valid against ``arguments_schema``."""
    calls = _calls(ctx)
    named = [c for c in calls if c.name == a.value]
    if not named:
        made = ", ".join(sorted({c.name for c in calls})) or "none"
        return Outcome.check(
            False,
            f"expected a call to {a.value!r}; tools called: {made}; "
            f"text {show(ctx.output.text, 40)}",
        )
    want: Mapping[str, Any] | None = a.options.get("arguments")
    schema: Mapping[str, Any] | None = a.options.get("arguments_schema")
    problems: list[str] = []
    for call in named:
        problem = partial_mismatch(want, call.arguments) if want is not None else None
        if problem is None and schema is not None:
            errors = list(validator_for(schema).iter_errors(dict(call.arguments)))
            if errors:
                problem = "; ".join(f"arguments{e.json_path[1:]}: {e.message}" for e in errors[:5])
        if problem is None:
            return Outcome.check(True, f"called {a.value!r} with {show(dict(call.arguments), 60)}")
        problems.append(problem)
    return Outcome.check(
        False,
        f"called {a.value!r} {len(named)} time(s), arguments never matched: {problems[0]}",
    )


def no_tool_called(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """No tool call at all, or, with ``value``, no call to that tool."""
    calls = _calls(ctx)
    bad = [c for c in calls if a.value is None or c.name == a.value]
    if not bad:
        what = f"no call to {a.value!r}" if a.value is not None else "no tool called"
        return Outcome.check(True, what)
    names = ", ".join(c.name for c in bad)
    return Outcome.check(
        False,
        f"expected no tool call{'' if a.value is None else f' to {a.value!r}'}; called: {names}",
    )
