"""One driver per provider, each behind its provider gate.

Drivers are created lazily on the recorder-wrapped transport, so cassettes see every
call, judge calls included. In replay-only mode providers are built ``offline``:
drivers skip API-key checks and managed local servers never start.

A driver makes exactly one attempt per call (the pool hands it ``max_retries=0``);
its provider's :class:`~harness.runner.gate.ProviderGate` owns concurrency, RPM/TPM,
pauses after 429s, pacing from the provider's reported budgets, and every retry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Protocol

import httpx

from harness.config import ProjectConfig
from harness.drivers.base import (
    Driver,
    ModelPrice,
    ProviderSettings,
    Request,
    Response,
    RunMode,
    refused_parts,
)
from harness.drivers.registry import create_driver, parse_model_id, provider_settings
from harness.drivers.retry import BASE_DELAY
from harness.errors import UnsupportedFeatureError
from harness.runner.concurrency import ConcurrencyPlan, RunConcurrency, plan_concurrency
from harness.runner.gate import GateStats, ProviderGate


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
    """Routes ``provider:model`` calls to drivers through their provider gates.

    Args:
        config: the project config (providers, prices).
        recorder: wraps each driver's transport (a cassette ``Recorder``).
        concurrency: the run's ``--concurrency``: a number (also a cap across all
            providers), ``"auto"``, or None (see :mod:`harness.runner.concurrency`).
        offline: replay only: no API keys, no managed servers, no pacing.
        driver_factory: replaces driver construction (tests pass fakes).
        rate_limit_patience: seconds; overrides every provider's ``rate_limit_patience``.
    """

    def __init__(
        self,
        config: ProjectConfig,
        recorder: _Wrapper,
        *,
        concurrency: RunConcurrency,
        offline: bool = False,
        driver_factory: DriverFactory | None = None,
        rate_limit_patience: float | None = None,
    ) -> None:
        self.config = config
        self.recorder = recorder
        self.concurrency = concurrency
        self.offline = offline
        # cassettes need each call's traffic to depend on its request alone
        self.mode = RunMode(offline=offline, deterministic=recorder.active)
        self.rate_limit_patience = rate_limit_patience
        self._factory = driver_factory or self._default_factory
        self._global = asyncio.Semaphore(concurrency) if isinstance(concurrency, int) else None
        self._settings: dict[str, ProviderSettings] = {}
        self._drivers: dict[str, Driver] = {}
        self._gates: dict[str, ProviderGate] = {}

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
            if self.rate_limit_patience is not None:
                settings = replace(settings, rate_limit_patience=self.rate_limit_patience)
            self._settings[provider] = settings.with_mode(self.mode)
        return self._settings[provider]

    def plan(self, provider: str) -> ConcurrencyPlan:
        """The provider's concurrency: fixed, or adaptive within a cap."""
        return plan_concurrency(self.settings(provider), self.concurrency)

    def provider_limit(self, provider: str) -> int:
        """Most calls in flight one provider may ever have (its cap)."""
        return self.plan(provider).cap

    def driver(self, provider: str) -> Driver:
        """The provider's driver, created on first use (one attempt per call: no retries)."""
        if provider not in self._drivers:
            settings = self.settings(provider)
            self._drivers[provider] = self._factory(
                replace(settings, max_retries=0), self.config.prices
            )
        return self._drivers[provider]

    def gate(self, provider: str) -> ProviderGate:
        """The provider's gate, created on first use."""
        gate = self._gates.get(provider)
        if gate is None:
            settings = self.settings(provider)
            gate = ProviderGate(
                provider,
                self.plan(provider),
                requests_per_minute=settings.requests_per_minute,
                tokens_per_minute=settings.tokens_per_minute,
                patience=settings.rate_limit_patience,
                max_retries=settings.max_retries,
                base_delay=float(settings.options.get("retry_base_delay", BASE_DELAY)),
                replay=self.offline,
                shared=self._global,
            )
            self._gates[provider] = gate
        return gate

    async def complete(self, model_id: str, request: Request) -> Response:
        """One call to ``model_id`` (``provider:model``) through its provider's gate.

        Raises:
            ProviderError: the call failed after the gate's retries.
        """
        provider, name = parse_model_id(model_id)
        driver = self.driver(provider)
        refused = refused_parts(driver.accepts, request)
        if refused:  # --models can name a model the spec's validation never saw
            raise UnsupportedFeatureError(
                f"this model cannot take {', '.join(refused)} parts",
                provider=provider,
                model=name,
            )
        gate = self._gates.get(provider) or self.gate(provider)
        counts_tokens = gate.tpm is not None or gate.tokens.known
        return await gate.call(
            lambda: driver.complete(request),
            tokens=estimate_tokens(request) if counts_tokens else 0,
            model=request.model,
        )

    def stats(self) -> list[GateStats]:
        """Each used provider's concurrency, calls and 429s so far (for progress)."""
        return [gate.stats() for gate in self._gates.values()]

    async def aclose(self) -> None:
        """Close every driver."""
        drivers, self._drivers = list(self._drivers.values()), {}
        for driver in drivers:
            with contextlib.suppress(Exception):
                await driver.aclose()
