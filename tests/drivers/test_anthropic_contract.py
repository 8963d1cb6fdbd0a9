"""Contract tests: the official ``anthropic`` SDK keeps the fake and our driver honest.

The SDK, pointed at the fake, must parse every answer (plain and streamed); and for
the same call our request body must equal what the SDK sends in every field both set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest

from harness.drivers.anthropic import AnthropicDriver
from harness.drivers.base import (
    ImagePart,
    Message,
    ProviderSettings,
    Request,
    TextPart,
    Tool,
    ToolCall,
)
from tests.fakes.server import FakeServer

KEY_ENV = "HARNESS_TEST_ANTHROPIC_KEY"
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "score": {"type": "integer"}},
    "required": ["answer", "score"],
}
WEATHER = Tool(
    "get_weather",
    "Weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
PNG = "iVBORw0KGgo="


def shared_fields_differ(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Paths where two JSON values differ, looking only at object keys both set."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out: list[str] = []
        for key in ours.keys() & theirs.keys():
            out += shared_fields_differ(ours[key], theirs[key], f"{path}.{key}")
        return out
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{path}: {len(ours)} items != {len(theirs)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in shared_fields_differ(a, b, f"{path}[{i}]")
        ]
    return [] if ours == theirs else [f"{path}: {ours!r} != {theirs!r}"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    """A running fake Anthropic server."""
    async with FakeServer("anthropic") as server:
        yield server


@pytest.fixture
async def sdk(fake: FakeServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """The official async client pointed at the fake."""
    client = anthropic.AsyncAnthropic(api_key="sk-test", base_url=fake.base_url, max_retries=0)
    yield client
    await client.close()


@pytest.fixture
async def driver(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AnthropicDriver]:
    """Our driver pointed at the fake."""
    monkeypatch.setenv(KEY_ENV, "sk-test")
    settings = ProviderSettings(
        name="anthropic", type="anthropic", base_url=fake.base_url, api_key_env=KEY_ENV
    )
    drv = AnthropicDriver(settings)
    yield drv
    await drv.aclose()


# (our request, the same call as SDK keyword arguments)
CALLS = [
    pytest.param(
        Request(
            model="claude-test",
            messages=(Message("system", "Be terse."), Message("user", "Hello there")),
            params={
                "max_tokens": 50,
                "temperature": 0.2,
                "top_p": 0.9,
                "top_k": 5,
                "stop": ["\n\n"],
            },
        ),
        {
            "model": "claude-test",
            "max_tokens": 50,
            "system": "Be terse.",
            "messages": [{"role": "user", "content": "Hello there"}],
            "stop_sequences": ["\n\n"],
            # this SDK release has no sampling keywords any more; the API still takes them
            "extra_body": {"temperature": 0.2, "top_p": 0.9, "top_k": 5},
        },
        id="plain",
    ),
    pytest.param(
        Request(
            model="claude-test",
            messages=(
                Message(
                    "user",
                    (
                        TextPart("What is this?"),
                        ImagePart(data=PNG),
                        ImagePart(url="https://example.com/cat.jpg"),
                    ),
                ),
            ),
        ),
        {
            "model": "claude-test",
            "max_tokens": 1024,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                        {
                            "type": "image",
                            "source": {"type": "url", "url": "https://example.com/cat.jpg"},
                        },
                    ],
                }
            ],
        },
        id="images",
    ),
    pytest.param(
        Request(
            model="claude-test",
            messages=(
                Message("user", "Weather in Paris?"),
                Message(
                    "assistant",
                    "Checking.",
                    tool_calls=(ToolCall("get_weather", {"city": "Paris"}, id="toolu_1"),),
                ),
                Message("tool", "sunny", tool_call_id="toolu_1"),
            ),
            tools=(WEATHER,),
        ),
        {
            "model": "claude-test",
            "max_tokens": 1024,
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Checking."},
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}
                    ],
                },
            ],
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "input_schema": dict(WEATHER.parameters),
                }
            ],
        },
        id="tool-round-trip",
    ),
    pytest.param(
        Request(model="claude-test", messages=(Message("user", "Rate it"),), schema=SCHEMA),
        {
            "model": "claude-test",
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Rate it"}],
            "tools": [
                {
                    "name": "output",
                    "input_schema": SCHEMA,
                    "description": "Record the answer. Always call this tool with the "
                    "complete answer.",
                }
            ],
            "tool_choice": {"type": "tool", "name": "output"},
        },
        id="structured-tool",
    ),
]


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="stream")]
)
@pytest.mark.parametrize(("request_", "sdk_kwargs"), CALLS)
async def test_our_body_matches_the_sdk_body(
    fake: FakeServer,
    sdk: anthropic.AsyncAnthropic,
    driver: AnthropicDriver,
    request_: Request,
    sdk_kwargs: dict[str, Any],
    stream: bool,
) -> None:
    from dataclasses import replace

    await driver.complete(replace(request_, stream=stream))
    ours = fake.requests[-1].json
    if stream:
        async with sdk.messages.stream(**sdk_kwargs) as s:
            await s.get_final_message()
    else:
        await sdk.messages.create(**sdk_kwargs)
    theirs = fake.requests[-1].json
    assert shared_fields_differ(ours, theirs) == []
    assert ours.keys() == theirs.keys()


@pytest.mark.parametrize(("request_", "sdk_kwargs"), CALLS)
async def test_sdk_parses_every_plain_answer(
    sdk: anthropic.AsyncAnthropic, request_: Request, sdk_kwargs: dict[str, Any]
) -> None:
    message = await sdk.messages.create(**sdk_kwargs)
    assert message.type == "message"
    assert message.usage.input_tokens > 0
    assert message.stop_reason in ("end_turn", "tool_use")
    if sdk_kwargs.get("tool_choice"):
        block = message.content[0]
        assert block.type == "tool_use"
        assert block.input == {"answer": "x", "score": 1}


@pytest.mark.parametrize(("request_", "sdk_kwargs"), CALLS)
async def test_sdk_accumulates_every_streamed_answer(
    sdk: anthropic.AsyncAnthropic, request_: Request, sdk_kwargs: dict[str, Any]
) -> None:
    plain = await sdk.messages.create(**sdk_kwargs)
    async with sdk.messages.stream(**sdk_kwargs) as s:
        streamed = await s.get_final_message()
    assert [b.model_dump() for b in streamed.content] == [b.model_dump() for b in plain.content]
    assert streamed.stop_reason == plain.stop_reason
    assert streamed.usage.output_tokens == plain.usage.output_tokens
    assert streamed.usage.input_tokens == plain.usage.input_tokens


async def test_sdk_raw_stream_event_types_are_all_known(sdk: anthropic.AsyncAnthropic) -> None:
    stream = await sdk.messages.create(
        model="claude-test",
        max_tokens=64,
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    )
    kinds = [event.type async for event in stream]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert "content_block_delta" in kinds


@pytest.mark.parametrize(
    ("status", "kind", "sdk_error"),
    [
        pytest.param(401, "authentication_error", anthropic.AuthenticationError, id="401"),
        pytest.param(429, "rate_limit_error", anthropic.RateLimitError, id="429"),
        pytest.param(529, "overloaded_error", anthropic.InternalServerError, id="529"),
        pytest.param(400, "invalid_request_error", anthropic.BadRequestError, id="400"),
    ],
)
async def test_sdk_reads_the_fake_error_bodies(
    fake: FakeServer,
    sdk: anthropic.AsyncAnthropic,
    status: int,
    kind: str,
    sdk_error: type[Exception],
) -> None:
    from tests.fakes.anthropic_fake import error_body

    fake.faults.status(status, error_body(kind, "nope"))
    with pytest.raises(sdk_error) as info:
        await sdk.messages.create(
            model="claude-test", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert isinstance(info.value, anthropic.APIStatusError)
    assert info.value.body == {"type": "error", "error": {"type": kind, "message": "nope"}}
