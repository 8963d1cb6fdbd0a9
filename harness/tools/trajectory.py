"""The record of one item's multi-step exchange: every model call, the tool calls it
made and the results harness sent back, in order.

A single-call item has no trajectory (``Output.trajectory`` is None); assertions that
read tool calls treat its one response as a one-step trajectory
(:func:`trajectory_of`). Steps and turns are numbered from 1, as specs write them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from harness.drivers.base import Message, Response, ToolCall

StopReason = Literal["answer", "max_steps", "tool_error"]
"""Why the exchange ended: the model answered without calling a tool; it was still
calling tools after ``max_steps`` model calls; or a tool failed with ``on_error: fail``."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What harness sent back for one tool call.

    ``content`` is the text the model received. ``error`` is set when the tool raised
    or had no result for the call; ``content`` is then the error message sent (with
    ``on_error: send``) or nothing was sent (``on_error: fail``).
    """

    call: ToolCall
    content: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One model call of the exchange and the tool results that answered its calls.

    ``messages`` is the conversation sent on this call (the whole history so far).
    """

    index: int
    turn: int
    messages: tuple[Message, ...]
    response: Response
    results: tuple[ToolResult, ...] = ()


@dataclass(frozen=True, slots=True)
class CallAt:
    """A tool call and where it happened: its step, turn and position among all calls."""

    step: int
    turn: int
    position: int
    call: ToolCall


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Every step of one item's exchange, in order; ``stop`` says why it ended."""

    steps: tuple[Step, ...]
    stop: StopReason = "answer"
    max_steps: int = 8

    @property
    def final(self) -> Response:
        """The last model answer (the one ordinary assertions check)."""
        return self.steps[-1].response

    @property
    def turns(self) -> int:
        """How many user turns the exchange had (1 without ``turns:``)."""
        return self.steps[-1].turn if self.steps else 0

    def calls(self) -> tuple[CallAt, ...]:
        """Every tool call of every step, in the order the model made them."""
        out: list[CallAt] = []
        for step in self.steps:
            for call in step.response.tool_calls:
                out.append(CallAt(step.index, step.turn, len(out) + 1, call))
        return tuple(out)

    def results(self) -> Iterator[ToolResult]:
        """Every tool result sent back, in order."""
        for step in self.steps:
            yield from step.results

    def turn_answer(self, turn: int) -> Response | None:
        """The last answer of user turn ``turn`` (None when the exchange has no such turn)."""
        answer = None
        for step in self.steps:
            if step.turn == turn:
                answer = step.response
        return answer


def trajectory_of(response: Response | None) -> Trajectory:
    """A single call's response as a one-step trajectory (no steps without a response)."""
    if response is None:
        return Trajectory(steps=())
    return Trajectory(steps=(Step(index=1, turn=1, messages=(), response=response),))


def steps_json(trajectory: Trajectory) -> list[dict[str, Any]]:
    """The trajectory as the results store keeps it: one JSON object per step.

    Each step holds the messages it added to the conversation (``sent``: the first
    step's system and user messages, a later turn's user message; the assistant's
    answers and tool results are ``text``, ``tool_calls`` and ``results``), and the
    step's own tokens, cost, latency and finish reason.
    """
    out: list[dict[str, Any]] = []
    seen = 0
    for step in trajectory.steps:
        r = step.response
        new = step.messages[seen:] if seen <= len(step.messages) else step.messages
        sent = [{"role": m.role, "content": m.text} for m in new if m.role in ("system", "user")]
        seen = len(step.messages) + 1 + len(step.results)  # + this answer and its results
        out.append(
            {
                "step": step.index,
                "turn": step.turn,
                "sent": sent,
                "text": r.text,
                "tool_calls": [
                    {"id": c.id, "name": c.name, "arguments": dict(c.arguments)}
                    for c in r.tool_calls
                ],
                "results": [
                    {
                        "call_id": res.call.id,
                        "name": res.call.name,
                        "content": res.content,
                        "error": res.error,
                    }
                    for res in step.results
                ],
                "input_tokens": r.usage.input_tokens,
                "output_tokens": r.usage.output_tokens,
                "cost_usd": r.cost_usd,
                "latency_ms": r.latency_ms,
                "finish_reason": r.finish_reason,
            }
        )
    return out
