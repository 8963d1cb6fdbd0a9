"""Contract tests: the official ``google-genai`` SDK keeps the fake and our driver honest.

The SDK, pointed at the fake, must parse every answer (plain and streamed); and for
the same call our request body must equal what the SDK sends in every field both set.
Keys are compared in camelCase: the API's JSON mapping takes both spellings and this
SDK release sends ``property_ordering`` in snake case.
"""

from __future__ import annotations

import base64
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from harness.drivers.base import (
    ImagePart,
    Message,
    ProviderSettings,
    Request,
    TextPart,
    Tool,
    ToolCall,
)
from harness.drivers.gemini import GeminiDriver
from tests.fakes.gemini_fake import error_body
from tests.fakes.server import FakeServer

# the SDK subclasses aiohttp.ClientSession, which aiohttp warns about; not our code
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

KEY_ENV = "HARNESS_TEST_GEMINI_KEY"
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
# one TLS context for every client: building one per client (the SDK default) loads the
# CA bundle each time, about 0.2 s; the fake speaks plain HTTP anyway
_TLS = ssl.create_default_context()
IMAGE = b"\x89PNG\r\n\x1a\n fake image bytes \xfb\xff"


def _camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)


def shared_fields_differ(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Paths where two JSON values differ, looking only at object keys both set."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        a = {_camel(k): v for k, v in ours.items()}
        b = {_camel(k): v for k, v in theirs.items()}
        out: list[str] = []
        for key in a.keys() & b.keys():
            out += shared_fields_differ(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{path}: {len(ours)} items != {len(theirs)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(ours, theirs, strict=True))
            for d in shared_fields_differ(x, y, f"{path}[{i}]")
        ]
    return [] if ours == theirs else [f"{path}: {ours!r} != {theirs!r}"]


def test_shared_fields_differ_finds_a_difference() -> None:
    ours = {"a": [{"b": 1, "only_ours": 2}], "property_ordering": ["x"]}
    theirs = {"a": [{"b": 2}], "propertyOrdering": ["y"]}
    assert sorted(shared_fields_differ(ours, theirs)) == [
        "$.a[0].b: 1 != 2",
        "$.propertyOrdering[0]: 'x' != 'y'",
    ]


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    """A running fake Gemini server."""
    async with FakeServer("gemini") as server:
        yield server


@pytest.fixture
async def sdk(fake: FakeServer) -> AsyncIterator[genai.Client]:
    """The official client pointed at the fake (on the v1beta path our driver uses)."""
    options = types.HttpOptions(
        base_url=fake.base_url,
        api_version="v1beta",
        client_args={"verify": _TLS},
        async_client_args={"verify": _TLS, "ssl": _TLS},
    )
    client = genai.Client(api_key="sk-test", http_options=options)
    yield client
    await client.aio.aclose()


@pytest.fixture
async def driver(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[GeminiDriver]:
    """Our driver pointed at the fake."""
    monkeypatch.setenv(KEY_ENV, "sk-test")
    settings = ProviderSettings(
        name="gemini", type="gemini", base_url=fake.base_url, api_key_env=KEY_ENV
    )
    drv = GeminiDriver(settings)
    yield drv
    await drv.aclose()


def _text(role: str, text: str) -> types.Content:
    return types.Content(role=role, parts=[types.Part(text=text)])


# (our request, the same call as SDK keyword arguments)
CALLS = [
    pytest.param(
        Request(
            model="gemini-test",
            messages=(
                Message("system", "Be terse."),
                Message("user", "Hello there"),
                Message("assistant", "Hi."),
                Message("user", "Again"),
            ),
            params={
                "max_tokens": 50,
                "temperature": 0.2,
                "top_p": 0.9,
                "top_k": 5,
                "stop": ["\n\n"],
                "seed": 7,
            },
        ),
        {
            "contents": [
                _text("user", "Hello there"),
                _text("model", "Hi."),
                _text("user", "Again"),
            ],
            "config": types.GenerateContentConfig(
                system_instruction="Be terse.",
                max_output_tokens=50,
                temperature=0.2,
                top_p=0.9,
                top_k=5,
                stop_sequences=["\n\n"],
                seed=7,
            ),
        },
        id="plain",
    ),
    pytest.param(
        Request(
            model="gemini-test",
            messages=(
                Message(
                    "user",
                    (
                        TextPart("What is this?"),
                        ImagePart(data=base64.b64encode(IMAGE).decode(), media_type="image/png"),
                    ),
                ),
            ),
        ),
        {
            "contents": [
                types.Content(
                    role="user",
                    parts=[
                        types.Part(text="What is this?"),
                        types.Part.from_bytes(data=IMAGE, mime_type="image/png"),
                    ],
                )
            ],
        },
        id="image",
    ),
    pytest.param(
        Request(
            model="gemini-test",
            messages=(
                Message("user", "Weather in Paris?"),
                Message(
                    "assistant",
                    "",
                    tool_calls=(ToolCall("get_weather", {"city": "Paris"}),),
                ),
                Message("tool", '{"sky": "sunny"}', name="get_weather"),
            ),
            tools=(WEATHER,),
        ),
        {
            "contents": [
                _text("user", "Weather in Paris?"),
                types.Content(
                    role="model",
                    parts=[
                        types.Part(
                            function_call=types.FunctionCall(
                                name="get_weather", args={"city": "Paris"}
                            )
                        )
                    ],
                ),
                types.Content(
                    role="user",
                    parts=[
                        types.Part(
                            function_response=types.FunctionResponse(
                                name="get_weather", response={"sky": "sunny"}
                            )
                        )
                    ],
                ),
            ],
            "config": types.GenerateContentConfig(
                tools=[
                    types.Tool(
                        function_declarations=[
                            types.FunctionDeclaration(
                                name=WEATHER.name,
                                description=WEATHER.description,
                                parameters=dict(WEATHER.parameters),
                            )
                        ]
                    )
                ]
            ),
        },
        id="tool-round-trip",
    ),
    pytest.param(
        Request(model="gemini-test", messages=(Message("user", "Rate it"),), schema=SCHEMA),
        {
            "contents": [_text("user", "Rate it")],
            "config": types.GenerateContentConfig(
                response_mime_type="application/json",
                response_schema=dict(SCHEMA),
            ),
        },
        id="structured-response-schema",
    ),
]


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="stream")]
)
@pytest.mark.parametrize(("request_", "sdk_kwargs"), CALLS)
async def test_our_body_matches_the_sdk_body(
    fake: FakeServer,
    sdk: genai.Client,
    driver: GeminiDriver,
    request_: Request,
    sdk_kwargs: dict[str, Any],
    stream: bool,
) -> None:
    await driver.complete(replace(request_, stream=stream))
    ours = fake.requests[-1]
    if stream:
        async for _ in await sdk.aio.models.generate_content_stream(
            model="gemini-test", **sdk_kwargs
        ):
            pass
    else:
        await sdk.aio.models.generate_content(model="gemini-test", **sdk_kwargs)
    theirs = fake.requests[-1]
    assert ours.path == theirs.path
    assert ours.query == theirs.query
    assert shared_fields_differ(ours.json, theirs.json) == []
    # every top-level field the SDK sends, we send (it adds an empty generationConfig)
    assert {k for k, v in theirs.json.items() if v} <= set(ours.json)


