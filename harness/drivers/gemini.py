"""The ``gemini`` driver: the Gemini API's generateContent, plain and streamed (``alt=sse``).

Structured output uses ``responseMimeType: application/json`` with ``responseSchema``
(mode ``response_schema``, the JSON Schema converted by
:mod:`harness.drivers.gemini_schema`) and falls back to instructions in the prompt
(mode ``prompt``). The wire details live in :mod:`harness.drivers.gemini_wire`.

Example:
    >>> from harness.drivers.base import Message, ProviderSettings, Request
    >>> settings = ProviderSettings(name="gemini", type="gemini",
    ...     base_url="https://generativelanguage.googleapis.com", api_key_env="GEMINI_API_KEY")
    >>> async def ask() -> str:  # doctest: +SKIP
    ...     async with GeminiDriver(settings) as driver:
    ...         request = Request(model="gemini-2.5-flash", messages=(Message("user", "Hi"),))
    ...         return (await driver.complete(request)).text
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar

import httpx

from harness.drivers import gemini_wire as wire
from harness.drivers.base import (
    ALL_PARTS,
    ModelPrice,
    ProviderSettings,
    Request,
    Response,
    StreamEvent,
    StructuredMode,
)
from harness.drivers.http import error_from_status
from harness.drivers.http_driver import HTTPCall, HTTPDriver
from harness.drivers.ratelimits import RateLimits, gemini_limits
from harness.drivers.sse import iter_sse
from harness.errors import AuthenticationError, ProviderError

DEFAULT_KEY_ENV = "GEMINI_API_KEY"
FALLBACK_KEY_ENV = "GOOGLE_API_KEY"


class GeminiDriver(HTTPDriver):
    """The Gemini API (``generativelanguage.googleapis.com``).

    The key comes from ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY`` when that is unset and
    the provider keeps the default variable, or the provider's ``api_key_env``) and
    travels as ``x-goog-api-key``. ``api_version`` in settings replaces ``v1beta``.
    """

    accepts = ALL_PARTS  # inline_data

    request_id_header: ClassVar[str] = "x-request-id"
    batch_api = "harness.drivers.batch_gemini:GeminiBatch"

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        prices: Mapping[str, ModelPrice] | None = None,
    ) -> None:
        if (
            settings.api_key_env == DEFAULT_KEY_ENV
            and not os.environ.get(DEFAULT_KEY_ENV)
            and os.environ.get(FALLBACK_KEY_ENV)
        ):
            settings = replace(settings, api_key_env=FALLBACK_KEY_ENV)
        super().__init__(settings, transport=transport, prices=prices)

    def auth_headers(self, key: str) -> dict[str, str]:
        """The key travels as ``x-goog-api-key``."""
        return {"x-goog-api-key": key}

    def build_call(
        self, request: Request, mode: StructuredMode | None, *, stream: bool
    ) -> HTTPCall:
        """``POST /v1beta/models/{model}:generateContent`` (``:streamGenerateContent?alt=sse``)."""
        path = wire.model_path(request.model, api_version=self.settings.api_version, stream=stream)
        params = {"alt": "sse"} if stream else None
        body = wire.build_body(request, mode, provider=self.settings.name)
        return HTTPCall(path, body, None, params)

    def structured_modes(self, request: Request) -> tuple[StructuredMode, ...]:
        """``response_schema`` then ``prompt``."""
        return ("response_schema", "prompt") if request.schema is not None else ()

    def parse_body(self, body: Any, request: Request, mode: StructuredMode | None) -> Response:
        """The Response for a ``GenerateContentResponse`` body."""
        if isinstance(body, Mapping) and "error" in body:
            raise self._body_error(json.dumps(body), 200, request.model)
        return wire.parse_response(body, request, provider=self.settings.name)

    async def parse_stream(
        self, response: httpx.Response, request: Request, mode: StructuredMode | None
    ) -> AsyncIterator[StreamEvent]:
        """Events from the SSE chunks; the stream is complete once a finish reason arrived."""
        state = wire.StreamState(request, provider=self.settings.name)
        async for sse in iter_sse(response):
            chunk = json.loads(sse.data)
            if isinstance(chunk, Mapping) and "error" in chunk:
                raise self._body_error(sse.data, 200, request.model)
            for event in state.feed(chunk):
                yield event
        if state.done:
            yield StreamEvent(kind="response", response=state.response())

    def _error(self, response: httpx.Response, body: str, model: str) -> ProviderError:
        # Gemini reports a bad key as 400 API_KEY_INVALID: classify it by the body
        error = self._body_error(body, response.status_code, model, response.headers)
        return self._with_limits(error, response, body)

    def rate_limits(self, headers: Mapping[str, str], body: str | None) -> RateLimits | None:
        """Gemini sends no limit headers: a 429's body holds its ``RetryInfo`` and quota."""
        return gemini_limits(headers, body)

    def _body_error(
        self,
        body: str,
        status: int,
        model: str,
        headers: Mapping[str, str] | None = None,
    ) -> ProviderError:
        status, bad_key = wire.error_status(body, status)
        message = self.error_message(body)
        if bad_key:
            return AuthenticationError(
                f"the API key was rejected: {message}; check {self.settings.api_key_env}",
                provider=self.settings.name,
                model=model,
                status_code=status,
                body=body,
            )
        return error_from_status(
            status, body, headers or {}, provider=self.settings.name, model=model, message=message
        )
