"""What of a request and response a cassette may keep."""

from __future__ import annotations

import httpx
import pytest

from harness.cassettes.scrub import Scrubber, canonical_body, env_secrets

KEY = "AIzaSy-very-secret-value"


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("authorization", id="authorization"),
        pytest.param("x-api-key", id="x-api-key"),
        pytest.param("api-key", id="azure-api-key"),
        pytest.param("x-goog-api-key", id="x-goog-api-key"),
        pytest.param("cookie", id="cookie"),
        pytest.param("openai-organization", id="openai-organization"),
        pytest.param("openai-project", id="openai-project"),
        pytest.param("x-custom-token", id="custom-token"),
    ],
)
def test_credential_headers_are_dropped_and_their_values_replaced(header: str) -> None:
    request = httpx.Request(
        "POST", "https://api.test/v1", headers={header: f"Bearer {KEY}"}, json={"echo": KEY}
    )
    scrubbed = Scrubber().request(request, request.read())
    assert header not in scrubbed.headers
    assert KEY.encode() not in scrubbed.body
    assert b"REDACTED" in scrubbed.body


def test_query_keys_are_replaced_and_loopback_ports_dropped() -> None:
    request = httpx.Request("GET", f"http://127.0.0.1:54321/v1/models/m:gen?alt=sse&key={KEY}")
    scrubbed = Scrubber().request(request, b"")
    assert scrubbed.uri == "http://localhost/v1/models/m:gen?alt=sse&key=REDACTED"


def test_remote_hosts_keep_their_port() -> None:
    request = httpx.Request("GET", "https://api.test:8443/v1")
    assert Scrubber().request(request, b"").uri == "https://api.test:8443/v1"


def test_response_headers_are_allow_listed() -> None:
    headers = httpx.Headers(
        [
            ("Content-Type", "application/json"),
            ("Set-Cookie", "a=b"),
            ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ("anthropic-organization-id", "org"),
            ("x-ratelimit-remaining-requests", "99"),
            ("x-request-id", f"req-{KEY}"),
        ]
    )
    kept = Scrubber().response_headers(headers, frozenset({KEY}))
    assert kept == {"content-type": ["application/json"], "x-request-id": ["req-REDACTED"]}


def test_env_secrets_take_key_like_variables_and_named_ones() -> None:
    environ = {
        "OPENAI_API_KEY": "sk-aaaaaaaaaaaa",
        "MY_PROVIDER_SECRET": "secret-bbbbbbbb",
        "CUSTOM": "custom-cccccccc",
        "HOME": "/home/someone",
        "SHORT_TOKEN": "abc",
    }
    found = env_secrets(["CUSTOM"], environ)
    assert found == {"sk-aaaaaaaaaaaa", "secret-bbbbbbbb", "custom-cccccccc"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b'{"b": 1, "a": "\xc3\xa9"}', '{"a":"é","b":1}'.encode(), id="json-sorted"),
        pytest.param(b"not json", b"not json", id="text-unchanged"),
        pytest.param(b"", b"", id="empty"),
    ],
)
def test_canonical_body(body: bytes, expected: bytes) -> None:
    assert canonical_body(body) == expected
