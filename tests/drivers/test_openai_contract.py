"""Contract tests keeping the openai driver and its fake honest.

- The official ``openai`` SDK parses every answer of the fake, plain and streamed.
- Our request bodies and the fake's answers validate against OpenAI's OpenAPI schemas.
- For the same call, our request body equals the SDK's in every field both set.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from harness.drivers.base import (
    ImagePart,
    Message,
    ProviderSettings,
    Request,
    TextPart,
    Tool,
    ToolCall,
)
from harness.drivers.openai import OpenAIDriver
from tests.drivers.openapi import assert_valid
from tests.fakes.server import FakeServer

MODEL = "gpt-4o-mini"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
TOOL_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"q": {"type": "string"}},
    "required": ["q"],
}
PARAMS: dict[str, Any] = {
    "temperature": 0.2,
    "max_tokens": 50,
    "seed": 7,
    "stop": ["\n\n"],
    "top_p": 0.9,
}

# (our request, the same call as openai SDK keyword arguments)
CALLS: list[Any] = [
    pytest.param(
        Request(
            MODEL, (Message("system", "Be brief."), Message("user", "hello world")), params=PARAMS
        ),
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hello world"},
            ],
            **PARAMS,
        },
        id="plain",
    ),
    pytest.param(
        Request(MODEL, (Message("user", "hello world"),), stream=True),
        {
            "messages": [{"role": "user", "content": "hello world"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        id="streamed",
    ),
    pytest.param(
        Request(MODEL, (Message("user", "give json"),), schema=SCHEMA, schema_name="reply"),
        {
            "messages": [{"role": "user", "content": "give json"}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": SCHEMA, "strict": True},
            },
        },
        id="json-schema",
    ),
    pytest.param(
        Request(
            MODEL, (Message("user", "look it up"),), tools=(Tool("lookup", "Find", TOOL_PARAMS),)
        ),
        {
            "messages": [{"role": "user", "content": "look it up"}],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "lookup",
                        "description": "Find",
                        "parameters": TOOL_PARAMS,
                    },
                }
            ],
        },
        id="tools",
    ),
    pytest.param(
        Request(
            MODEL,
            (
                Message(
                    "user",
                    (
                        TextPart("what is this?"),
                        ImagePart(url="https://example.com/cat.png"),
                        ImagePart(data="aGVsbG8=", media_type="image/jpeg"),
                    ),
                ),
            ),
        ),
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:image/jpeg;base64,aGVsbG8="},
                        },
                    ],
                }
            ],
        },
        id="images",
    ),
    pytest.param(
        Request(
            MODEL,
            (
                Message("user", "look it up"),
                Message(
                    "assistant",
                    tool_calls=(
                        ToolCall("lookup", {"q": "x"}, id="call_1", raw_arguments='{"q":"x"}'),
                    ),
                ),
                Message("tool", '{"result": 42}', tool_call_id="call_1"),
            ),
            tools=(Tool("lookup", "Find", TOOL_PARAMS),),
        ),
        {
            "messages": [
                {"role": "user", "content": "look it up"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": '{"q":"x"}'},
                        }
                    ],
                },
                {"role": "tool", "content": '{"result": 42}', "tool_call_id": "call_1"},
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "lookup",
                        "description": "Find",
                        "parameters": TOOL_PARAMS,
                    },
                }
            ],
        },
        id="tool-round-trip",
    ),
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    """The openai fake."""
    async with FakeServer("openai") as server:
        yield server


@pytest.fixture
async def sdk(fake: FakeServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official SDK pointed at the fake, without retries."""
    client = openai.AsyncOpenAI(base_url=fake.base_url + "/v1", api_key="sk-test", max_retries=0)
    yield client
    await client.close()


@pytest.fixture
async def driver(fake: FakeServer) -> AsyncIterator[OpenAIDriver]:
    """Our driver pointed at the fake."""
    settings = ProviderSettings(name="openai", type="openai", base_url=fake.base_url + "/v1")
    async with OpenAIDriver(settings) as drv:
        yield drv


async def _sdk_call(sdk: openai.AsyncOpenAI, kwargs: dict[str, Any]) -> Any:
    result = await sdk.chat.completions.create(model=MODEL, **kwargs)
    if kwargs.get("stream"):
        return [chunk async for chunk in result]
    return result


@pytest.mark.parametrize(("ours", "theirs"), CALLS)
async def test_our_body_matches_the_sdk_body(
    fake: FakeServer,
    sdk: openai.AsyncOpenAI,
    driver: OpenAIDriver,
    ours: Request,
    theirs: dict[str, Any],
) -> None:
    await driver.complete(ours)
    await _sdk_call(sdk, theirs)
    our_body, sdk_body = fake.requests[0].json, fake.requests[1].json
    shared = our_body.keys() & sdk_body.keys()
    assert {"model", "messages"} <= shared
    assert set(theirs) <= shared  # we set everything the SDK was asked to set
    for key in sorted(shared):
        assert our_body[key] == sdk_body[key], key


