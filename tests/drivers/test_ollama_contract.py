"""Contract tests keeping the ollama driver and its fake honest.

- The official ``ollama`` SDK parses every answer of the fake, plain and streamed.
- For the same call, our request body equals the SDK's in every field both set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import ollama
import pytest

from harness.drivers.base import ImagePart, Message, ProviderSettings, Request, TextPart, Tool
from harness.drivers.ollama import OllamaDriver
from tests.fakes.server import FakeServer

MODEL = "llama3.2"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
}
TOOL_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"q": {"type": "string"}},
    "required": ["q"],
}
TOOL_JSON = {
    "type": "function",
    "function": {"name": "lookup", "description": "Find", "parameters": TOOL_PARAMS},
}

CALLS: list[Any] = [
    pytest.param(
        Request(
            MODEL,
            (Message("system", "Be brief."), Message("user", "hello world")),
            params={"temperature": 0.2, "max_tokens": 50, "seed": 7, "top_k": 20, "stop": ["\n"]},
        ),
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hello world"},
            ],
            "options": {
                "temperature": 0.2,
                "num_predict": 50,
                "seed": 7,
                "top_k": 20,
                "stop": ["\n"],
            },
        },
        id="plain",
    ),
    pytest.param(
        Request(MODEL, (Message("user", "hello world"),), stream=True),
        {"messages": [{"role": "user", "content": "hello world"}], "stream": True},
        id="streamed",
    ),
    pytest.param(
        Request(MODEL, (Message("user", "give json"),), schema=SCHEMA),
        {"messages": [{"role": "user", "content": "give json"}], "format": SCHEMA},
        id="format",
    ),
    pytest.param(
        Request(
            MODEL, (Message("user", "look it up"),), tools=(Tool("lookup", "Find", TOOL_PARAMS),)
        ),
        {"messages": [{"role": "user", "content": "look it up"}], "tools": [TOOL_JSON]},
        id="tools",
    ),
    pytest.param(
        Request(MODEL, (Message("user", (TextPart("what?"), ImagePart(data="aGVsbG8="))),)),
        {"messages": [{"role": "user", "content": "what?", "images": ["aGVsbG8="]}]},
        id="images",
    ),
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    """The ollama fake."""
    async with FakeServer("ollama") as server:
        yield server


@pytest.fixture
async def driver(fake: FakeServer) -> AsyncIterator[OllamaDriver]:
    """Our driver pointed at the fake."""
    settings = ProviderSettings(name="ollama", type="ollama", base_url=fake.base_url)
    async with OllamaDriver(settings) as drv:
        yield drv


async def _sdk_call(fake: FakeServer, kwargs: dict[str, Any]) -> Any:
    client = ollama.AsyncClient(host=fake.base_url)
    try:
        result = await client.chat(model=MODEL, **kwargs)
        if kwargs.get("stream"):
            return [part async for part in result]
        return result
    finally:
        await client.close()


def _normalized(body: dict[str, Any]) -> dict[str, Any]:
    # the SDK always sends a "tools" list, empty or not; an empty list means "no tools"
    return {k: v for k, v in body.items() if v != []}


@pytest.mark.parametrize(("ours", "theirs"), CALLS)
async def test_our_body_matches_the_sdk_body(
    fake: FakeServer, driver: OllamaDriver, ours: Request, theirs: dict[str, Any]
) -> None:
    await driver.complete(ours)
    await _sdk_call(fake, theirs)
    our_body = _normalized(fake.requests[0].json)
    sdk_body = _normalized(fake.requests[1].json)
    shared = our_body.keys() & sdk_body.keys()
    assert {"model", "messages", "stream"} <= shared
    assert set(theirs) <= shared
    for key in sorted(shared):
        assert our_body[key] == sdk_body[key], key


@pytest.mark.parametrize(("ours", "theirs"), CALLS)
async def test_the_sdk_parses_the_fake(
    fake: FakeServer, ours: Request, theirs: dict[str, Any]
) -> None:
    result = await _sdk_call(fake, theirs)
    if theirs.get("stream"):
        assert "".join(p.message.content or "" for p in result) == "echo: hello world"
        assert [p.done for p in result][-1] is True
        assert result[-1].prompt_eval_count == 2 and result[-1].eval_count == 3
    else:
        assert isinstance(result, ollama.ChatResponse)
        assert result.done and result.eval_count is not None
        if "tools" in theirs:
            calls = result.message.tool_calls or []
            assert calls[0].function.name == "lookup"
            assert calls[0].function.arguments == {"q": "x"}
        elif "format" in theirs:
            assert result.message.content == '{"answer": "x"}'


async def test_the_sdk_parses_streamed_tool_calls(fake: FakeServer) -> None:
    parts = await _sdk_call(
        fake,
        {"messages": [{"role": "user", "content": "go"}], "tools": [TOOL_JSON], "stream": True},
    )
    calls = [c for p in parts for c in p.message.tool_calls or ()]
    assert [c.function.name for c in calls] == ["lookup"]


async def test_the_sdk_parses_the_fake_errors(fake: FakeServer) -> None:
    fake.faults.status(404, {"error": "model 'nope' not found"})
    with pytest.raises(ollama.ResponseError) as info:
        await _sdk_call(fake, {"messages": [{"role": "user", "content": "hi"}]})
    assert info.value.status_code == 404
    assert "not found" in info.value.error
