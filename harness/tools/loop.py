"""A multi-step exchange: run the tools a model calls, send the results back, and feed
each answer into the next turn of a conversation.

A case loops when its spec's tools have a ``result:`` or it has ``turns:``; any other
case is one call, exactly as before. Each turn (the prompt, then each of ``turns:``) goes::

    request -> answer with tool calls -> run each tool -> assistant message (the calls)
            + one ``tool`` message per call (its result) -> request again -> ... -> answer

for at most ``max_steps`` model calls per turn (case, else spec, else 8). A turn whose
model is still calling tools after that ends the exchange (``stop = "max_steps"``), and
the item fails with a ``max-steps-reached`` verdict (:mod:`harness.tools.verdicts`).

The exchange makes its model calls through the ``call`` it is given: the runner's goes
through the pool, limits, retries, hooks, pricing and budget
(:mod:`harness.runner.tool_loop`); ``harness cassettes check`` replays each step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from harness.cassettes.steps import exchange_step
from harness.drivers.base import Message, Request, Response, ToolCall, Usage
from harness.errors import ToolLoopError
from harness.spec.templating import render
from harness.spec.types import Case, PromptTemplate, Spec, ToolDef
from harness.tools.results import NoResult, ToolFailed, resolve
from harness.tools.trajectory import Step, StopReason, ToolResult, Trajectory

__all__ = [
    "DEFAULT_MAX_STEPS",
    "MAX_CALLS_PER_STEP",
    "Exchange",
    "StepCall",
    "loops",
    "summed",
]

StepCall = Callable[[Request, int], Awaitable[Response]]
"""How the exchange calls the model: ``await call(request, step)`` (steps count from 1)."""

DEFAULT_MAX_STEPS = 8
MAX_CALLS_PER_STEP = 128
"""Tool calls one answer may make; more is an item error, not 10,000 tool runs."""
_FIRST_ONLY = frozenset({"tool_choice"})
"""Params sent on a turn's first call only: a forced call must not force every step."""


def loops(spec: Spec, case: Case) -> bool:
    """Whether a case is a multi-step exchange (tools with results, or ``turns:``)."""
    return bool(case.turns) or any(t.result is not None for t in spec.tools)


@dataclass(slots=True)
class Exchange:
    """One item's exchange in progress; ``steps`` holds every call made so far, so an
    item that errors halfway still records what happened.

    ``first`` is the item's request (the prompt rendered); ``template`` the prompt it came
    from (where templates in ``turns:`` look for includes).
    """

    spec: Spec
    case: Case
    template: PromptTemplate
    first: Request
    steps: list[Step] = field(default_factory=list)
    stop: StopReason = "answer"

    @property
    def max_steps(self) -> int:
        """Model calls allowed per turn."""
        return self.case.max_steps or self.spec.max_steps or DEFAULT_MAX_STEPS

    def trajectory(self) -> Trajectory:
        """The exchange so far as a :class:`Trajectory`."""
        return Trajectory(tuple(self.steps), self.stop, self.max_steps)

    def first_response(self) -> Response | None:
        """The first call's answer (what the item's own budget reservation paid for)."""
        return self.steps[0].response if self.steps else None

    async def run(self, call: StepCall) -> Response:
        """Run every turn to its answer; the final answer with usage, cost and latency
        summed over the steps.

        Raises:
            ToolLoopError: a tool without a result was called, or failed with ``on_error: fail``.
            HarnessError: a model call failed (whatever ``call`` raises).
        """
        variables = {**self.spec.vars, **self.case.vars}
        tools = {t.name: t for t in self.spec.tools}
        runs_tools = any(t.result is not None for t in self.spec.tools)
        later = {k: v for k, v in self.first.params.items() if k not in _FIRST_ONLY}
        messages = list(self.first.messages)
        prompt = self.template
        for turn, source in enumerate((None, *self.case.turns), start=1):
            if source is not None:
                text = render(source, variables, base_dir=prompt.base_dir, root=prompt.root)
                messages.append(Message("user", text))
            for n in range(1, self.max_steps + 1):
                request = replace(
                    self.first,
                    messages=tuple(messages),
                    params=self.first.params if n == 1 else later,
                )
                index = len(self.steps) + 1
                with exchange_step(index):
                    response = await call(request, index)
                if not (runs_tools and response.tool_calls):
                    self.steps.append(Step(index, turn, request.messages, response))
                    break
                if n == self.max_steps:
                    self.steps.append(Step(index, turn, request.messages, response))
                    self.stop = "max_steps"
                    return summed(self.steps)
                calls = _with_ids(response.tool_calls, index)
                results = await self._results(
                    calls, tools, variables, index, turn, request, response
                )
                self.steps.append(Step(index, turn, request.messages, response, results))
                messages.append(Message("assistant", response.text, tool_calls=calls))
                messages.extend(
                    Message("tool", r.content, tool_call_id=r.call.id, name=r.call.name)
                    for r in results
                )
            messages.append(Message("assistant", self.steps[-1].response.text))
        return summed(self.steps)

    async def _results(
        self,
        calls: tuple[ToolCall, ...],
        tools: Mapping[str, ToolDef],
        variables: Mapping[str, Any],
        index: int,
        turn: int,
        request: Request,
        response: Response,
    ) -> tuple[ToolResult, ...]:
        if len(calls) > MAX_CALLS_PER_STEP:
            self.steps.append(Step(index, turn, request.messages, response))
            self.stop = "tool_error"
            raise ToolLoopError(
                f"step {index}: the model made {len(calls):,} tool calls in one answer, over "
                f"the limit of {MAX_CALLS_PER_STEP}"
            )
        results = await asyncio.gather(*(_result(c, tools, variables) for c in calls))
        failed = next((r for r, fail in results if fail), None)
        done = tuple(r for r, _ in results)
        if failed is not None:
            self.steps.append(Step(index, turn, request.messages, response, done))
            self.stop = "tool_error"
            raise ToolLoopError(f"step {index}: {failed.error}")
        return done