@pytest.mark.parametrize(("ours", "theirs"), CALLS)
async def test_our_request_bodies_follow_the_openapi_schema(
    fake: FakeServer, driver: OpenAIDriver, ours: Request, theirs: dict[str, Any]
) -> None:
    await driver.complete(ours)
    assert_valid("CreateChatCompletionRequest", fake.requests[0].json)


@pytest.mark.parametrize(
    "mode", [pytest.param("json_object", id="json-object"), pytest.param("prompt", id="prompt")]
)
def test_fallback_request_bodies_follow_the_openapi_schema(mode: Any) -> None:
    settings = ProviderSettings(name="openai", type="openai", base_url="http://127.0.0.1:9/v1")
    driver = OpenAIDriver(settings)
    request = Request(MODEL, (Message("user", "give json"),), schema=SCHEMA)
    call = driver.build_call(driver._prepare(request, mode), mode, stream=False)
    assert_valid("CreateChatCompletionRequest", call.body)


@pytest.mark.parametrize(("ours", "theirs"), CALLS)
async def test_the_sdk_parses_the_fake(
    fake: FakeServer, sdk: openai.AsyncOpenAI, ours: Request, theirs: dict[str, Any]
) -> None:
    result = await _sdk_call(sdk, theirs)
    if theirs.get("stream"):
        text = "".join(c.choices[0].delta.content or "" for c in result if c.choices)
        assert text == "echo: hello world"
        assert result[-1].choices == [] and result[-1].usage is not None
        assert result[-1].usage.prompt_tokens == 2
    else:
        choice = result.choices[0]
        assert choice.finish_reason in ("stop", "tool_calls")
        assert result.usage is not None and result.usage.completion_tokens >= 1
        if theirs.get("response_format"):
            assert json.loads(choice.message.content) == {"answer": "x"}
        if choice.finish_reason == "tool_calls":
            assert choice.message.tool_calls[0].function.name == "lookup"


async def test_the_sdk_parses_streamed_tool_calls(sdk: openai.AsyncOpenAI) -> None:
    stream = await sdk.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "look it up"}],
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": TOOL_PARAMS}}],
        stream=True,
    )
    args = ""
    async for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or ():
                args += call.function.arguments or "" if call.function else ""
    assert json.loads(args) == {"q": "x"}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(400, openai.BadRequestError, id="400"),
        pytest.param(401, openai.AuthenticationError, id="401"),
        pytest.param(429, openai.RateLimitError, id="429"),
        pytest.param(500, openai.InternalServerError, id="500"),
    ],
)
async def test_the_sdk_parses_the_fake_errors(
    fake: FakeServer, sdk: openai.AsyncOpenAI, status: int, error: type[Exception]
) -> None:
    fake.faults.status(status)
    with pytest.raises(error) as info:
        await _sdk_call(sdk, {"messages": [{"role": "user", "content": "hi"}]})
    assert f"fake error {status}" in str(info.value)


@pytest.mark.parametrize(("ours", "theirs"), CALLS)
async def test_fake_answers_follow_the_openapi_schema(
    fake: FakeServer, driver: OpenAIDriver, ours: Request, theirs: dict[str, Any]
) -> None:
    response = await driver.complete(ours)
    if ours.stream:
        assert isinstance(response.raw, list) and response.raw
        for chunk in response.raw:
            assert_valid("CreateChatCompletionStreamResponse", chunk)
    else:
        assert_valid("CreateChatCompletionResponse", response.raw)


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        pytest.param("CreateChatCompletionResponse", {"choices": "x"}, id="response"),
        pytest.param(
            "CreateChatCompletionRequest",
            {"model": "m", "messages": [], "response_format": {"type": "bogus"}},
            id="request",
        ),
    ],
)
def test_the_schema_check_can_fail(schema: str, instance: Any) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"not a valid {schema}"):
        assert_valid(schema, instance)


def test_the_vendored_schemas_are_inside_the_repository_and_complete() -> None:
    # a fresh clone has nothing beside it: every $ref must resolve within the vendored file
    from tests.drivers.contracts.trim_openai import LOCAL_REF, ROOTS, _refs
    from tests.drivers.openapi import OPENAPI

    repo = Path(__file__).resolve().parents[2]
    assert OPENAPI.is_relative_to(repo)
    assert (OPENAPI.parent / "LICENSE").read_text().startswith("The MIT License")
    schemas = yaml.safe_load(OPENAPI.read_text())["components"]["schemas"]
    assert set(ROOTS) <= set(schemas)
    dangling = {ref for ref in _refs(schemas) if ref.removeprefix(LOCAL_REF) not in schemas}
    assert not dangling
