"""The anthropic driver against its fake: what the shared behaviour suite cannot say."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from harness.drivers.anthropic import AnthropicDriver
from harness.drivers.base import Message, ProviderSettings, Request, Tool, Usage
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
from tests.fakes.anthropic_fake import error_body
from tests.fakes.server import FakeServer

KEY_ENV = "HARNESS_TEST_ANTHROPIC_KEY"
HELLO = (Message("user", "hello world"),)
SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


def req(**kw: Any) -> Request:
    return Request(model="claude-test", messages=kw.pop("messages", HELLO), **kw)


def settings(base_url: str, **kw: Any) -> ProviderSettings:
    return ProviderSettings(
        name="anthropic",
        type="anthropic",
        base_url=base_url,
        api_key_env=KEY_ENV,
        max_retries=2,
        options={"retry_base_delay": 0.001},
        **kw,
    )


@pytest.fixture
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeServer]:
    """The fake, with options from ``@pytest.mark.parametrize('fake', [...], indirect=True)``."""
    options = getattr(request, "param", {})
    async with FakeServer("anthropic", options=options) as server:
        yield server


@pytest.fixture
async def driver(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AnthropicDriver]:
    """The driver pointed at the fake, with a key set."""
    monkeypatch.setenv(KEY_ENV, "sk-ant-test")
    drv = AnthropicDriver(settings(fake.base_url))
    yield drv
    await drv.aclose()


def test_the_registry_builds_this_driver_for_the_anthropic_preset() -> None:
    preset = provider_settings("anthropic")
    assert preset.api_key_env == "ANTHROPIC_API_KEY"
    assert isinstance(create_driver(preset), AnthropicDriver)


async def test_headers_and_request_id(driver: AnthropicDriver, fake: FakeServer) -> None:
    response = await driver.complete(req())
    headers = fake.requests[0].headers
    assert headers["x-api-key"] == "sk-ant-test"
    assert headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers
    assert fake.requests[0].path == "/v1/messages"
    assert response.request_id is not None and response.request_id.startswith("req_")


async def test_api_version_setting_overrides_the_header(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "k")
    async with AnthropicDriver(settings(fake.base_url, api_version="2099-01-01")) as drv:
        await drv.complete(req())
    assert fake.requests[0].headers["anthropic-version"] == "2099-01-01"


async def test_missing_key_names_the_variable(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    async with AnthropicDriver(settings(fake.base_url)) as drv:
        with pytest.raises(MissingAPIKeyError, match=f"export {KEY_ENV}="):
            await drv.complete(req())
    assert fake.requests == []


@pytest.mark.parametrize(
    "fake",
    [pytest.param({"cache_creation_tokens": 20, "cache_read_tokens": 300, "thinking_tokens": 7})],
    indirect=True,
    ids=["cache-and-thinking"],
)
@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_cache_and_thinking_usage(driver: AnthropicDriver, stream: bool) -> None:
    response = await driver.complete(req(stream=stream))
    # "hello world" is 2 fresh input tokens; "echo: hello world" 3 output tokens + 7 thinking
    assert response.usage == Usage(
        input_tokens=2 + 20 + 300,
        output_tokens=10,
        cached_tokens=300,
        reasoning_tokens=7,
        cache_write_tokens=20,
    )


async def test_cost_from_the_price_table_counts_cache_reads_at_the_cached_rate(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.drivers.base import ModelPrice

    monkeypatch.setenv(KEY_ENV, "k")
    prices = {"anthropic:claude-test": ModelPrice(1.0, 5.0, cached_input_per_mtok=0.1)}
    async with AnthropicDriver(settings(fake.base_url), prices=prices) as drv:
        response = await drv.complete(req())
    assert response.cost_usd == pytest.approx((2 * 1.0 + 3 * 5.0) / 1e6)


async def test_a_request_with_tools_and_a_schema_uses_prompt_mode(
    driver: AnthropicDriver, fake: FakeServer
) -> None:
    tool = Tool("lookup", "Look up", {"type": "object", "properties": {"q": {"type": "string"}}})
    response = await driver.complete(req(schema=SCHEMA, tools=(tool,)))
    assert response.structured_mode == "prompt"
    assert "tool_choice" not in fake.requests[0].json


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"thinking": {"type": "enabled", "budget_tokens": 2048}}, id="thinking"),
        pytest.param({"extra_body": {"thinking": {"type": "adaptive"}}}, id="extra-body-thinking"),
    ],
)
async def test_thinking_with_a_schema_uses_prompt_mode(
    driver: AnthropicDriver, fake: FakeServer, params: dict[str, Any]
) -> None:
    # the API refuses a forced tool choice while thinking is on: do not even try
    response = await driver.complete(req(schema=SCHEMA, params=params))
    assert response.structured_mode == "prompt"
    assert response.parsed == {"a": "x"}
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_structured_output_text_is_the_tool_input(
    driver: AnthropicDriver, stream: bool
) -> None:
    response = await driver.complete(req(schema=SCHEMA, stream=stream))
    assert response.structured_mode == "tool"
    assert response.parsed == {"a": "x"}
    assert response.text == '{"a": "x"}'
    assert response.tool_calls == ()
    assert response.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("status", "kind", "message", "error", "retried"),
    [
        pytest.param(529, "overloaded_error", "Overloaded", ServerError, True, id="529"),
        pytest.param(500, "api_error", "Internal", ServerError, True, id="500"),
        pytest.param(429, "rate_limit_error", "Too many", RateLimitError, True, id="429"),
        pytest.param(
            401, "authentication_error", "invalid x-api-key", AuthenticationError, False, id="401"
        ),
        pytest.param(403, "permission_error", "no access", AuthenticationError, False, id="403"),
        pytest.param(
            400,
            "invalid_request_error",
            "prompt is too long: 201000 tokens > 200000 maximum",
            ContextLengthError,
            False,
            id="prompt-too-long",
        ),
    ],
)
async def test_anthropic_error_bodies(
    driver: AnthropicDriver,
    fake: FakeServer,
    status: int,
    kind: str,
    message: str,
    error: type[Exception],
    retried: bool,
) -> None:
    fake.faults.status(status, error_body(kind, message), headers={"retry-after": "0"}, times=3)
    with pytest.raises(error) as info:
        await driver.complete(req())
    assert type(info.value) is error
    assert f"{kind}: {message}" in str(info.value)
    assert len(fake.requests) == (3 if retried else 1)


async def test_529_then_success_counts_the_retry(driver: AnthropicDriver, fake: FakeServer) -> None:
    fake.faults.status(529, error_body("overloaded_error", "Overloaded"))
    response = await driver.complete(req())
    assert response.text == "echo: hello world"
    assert response.retries == 1


async def test_rate_limit_carries_retry_after(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "k")
    fake.faults.status(429, error_body("rate_limit_error", "slow"), headers={"retry-after": "17"})
    async with AnthropicDriver(dataclasses.replace(settings(fake.base_url), max_retries=0)) as drv:
        with pytest.raises(RateLimitError) as info:
            await drv.complete(req())
    assert info.value.retry_after == 17.0


@pytest.mark.parametrize(
    "fake",
    [pytest.param({"stream_error": "overloaded_error"})],
    indirect=True,
    ids=["overloaded-mid-stream"],
)
async def test_an_error_event_mid_stream_is_typed_and_retried(
    driver: AnthropicDriver, fake: FakeServer
) -> None:
    with pytest.raises(ServerError, match="overloaded_error"):
        await driver.complete(req(stream=True))
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    "fake",
    [pytest.param({"stream_error": "invalid_request_error"})],
    indirect=True,
    ids=["bad-request-mid-stream"],
)
async def test_a_stream_error_event_when_iterating(driver: AnthropicDriver) -> None:
    events = []
    with pytest.raises(BadRequestError) as info:
        async for event in driver.stream(req()):
            events.append(event)
    assert info.value.status_code == 400
    assert [e.kind for e in events] == ["text"]  # the text before the error arrived


@pytest.mark.parametrize("fake", [pytest.param({"refuse": True})], indirect=True, ids=["refuse"])
@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_a_refusal_is_a_content_filter_error(driver: AnthropicDriver, stream: bool) -> None:
    with pytest.raises(ContentFilterError):
        await driver.complete(req(stream=stream))


async def test_max_tokens_default_and_truncation(driver: AnthropicDriver, fake: FakeServer) -> None:
    await driver.complete(req())
    assert fake.requests[0].json["max_tokens"] == 1024
    response = await driver.complete(req(params={"max_tokens": 2}))
    assert response.finish_reason == "length"
    assert response.text == "echo: hello"


@pytest.mark.parametrize(
    ("model", "priced"),
    [
        pytest.param("claude-haiku-4-5", True, id="known-model"),
        pytest.param("claude-test", False, id="unknown-model-is-none-not-zero"),
    ],
)
async def test_cost_from_the_maintained_price_table(
    driver: AnthropicDriver, model: str, priced: bool
) -> None:
    response = await driver.complete(dataclasses.replace(req(), model=model))
    assert (response.cost_usd is not None and response.cost_usd > 0) is priced
    assert priced or response.cost_usd is None
