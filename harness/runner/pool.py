"""One driver per provider, behind a global limit, per-provider limits and rate limits.

Drivers are created lazily on the recorder-wrapped transport, so cassettes see every
call, judge calls included. In replay-only mode providers are built ``offline``:
drivers skip API-key checks and managed local servers never start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Protocol

import httpx
from aiolimiter import AsyncLimiter

from harness.config import ProjectConfig
from harness.drivers.base import (
    Driver,
    ModelPrice,
    ProviderSettings,
    Request,
    Response,
    RunMode,
)
from harness.drivers.registry import create_driver, parse_model_id, provider_settings
from harness.hooks import note_wait


class _Wrapper(Protocol):
    @property
    def active(self) -> bool: ...

    def wrap(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport: ...


DriverFactory = Callable[[ProviderSettings, Mapping[str, ModelPrice]], Driver]
"""Builds a provider's driver; the default uses the recorder-wrapped default transport."""


def estimate_tokens(request: Request) -> int:
    """A cheap upper-ish estimate of a call's tokens: prompt chars / 4 plus max_tokens."""
    chars = sum(len(m.text) for m in request.messages)
    max_out = request.params.get("max_tokens")
    return chars // 4 + 4 * len(request.messages) + (max_out if isinstance(max_out, int) else 256)


class Pool:
    """Routes ``provider:model`` calls to drivers inside the run's limits.

    Args:
        config: the project config (providers, prices).
        recorder: wraps each driver's transport (a cassette ``Recorder``).
        concurrency: calls in flight across all providers.
        offline: replay only: no API keys, no managed servers.
        driver_factory: replaces driver construction (tests pass fakes).
    """

    def __init__(
        self,
        config: ProjectConfig,
        recorder: _Wrapper,
        *,
        concurrency: int,
        offline: bool = False,
        driver_factory: DriverFactory | None = None,
    ) -> None:
        self.config = config
        self.recorder = recorder
        self.concurrency = concurrency
        self.offline = offline
        # cassettes need each call's traffic to depend on its request alone
        self.mode = RunMode(offline=offline, deterministic=recorder.active)
        self._factory = driver_factory or self._default_factory
        self._global = asyncio.Semaphore(concurrency)
        self._settings: dict[str, ProviderSettings] = {}
        self._drivers: dict[str, Driver] = {}
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._rpm: dict[str, AsyncLimiter | None] = {}
        self._tpm: dict[str, AsyncLimiter | None] = {}

    def _default_factory(
        self, settings: ProviderSettings, prices: Mapping[str, ModelPrice]
    ) -> Driver:
        from harness.drivers.http import default_transport

        transport = self.recorder.wrap(default_transport(settings))
        return create_driver(settings, transport=transport, prices=prices)

    def settings(self, provider: str) -> ProviderSettings:
        """The provider's settings, carrying the run's :class:`RunMode`.

        Raises:
            ConfigError: unknown provider.
        """
        if provider not in self._settings:
            settings = provider_settings(provider, self.config)
            self._settings[provider] = settings.with_mode(self.mode)
        return self._settings[provider]

    def provider_limit(self, provider: str) -> int:
        """Calls in flight allowed for one provider (its ``concurrency``, capped by the run's)."""
        own = self.settings(provider).concurrency
        return min(own, self.concurrency) if own else self.concurrency

    def driver(self, provider: str) -> Driver:
        """The provider's driver, created on first use."""
        if provider not in self._drivers:
            settings = self.settings(provider)
            self._drivers[provider] = self._factory(settings, self.config.prices)
            self._limits[provider] = asyncio.Semaphore(self.provider_limit(provider))
            rpm, tpm = settings.requests_per_minute, settings.tokens_per_minute
            self._rpm[provider] = AsyncLimiter(rpm, 60.0) if rpm else None
            self._tpm[provider] = AsyncLimiter(tpm, 60.0) if tpm else None
        return self._drivers[provider]

    @contextlib.asynccontextmanager
    async def slot(self, provider: str, request: Request) -> AsyncIterator[Driver]:
        """Hold one call's place within every limit of ``provider``."""
        driver = self.driver(provider)
        asked = time.perf_counter()
        async with self._global, self._limits[provider]:
            rpm, tpm = self._rpm[provider], self._tpm[provider]
            if rpm is not None:
                await rpm.acquire()
            if tpm is not None:
                await tpm.acquire(min(float(estimate_tokens(request)), tpm.max_rate))
            note_wait(time.perf_counter() - asked)  # hooks and logs report the wait
            yield driver

    async def complete(self, model_id: str, request: Request) -> Response:
        """One call to ``model_id`` (``provider:model``) within the limits.

        Raises:
            ProviderError: the call failed after the driver's retries.
        """
        provider, _ = parse_model_id(model_id)
        async with self.slot(provider, request) as driver:
            return await driver.complete(request)

    async def aclose(self) -> None:
        """Close every driver."""
        drivers, self._drivers = list(self._drivers.values()), {}
        for driver in drivers:
            with contextlib.suppress(Exception):
                await driver.aclose()
