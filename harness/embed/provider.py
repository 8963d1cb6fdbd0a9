"""Embeddings from a provider's endpoint, through a driver's connection.

The call goes over the driver's pooled connection, so the cassette wrapped around that
transport records and replays it like any chat call, and errors are translated to
:mod:`harness.errors` types in the same place. Wire formats by the provider's type:

- ``openai`` (OpenAI, Azure, llama.cpp server, vLLM, LM Studio, ...): ``POST /embeddings``
  with ``{"model", "input": [...]}``, vectors in ``data[i].embedding`` (by ``index``);
- ``ollama``: ``POST /api/embed`` with ``{"model", "input": [...]}``, ``embeddings``;
- ``gemini``: ``POST /v1beta/models/{model}:batchEmbedContents``, ``embeddings[i].values``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from harness.drivers.base import Driver
from harness.drivers.http import error_from_status, translate_errors
from harness.drivers.http_driver import HTTPDriver
from harness.drivers.retry import with_retries
from harness.errors import ConfigError, ResponseParseError

WIRE_TYPES = ("openai", "ollama", "gemini")


def embeddings_call(
    driver: HTTPDriver, model: str, texts: Sequence[str]
) -> tuple[str, dict[str, Any], dict[str, str] | None]:
    """(path, body, query params) of the embeddings request for the driver's wire format.

    Raises:
        ConfigError: the provider's type has no embeddings endpoint here.
    """
    kind = driver.settings.type
    if kind == "openai":
        if driver.settings.name == "azure" or driver.settings.options.get("azure"):
            version = driver.settings.api_version or "2024-10-21"
            return (
                f"/openai/deployments/{model}/embeddings",
                {"input": list(texts)},
                {"api-version": version},
            )
        return "/embeddings", {"model": model, "input": list(texts)}, None
    if kind == "ollama":
        return "/api/embed", {"model": model, "input": list(texts)}, None
    if kind == "gemini":
        name = model if model.startswith("models/") else f"models/{model}"
        version = driver.settings.api_version or "v1beta"
        body = {"requests": [{"model": name, "content": {"parts": [{"text": t}]}} for t in texts]}
        return f"/{version}/{name}:batchEmbedContents", body, None
    raise ConfigError(
        f"provider {driver.settings.name!r} (type {kind!r}) has no embeddings endpoint "
        f"here; use one of type {', '.join(WIRE_TYPES)}, or the local embedder"
    )


def read_vectors(kind: str, body: Any, count: int) -> list[list[float]]:
    """The vectors in an embeddings answer, in the order of the inputs.

    Raises:
        ValueError: the answer does not hold ``count`` numeric vectors.
    """
    if kind == "openai":
        rows = sorted(body["data"], key=lambda r: r.get("index", 0))
        vectors = [r["embedding"] for r in rows]
    elif kind == "ollama":
        vectors = body["embeddings"]
    else:
        vectors = [r["values"] for r in body["embeddings"]]
    if len(vectors) != count:
        raise ValueError(f"{len(vectors)} vectors for {count} texts")
    out = []
    for v in vectors:
        if not isinstance(v, list) or not v or not all(isinstance(x, int | float) for x in v):
            raise ValueError("a vector is not a list of numbers")
        out.append([float(x) for x in v])
    return out


async def provider_embed(driver: Driver, model: str, texts: Sequence[str]) -> list[list[float]]:
    """Embed ``texts`` with ``model`` through the driver's connection, with the driver's
    retries (none under the runner: its provider gate retries, as for chat calls).

    Raises:
        ConfigError: the driver has no HTTP connection or no embeddings endpoint.
        ProviderError: the call failed after the driver's retries.
    """
    if not isinstance(driver, HTTPDriver):
        raise ConfigError(f"provider {driver.settings.name!r} has no HTTP embeddings endpoint")
    path, body, params = embeddings_call(driver, model, texts)
    name, settings = driver.settings.name, driver.settings

    async def once() -> list[list[float]]:
        with translate_errors(name, model):
            async with asyncio.timeout(settings.timeouts.total):
                response = await driver.connection.post(path, body, params=params)
        if response.status_code >= 400:
            raise error_from_status(
                response.status_code,
                response.text,
                response.headers,
                provider=name,
                model=model,
                message=driver.error_message(response.text),
            )
        try:
            return read_vectors(settings.type, json.loads(response.content), len(texts))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ResponseParseError(
                f"could not read the embeddings ({type(exc).__name__}: {exc}): "
                f"{response.text[:200]!r}",
                provider=name,
                model=model,
                status_code=response.status_code,
                body=response.text,
            ) from exc

    vectors, _ = await with_retries(
        once, max_retries=settings.max_retries, base_delay=driver.retry_base_delay
    )
    return vectors
