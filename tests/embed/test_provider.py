"""Provider embeddings: each wire format's request and answer, errors, and the cache."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from harness.drivers.base import ProviderSettings
from harness.drivers.registry import create_driver
from harness.embed.base import cosine
from harness.embed.provider import provider_embed, read_vectors
from harness.embed.router import Embedders
from harness.errors import ConfigError, RateLimitError, ResponseParseError
from tests.embed.fakes import letters, with_embeddings
from tests.fakes.server import FakeServer


async def test_openai_embeddings_over_a_loopback_server() -> None:
    async with FakeServer(with_embeddings) as fake:
        settings = ProviderSettings(name="fake", type="openai", base_url=fake.base_url + "/v1")
        async with create_driver(settings) as driver:
            vectors = await provider_embed(driver, "emb-1", ["abc", "zzz"])
    assert vectors == [letters("abc"), letters("zzz")]  # back in input order
    (request,) = fake.requests
    assert request.path == "/v1/embeddings"
    assert request.json == {"model": "emb-1", "input": ["abc", "zzz"]}


def _mock(handler: Any) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("kind", "path", "answer"),
    [
        pytest.param("ollama", "/api/embed", {"embeddings": [[1.0, 0.0], [0.0, 2.0]]}, id="ollama"),
        pytest.param(
            "gemini",
            "/v1beta/models/text-embedding-004:batchEmbedContents",
            {"embeddings": [{"values": [1.0, 0.0]}, {"values": [0, 2]}]},
            id="gemini",
        ),
    ],
)
async def test_other_wire_formats(kind: str, path: str, answer: dict[str, Any]) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    settings = ProviderSettings(
        name=kind, type=kind, base_url="http://provider.test", options={"offline": True}
    )
    async with create_driver(settings, transport=_mock(handler)) as driver:
        vectors = await provider_embed(driver, "text-embedding-004", ["a", "b"])
    assert vectors == [[1.0, 0.0], [0.0, 2.0]]
    assert seen[0].url.path == path
    body = json.loads(seen[0].content)
    if kind == "gemini":
        assert body["requests"][1] == {
            "model": "models/text-embedding-004",
            "content": {"parts": [{"text": "b"}]},
        }
    else:
        assert body == {"model": "text-embedding-004", "input": ["a", "b"]}


async def test_a_rate_limit_is_a_typed_error_after_retries() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, json={"error": {"message": "slow down"}})

    settings = ProviderSettings(
        name="p",
        type="openai",
        base_url="http://p.test/v1",
        max_retries=1,
        options={"offline": True, "retry_base_delay": 0.001},
    )
    async with create_driver(settings, transport=_mock(handler)) as driver:
        with pytest.raises(RateLimitError, match="slow down"):
            await provider_embed(driver, "m", ["a"])
    assert calls == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"data": [{"index": 0, "embedding": "nope"}]}, id="not-numbers"),
        pytest.param({"data": []}, id="too-few"),
        pytest.param({"vectors": []}, id="wrong-shape"),
    ],
)
async def test_an_unreadable_answer_is_a_parse_error(body: dict[str, Any]) -> None:
    settings = ProviderSettings(
        name="p",
        type="openai",
        base_url="http://p.test/v1",
        max_retries=0,
        options={"offline": True},
    )
    transport = _mock(lambda request: httpx.Response(200, json=body))
    async with create_driver(settings, transport=transport) as driver:
        with pytest.raises(ResponseParseError, match="could not read the embeddings"):
            await provider_embed(driver, "m", ["a"])


def test_a_provider_without_an_embeddings_endpoint_says_so() -> None:
    settings = ProviderSettings(name="claude", type="anthropic", base_url="http://a.test")
    driver = create_driver(settings)
    with pytest.raises(ConfigError, match="has no embeddings endpoint"):
        from harness.embed.provider import embeddings_call

        embeddings_call(driver, "m", ["a"])  # type: ignore[arg-type]


def test_read_vectors_orders_openai_rows_by_index() -> None:
    body = {"data": [{"index": 1, "embedding": [2]}, {"index": 0, "embedding": [1]}]}
    assert read_vectors("openai", body, 2) == [[1.0], [2.0]]


async def test_embedders_without_a_pool_refuse_providers_but_not_local() -> None:
    with pytest.raises(ConfigError, match="calls a provider"):
        await Embedders()("openai:text-embedding-3-small", ["a"])


def test_cosine() -> None:
    assert cosine([1, 0], [1, 0]) == 1.0
    assert cosine([1, 0], [0, 1]) == 0.0
    assert cosine([0, 0], [1, 1]) == 0.0
    assert cosine([1, 2, 3], [-1, -2, -3]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="different lengths"):
        cosine([1], [1, 2])
