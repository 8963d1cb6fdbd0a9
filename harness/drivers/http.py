"""HTTP plumbing shared by every driver: transport, client, API keys and error translation.

This module is the one boundary where ``httpx`` and ``aiohttp`` exceptions and HTTP
status codes become :mod:`harness.errors` types; nothing above a driver sees them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from harness.drivers.base import ProviderSettings
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

# at least this many pooled connections: the runner's concurrency decides the real load
_MIN_POOL = 128

_CONTEXT_RE = re.compile(
    r"context[ _]length|context_length_exceeded|maximum context|context window|"
    r"too many tokens|prompt is too long|input is too long|maximum number of tokens",
    re.IGNORECASE,
)
_FILTER_RE = re.compile(
    r"content[ _]filter|content[ _]policy|content management policy|safety system|"
    r"flagged|responsible ai policy",
    re.IGNORECASE,
)
_UNSUPPORTED_RE = re.compile(
    r"response_format|json_schema|not supported|unsupported|does not support",
    re.IGNORECASE,
)


class _OnFirstRequest(httpx.AsyncBaseTransport):
    """A transport built on the first request sent through it: a replay that never
    reaches the network never imports aiohttp (a fifth of ``harness run``'s start-up)."""

    def __init__(self, build: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._build = build
        self._inner: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._inner is None:
            self._inner = self._build()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def default_transport(settings: ProviderSettings) -> httpx.AsyncBaseTransport:
    """The transport drivers use unless given one: httpx over aiohttp, built (and aiohttp
    imported) on the first request.

    The default httpx pool degrades badly with many requests in flight (about 0.06x
    raw aiohttp at 64 in flight on loopback); the aiohttp transport keeps about 0.4x.
    """
    return _OnFirstRequest(lambda: _aiohttp_transport(settings))


def _aiohttp_transport(settings: ProviderSettings) -> httpx.AsyncBaseTransport:
    from httpx_aiohttp import AiohttpTransport

    own = settings.concurrency if isinstance(settings.concurrency, int) else 0
    size = max(own, _MIN_POOL)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    transport: httpx.AsyncBaseTransport = AiohttpTransport(limits=limits)
    return transport


def make_client(
    settings: ProviderSettings, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """A pooled ``httpx.AsyncClient`` for a provider: base URL, timeouts, configured headers.

    For callers outside the drivers; drivers send through :class:`Connection`, which
    skips the client's per-request work. The total timeout is not an httpx notion;
    callers enforce it around each call.
    """
    t = settings.timeouts
    timeout = httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.total)
    return httpx.AsyncClient(
        base_url=settings.base_url or "",
        timeout=timeout,
        headers=dict(settings.headers),
        transport=transport or default_transport(settings),
    )


def api_key(settings: ProviderSettings) -> str | None:
    """The provider's API key from its environment variable.

    Returns None when the provider needs no key (``api_key_env`` unset) or the run is
    offline (``settings.mode.offline``: replay only).

    Raises:
        MissingAPIKeyError: the variable is not set; raised before any request.
    """
    env = settings.api_key_env
    if env is None or settings.mode.offline:
        return None
    value = os.environ.get(env)
    if not value:
        raise MissingAPIKeyError(
            f"environment variable {env} is not set: export {env}=<your key>, "
            f"or set api_key_env for provider {settings.name!r} in harness.yaml",
            provider=settings.name,
        )
    return value


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` (seconds or HTTP date)."""
    if not isinstance(headers, httpx.Headers):
        headers = {k.lower(): v for k, v in headers.items()}
    ms = headers.get("retry-after-ms")
    if ms:
        with contextlib.suppress(ValueError):
            return max(float(ms) / 1000.0, 0.0)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def default_error_message(body: str) -> str | None:
    """The ``error.message`` (or ``error`` string, or ``message``) of a JSON error body."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]  # Gemini sometimes wraps the error in a list
    if not isinstance(data, dict):
        return None
    err = data.get("error", data)
    if isinstance(err, str):
        return err
    if isinstance(err, dict):
        msg = err.get("message")
        if isinstance(msg, str):
            return msg
    msg = data.get("message")
    return msg if isinstance(msg, str) else None


def error_from_status(
    status: int,
    body: str,
    headers: Mapping[str, str],
    *,
    provider: str,
    model: str,
    message: str | None = None,
) -> ProviderError:
    """The typed error for a non-2xx answer; ``message`` is the provider's own text if known.

    Example:
        >>> e = error_from_status(429, "", {"retry-after": "2"}, provider="p", model="m")
        >>> type(e).__name__, e.retry_after
        ('RateLimitError', 2.0)
    """
    detail = message or default_error_message(body) or body[:300] or f"HTTP {status}"

    def make(
        cls: type[ProviderError], text: str, retry_after: float | None = None
    ) -> ProviderError:
        return cls(
            text,
            provider=provider,
            model=model,
            status_code=status,
            retry_after=retry_after,
            body=body,
        )

    if status in (401, 403):
        return make(
            AuthenticationError,
            f"authentication failed (HTTP {status}): {detail}; check the API key "
            "variable for this provider and that the key may use this model",
        )
    if status == 429:
        return make(
            RateLimitError,
            f"rate limited (HTTP 429): {detail}; lower concurrency or "
            "requests_per_minute for this provider",
            retry_after=parse_retry_after(headers),
        )
    if status == 408:
        return make(TimeoutError_, f"the server timed out (HTTP 408): {detail}")
    if status >= 500:
        return make(
            ServerError,
            f"server error (HTTP {status}): {detail}; the provider is failing or "
            "overloaded, try again later",
            retry_after=parse_retry_after(headers),
        )
    if _CONTEXT_RE.search(detail):
        return make(
            ContextLengthError,
            f"the prompt and max_tokens exceed the model's context window: {detail}; "
            "shorten the prompt or lower max_tokens",
        )
    if _FILTER_RE.search(detail):
        return make(ContentFilterError, f"blocked by the provider's content policy: {detail}")
    if status in (400, 422) and _UNSUPPORTED_RE.search(detail):
        return make(UnsupportedFeatureError, f"the server rejected a feature: {detail}")
    if status == 404:
        return make(
            BadRequestError,
            f"not found (HTTP 404): {detail}; check the model name and base_url",
        )
    return make(BadRequestError, f"bad request (HTTP {status}): {detail}; fix the request")


def _root_causes(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


@contextlib.contextmanager
def translate_errors(provider: str, model: str) -> Iterator[None]:
    """Map every ``httpx``/``aiohttp``/timeout exception raised inside to a harness error.

    Raises:
        TimeoutError_: connect, read or total timeout.
        ConnectionError_: refused, reset or dropped connection.
        ResponseParseError: the body could not be decoded.
    """
    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        # aiohttp is imported with the first request that reaches the network: before
        # that, none of its exceptions can have been raised
        aiohttp: Any = sys.modules.get("aiohttp")
        transport_errors: tuple[type[BaseException], ...] = (httpx.HTTPError, TimeoutError, OSError)
        timeouts: tuple[type[BaseException], ...] = (TimeoutError,)
        dropped: tuple[type[BaseException], ...] = (ConnectionError,)
        if aiohttp is not None:
            transport_errors += (aiohttp.ClientError,)
            timeouts += (aiohttp.ServerTimeoutError,)
            dropped += (
                aiohttp.ServerDisconnectedError,
                aiohttp.ClientOSError,
                aiohttp.ClientPayloadError,
            )
        if not isinstance(exc, transport_errors):
            raise
        # httpx-aiohttp maps a server disconnect to ConnectTimeout; trust the root cause
        for cause in _root_causes(exc):
            if isinstance(cause, timeouts):
                break
            if isinstance(cause, dropped):
                raise ConnectionError_(
                    f"connection dropped: {cause or type(cause).__name__}; check the server is up",
                    provider=provider,
                    model=model,
                ) from exc
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            raise TimeoutError_(
                f"timed out ({type(exc).__name__}); raise the provider's timeout in "
                "harness.yaml if the model is slow",
                provider=provider,
                model=model,
            ) from exc
        if isinstance(exc, httpx.DecodingError):
            raise ResponseParseError(
                f"could not decode the response: {exc}", provider=provider, model=model
            ) from exc
        raise ConnectionError_(
            f"connection failed: {exc or type(exc).__name__}; check base_url and that "
            "the server is up",
            provider=provider,
            model=model,
        ) from exc


class Connection:
    """A provider's pooled transport with its base URL, headers and timeouts prepared once.

    Requests go straight to the transport. ``httpx.AsyncClient`` would add URL merging,
    cookie extraction, auth and redirect handling per request, which cost about 40% of
    a loopback call in the driver benchmark and none of which an API call needs. The
    transport stays the seam: cassettes wrap it, exactly as they would under a client.
    """

    def __init__(
        self,
        settings: ProviderSettings,
        transport: httpx.AsyncBaseTransport,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.transport = transport
        self.base_url = (settings.base_url or "").rstrip("/")
        # an httpx.Headers is copied without re-normalizing: cheaper per request
        self.headers = httpx.Headers(
            {
                "accept": "application/json",
                "content-type": "application/json",
                "user-agent": "harness",
                **{k.lower(): v for k, v in settings.headers.items()},
                **{k.lower(): v for k, v in (headers or {}).items()},
            }
        )
        t = settings.timeouts
        self.extensions = {
            "timeout": {"connect": t.connect, "read": t.read, "write": t.read, "pool": t.total}
        }
        self._urls: dict[tuple[str, tuple[tuple[str, str], ...]], httpx.URL] = {}

    def url(self, path: str, params: Mapping[str, str] | None = None) -> httpx.URL:
        """The absolute URL for a path (joined to base_url) and query params, cached."""
        key = (path, tuple(sorted(params.items())) if params else ())
        url = self._urls.get(key)
        if url is None:
            full = path if "://" in path else self.base_url + path
            url = httpx.URL(full, params=dict(params) if params else None)
            if len(self._urls) < 1024:
                self._urls[key] = url
        return url

    async def post(
        self,
        path: str,
        body: object,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """POST JSON; the body is read and the response closed unless ``stream``.

        Encodes JSON as httpx's ``json=`` does, so recorded bodies match either way.
        """
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        request = httpx.Request(
            "POST",
            self.url(path, params),
            headers=self._merged(headers) if headers else self.headers,
            content=content.encode(),
            extensions=self.extensions,
        )
        response = await self.transport.handle_async_request(request)
        response.request = request
        if not stream:
            try:
                body = response.stream
                if "content-encoding" in response.headers or not isinstance(
                    body, httpx.AsyncByteStream
                ):
                    await response.aread()
                else:
                    # identity body: skip httpx's decoder chain, a tenth of a loopback call;
                    # this is what aread() stores, read straight off the transport stream
                    response._content = b"".join([part async for part in body])
            finally:
                await response.aclose()
        return response

    def _merged(self, headers: Mapping[str, str]) -> httpx.Headers:
        merged = self.headers.copy()
        merged.update(headers)
        return merged

    async def aclose(self) -> None:
        """Close the transport and its pooled connections."""
        await self.transport.aclose()
