"""Reading the providers' rate-limit reports: OpenAI, Anthropic and Gemini, headers and bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from harness.drivers.anthropic import AnthropicDriver
from harness.drivers.base import Message, ProviderSettings, Request
from harness.drivers.gemini import GeminiDriver
from harness.drivers.openai import OpenAIDriver
from harness.drivers.ratelimits import (
    RateLimits,
    anthropic_limits,
    gemini_limits,
    openai_limits,
    parse_duration,
)
from harness.errors import RateLimitError, ServerError

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("1s", 1.0, id="seconds"),
        pytest.param("20ms", 0.02, id="milliseconds"),
        pytest.param("6m0s", 360.0, id="minutes-and-seconds"),
        pytest.param("1m30.5s", 90.5, id="fractional"),
        pytest.param("1h2m3s", 3723.0, id="hours"),
        pytest.param("2.5", 2.5, id="plain-number"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("5x", None, id="unknown-unit"),
        pytest.param("1s then", None, id="trailing-words"),
    ],
)
def test_durations(text: str, seconds: float | None) -> None:
    parsed = parse_duration(text)
    assert parsed == pytest.approx(seconds) if seconds is not None else parsed is None


def test_openai_headers() -> None:
    limits = openai_limits(
        {
            "X-RateLimit-Limit-Requests": "500",
            "x-ratelimit-remaining-requests": "499",
            "x-ratelimit-reset-requests": "120ms",
            "x-ratelimit-limit-tokens": "30000",
            "x-ratelimit-remaining-tokens": "29000",
            "x-ratelimit-reset-tokens": "2s",
        }
    )
    assert limits == RateLimits(500, 499, 0.12, 30000, 29000, 2.0, None)


def test_openai_429_with_retry_after_ms() -> None:
    limits = openai_limits(
        httpx.Headers(
            {"retry-after": "1", "retry-after-ms": "250", "x-ratelimit-remaining-requests": "0"}
        )
    )
    assert limits is not None
    assert (limits.requests_remaining, limits.retry_after) == (0, 0.25)


def test_no_rate_limit_headers_means_none() -> None:
    assert openai_limits({"content-type": "application/json"}) is None
    assert anthropic_limits({"request-id": "x"}) is None
    assert gemini_limits({}, None) is None


def test_anthropic_headers_take_the_tightest_token_budget() -> None:
    limits = anthropic_limits(
        {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "10",
            "anthropic-ratelimit-requests-reset": "2026-01-01T12:00:03Z",
            "anthropic-ratelimit-input-tokens-limit": "40000",
            "anthropic-ratelimit-input-tokens-remaining": "39000",
            "anthropic-ratelimit-input-tokens-reset": "2026-01-01T12:00:01Z",
            "anthropic-ratelimit-output-tokens-limit": "8000",
            "anthropic-ratelimit-output-tokens-remaining": "400",
            "anthropic-ratelimit-output-tokens-reset": "2026-01-01T12:00:30Z",
            "retry-after": "7",
        },
        now=NOW,
    )
    assert limits is not None
    assert (limits.requests_limit, limits.requests_remaining) == (50, 10)
    assert limits.requests_reset == pytest.approx(3.0)
    # 400 of 8000 output tokens (5%) binds before 39000 of 40000 input tokens
    assert (limits.tokens_limit, limits.tokens_remaining) == (8000, 400)
    assert limits.tokens_reset == pytest.approx(30.0)
    assert limits.retry_after == 7.0


GEMINI_429 = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                        "quotaValue": "15",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
        ],
    }
}


def test_gemini_429_body() -> None:
    limits = gemini_limits({}, json.dumps(GEMINI_429))
    assert limits is not None
    assert limits.retry_after == 37.0
    assert (limits.requests_limit, limits.requests_remaining) == (15, 0)
    assert limits.tokens_limit is None


def test_gemini_retry_after_header_wins_over_the_body() -> None:
    limits = gemini_limits({"Retry-After": "3"}, json.dumps(GEMINI_429))
    assert limits is not None and limits.retry_after == 3.0


# the drivers attach what they read: to a Response on success, to the error on a 429

REQUEST = Request(model="m", messages=(Message("user", "hi"),))


def _transport(status: int, headers: dict[str, str], body: object) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, json=body)

    return httpx.MockTransport(handler)


OPENAI_OK = {
    "id": "c1",
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


async def test_openai_driver_reports_the_budget_on_success() -> None:
    settings = ProviderSettings(name="o", type="openai", base_url="http://x/v1", max_retries=0)
    transport = _transport(
        200,
        {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "59",
            "x-ratelimit-reset-requests": "1s",
        },
        OPENAI_OK,
    )
    async with OpenAIDriver(settings, transport=transport) as driver:
        response = await driver.complete(REQUEST)
    assert response.rate_limits == RateLimits(
        requests_limit=60, requests_remaining=59, requests_reset=1.0
    )


async def test_openai_503_with_retry_after_carries_it() -> None:
    settings = ProviderSettings(name="o", type="openai", base_url="http://x/v1", max_retries=0)
    transport = _transport(503, {"retry-after": "2"}, {"error": {"message": "overloaded"}})
    async with OpenAIDriver(settings, transport=transport) as driver:
        with pytest.raises(ServerError) as info:
            await driver.complete(REQUEST)
    assert info.value.retry_after == 2.0
    assert isinstance(info.value.rate_limits, RateLimits)


async def test_anthropic_driver_attaches_limits_to_a_429() -> None:
    settings = ProviderSettings(
        name="a", type="anthropic", base_url="http://x", max_retries=0, options={"offline": True}
    )
    headers = {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2999-01-01T00:00:00Z",
        "retry-after": "4",
    }
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Too many"}}
    async with AnthropicDriver(settings, transport=_transport(429, headers, body)) as driver:
        with pytest.raises(RateLimitError) as info:
            await driver.complete(REQUEST)
    limits = info.value.rate_limits
    assert isinstance(limits, RateLimits)
    assert (limits.requests_limit, limits.requests_remaining, limits.retry_after) == (50, 0, 4.0)
    assert info.value.retry_after == 4.0


async def test_gemini_driver_reads_the_retry_delay_from_the_body() -> None:
    settings = ProviderSettings(
        name="g", type="gemini", base_url="http://x", max_retries=0, options={"offline": True}
    )
    async with GeminiDriver(settings, transport=_transport(429, {}, GEMINI_429)) as driver:
        with pytest.raises(RateLimitError) as info:
            await driver.complete(REQUEST)
    assert info.value.retry_after == 37.0
    limits = info.value.rate_limits
    assert isinstance(limits, RateLimits) and limits.requests_limit == 15
