"""Status codes and transport failures become typed harness errors; keys come from the env."""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import aiohttp
import httpx
import pytest

from harness.drivers.base import ProviderSettings, Timeouts
from harness.drivers.http import (
    api_key,
    error_from_status,
    make_client,
    parse_retry_after,
    translate_errors,
)
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
    UnsupportedFeatureError,
)


def _body(message: str) -> str:
    return json.dumps({"error": {"message": message}})


@pytest.mark.parametrize(
    ("status", "message", "expected", "retryable"),
    [
        pytest.param(401, "invalid key", AuthenticationError, False, id="401"),
        pytest.param(403, "no access", AuthenticationError, False, id="403"),
        pytest.param(400, "bad field", BadRequestError, False, id="400"),
        pytest.param(404, "no such model", BadRequestError, False, id="404"),
        pytest.param(422, "unprocessable", BadRequestError, False, id="422"),
        pytest.param(
            400,
            "This model's maximum context length is 4096 tokens",
            ContextLengthError,
            False,
            id="context-openai",
        ),
        pytest.param(
            400,
            "prompt is too long: 210000 tokens",
            ContextLengthError,
            False,
            id="context-anthropic",
        ),
        pytest.param(400, "flagged by content_filter", ContentFilterError, False, id="filter"),
        pytest.param(
            400,
            "response_format json_schema is not supported",
            UnsupportedFeatureError,
            False,
            id="unsupported",
        ),
        pytest.param(408, "request timeout", TimeoutError_, True, id="408"),
        pytest.param(429, "slow down", RateLimitError, True, id="429"),
        pytest.param(500, "oops", ServerError, True, id="500"),
        pytest.param(503, "unavailable", ServerError, True, id="503"),
        pytest.param(529, "overloaded", ServerError, True, id="529"),
    ],
)
def test_error_from_status(
    status: int, message: str, expected: type[ProviderError], retryable: bool
) -> None:
    error = error_from_status(status, _body(message), {}, provider="acme", model="m1")
    assert type(error) is expected
    assert error.retryable is retryable
    assert error.status_code == status
    assert str(error).startswith("acme:m1: ")
    assert message in str(error)


def test_the_drivers_own_message_wins() -> None:
    error = error_from_status(
        400, "<html>", {}, provider="p", model="m", message="context_length_exceeded"
    )
    assert isinstance(error, ContextLengthError)


def test_non_json_error_body_is_quoted() -> None:
    error = error_from_status(502, "<html>Bad gateway</html>", {}, provider="p", model="m")
    assert "Bad gateway" in str(error)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"Retry-After": "7"}, 7.0, id="seconds"),
        pytest.param({"retry-after": "1.5"}, 1.5, id="fraction"),
        pytest.param({"retry-after-ms": "250", "retry-after": "9"}, 0.25, id="ms-wins"),
        pytest.param({"retry-after": "soon"}, None, id="garbage"),
        pytest.param({}, None, id="absent"),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_retry_after_as_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = parse_retry_after({"Retry-After": when})
    assert seconds is not None and 28 <= seconds <= 31


def test_rate_limit_carries_retry_after() -> None:
    error = error_from_status(429, "", httpx.Headers({"Retry-After": "3"}), provider="p", model="m")
    assert isinstance(error, RateLimitError) and error.retry_after == 3.0


def _raise(exc: BaseException) -> None:
    raise exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        pytest.param(httpx.ConnectTimeout("t"), TimeoutError_, id="connect-timeout"),
        pytest.param(httpx.ReadTimeout("t"), TimeoutError_, id="read-timeout"),
        pytest.param(TimeoutError(), TimeoutError_, id="total-timeout"),
        pytest.param(httpx.ConnectError("refused"), ConnectionError_, id="connect-error"),
        pytest.param(httpx.RemoteProtocolError("eof"), ConnectionError_, id="protocol"),
        pytest.param(httpx.DecodingError("gzip"), ResponseParseError, id="decoding"),
        pytest.param(aiohttp.ServerDisconnectedError(), ConnectionError_, id="aiohttp-disconnect"),
        pytest.param(ConnectionResetError(), ConnectionError_, id="reset"),
    ],
)
def test_translate_errors(exc: BaseException, expected: type[ProviderError]) -> None:
    with pytest.raises(expected) as info, translate_errors("p", "m"):
        _raise(exc)
    assert info.value.provider == "p" and info.value.model == "m"
    assert info.value.__cause__ is exc


def test_translate_trusts_the_root_cause() -> None:
    # httpx-aiohttp reports a server disconnect as ConnectTimeout
    def chained() -> None:
        try:
            raise aiohttp.ServerDisconnectedError()
        except aiohttp.ServerDisconnectedError as inner:
            raise httpx.ConnectTimeout("disconnected") from inner

    with pytest.raises(ConnectionError_), translate_errors("p", "m"):
        chained()


def test_translate_leaves_provider_errors_alone() -> None:
    original = RateLimitError("x")
    with pytest.raises(RateLimitError) as info, translate_errors("p", "m"):
        _raise(original)
    assert info.value is original


def _settings(**kw: Any) -> ProviderSettings:
    return ProviderSettings(name="acme", type="openai", **kw)


def test_api_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_KEY", "k1")
    assert api_key(_settings(api_key_env="ACME_KEY")) == "k1"


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="ACME_KEY is not set: export ACME_KEY="):
        api_key(_settings(api_key_env="ACME_KEY"))


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(_settings(api_key_env=None), id="no-key-needed"),
        pytest.param(_settings(api_key_env="ACME_KEY", options={"offline": True}), id="offline"),
    ],
)
def test_no_key_needed(settings: ProviderSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_KEY", raising=False)
    assert api_key(settings) is None


async def test_make_client_uses_settings() -> None:
    settings = _settings(
        base_url="http://127.0.0.1:1/v1",
        headers={"X-Team": "evals"},
        timeouts=Timeouts(connect=1.0, read=2.0, total=3.0),
    )
    async with make_client(settings, httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        assert str(client.base_url) == "http://127.0.0.1:1/v1/"
        assert client.headers["x-team"] == "evals"
        assert client.timeout.connect == 1.0 and client.timeout.read == 2.0
