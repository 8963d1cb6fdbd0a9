"""A test-only tool loop: drives a multi-step exchange through a driver directly.

The runner's loop lives in the item executor; these tests need only the wire formats,
so this loop is the smallest one that sends each step's answer and tool results back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from harness.drivers.anthropic import AnthropicDriver
from harness.drivers.base import (
    Driver,
    Message,
    ProviderSettings,
    Request,
    Response,
    StreamEvent,
    Tool,
)
from harness.drivers.gemini import GeminiDriver
from harness.drivers.http_driver import HTTPDriver
from harness.drivers.ollama import OllamaDriver
from harness.drivers.openai import OpenAIDriver

NUMBERS = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}
CITY = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
TOOLS = (Tool("add", "Add two numbers", NUMBERS), Tool("lookup", "Weather in a city", CITY))

# step 1: two calls at once; step 2: one more; step 3: the answer
SCRIPT: list[Any] = [
    [
        {"name": "add", "arguments": {"a": 2, "b": 2}},
        {"name": "lookup", "arguments": {"q": "Paris"}},
    ],
    [{"name": "add", "arguments": {"a": 4, "b": 1}}],
    "The answers: {results}",
]
FINAL = "The answers: 4, sunny in Paris, 5"
"""The script's answer once every result arrived."""
PROMPT = "What is 2+2, and the weather in Paris?"
ASK = Request("fake-model", (Message("user", PROMPT),), tools=TOOLS)
"""The first request of the exchange."""


def run_tool(name: str, arguments: Mapping[str, Any]) -> str:
    """The test tools: ``add`` and ``lookup``."""
    if name == "add":
        return str(arguments["a"] + arguments["b"])
    return f"sunny in {arguments['q']}"


Way = Literal["complete", "complete-streamed", "stream-events"]
WAYS: tuple[Way, ...] = ("complete", "complete-streamed", "stream-events")


@dataclass
class Exchange:
    """What the loop saw: each step's response and, for streams, each step's events."""

    responses: list[Response]
    events: list[list[StreamEvent]]
    messages: list[Message]


async def ask(driver: Driver, request: Request, way: Way) -> tuple[Response, list[StreamEvent]]:
    """One model call, made one of three ways."""
    if way == "complete":
        return await driver.complete(request), []
    if way == "complete-streamed":
        return await driver.complete(replace(request, stream=True)), []
    events = [e async for e in driver.stream(replace(request, stream=True))]
    final = events[-1].response
    assert final is not None
    return final, events


async def run_loop(
    driver: Driver,
    request: Request,
    *,
    way: Way = "complete",
    max_steps: int = 8,
    tool: Callable[[str, Mapping[str, Any]], str] = run_tool,
    name_results: bool = False,
) -> Exchange:
    """Call the model, run the tools it asks for, send the results back; until it answers.

    ``name_results`` puts the tool's name on each result message (without it, drivers
    that match results by name must find the call by its id).
    """
    messages = list(request.messages)
    out = Exchange([], [], messages)
    for _ in range(max_steps):
        response, events = await ask(driver, replace(request, messages=tuple(messages)), way)
        out.responses.append(response)
        out.events.append(events)
        if not response.tool_calls:
            return out
        messages.append(Message("assistant", response.text, tool_calls=response.tool_calls))
        for call in response.tool_calls:
            name = call.name if name_results else None
            messages.append(
                Message("tool", tool(call.name, call.arguments), tool_call_id=call.id, name=name)
            )
    raise AssertionError(f"no answer after {max_steps} steps")


DRIVERS: dict[str, type[HTTPDriver]] = {
    "openai": OpenAIDriver,
    "anthropic": AnthropicDriver,
    "gemini": GeminiDriver,
    "ollama": OllamaDriver,
}


def request_body(kind: str, value: Any, *, tools: bool = True, **params: Any) -> dict[str, Any]:
    """The request body ``kind``'s driver builds for a call with ``tool_choice: value``."""
    settings = ProviderSettings(name=kind, type=kind, base_url="http://127.0.0.1:9")
    driver = DRIVERS[kind](settings)
    request = Request(
        "m",
        (Message("user", "hi"),),
        params={"tool_choice": value, **params},
        tools=TOOLS if tools else (),
    )
    out: dict[str, Any] = driver.build_call(request, None, stream=False).body
    return out
