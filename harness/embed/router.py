"""The embed call assertions get: local models in-process, providers through the pool.

Vectors are cached per (embedder, text) for the process: a reference answer is embedded
once, not once per model and attempt.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from harness.drivers.base import Response
from harness.drivers.registry import parse_model_id
from harness.embed.local import local_embedder
from harness.embed.provider import provider_embed
from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.config import ProjectConfig
    from harness.runner.pool import Pool

CACHE_LIMIT = 20_000


class Embedders:
    """An :data:`~harness.embed.base.EmbedCall`; without a pool only ``local:`` ids work."""

    def __init__(self, pool: Pool | None = None) -> None:
        self.pool = pool
        self._cache: dict[tuple[str, str], list[float]] = {}

    async def __call__(self, embedder: str, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for ``texts`` from ``embedder`` (``provider:model``), in order.

        Raises:
            ConfigError: the id is malformed, the embedder unknown or not installed.
            ProviderError: a provider's embeddings call failed.
        """
        provider, model = parse_model_id(embedder)
        missing = list(dict.fromkeys(t for t in texts if (embedder, t) not in self._cache))
        if missing:
            if provider == "local":
                vectors = await local_embedder(model).embed(missing)
            elif self.pool is None:
                raise ConfigError(
                    f"the embedder {embedder!r} calls a provider: run it through `harness run` "
                    "(or pass evaluate_case an embed call), or use the local embedder"
                )
            else:
                vectors = await self._through_pool(provider, model, missing)
            if len(self._cache) + len(missing) > CACHE_LIMIT:
                self._cache.clear()
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[(embedder, text)] = vector
        return [self._cache[(embedder, t)] for t in texts]

    async def _through_pool(self, provider: str, model: str, texts: list[str]) -> list[list[float]]:
        """One embeddings call through the provider's gate (limits, pacing, retries), as chat
        calls are; the gate deals in Responses, so the vectors travel in ``raw``."""
        assert self.pool is not None
        driver = self.pool.driver(provider)

        async def send() -> Response:
            return Response(text="", model=model, raw=await provider_embed(driver, model, texts))

        response = await self.pool.gate(provider).call(send, tokens=0, model=model)
        vectors: list[list[float]] = response.raw
        return vectors


LOCAL_ONLY = Embedders()
"""The embed call used when none is given (local embedders only)."""


def embed_kwargs(evaluate: Callable[..., Any], config: ProjectConfig, pool: Pool) -> dict[str, Any]:
    """The ``embed``/``embedder`` keyword arguments an evaluate function takes, if it does."""
    params = inspect.signature(evaluate).parameters
    kwargs: dict[str, Any] = {}
    if "embed" in params:
        kwargs["embed"] = Embedders(pool)
    if "embedder" in params and config.defaults.embedder:
        kwargs["embedder"] = config.defaults.embedder
    return kwargs
