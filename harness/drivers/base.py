"""The normalized vocabulary every driver speaks: messages, requests, responses, stream events.

A driver turns a provider-neutral :class:`Request` into one HTTP call of its wire
format and the answer back into a :class:`Response`. Nothing here knows about
specs, cases or assertions.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

import httpx

from harness.drivers.ratelimits import RateLimits

Role = Literal["system", "user", "assistant", "tool"]
StructuredMode = Literal[
    "json_schema", "json_object", "tool", "response_schema", "format", "prompt"
]


@dataclass(frozen=True, slots=True)
class TextPart:
    """A piece of text inside a message."""

    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image inside a message: a URL, or inline base64 ``data`` with its media type."""

    url: str | None = None
    data: str | None = None
    media_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class FilePart:
    """A document inside a message (a PDF, say): inline base64 ``data`` with its media type."""

    data: str
    media_type: str = "application/pdf"
    name: str = ""


@dataclass(frozen=True, slots=True)
class AudioPart:
    """A sound inside a message: inline base64 ``data`` with its media type."""

    data: str
    media_type: str = "audio/wav"


Part = TextPart | ImagePart | FilePart | AudioPart
PartKind = Literal["text", "image", "file", "audio"]
ALL_PARTS: frozenset[PartKind] = frozenset({"text", "image", "file", "audio"})


def part_kind(part: Part) -> PartKind:
    """``text``, ``image``, ``file`` or ``audio``."""
    if isinstance(part, TextPart):
        return "text"
    if isinstance(part, ImagePart):
        return "image"
    return "file" if isinstance(part, FilePart) else "audio"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the model asked for; ``arguments`` is parsed JSON (``{}`` if unparseable).

    ``provider_data`` is what the wire format must send back with the call on the next
    step, opaque to everything else: Gemini's ``thoughtSignature``, Anthropic's thinking
    blocks that preceded the call.
    """

    name: str
    arguments: Mapping[str, Any]
    id: str = ""
    raw_arguments: str = ""
    provider_data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message. ``content`` is plain text or a tuple of parts."""

    role: Role
    content: str | tuple[Part, ...] = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        """The message's text with image parts left out."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call: name, description and JSON Schema parameters."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True, slots=True)
class Request:
    """A provider-neutral model call.

    ``model`` is the provider's own model name (the part after ``provider:``).
    ``params`` holds sampling options (temperature, max_tokens, top_p, stop, seed, ...);
    a driver maps the ones its wire format knows and passes ``extra_body`` through.
    """

    model: str
    messages: tuple[Message, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    schema: Mapping[str, Any] | None = None
    schema_name: str = "output"
    tools: tuple[Tool, ...] = ()
    stream: bool = False


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts. ``input_tokens`` is the total input: cache reads (``cached_tokens``)
    and cache writes (``cache_write_tokens``, Anthropic's cache creation) included."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cache_write_tokens: int | None = None

    @property
    def total_tokens(self) -> int | None:
        """Input plus output, or None when either is unknown."""
        if self.input_tokens is None or self.output_tokens is None:
            return None
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Response:
    """A model's answer, normalized.

    ``parsed`` is the JSON value when a schema was asked for and the text parsed;
    ``structured_mode`` records which structured-output mode the call finally used.
    ``cost_usd`` is None when the price is unknown, never a made-up zero.
    ``rate_limits`` is what the answer said about the provider's limits (live calls only:
    a replayed answer's recorded headers say nothing about the provider now).
    """

    text: str
    provider: str = ""
    model: str = ""
    parsed: Any = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    request_id: str | None = None
    raw: Any = None
    structured_mode: StructuredMode | None = None
    retries: int = 0
    timings_recorded: bool = False
    rate_limits: RateLimits | None = None


StreamEventKind = Literal["text", "tool_call", "usage", "finish", "response"]


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One event of a streamed answer; the last has kind ``response`` and the full Response."""

    kind: StreamEventKind
    text: str = ""
    tool_call: ToolCall | None = None
    usage: Usage | None = None
    finish_reason: str | None = None
    response: Response | None = None


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed to connect, between bytes (read) and for the whole call (total)."""

    connect: float = 10.0
    read: float = 120.0
    total: float = 600.0


@dataclass(frozen=True, slots=True)
class RunMode:
    """How the run wants a provider's driver to behave; set by the runner, read by drivers.

    Attributes:
        offline: replay only: no API key is read and no managed server starts.
        deterministic: each call's traffic must depend on its request alone (cassettes
            are on), so drivers keep no cross-call memory that changes what they send.
    """

    offline: bool = False
    deterministic: bool = False


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """What a driver needs to know about its provider; built from harness.yaml and presets.

    ``name`` is the prefix users write (``bench`` in ``bench:fake-model``); ``type`` is
    the wire format (``openai``, ``anthropic``, ``gemini``, ``ollama``, ``llamacpp``).
    ``mode`` is the run's :class:`RunMode`; harness.yaml's ``options: {offline: true}``
    (and ``deterministic``) are folded into it here, so drivers read ``mode`` alone.
    ``batch`` sends its calls as batches (:mod:`harness.runner.batch_api`).
    ``concurrency`` is a fixed number of calls in flight, ``"auto"`` (adapt to the
    provider) or None (the run decides). ``rate_limit_patience`` is how many seconds the
    runner keeps retrying while the provider answers nothing but rate limits.
    """

    name: str
    type: str
    base_url: str | None = None
    api_key_env: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    concurrency: int | Literal["auto"] | None = None
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)
    max_retries: int = 4
    api_version: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    rate_limit_patience: float = 600.0
    mode: RunMode = field(default_factory=RunMode)
    batch: bool = False
    """Send this provider's calls through its batch API (harness.yaml ``batch: true``)."""

    def __post_init__(self) -> None:
        offline = self.mode.offline or bool(self.options.get("offline"))
        deterministic = self.mode.deterministic or bool(self.options.get("deterministic"))
        if (offline, deterministic) != (self.mode.offline, self.mode.deterministic):
            object.__setattr__(self, "mode", RunMode(offline, deterministic))

    def with_mode(self, mode: RunMode) -> ProviderSettings:
        """These settings for a run in ``mode`` (what harness.yaml asked for is kept)."""
        return replace(
            self,
            mode=RunMode(
                offline=mode.offline or self.mode.offline,
                deterministic=mode.deterministic or self.mode.deterministic,
            ),
        )


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million tokens; ``cached_input_per_mtok`` applies to cache-read tokens and
    ``batch_*`` to calls sent through a batch API (default: half the live price)."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None
    batch_input_per_mtok: float | None = None
    batch_output_per_mtok: float | None = None


