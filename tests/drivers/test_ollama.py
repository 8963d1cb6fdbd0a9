"""The ollama driver's wire details: options mapping, usage from the final line, images."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from harness.drivers.base import (
    ImagePart,
    Message,
    ProviderSettings,
    Request,
    TextPart,
    Tool,
    ToolCall,
)
from harness.drivers.ollama import OllamaDriver, messages_json, tool_calls_from, usage_from
from harness.errors import BadRequestError
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

HELLO = (Message("user", "hello world"),)


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    """The ollama fake."""
    async with FakeServer("ollama") as server:
        yield server


@pytest.fixture
async def driver(fake: FakeServer) -> AsyncIterator[OllamaDriver]:
    """Our driver on the fake (Ollama needs no key)."""
    settings = ProviderSettings(name="ollama", type="ollama", base_url=fake.base_url)
    async with OllamaDriver(settings) as drv:
        yield drv


@pytest.mark.parametrize(
    ("params", "options", "top"),
    [
        pytest.param(
            {"temperature": 0.1, "max_tokens": 7, "top_p": 0.5, "top_k": 3, "seed": 1, "stop": "x"},
            {
                "temperature": 0.1,
                "num_predict": 7,
                "top_p": 0.5,
                "top_k": 3,
                "seed": 1,
                "stop": ["x"],
            },
            {},
            id="sampling",
        ),
        pytest.param(
            {"keep_alive": "5m", "options": {"num_ctx": 8192}},
            {"num_ctx": 8192},
            {"keep_alive": "5m"},
            id="passthrough",
        ),
    ],
)
async def test_params_map_to_options(
    driver: OllamaDriver,
    fake: FakeServer,
    params: dict[str, Any],
    options: dict[str, Any],
    top: dict[str, Any],
) -> None:
    await driver.complete(Request("m", HELLO, params=params))
    body = fake.requests[0].json
    assert body["options"] == options
    assert body["stream"] is False
    for key, value in top.items():
        assert body[key] == value


def test_usage_comes_from_eval_counts() -> None:
    u = usage_from({"prompt_eval_count": 11, "eval_count": 4, "done": True})
    assert (u.input_tokens, u.output_tokens, u.cached_tokens) == (11, 4, None)


async def test_usage_only_in_the_final_line(driver: OllamaDriver) -> None:
    events = [e async for e in driver.stream(Request("m", HELLO))]
    usage_events = [e for e in events if e.kind == "usage"]
    assert len(usage_events) == 1
    assert events.index(usage_events[0]) > max(i for i, e in enumerate(events) if e.kind == "text")
    final = events[-1].response
    assert final is not None and final.usage.input_tokens == 2 and final.usage.output_tokens == 3


async def test_num_predict_gives_done_reason_length(driver: OllamaDriver) -> None:
    r = await driver.complete(Request("m", HELLO, params={"max_tokens": 1}))
    assert (r.text, r.finish_reason) == ("echo:", "length")


async def test_inline_images_are_sent_as_base64(driver: OllamaDriver, fake: FakeServer) -> None:
    msg = Message("user", (TextPart("what?"), ImagePart(data="aGk=")))
    await driver.complete(Request("m", (msg,)))
    assert fake.requests[0].json["messages"][0]["images"] == ["aGk="]


async def test_image_urls_are_refused_before_sending(
    driver: OllamaDriver, fake: FakeServer
) -> None:
    msg = Message("user", (TextPart("what?"), ImagePart(url="https://example.com/a.png")))
    with pytest.raises(BadRequestError, match="base64"):
        await driver.complete(Request("m", (msg,)))
    assert fake.requests == []


def test_calls_are_numbered_through_the_conversation_and_results_name_their_tool() -> None:
    message = {"tool_calls": [{"function": {"name": "get", "arguments": {"q": 1}}}] * 2}
    assert [c.id for c in tool_calls_from(message)] == ["call_0", "call_1"]
    assert [c.id for c in tool_calls_from(message, numbered=2)] == ["call_2", "call_3"]
    calls = (ToolCall("get", {}, id="call_0"), ToolCall("put", {}, id="call_1"))
    sent = messages_json(
        (
            Message("assistant", "", tool_calls=calls),
            Message("tool", "b", tool_call_id="call_1"),
            Message("tool", "a"),
            Message("tool", "c", name="own"),
        )
    )
    assert sent[0]["tool_calls"] == [
        {"function": {"name": "get", "arguments": {}}},
        {"function": {"name": "put", "arguments": {}}},
    ]
    assert [m.get("tool_name") for m in sent[1:]] == ["put", "put", "own"]


async def test_streamed_calls_in_separate_lines_get_distinct_ids() -> None:
    async def two_lines(request: ReceivedRequest, server: FakeServer) -> Reply:
        call = {"function": {"name": "get", "arguments": {}}}
        lines = [
            {"message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": False},
            {"message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": False},
            {"message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"},
        ]
        return Reply(chunks=[(json.dumps(x) + "\n").encode() for x in lines])

    async with FakeServer(lambda s: s.route("POST", "/api/chat", two_lines)) as server:
        settings = ProviderSettings(name="ollama", type="ollama", base_url=server.base_url)
        async with OllamaDriver(settings) as driver:
            request = Request("m", HELLO, tools=(Tool("get"),), stream=True)
            response = await driver.complete(request)
    assert [c.id for c in response.tool_calls] == ["call_0", "call_1"]
    assert response.finish_reason == "tool_calls"
