"""The ``local`` provider (wire type ``llamacpp``): real models on the CPU, no keys.

:class:`LocalDriver` starts llama.cpp's OpenAI-compatible server for a model file on
first use (one server per file, see :mod:`harness.local`), then talks to it through
the ``openai`` driver. ``aclose()`` stops the servers.

Settings ``options`` it reads (``providers.<name>.options`` in harness.yaml):
``model_path`` (serve this GGUF for any model name), ``n_ctx``, ``n_threads``,
``chat_format``, ``server_args`` (extra command-line arguments) and
``startup_timeout`` (seconds). An offline run (``settings.mode.offline``: replay only)
never starts a server. A provider with a
``base_url`` talks to an already running llama.cpp server instead of starting one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import httpx

from harness.drivers.base import (
    Driver,
    ModelPrice,
    ProviderSettings,
    Request,
    Response,
    StreamEvent,
    StructuredMode,
)
from harness.drivers.openai import OpenAIDriver
from harness.local.catalogue import LocalModel, check_server_installed, resolve_model
from harness.local.server import ManagedServer, llama_server_command

ServerCommand = Callable[[LocalModel, int], Sequence[str]]
"""Builds the server's command line for a model and a port (tests pass a fake server)."""

# replay-only runs never start a server; cassette matching ignores host and port
OFFLINE_BASE_URL = "http://127.0.0.1:9/v1"


class LlamaCppOpenAIDriver(OpenAIDriver):
    """The openai driver as llama.cpp's server needs it: structured output from
    ``json_object`` (with the schema) down to ``prompt``.

    The server answers ``json_schema`` with HTTP 500 (a request validation error), which
    the fallback cannot tell from a real server error; starting at ``json_object`` also
    keeps every cassette free of a rejected first attempt.
    """

    def structured_modes(self, request: Request) -> tuple[StructuredMode, ...]:
        """The openai modes without ``json_schema``."""
        return tuple(m for m in super().structured_modes(request) if m != "json_schema")


class _Unclosable(httpx.AsyncBaseTransport):
    """Shares one caller-given transport between the per-model clients; closed once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Leave the shared transport open; :meth:`LocalDriver.aclose` closes it."""


class LocalDriver(Driver):
    """Runs ``local:<model>`` on a llama.cpp server it manages.

    Example:
        >>> settings = ProviderSettings(name="local", type="llamacpp")  # doctest: +SKIP
        >>> async with LocalDriver(settings) as driver:                  # doctest: +SKIP
        ...     response = await driver.complete(
        ...         Request("smollm2-135m", (Message("user", "Hi"),)))
    """

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        prices: Mapping[str, ModelPrice] | None = None,
        server_command: ServerCommand | None = None,
    ) -> None:
        super().__init__(settings, transport=transport, prices=prices)
        self.server_command = server_command
        self.offline = settings.mode.offline
        self._shared = _Unclosable(transport) if transport is not None else None
        self._models: dict[str, str] = {}  # model name -> key of its server/driver
        self._drivers: dict[str, OpenAIDriver] = {}
        self._servers: dict[str, ManagedServer] = {}
        self._busy: dict[str, asyncio.Lock] = {}
        self._starting = asyncio.Lock()

    @property
    def servers(self) -> Mapping[str, ManagedServer]:
        """The running servers by model file."""
        return dict(self._servers)

    async def complete(self, request: Request) -> Response:
        """Start the model's server if needed, then send the request through it."""
        driver, busy = await self._driver_for(request.model)
        async with busy:  # the server computes one answer at a time
            return await driver.complete(request)

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """Stream the answer from the model's server."""
        driver, busy = await self._driver_for(request.model)
        async with busy:
            async for event in driver.stream(request):
                yield event

    async def aclose(self) -> None:
        """Close the clients, stop every server this driver started, close the transport."""
        drivers, servers = list(self._drivers.values()), list(self._servers.values())
        self._drivers.clear()
        self._servers.clear()
        self._models.clear()
        try:
            for driver in drivers:
                await driver.aclose()
        finally:
            for server in servers:
                await server.stop()
            if self._shared is not None:
                await self._shared.inner.aclose()
                self._shared = None

    def _llama_command(self, model: LocalModel, port: int) -> list[str]:
        options = self.settings.options
        return llama_server_command(
            model,
            port,
            n_threads=_int(options.get("n_threads")),
            extra_args=[str(a) for a in options.get("server_args") or ()],
        )

    async def _driver_for(self, model: str) -> tuple[OpenAIDriver, asyncio.Lock]:
        key = self._models.get(model)
        if key is None:
            async with self._starting:
                key = self._models.get(model) or await self._open(model)
                self._models[model] = key
        return self._drivers[key], self._busy[key]

    async def _open(self, model: str) -> str:
        options = self.settings.options
        if self.offline or self.settings.base_url:
            key, base_url = "", self.settings.base_url or OFFLINE_BASE_URL
            if self.offline:
                base_url = OFFLINE_BASE_URL
        else:
            local = _with_options(
                resolve_model(model, model_path=options.get("model_path")), options
            )
            key = str(local.path)
            if key not in self._drivers:
                command = self.server_command
                if command is None:
                    check_server_installed()
                    command = self._llama_command
                server = ManagedServer(
                    partial(command, local),
                    name=f"{self.settings.name}:{model}",
                    startup_timeout=float(options.get("startup_timeout", 120.0)),
                )
                try:
                    base_url = await server.start()
                except BaseException:  # cancelled or failed: leave no process behind
                    await server.stop(grace=0)
                    raise
                self._servers[key] = server
        if key not in self._drivers:
            inner = replace(self.settings, type="openai", base_url=base_url, api_key_env=None)
            self._drivers[key] = LlamaCppOpenAIDriver(
                inner, transport=self._shared, prices=_FreeUnlessPriced(self.prices)
            )
            self._busy[key] = asyncio.Lock()
        return key


class _FreeUnlessPriced(Mapping[str, ModelPrice]):
    """Prices where a model without an entry costs $0: a local model runs on your own CPU,
    so its per-token price is known to be zero, not unknown (harness.yaml can still set one)."""

    FREE = ModelPrice(input_per_mtok=0.0, output_per_mtok=0.0)

    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self._prices = prices

    def __getitem__(self, key: str) -> ModelPrice:
        return self._prices.get(key, self.FREE)

    def __iter__(self) -> Iterator[str]:
        return iter(self._prices)

    def __len__(self) -> int:
        return len(self._prices)


def _with_options(model: LocalModel, options: Mapping[str, Any]) -> LocalModel:
    n_ctx = _int(options.get("n_ctx")) or model.n_ctx
    chat_format = options.get("chat_format") or model.chat_format
    return replace(model, n_ctx=n_ctx, chat_format=chat_format)


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None
