"""The gemini driver against its fake: what the shared behaviour suite cannot say."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from harness.drivers.base import Message, ProviderSettings, Request, Usage
from harness.drivers.gemini import GeminiDriver
from harness.drivers.registry import create_driver, provider_settings
from harness.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    MissingAPIKeyError,
    RateLimitError,
    ServerError,
)
from tests.fakes.gemini_fake import error_body
from tests.fakes.server import FakeServer

KEY_ENV = "HARNESS_TEST_GEMINI_KEY"
HELLO = (Message("user", "hello world"),)
SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


def req(**kw: Any) -> Request:
    return Request(model="gemini-test", messages=kw.pop("messages", HELLO), **kw)


def settings(base_url: str, **kw: Any) -> ProviderSettings:
    fields: dict[str, Any] = {
        "name": "gemini",
        "type": "gemini",
        "base_url": base_url,
        "api_key_env": KEY_ENV,
        "max_retries": 2,
        "options": {"retry_base_delay": 0.001},
    }
    return ProviderSettings(**(fields | kw))


@pytest.fixture
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeServer]:
    """The fake, with options from ``@pytest.mark.parametrize('fake', [...], indirect=True)``."""
    async with FakeServer("gemini", options=getattr(request, "param", {})) as server:
        yield server


@pytest.fixture
async def driver(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[GeminiDriver]:
    """The driver pointed at the fake, with a key set."""
    monkeypatch.setenv(KEY_ENV, "gm-test")
    drv = GeminiDriver(settings(fake.base_url))
    yield drv
    await drv.aclose()


def test_the_registry_builds_this_driver_for_the_gemini_preset() -> None:
    preset = provider_settings("gemini")
    assert preset.api_key_env == "GEMINI_API_KEY"
    assert isinstance(create_driver(preset), GeminiDriver)


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_path_key_header_and_response_id(
    driver: GeminiDriver, fake: FakeServer, stream: bool
) -> None:
    response = await driver.complete(req(stream=stream))
    sent = fake.requests[0]
    method = "streamGenerateContent" if stream else "generateContent"
    assert sent.path == f"/v1beta/models/gemini-test:{method}"
    assert sent.query == ({"alt": "sse"} if stream else {})
    assert sent.headers["x-goog-api-key"] == "gm-test"
    assert "authorization" not in sent.headers
    assert response.request_id is not None and response.request_id.startswith("resp-")
    assert response.model == "gemini-test-001"


@pytest.mark.parametrize(
    ("env", "sent"),
    [
        pytest.param({"GOOGLE_API_KEY": "from-google"}, "from-google", id="google-fallback"),
        pytest.param(
            {"GOOGLE_API_KEY": "from-google", "GEMINI_API_KEY": "from-gemini"},
            "from-gemini",
            id="gemini-wins",
        ),
    ],
)
async def test_google_api_key_is_the_fallback_for_the_default_variable(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], sent: str
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    async with GeminiDriver(settings(fake.base_url, api_key_env="GEMINI_API_KEY")) as drv:
        await drv.complete(req())
    assert fake.requests[0].headers["x-goog-api-key"] == sent


async def test_no_google_fallback_for_a_custom_variable(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", "from-google")
    async with GeminiDriver(settings(fake.base_url)) as drv:
        with pytest.raises(MissingAPIKeyError, match=KEY_ENV):
            await drv.complete(req())
    assert fake.requests == []


@pytest.mark.parametrize("fake", [pytest.param({"api_key": "right"})], indirect=True, ids=["key"])
async def test_an_invalid_key_is_an_authentication_error_not_retried(
    driver: GeminiDriver, fake: FakeServer
) -> None:
    with pytest.raises(AuthenticationError, match="API key not valid") as info:
        await driver.complete(req())
    assert info.value.status_code == 400
    assert KEY_ENV in str(info.value)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("status", "rpc", "message", "error", "retried"),
    [
        pytest.param(503, "UNAVAILABLE", "The model is overloaded.", ServerError, True, id="503"),
        pytest.param(
            500, "INTERNAL", "An internal error has occurred.", ServerError, True, id="500"
        ),
        pytest.param(429, "RESOURCE_EXHAUSTED", "Quota exceeded", RateLimitError, True, id="429"),
        pytest.param(403, "PERMISSION_DENIED", "denied", AuthenticationError, False, id="403"),
        pytest.param(401, "UNAUTHENTICATED", "no creds", AuthenticationError, False, id="401"),
        pytest.param(
            400,
            "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
            ContextLengthError,
            False,
            id="context-length",
        ),
        pytest.param(400, "INVALID_ARGUMENT", "* contents: bad", BadRequestError, False, id="400"),
    ],
)
async def test_gemini_error_bodies(
    driver: GeminiDriver,
    fake: FakeServer,
    status: int,
    rpc: str,
    message: str,
    error: type[Exception],
    retried: bool,
) -> None:
    fake.faults.status(
        status, error_body(status, rpc, message), headers={"retry-after": "0"}, times=3
    )
    with pytest.raises(error) as info:
        await driver.complete(req())
    assert type(info.value) is error
    assert message in str(info.value)
    assert len(fake.requests) == (3 if retried else 1)


async def test_503_then_success_counts_the_retry(driver: GeminiDriver, fake: FakeServer) -> None:
    fake.faults.status(503, error_body(503, "UNAVAILABLE", "overloaded"))
    response = await driver.complete(req(stream=True))
    assert response.text == "echo: hello world"
    assert response.retries == 1


async def test_rate_limit_carries_retry_after(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "k")
    body = error_body(429, "RESOURCE_EXHAUSTED", "quota")
    fake.faults.status(429, body, headers={"retry-after": "9"})
    async with GeminiDriver(dataclasses.replace(settings(fake.base_url), max_retries=0)) as drv:
        with pytest.raises(RateLimitError) as info:
            await drv.complete(req())
    assert info.value.retry_after == 9.0


@pytest.mark.parametrize(
    "fake",
    [pytest.param({"thoughts_tokens": 40, "cached_tokens": 1})],
    indirect=True,
    ids=["thinking"],
)
@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_thinking_tokens_are_billed_as_output(driver: GeminiDriver, stream: bool) -> None:
    response = await driver.complete(req(stream=stream))
    # "hello world": 2 prompt tokens; "echo: hello world": 3 candidate tokens + 40 thinking
    assert response.usage == Usage(
        input_tokens=2, output_tokens=43, cached_tokens=1, reasoning_tokens=40
    )


@pytest.mark.parametrize(
    "fake",
    [
        pytest.param({"block_prompt": True}, id="prompt-blocked"),
        pytest.param({"safety_stop": True}, id="answer-blocked"),
    ],
    indirect=True,
)
@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_blocked_answers_are_content_filter_errors(
    driver: GeminiDriver, fake: FakeServer, stream: bool
) -> None:
    with pytest.raises(ContentFilterError, match="blocked"):
        await driver.complete(req(stream=stream))
    assert len(fake.requests) == 1  # a policy refusal is not retried


async def test_a_recursive_schema_uses_response_json_schema(
    driver: GeminiDriver, fake: FakeServer
) -> None:
    schema = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "next": {"$ref": "#/$defs/Node"}},
                "required": ["name"],
            }
        },
    }
    response = await driver.complete(req(schema=schema))
    config = fake.requests[0].json["generationConfig"]
    assert config["responseJsonSchema"] == schema
    assert "responseSchema" not in config
    assert response.structured_mode == "response_schema"
    assert isinstance(response.parsed, dict)  # the fake does not resolve $ref: it answers {}


async def test_max_output_tokens_truncation(driver: GeminiDriver, fake: FakeServer) -> None:
    response = await driver.complete(req(params={"max_tokens": 2}))
    assert fake.requests[0].json["generationConfig"] == {"maxOutputTokens": 2}
    assert response.finish_reason == "length"
    assert response.text == "echo: hello"


async def test_an_error_chunk_mid_stream_is_typed(
    driver: GeminiDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def handler(_request: Any, _server: FakeServer) -> Any:
        from tests.fakes.server import Reply

        ok = b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\n'
        err = b'data: {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}\r\n\r\n'
        return Reply(chunks=[ok, err], content_type="text/event-stream")

    def setup(server: FakeServer) -> None:
        server.route("POST", "/v1beta/models/{model:[^:/]+}:streamGenerateContent", handler)

    monkeypatch.setenv(KEY_ENV, "k")
    async with FakeServer(setup) as server, GeminiDriver(settings(server.base_url)) as drv:
        events = []
        with pytest.raises(ServerError, match="overloaded"):
            async for event in drv.stream(req()):
                events.append(event)
    assert [e.text for e in events] == ["Hi"]


@pytest.mark.parametrize(
    ("model", "priced"),
    [
        pytest.param("gemini-2.5-flash", True, id="known-model"),
        pytest.param("gemini-test", False, id="unknown-model-is-none-not-zero"),
    ],
)
async def test_cost_from_the_maintained_price_table(
    driver: GeminiDriver, model: str, priced: bool
) -> None:
    response = await driver.complete(dataclasses.replace(req(), model=model))
    assert (response.cost_usd is not None and response.cost_usd > 0) is priced
    assert priced or response.cost_usd is None
