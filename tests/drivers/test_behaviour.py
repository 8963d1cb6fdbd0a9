"""The behaviour every driver shares, run against each driver's fake (see conftest.py)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import httpx
import pytest

from harness.drivers.base import Driver, Message, Request, StreamEvent, Timeouts, Tool
from harness.drivers.http import default_transport
from harness.drivers.registry import create_driver
from harness.errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionError_,
    ContentFilterError,
    ContextLengthError,
    MissingAPIKeyError,
    ProviderError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    TimeoutError_,
)
from tests.drivers.conftest import KEY_ENV, DriverCase
from tests.fakes.server import FakeServer

HELLO = (Message("user", "hello world"),)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temp": {"type": "integer"}},
    "required": ["city", "temp"],
    "additionalProperties": False,
}
TOOL = Tool(
    "lookup",
    "Look a city up.",
    {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
)


def req(**kw: Any) -> Request:
    return Request(model="fake-model", messages=kw.pop("messages", HELLO), **kw)


async def collect(driver: Driver, request: Request) -> list[StreamEvent]:
    return [event async for event in driver.stream(request)]


async def test_plain_completion(driver: Driver, fake: FakeServer, case: DriverCase) -> None:
    response = await driver.complete(req())
    assert response.text == "echo: hello world"
    assert response.finish_reason is not None
    assert response.provider == case.settings(fake.base_url).name
    assert response.latency_ms is not None and response.latency_ms > 0
    assert response.ttft_ms is None  # not streamed: no first token to time
    assert response.request_id
    assert response.raw is not None
    assert response.retries == 0
    header, value = case.key_header
    assert fake.requests[0].headers[header] == value


async def test_streaming_yields_text_then_response(driver: Driver) -> None:
    events = await collect(driver, req())
    assert "".join(e.text for e in events if e.kind == "text") == "echo: hello world"
    assert events[-1].kind == "response"
    final = events[-1].response
    assert final is not None and final.text == "echo: hello world"
    assert final.ttft_ms is not None and final.latency_ms is not None
    assert 0 < final.ttft_ms <= final.latency_ms


async def test_usage_is_the_same_plain_and_streamed(driver: Driver) -> None:
    plain = await driver.complete(req())
    streamed = await driver.complete(req(stream=True))
    assert plain.usage.input_tokens and plain.usage.output_tokens
    assert streamed.usage.input_tokens == plain.usage.input_tokens
    assert streamed.usage.output_tokens == plain.usage.output_tokens
    assert streamed.text == plain.text
    assert streamed.ttft_ms is not None


async def test_slow_first_byte_shows_in_ttft(driver: Driver, fake: FakeServer) -> None:
    fake.faults.slow_first_byte(0.05)
    final = (await collect(driver, req()))[-1].response
    assert final is not None and final.ttft_ms is not None
    assert final.ttft_ms >= 50


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_structured_output_uses_the_native_mode(
    driver: Driver, case: DriverCase, stream: bool
) -> None:
    response = await driver.complete(req(schema=SCHEMA, stream=stream))
    assert response.structured_mode == case.native_mode
    assert response.parsed == {"city": "x", "temp": 1}


async def test_structured_output_falls_back_and_remembers(case: DriverCase, api_key: str) -> None:
    async with (
        FakeServer(case.kind, options=case.reject_native) as fake,
        create_driver(case.settings(fake.base_url)) as driver,
    ):
        first = await driver.complete(req(schema=SCHEMA))
        assert first.structured_mode == case.fallback_mode
        assert first.parsed == {"city": "x", "temp": 1}
        assert len(fake.requests) == 2  # the rejected mode, then the fallback
        second = await driver.complete(req(schema=SCHEMA))
        assert second.structured_mode == case.fallback_mode
        assert len(fake.requests) == 3  # the rejected mode is skipped now


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_tool_calls(driver: Driver, stream: bool) -> None:
    response = await driver.complete(req(tools=(TOOL,), stream=stream))
    assert len(response.tool_calls) == 1
    call = response.tool_calls[0]
    assert call.name == "lookup"
    assert dict(call.arguments) == {"q": "x"}


async def test_tool_call_events_when_streaming(driver: Driver) -> None:
    events = await collect(driver, req(tools=(TOOL,)))
    calls = [e.tool_call for e in events if e.kind == "tool_call"]
    assert [c.name for c in calls if c is not None] == ["lookup"]


def _error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error"}}


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        pytest.param(401, "bad key", AuthenticationError, id="401-auth"),
        pytest.param(403, "forbidden", AuthenticationError, id="403-auth"),
        pytest.param(400, "messages: field required", BadRequestError, id="400-bad-request"),
        pytest.param(404, "model not found", BadRequestError, id="404-bad-request"),
        pytest.param(
            400,
            "This model's maximum context length is 8192 tokens",
            ContextLengthError,
            id="400-context-length",
        ),
        pytest.param(
            400, "The response was filtered due to content_filter", ContentFilterError, id="filter"
        ),
        pytest.param(429, "slow down", RateLimitError, id="429-rate-limit"),
        pytest.param(500, "boom", ServerError, id="500-server"),
        pytest.param(529, "overloaded", ServerError, id="529-overloaded"),
    ],
)
async def test_status_errors_are_typed(
    driver: Driver,
    fake: FakeServer,
    status: int,
    message: str,
    error: type[ProviderError],
) -> None:
    fake.faults.status(status, _error_body(message), times=3)
    with pytest.raises(error) as info:
        await driver.complete(req())
    assert type(info.value) is error
    assert info.value.status_code == status
    assert message in str(info.value)
    assert "fake-model" in str(info.value)  # names the model


async def test_malformed_json_is_a_parse_error(driver: Driver, fake: FakeServer) -> None:
    fake.faults.malformed().malformed().malformed()
    with pytest.raises(ResponseParseError):
        await driver.complete(req())
    assert len(fake.requests) == 3  # retried: a garbled answer may be transient


async def test_truncated_stream_is_a_parse_error(driver: Driver, fake: FakeServer) -> None:
    fake.faults.truncate().truncate().truncate()
    with pytest.raises(ResponseParseError):
        await driver.complete(req(stream=True))


async def test_truncated_stream_when_iterating_is_a_parse_error(
    driver: Driver, fake: FakeServer
) -> None:
    fake.faults.truncate()
    with pytest.raises(ResponseParseError):
        await collect(driver, req())


async def test_reset_mid_stream_is_a_connection_error(driver: Driver, fake: FakeServer) -> None:
    fake.faults.reset().reset().reset()
    with pytest.raises(ConnectionError_):
        await driver.complete(req(stream=True))


async def test_read_timeout(case: DriverCase, fake: FakeServer, api_key: str) -> None:
    settings = dataclasses.replace(
        case.settings(fake.base_url), timeouts=Timeouts(read=0.05), max_retries=0
    )
    fake.faults.slow_first_byte(0.5)
    async with create_driver(settings) as driver:
        with pytest.raises(TimeoutError_):
            await driver.complete(req())


async def test_refused_connection(case: DriverCase, api_key: str) -> None:
    async with FakeServer(case.kind) as fake:
        url = fake.base_url
    settings = dataclasses.replace(case.settings(url), max_retries=0)
    async with create_driver(settings) as driver:
        with pytest.raises(ConnectionError_):
            await driver.complete(req())


async def test_rate_limit_retry_after_is_honoured(driver: Driver, fake: FakeServer) -> None:
    fake.faults.rate_limit("0.2")
    start = time.perf_counter()
    response = await driver.complete(req())
    assert time.perf_counter() - start >= 0.2
    assert response.retries == 1
    assert response.text == "echo: hello world"


async def test_retry_after_ms_is_honoured(driver: Driver, fake: FakeServer) -> None:
    fake.faults.rate_limit(None, ms="150")
    start = time.perf_counter()
    response = await driver.complete(req())
    assert time.perf_counter() - start >= 0.15
    assert response.retries == 1


@pytest.mark.parametrize("status", [pytest.param(500, id="500"), pytest.param(529, id="529")])
async def test_server_errors_are_retried(driver: Driver, fake: FakeServer, status: int) -> None:
    fake.faults.status(status, times=2)
    response = await driver.complete(req())
    assert response.retries == 2
    assert len(fake.requests) == 3


@pytest.mark.parametrize("status", [pytest.param(401, id="401"), pytest.param(400, id="400")])
async def test_auth_and_bad_request_are_never_retried(
    driver: Driver, fake: FakeServer, status: int
) -> None:
    fake.faults.status(status, times=3)
    with pytest.raises(ProviderError):
        await driver.complete(req())
    assert len(fake.requests) == 1


async def test_stream_retries_before_the_first_event(driver: Driver, fake: FakeServer) -> None:
    fake.faults.status(500)
    events = await collect(driver, req())
    final = events[-1].response
    assert final is not None and final.retries == 1


async def test_missing_key_fails_before_any_request(
    case: DriverCase, fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    async with create_driver(case.settings(fake.base_url)) as driver:
        with pytest.raises(MissingAPIKeyError, match=KEY_ENV):
            await driver.complete(req())
    assert fake.requests == []


async def test_offline_needs_no_key(
    case: DriverCase, fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    base = case.settings(fake.base_url)
    settings = dataclasses.replace(base, options={**base.options, "offline": True})
    async with create_driver(settings) as driver:
        try:
            await driver.complete(req())
        except AuthenticationError as exc:  # a fake that checks keys may refuse; that's fine
            assert not isinstance(exc, MissingAPIKeyError)
    assert len(fake.requests) == 1  # no key was demanded before sending


class _Recorded(httpx.AsyncBaseTransport):
    """Stamps recorded timings on every response, as cassette replay does."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        response.extensions["harness.recorded_timings"] = {"latency_ms": 1234.0, "ttft_ms": 56.0}
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_recorded_timings_win(
    case: DriverCase, fake: FakeServer, api_key: str, stream: bool
) -> None:
    settings = case.settings(fake.base_url)
    transport = _Recorded(default_transport(settings))
    async with create_driver(settings, transport=transport) as driver:
        response = await driver.complete(req(stream=stream))
    assert response.timings_recorded
    assert response.latency_ms == 1234.0
    assert response.ttft_ms == 56.0