def refused_parts(accepts: frozenset[PartKind], request: Request) -> list[PartKind]:
    """The kinds of part in ``request`` that a driver accepting ``accepts`` cannot send."""
    kinds = {
        part_kind(p) for m in request.messages if not isinstance(m.content, str) for p in m.content
    }
    return sorted(kinds - accepts)


class Driver(abc.ABC):
    """One wire format. Holds one pooled HTTP transport for its provider.

    ``transport`` lets the caller wrap the HTTP transport (cassettes do); drivers
    send through it and never patch anything process-wide. ``accepts`` names the message
    parts the wire format can carry (``harness validate`` names models that cannot take
    a spec's parts).
    """

    accepts: frozenset[PartKind] = frozenset({"text"})
    batch_api: ClassVar[str | type[Any] | None] = None
    """The wire format's :class:`~harness.drivers.batch_base.BatchAPI` (a class or
    ``"module:Class"``), or None when it has no batch endpoints."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        prices: Mapping[str, ModelPrice] | None = None,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.prices: Mapping[str, ModelPrice] = prices if prices is not None else {}

    @abc.abstractmethod
    async def complete(self, request: Request) -> Response:
        """Send the request and return the whole answer (streaming internally if asked)."""

    @abc.abstractmethod
    def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """Send the request with streaming on and yield events; the last is ``response``."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Close the pooled client."""

    async def __aenter__(self) -> Driver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