async def _result(
    call: ToolCall, tools: Mapping[str, ToolDef], variables: Mapping[str, Any]
) -> tuple[ToolResult, bool]:
    """The result sent for one call, and whether it ends the item."""
    tool = tools.get(call.name)
    if tool is None:
        declared = ", ".join(sorted(tools)) or "none"
        message = (
            f"the model called tool {call.name!r}, which the spec does not declare "
            f"(its tools: {declared}): add it to 'tools:' with a 'result:'"
        )
        return ToolResult(call, "", message), True
    try:
        content = await resolve(tool.result, tool.name, call.arguments, variables)
        return ToolResult(call, content), False
    except NoResult as exc:
        return ToolResult(call, "", str(exc)), True
    except ToolFailed as exc:
        if tool.on_error == "fail":
            return ToolResult(call, "", f"{exc} (on_error: fail)"), True
        return ToolResult(call, f"error: {exc}", str(exc)), False


def _with_ids(calls: tuple[ToolCall, ...], step: int) -> tuple[ToolCall, ...]:
    """The calls, each with an id (providers that give none get ``call_<step>_<n>``), so
    every tool message answers its call."""
    if all(c.id for c in calls):
        return calls
    return tuple(
        c if c.id else replace(c, id=f"call_{step}_{n}") for n, c in enumerate(calls, start=1)
    )


def _total(values: list[Any]) -> Any:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def summed(steps: list[Step]) -> Response:
    """The final answer with tokens, latency and retries summed over every step; cost is
    the sum too, or None when any step's price is unknown; ``ttft_ms`` is the first step's."""
    final = steps[-1].response
    if len(steps) == 1:
        return final
    responses = [s.response for s in steps]
    usage = Usage(
        input_tokens=_total([r.usage.input_tokens for r in responses]),
        output_tokens=_total([r.usage.output_tokens for r in responses]),
        cached_tokens=_total([r.usage.cached_tokens for r in responses]),
        reasoning_tokens=_total([r.usage.reasoning_tokens for r in responses]),
        cache_write_tokens=_total([r.usage.cache_write_tokens for r in responses]),
    )
    costs = [r.cost_usd for r in responses]
    return replace(
        final,
        usage=usage,
        cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
        latency_ms=_total([r.latency_ms for r in responses]),
        ttft_ms=responses[0].ttft_ms,
        retries=sum(r.retries for r in responses),
        timings_recorded=all(r.timings_recorded for r in responses),
    )