@pytest.mark.parametrize(("request_", "sdk_kwargs"), CALLS)
async def test_sdk_parses_every_plain_and_streamed_answer(
    sdk: genai.Client, request_: Request, sdk_kwargs: dict[str, Any]
) -> None:
    plain = await sdk.aio.models.generate_content(model="gemini-test", **sdk_kwargs)
    chunks = [
        c
        async for c in await sdk.aio.models.generate_content_stream(
            model="gemini-test", **sdk_kwargs
        )
    ]
    assert plain.usage_metadata is not None and plain.usage_metadata.prompt_token_count
    assert plain.candidates and plain.candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "STOP"
    assert "".join(c.text or "" for c in chunks) == (plain.text or "")
    last_usage = chunks[-1].usage_metadata
    assert last_usage is not None
    assert last_usage.total_token_count == plain.usage_metadata.total_token_count
    if request_.tools and request_.messages[-1].role == "user":
        assert plain.function_calls and plain.function_calls[0].name == WEATHER.name
    if request_.schema is not None:
        assert plain.parsed == {"answer": "x", "score": 1}


@pytest.mark.parametrize(
    ("status", "rpc", "sdk_error"),
    [
        pytest.param(429, "RESOURCE_EXHAUSTED", genai_errors.ClientError, id="429"),
        pytest.param(400, "INVALID_ARGUMENT", genai_errors.ClientError, id="400"),
        pytest.param(403, "PERMISSION_DENIED", genai_errors.ClientError, id="403"),
        pytest.param(503, "UNAVAILABLE", genai_errors.ServerError, id="503"),
    ],
)
async def test_sdk_reads_the_fake_error_bodies(
    fake: FakeServer,
    sdk: genai.Client,
    status: int,
    rpc: str,
    sdk_error: type[genai_errors.APIError],
) -> None:
    fake.faults.status(status, error_body(status, rpc, "nope"))
    with pytest.raises(sdk_error) as info:
        await sdk.aio.models.generate_content(model="gemini-test", contents="hi")
    assert info.value.code == status
    assert info.value.status == rpc
    assert info.value.message == "nope"
