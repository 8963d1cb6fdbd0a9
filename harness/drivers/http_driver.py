"""The skeleton every HTTP wire-format driver subclasses.

:class:`HTTPDriver` owns what all wire formats share: one pooled connection per driver,
the API key, timeouts, retries, structured-output fallback, error translation,
latency and time-to-first-token, cost and request ids. A wire format only says how
to build its HTTP call and how to read the answer, through four hooks::

    class MyDriver(HTTPDriver):
        def build_call(self, request, mode, *, stream): ...       # -> HTTPCall
        def parse_body(self, body, request, mode): ...            # -> Response
        async def parse_stream(self, response, request, mode): ...  # yields StreamEvents
        def structured_modes(self, request): ...                  # best first

and optionally ``auth_headers``, ``error_message``, ``request_id_header`` and
``rate_limits`` (how the wire format reports its rate limits; OpenAI's headers by default).
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar, NamedTuple

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
from harness.drivers.http import (
    Connection,
    api_key,
    default_error_message,
    default_transport,
    error_from_status,
    translate_errors,
)
from harness.drivers.pricing import cost_usd
from harness.drivers.ratelimits import RateLimits, openai_limits
from harness.drivers.retry import BASE_DELAY, with_retries
from harness.drivers.structured import ModeMemory, with_fallback, with_schema_prompt
from harness.errors import ProviderError, ResponseParseError, TimeoutError_

TIMINGS_EXTENSION = "harness.recorded_timings"


class HTTPCall(NamedTuple):
    """One HTTP POST: path (joined to base_url), JSON body, extra headers, query params."""

    path: str
    body: Any
    headers: Mapping[str, str] | None = None
    params: Mapping[str, str] | None = None


class _Opened(NamedTuple):
    response: httpx.Response
    request: Request
    start: float


class HTTPDriver(Driver):
    """Base class of the built-in drivers; subclass it for a new wire format.

    It reads the run's ``settings.mode`` (a :class:`~harness.drivers.base.RunMode`):
    ``offline`` (no API key needed, replay only) and ``deterministic`` (each call's
    traffic depends on its request alone: no structured-mode memory carried between calls,
    so a cassette recorded under concurrency replays in any order); and one settings
    ``option``: ``retry_base_delay`` (seconds, first backoff ceiling).
    """

    request_id_header: ClassVar[str] = "x-request-id"
    """Response header holding the provider's request id."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        prices: Mapping[str, ModelPrice] | None = None,
    ) -> None:
        super().__init__(settings, transport=transport, prices=prices)
        self._connection: Connection | None = None
        self.modes = ModeMemory()
        self.retry_base_delay = float(settings.options.get("retry_base_delay", BASE_DELAY))

    # ----------------------------------------------------------------- hooks

    @abc.abstractmethod
    def build_call(
        self, request: Request, mode: StructuredMode | None, *, stream: bool
    ) -> HTTPCall:
        """The HTTP call for a request.

        Args:
            request: the request; in ``prompt`` mode its messages already carry the
                schema instruction, so add no native structured-output field.
            mode: the structured-output mode to use, None when no schema was asked.
            stream: build the streaming variant (e.g. ``"stream": true``).
        """

    @abc.abstractmethod
    def parse_body(self, body: Any, request: Request, mode: StructuredMode | None) -> Response:
        """The Response for a parsed JSON body of a 2xx non-streamed answer.

        Fill text, tool_calls, finish_reason, usage and (optionally) model and a
        request_id the body carries (it wins over ``request_id_header``). The base
        fills provider, latency, cost, request id, raw, parsed, mode and retries.
        Raise :class:`ResponseParseError` if the body does not make sense; ``KeyError``,
        ``TypeError`` and ``ValueError`` are turned into one too.
        """

    @abc.abstractmethod
    def parse_stream(
        self, response: httpx.Response, request: Request, mode: StructuredMode | None
    ) -> AsyncIterator[StreamEvent]:
        """Yield events from a 2xx streamed answer (an ``async def`` generator).

        Yield ``text``/``tool_call``/``usage``/``finish`` events as they come (the
        first ``text`` or ``tool_call`` event stamps the time to first token) and, last,
        one ``response`` event carrying the assembled Response (fields as for
        :meth:`parse_body`). Use :func:`harness.drivers.sse.iter_sse` or ``iter_ndjson``.
        Raise :class:`ResponseParseError` when the stream ends before its terminal
        event; ending without a ``response`` event is reported as a cut stream.
        """

    def structured_modes(self, request: Request) -> tuple[StructuredMode, ...]:
        """Structured-output modes to try, best first; empty when no schema was asked."""
        return ("prompt",) if request.schema is not None else ()

    def auth_headers(self, key: str) -> dict[str, str]:
        """Headers that carry the API key (default: bearer token)."""
        return {"Authorization": f"Bearer {key}"}

    def error_message(self, body: str) -> str | None:
        """The provider's error text inside an error body, if any."""
        return default_error_message(body)

    def rate_limits(self, headers: Mapping[str, str], body: str | None) -> RateLimits | None:
        """What an answer says about the provider's rate limits (``body`` on errors only).

        The default reads OpenAI's ``x-ratelimit-*`` and ``retry-after(-ms)`` headers.
        """
        return openai_limits(headers)

    # ----------------------------------------------------------------- client

    @property
    def connection(self) -> Connection:
        """The pooled connection, built on first use (after checking the API key)."""
        if self._connection is None:
            key = api_key(self.settings)
            transport = self.transport or default_transport(self.settings)
            auth = self.auth_headers(key) if key is not None else None
            self._connection = Connection(self.settings, transport, auth)
        return self._connection

    async def aclose(self) -> None:
        """Close the pooled connection (and the transport under it)."""
        if self._connection is not None:
            await self._connection.aclose()
            self._connection = None

    # ----------------------------------------------------------------- public

    async def complete(self, request: Request) -> Response:
        """Send the request and return the whole answer (streamed internally if asked)."""
        key = (self.settings.name, request.model)

        async def with_mode(mode: StructuredMode | None) -> tuple[Response, int]:
            attempt = self._collect_once if request.stream else self._complete_once
            return await with_retries(
                lambda: attempt(request, mode),
                max_retries=self.settings.max_retries,
                base_delay=self.retry_base_delay,
            )

        (response, retries), mode = await with_fallback(
            self.structured_modes(request), with_mode, memory=self._memory(), key=key
        )
        return self._finish(response, request, mode, retries)

    def _memory(self) -> ModeMemory:
        # with cassettes, which modes an item tries must not depend on other items' timing
        return ModeMemory() if self.settings.mode.deterministic else self.modes

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """Stream the answer; retries happen only before the first event is yielded."""
        key = (self.settings.name, request.model)

        async def with_mode(mode: StructuredMode | None) -> tuple[_Opened, int]:
            return await with_retries(
                lambda: self._open_stream(request, mode),
                max_retries=self.settings.max_retries,
                base_delay=self.retry_base_delay,
            )

        (opened, retries), mode = await with_fallback(
            self.structured_modes(request), with_mode, memory=self._memory(), key=key
        )
        try:
            async for event in self._events(opened, mode):
                if event.kind == "response" and event.response is not None:
                    final = self._finish(event.response, request, mode, retries)
                    event = replace(event, response=final)
                yield event
        finally:
            await opened.response.aclose()

    # ----------------------------------------------------------------- internals

    def _prepare(self, request: Request, mode: StructuredMode | None) -> Request:
        return with_schema_prompt(request) if mode == "prompt" else request

    def _typed_error(self, response: httpx.Response, body: str, model: str) -> ProviderError:
        # an error body may be any JSON (or none): a driver's reading of it must never turn
        # a provider's error into a crash, so fall back to the status code alone
        try:
            return self._error(response, body, model)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            return error_from_status(
                response.status_code,
                body,
                response.headers,
                provider=self.settings.name,
                model=model,
            )

    def _error(self, response: httpx.Response, body: str, model: str) -> ProviderError:
        error = error_from_status(
            response.status_code,
            body,
            response.headers,
            provider=self.settings.name,
            model=model,
            message=self.error_message(body),
        )
        return self._with_limits(error, response, body)

    def _with_limits(
        self, error: ProviderError, response: httpx.Response, body: str
    ) -> ProviderError:
        """Attach what a failed answer said about rate limits (and its wait hint)."""
        if response.status_code not in (429, 503, 529):
            return error
        limits = self.rate_limits(response.headers, body)
        if limits is not None:
            error.rate_limits = limits
            if error.retry_after is None and limits.retry_after is not None:
                error.retry_after = limits.retry_after
        return error

    async def _complete_once(self, request: Request, mode: StructuredMode | None) -> Response:
        req = self._prepare(request, mode)
        call = self.build_call(req, mode, stream=False)
        name, model = self.settings.name, request.model
        connection = self.connection
        start = time.perf_counter()
        with translate_errors(name, model):
            async with asyncio.timeout(self.settings.timeouts.total):
                response = await connection.post(
                    call.path, call.body, headers=call.headers, params=call.params
                )
        latency = (time.perf_counter() - start) * 1000.0
        log = logging.getLogger(type(self).__module__)  # harness.drivers.openai, ...
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s:%s %s: HTTP %d in %.0f ms", name, model, call.path,
                      response.status_code, latency)  # fmt: skip
        if response.status_code >= 400:
            raise self._typed_error(response, response.text, model)
        try:
            body = json.loads(response.content)
            parsed = self.parse_body(body, req, mode)
            if not isinstance(parsed.text, str):  # a JSON value where the text belongs
                raise TypeError(f"the text is a {type(parsed.text).__name__}, not a string")
        except ProviderError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ResponseParseError(
                f"could not understand the answer ({type(exc).__name__}: {exc}): "
                f"{response.text[:200]!r}",
                provider=name,
                model=model,
                status_code=response.status_code,
                body=response.text,
            ) from exc
        ttft: float | None = None
        recorded = response.extensions.get(TIMINGS_EXTENSION)
        if isinstance(recorded, Mapping):
            latency = float(recorded.get("latency_ms") or latency)
            ttft = recorded.get("ttft_ms")
        return replace(
            parsed,
            latency_ms=latency,
            ttft_ms=ttft,
            request_id=parsed.request_id or response.headers.get(self.request_id_header),
            raw=body,
            timings_recorded=isinstance(recorded, Mapping),
            rate_limits=None if recorded is not None else self.rate_limits(response.headers, None),
        )

    async def _open_stream(self, request: Request, mode: StructuredMode | None) -> _Opened:
        req = self._prepare(request, mode)
        call = self.build_call(req, mode, stream=True)
        name, model = self.settings.name, request.model
        connection = self.connection
        start = time.perf_counter()
        with translate_errors(name, model):
            async with asyncio.timeout(self.settings.timeouts.total):
                response = await connection.post(
                    call.path, call.body, headers=call.headers, params=call.params, stream=True
                )
                if response.status_code >= 400:
                    try:
                        text = (await response.aread()).decode("utf-8", "replace")
                    finally:
                        await response.aclose()
                    raise self._typed_error(response, text, model)
        return _Opened(response, req, start)

    async def _events(
        self, opened: _Opened, mode: StructuredMode | None
    ) -> AsyncIterator[StreamEvent]:
        response, request, start = opened
        name, model = self.settings.name, request.model
        deadline = start + self.settings.timeouts.total
        ttft: float | None = None
        with translate_errors(name, model):
            try:
                async for event in self.parse_stream(response, request, mode):
                    now = time.perf_counter()
                    if now > deadline:
                        raise TimeoutError_(
                            "total timeout passed while streaming; raise the provider's "
                            "total timeout in harness.yaml",
                            provider=name,
                            model=model,
                        )
                    if ttft is None and event.kind in ("text", "tool_call"):
                        ttft = (now - start) * 1000.0
                    if event.kind == "response" and event.response is not None:
                        yield replace(
                            event, response=self._timed(event.response, response, start, ttft)
                        )
                        return
                    yield event
            except ProviderError:
                raise
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
                raise ResponseParseError(
                    f"could not understand a streamed chunk ({type(exc).__name__}: {exc})",
                    provider=name,
                    model=model,
                ) from exc
        raise ResponseParseError(
            "the stream ended before its final event (cut off); try again",
            provider=name,
            model=model,
        )

    def _timed(
        self, parsed: Response, response: httpx.Response, start: float, ttft: float | None
    ) -> Response:
        latency = (time.perf_counter() - start) * 1000.0
        recorded = response.extensions.get(TIMINGS_EXTENSION)
        if isinstance(recorded, Mapping):
            latency = float(recorded.get("latency_ms") or latency)
            ttft = recorded.get("ttft_ms", ttft)
        return replace(
            parsed,
            latency_ms=latency,
            ttft_ms=ttft,
            request_id=parsed.request_id or response.headers.get(self.request_id_header),
            timings_recorded=isinstance(recorded, Mapping),
            rate_limits=None if recorded is not None else self.rate_limits(response.headers, None),
        )

    async def _collect_once(self, request: Request, mode: StructuredMode | None) -> Response:
        opened = await self._open_stream(request, mode)
        try:
            async for event in self._events(opened, mode):
                if event.kind == "response" and event.response is not None:
                    return event.response
        finally:
            await opened.response.aclose()
        raise AssertionError("unreachable")  # pragma: no cover - _events raises first

    def _finish(
        self, response: Response, request: Request, mode: StructuredMode | None, retries: int
    ) -> Response:
        parsed = response.parsed
        if request.schema is not None and parsed is None and response.text:
            try:
                parsed = json.loads(response.text)
            except ValueError:
                parsed = None  # the expectations stage repairs near-JSON later
        return replace(
            response,
            provider=self.settings.name,
            model=response.model or request.model,
            parsed=parsed,
            structured_mode=mode,
            retries=retries,
            cost_usd=cost_usd(self.settings, request.model, response.usage, self.prices),
        )
