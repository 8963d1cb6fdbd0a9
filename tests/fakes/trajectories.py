"""Trajectories for tests: a tool-using exchange written as its model answers, in order.

    trajectory([call("search", q="x")], [call("get_weather", city="Paris")], "Sunny.")

is three model calls: two that call tools (each call answered with a result) and a final
answer; the messages of each step are the whole conversation so far, as the loop sends
them. Each step costs 0.001 USD x its index, takes 100 ms x its index and uses 10 x index
input and 5 output tokens, so totals are easy to check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.drivers.base import Message, Response, ToolCall, Usage
from harness.tools.trajectory import Step, StopReason, ToolResult, Trajectory


def call(name: str, *, id: str = "", **arguments: Any) -> ToolCall:
    """A tool call with keyword arguments (``id`` defaults to ``call-<name>``)."""
    return ToolCall(name, arguments, id=id or f"call-{name}")


def trajectory(
    *answers: str | Sequence[ToolCall],
    prompt: str = "What is the weather in Paris?",
    system: str | None = "You are a weather assistant.",
    results: dict[str, str] | None = None,
    stop: StopReason = "answer",
    history: bool = True,
) -> Trajectory:
    """Steps from the model's answers: a text is a final answer, a list its tool calls.

    ``results`` maps a tool name to the text sent back for its calls (default
    ``"result of <name>"``); a name mapped to ``"!error"`` is answered as a tool error.
    ``history=False`` gives only the first step its messages (what it added is all the
    store keeps): a 10,000-step exchange without 10,000 copies of its history.
    """
    conversation: list[Message] = []
    if system is not None:
        conversation.append(Message("system", system))
    conversation.append(Message("user", prompt))
    steps: list[Step] = []
    for i, answer in enumerate(answers, start=1):
        calls = tuple(answer) if not isinstance(answer, str) else ()
        text = answer if isinstance(answer, str) else ""
        response = Response(
            text,
            tool_calls=calls,
            usage=Usage(input_tokens=10 * i, output_tokens=5),
            cost_usd=0.001 * i,
            latency_ms=100.0 * i,
            finish_reason="tool_calls" if calls else "stop",
        )
        sent = tuple(conversation) if history or i == 1 else ()
        tool_results = tuple(_result(c, results or {}) for c in calls)
        steps.append(Step(i, 1, sent, response, tool_results))
        if history:
            conversation.append(Message("assistant", text, tool_calls=calls))
            conversation.extend(
                Message("tool", r.content, tool_call_id=r.call.id) for r in tool_results
            )
    return Trajectory(tuple(steps), stop=stop)


def _result(c: ToolCall, results: dict[str, str]) -> ToolResult:
    text = results.get(c.name, f"result of {c.name}")
    if text == "!error":
        return ToolResult(c, f"error: {c.name} failed", error=f"RuntimeError: {c.name} failed")
    return ToolResult(c, text)
