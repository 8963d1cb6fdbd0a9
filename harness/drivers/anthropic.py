"""The ``anthropic`` driver: the Messages API (``POST /v1/messages``), plain and streamed.

Structured output uses a forced tool whose input is the answer (mode ``tool``) and
falls back to instructions in the prompt (mode ``prompt``) when a server rejects it.
The wire details live in :mod:`harness.drivers.anthropic_wire`.

Example:
    >>> from harness.drivers.base import Message, ProviderSettings, Request
    >>> settings = ProviderSettings(name="anthropic", type="anthropic",
    ...     base_url="https://api.anthropic.com", api_key_env="ANTHROPIC_API_KEY")
    >>> async def ask() -> str:  # doctest: +SKIP
    ...     async with AnthropicDriver(settings) as driver:
    ...         request = Request(model="claude-haiku-4-5", messages=(Message("user", "Hi"),))
    ...         return (await driver.complete(request)).text
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import httpx

from harness.drivers import anthropic_wire as wire
from harness.drivers.base import PartKind, Request, Response, StreamEvent, StructuredMode
from harness.drivers.http_driver import HTTPCall, HTTPDriver
from harness.drivers.ratelimits import RateLimits, anthropic_limits
from harness.drivers.sse import iter_sse


class AnthropicDriver(HTTPDriver):
    """Anthropic's Messages API.

    The key comes from ``ANTHROPIC_API_KEY`` (or the provider's ``api_key_env``) and
    travels as ``x-api-key``; ``api_version`` in settings overrides the
    ``anthropic-version`` header (default ``2023-06-01``).
    """

    accepts: frozenset[PartKind] = frozenset({"text", "image", "file"})  # image, document

    request_id_header: ClassVar[str] = "request-id"
    batch_api = "harness.drivers.batch_anthropic:AnthropicBatch"

    def auth_headers(self, key: str) -> dict[str, str]:
        """The key travels as ``x-api-key``, not as a bearer token."""
        return {"x-api-key": key}

    def rate_limits(self, headers: Mapping[str, str], body: str | None) -> RateLimits | None:
        """Anthropic's ``anthropic-ratelimit-*`` headers."""
        return anthropic_limits(headers)

    @property
    def _version(self) -> str:
        return self.settings.api_version or wire.API_VERSION

    def build_call(
        self, request: Request, mode: StructuredMode | None, *, stream: bool
    ) -> HTTPCall:
        """``POST /v1/messages`` with the request's body."""
        headers = {"anthropic-version": self._version}
        body = wire.build_body(request, mode, stream=stream, provider=self.settings.name)
        return HTTPCall("/v1/messages", body, headers)

    def structured_modes(self, request: Request) -> tuple[StructuredMode, ...]:
        """``tool`` then ``prompt``; only ``prompt`` with the request's own tools or thinking."""
        if request.schema is None:
            return ()
        # forcing the output tool would stop the model from calling the request's tools,
        # and the API refuses a forced tool choice while extended thinking is on
        thinking = request.params.get("thinking") or (request.params.get("extra_body") or {}).get(
            "thinking"
        )
        if request.tools or (isinstance(thinking, dict) and thinking.get("type") != "disabled"):
            return ("prompt",)
        return ("tool", "prompt")

    def error_message(self, body: str) -> str | None:
        """``"<error.type>: <message>"`` from an Anthropic error body."""
        return wire.error_message(body)

    def parse_body(self, body: Any, request: Request, mode: StructuredMode | None) -> Response:
        """The Response for a ``message`` body."""
        return wire.parse_message(body, request, mode, provider=self.settings.name)

    async def parse_stream(
        self, response: httpx.Response, request: Request, mode: StructuredMode | None
    ) -> AsyncIterator[StreamEvent]:
        """Events from the SSE stream; ends at ``message_stop``."""
        state = wire.StreamState(request, mode, provider=self.settings.name)
        async for sse in iter_sse(response):
            for event in state.feed(json.loads(sse.data)):
                yield event
            if state.done:
                return
