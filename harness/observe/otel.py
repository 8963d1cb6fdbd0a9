"""OpenTelemetry traces of a run, by the GenAI semantic conventions (the ``otel`` extra).

Every run is one trace: a ``harness.run`` span, a ``harness.item`` span per item under it,
and under each item a ``chat {model}`` span (kind CLIENT) per model call, judge calls
included, attributed as the conventions say (``gen_ai.operation.name``,
``gen_ai.provider.name``, ``gen_ai.request.model``, ``gen_ai.usage.input_tokens``, ...).
Prompts and answers go into a ``gen_ai.client.inference.operation.details`` span event
only with ``capture_content: true``.

Export follows the standard variables: ``OTEL_TRACES_EXPORTER`` (``otlp``, the default;
``console``; ``none``), ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``..._TRACES_ENDPOINT``,
``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_SDK_DISABLED=true`` (no export).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError
from harness.hooks import (
    CallFinished,
    CallStarted,
    ItemFinished,
    ItemStarted,
    RunFinished,
    RunStarted,
)
from harness.observe.redact import Redactor

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from harness.config import OtelFile, ProjectConfig
    from harness.drivers.base import Request, Response

INSTALL = "pip install 'harness[otel]'"
PROVIDER_NAMES = {"gemini": "gcp.gemini", "vertex": "gcp.vertex_ai", "bedrock": "aws.bedrock"}
"""``gen_ai.provider.name`` values where the well-known name differs from ours."""
_PARAMS = {
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "seed": "gen_ai.request.seed",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
}
_PROVIDERS: dict[str, TracerProvider] = {}


def _require() -> None:
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        raise ConfigError(f"OpenTelemetry tracing needs the otel extra: {INSTALL}") from None


def default_provider(service_name: str | None = None) -> TracerProvider:
    """A tracer provider exporting as the ``OTEL_*`` variables say (one per process)."""
    _require()
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    key = service_name or ""
    if key in _PROVIDERS:
        return _PROVIDERS[key]
    attributes: dict[str, Any] = {}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = service_name or "harness"
    provider = TracerProvider(resource=Resource.create(attributes))
    kinds = os.environ.get("OTEL_TRACES_EXPORTER", "otlp")
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        kinds = "none"
    for kind in (k.strip().lower() for k in kinds.split(",") if k.strip()):
        if kind == "none":
            continue
        if kind == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif kind in ("otlp", "otlp_proto_http"):
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )
            except ImportError:
                raise ConfigError(f"the OTLP exporter is missing: {INSTALL}") from None
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            raise ConfigError(
                f"OTEL_TRACES_EXPORTER={kinds!r}: harness knows otlp, console and none"
            )
    _PROVIDERS[key] = provider
    return provider


def otel_hook(config: ProjectConfig | None = None) -> OTelHook | None:
    """The ``otel`` entry point: an :class:`OTelHook` when ``--otel`` or ``otel:`` asks.

    Raises:
        ConfigError: tracing is asked for and the ``otel`` extra is missing.
    """
    from harness.observe import otel_wanted

    if not otel_wanted(config):
        return None
    return OTelHook.from_config(getattr(config, "otel", None))


class OTelHook:
    """The hook that turns run, item and call events into spans.

    Args:
        tracer_provider: where spans go (default: :func:`default_provider`).
        capture_content: also record prompts and answers (span events).
        redactor: removes secrets from recorded content.
    """

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        *,
        capture_content: bool = False,
        redactor: Redactor | None = None,
    ) -> None:
        _require()
        from harness import __version__

        self.provider = tracer_provider or default_provider()
        self.tracer: Tracer = self.provider.get_tracer("harness", __version__)
        self.capture_content = capture_content
        self.redactor = redactor or Redactor.from_env()
        self._runs: dict[str, Span] = {}
        self._items: dict[str, Span] = {}
        self._calls: dict[int, Span] = {}

    @classmethod
    def from_config(cls, otel: OtelFile | None) -> OTelHook:
        """The hook for ``otel:`` of harness.yaml (defaults when None)."""
        service = otel.service_name if otel is not None else None
        capture = bool(otel and otel.capture_content)
        return cls(default_provider(service), capture_content=capture)

    def _context(self, parent: Span | None) -> Any:
        from opentelemetry import trace

        return trace.set_span_in_context(parent) if parent is not None else None

    def run_started(self, event: RunStarted) -> None:
        span = self.tracer.start_span(
            "harness.run",
            attributes={
                "harness.run_id": event.run_id,
                "harness.models": list(event.models),
                "harness.items": event.items,
                "harness.record_mode": event.record_mode,
                "harness.resumed": event.resumed,
            },
        )
        self._runs[event.run_id] = span

    def item_started(self, event: ItemStarted) -> None:
        span = self.tracer.start_span(
            f"harness.item {event.spec}/{event.case_id}",
            context=self._context(self._runs.get(event.run_id)),
            attributes={
                "harness.item_id": event.item_id,
                "harness.spec": event.spec,
                "harness.case_id": event.case_id,
                "harness.model": event.model,
                "harness.attempt": event.attempt,
            },
        )
        self._items[event.item_id] = span

    def call_started(self, event: CallStarted) -> None:
        from opentelemetry.trace import SpanKind

        request = event.request
        parent = self._items.get(event.item_id or "") or self._runs.get(event.run_id)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": PROVIDER_NAMES.get(event.provider, event.provider),
            "gen_ai.request.model": request.model,
            "harness.model": event.model,
            "harness.judge": event.judge,
        }
        if event.item_id:
            attributes["harness.item_id"] = event.item_id
        for name, attr in _PARAMS.items():
            value = request.params.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                attributes[attr] = value
        stop = request.params.get("stop")
        if isinstance(stop, str):
            attributes["gen_ai.request.stop_sequences"] = [stop]
        elif isinstance(stop, list | tuple) and all(isinstance(s, str) for s in stop):
            attributes["gen_ai.request.stop_sequences"] = list(stop)
        if request.schema is not None:
            attributes["gen_ai.output.type"] = "json"
        span = self.tracer.start_span(
            f"chat {request.model}",
            context=self._context(parent),
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        self._calls[event.call_id] = span

    def call_finished(self, event: CallFinished) -> None:
        from opentelemetry.trace import Status, StatusCode

        span = self._calls.pop(event.call_id, None)
        if span is None:
            return
        span.set_attribute("harness.retries", event.retries)
        span.set_attribute("harness.wait_ms", event.wait_ms)
        response = event.response
        if response is not None:
            _set_response(span, response)
        if event.error is not None:
            span.set_attribute("error.type", type(event.error).__name__)
            status = getattr(event.error, "status_code", None)
            if isinstance(status, int):
                span.set_attribute("http.response.status_code", status)
            span.set_status(Status(StatusCode.ERROR, self.redactor.text(str(event.error))))
        if self.capture_content:
            span.add_event(
                "gen_ai.client.inference.operation.details",
                attributes=self._content(event.request, response),
            )
        span.end()

    def _content(self, request: Request, response: Response | None) -> dict[str, str]:
        messages = [
            {"role": m.role, "parts": [{"type": "text", "content": m.text}]}
            for m in request.messages
        ]
        out: dict[str, str] = {"gen_ai.input.messages": _json(self.redactor.value(messages))}
        if response is not None:
            parts: list[dict[str, Any]] = [{"type": "text", "content": response.text}]
            parts += [
                {"type": "tool_call", "name": c.name, "id": c.id, "arguments": dict(c.arguments)}
                for c in response.tool_calls
            ]
            output = [
                {"role": "assistant", "parts": parts, "finish_reason": response.finish_reason}
            ]
            out["gen_ai.output.messages"] = _json(self.redactor.value(output))
        return out

    def item_finished(self, event: ItemFinished) -> None:
        from opentelemetry.trace import Status, StatusCode

        record = event.record
        span = self._items.pop(record.item_id, None)
        if span is None:
            return
        span.set_attribute("harness.status", record.status)
        if record.score is not None:
            span.set_attribute("harness.score", record.score)
        if record.cost_usd is not None:
            span.set_attribute("harness.cost_usd", record.cost_usd)
        if record.status == "error":
            span.set_attribute("error.type", record.error_type or "error")
            span.set_status(Status(StatusCode.ERROR, self.redactor.text(record.error or "")))
        span.end()

    def run_finished(self, event: RunFinished) -> None:
        span = self._runs.pop(event.run_id, None)
        if span is not None:
            span.set_attribute("harness.status", event.status)
            for status, n in event.counts.items():
                span.set_attribute(f"harness.count.{status}", n)
            span.end()
        # spans of items a stopped run never finished still end, so the trace is whole
        for spans in (self._calls, self._items):
            for leftover in spans.values():
                leftover.end()
            spans.clear()
        self.provider.force_flush(
            timeout_millis=5000
        )  # an absent collector delays the end 5 s at most


def _set_response(span: Span, response: Response) -> None:
    if response.model:
        span.set_attribute("gen_ai.response.model", response.model)
    if response.request_id:
        span.set_attribute("gen_ai.response.id", response.request_id)
    if response.finish_reason:
        span.set_attribute("gen_ai.response.finish_reasons", [response.finish_reason])
    usage = response.usage
    if usage.input_tokens is not None:
        span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
    if usage.output_tokens is not None:
        span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
    if usage.cached_tokens is not None:
        span.set_attribute("gen_ai.usage.cache_read.input_tokens", usage.cached_tokens)
    if response.cost_usd is not None:
        span.set_attribute("harness.cost_usd", response.cost_usd)
    if response.latency_ms is not None:
        span.set_attribute("harness.latency_ms", response.latency_ms)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
