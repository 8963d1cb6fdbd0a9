"""The openai SDK plays every exchange of the tool-use example's fake (tests/fakes/tools_fake.py).

specs/tool_use.yaml's cassettes were recorded on that fake, so what it answers must be
what the OpenAI API could answer: the SDK parses each step (parallel calls included),
plain and streamed, and the fake accepts the SDK's own way of sending results back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from harness.spec.load import load_spec
from tests.fakes.server import FakeServer

SPEC = Path(__file__).resolve().parents[2] / "specs" / "tool_use.yaml"
PRICES = {"blue kettle": "blue kettle: $34.50", "red toaster": '{"price": 49.0}'}


def _tool(name: str, arguments: dict[str, Any]) -> str:
    if name == "calculate":
        a, op, b = arguments["expression"].split()
        x, y = float(a), float(b)
        value = {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]
        return str(int(value)) if value == int(value) else str(value)
    item = arguments["item"].lower()
    if item.endswith(" pan"):
        return f"{item}: $22.00"
    return PRICES.get(item, "error: no such item")


async def _play(base_url: str, model: str, question: str, stream: bool) -> list[Any]:
    spec = load_spec(SPEC)
    tools: list[Any] = [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in spec.tools
    ]
    client = openai.AsyncOpenAI(base_url=base_url + "/v1", api_key="not-a-key", max_retries=0)
    messages: list[Any] = [{"role": "user", "content": question}]
    answers: list[Any] = []
    try:
        for _ in range(8):
            if stream:
                async with client.chat.completions.stream(
                    model=model, messages=messages, tools=tools
                ) as s:
                    message = (await s.get_final_completion()).choices[0].message
            else:
                done = await client.chat.completions.create(
                    model=model, messages=messages, tools=tools
                )
                message = done.choices[0].message
            answers.append(message)
            if not message.tool_calls:
                return answers
            messages.append(
                {
                    "role": "assistant",
                    "content": message.content or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {
                                "name": c.function.name,
                                "arguments": c.function.arguments,
                            },
                        }
                        for c in message.tool_calls
                    ],
                }
            )
            for c in message.tool_calls:
                result = _tool(c.function.name, json.loads(c.function.arguments))
                messages.append({"role": "tool", "tool_call_id": c.id, "content": result})
    finally:
        await client.close()
    pytest.fail(f"{model} was still calling tools after 8 steps on {question!r}")


def _questions() -> list[str]:
    with open(SPEC, encoding="utf-8") as f:
        return [c["vars"]["question"] for c in yaml.safe_load(f)["cases"]]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("model", ["fake-tools", "fake-tools-mini"])
async def test_the_sdk_plays_every_question_of_the_example(model: str, stream: bool) -> None:
    questions = _questions()
    assert len(questions) == 10
    async with FakeServer("tools") as server:
        played = [await _play(server.base_url, model, q, stream) for q in questions]
    assert all(answers[-1].content for answers in played)  # every exchange ends in an answer
    steps = [len(a) for a in played]
    if model == "fake-tools":  # every question needs a tool, one needs two steps of calls
        assert min(steps) >= 2 and max(steps) >= 3, steps
        parallel = [m for a in played for m in a if m.tool_calls and len(m.tool_calls) > 1]
        assert parallel, "the kettle-and-toaster question makes two calls in one answer"
    kettles = played[questions.index("How much do 3 blue kettles cost?")][-1].content
    assert kettles == (
        "The blue kettle costs $34.50." if model.endswith("mini") else "That comes to $103.50."
    )
