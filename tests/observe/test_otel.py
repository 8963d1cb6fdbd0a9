"""OpenTelemetry: a trace per run, item spans, GenAI-convention call spans (in memory)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from harness.config import ProjectConfig, load_config
from harness.hooks import Hooks
from harness.observe.otel import OTelHook
from harness.store.sqlite import Store
from tests.observe.runs import SECRET, small_run


def _traced(capture: bool = False) -> tuple[OTelHook, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OTelHook(provider, capture_content=capture), exporter


def _by_name(spans: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name.startswith(prefix)]


async def test_a_run_is_one_trace_of_items_and_calls(
    config: ProjectConfig, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_API_KEY", SECRET)
    hook, exporter = _traced()
    await small_run(config, store, Hooks([hook]))
    spans = exporter.get_finished_spans()
    (run,) = _by_name(spans, "harness.run")
    items = _by_name(spans, "harness.item ")
    calls = _by_name(spans, "chat ")
    assert len(items) == 3 and len(calls) == 5
    assert {s.context.trace_id for s in spans} == {run.context.trace_id}
    assert all(i.parent is not None and i.parent.span_id == run.context.span_id for i in items)
    item_ids = {i.context.span_id for i in items}
    assert all(c.parent is not None and c.parent.span_id in item_ids for c in calls)

    ok = next(c for c in calls if c.name == "chat m1" and c.status.status_code != StatusCode.ERROR)
    attrs = dict(ok.attributes or {})
    assert ok.kind == SpanKind.CLIENT
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "fake"
    assert attrs["gen_ai.request.model"] == "m1"
    assert attrs["gen_ai.response.model"] == "m1"
    assert attrs["gen_ai.usage.input_tokens"] == 10
    assert attrs["gen_ai.usage.output_tokens"] == 10
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert not ok.events  # no content unless asked

    failed = next(c for c in calls if c.status.status_code == StatusCode.ERROR)
    assert dict(failed.attributes or {})["error.type"] == "BadRequestError"
    assert SECRET not in (failed.status.description or "")
    judge = [c for c in calls if dict(c.attributes or {})["harness.judge"]]
    assert len(judge) == 2 and all(c.name == "chat judge" for c in judge)
    assert dict(run.attributes or {})["harness.count.passed"] == 2


async def test_content_only_with_capture_content(config: ProjectConfig, store: Store) -> None:
    hook, exporter = _traced(capture=True)
    await small_run(config, store, Hooks([hook]))
    call = next(s for s in exporter.get_finished_spans() if s.name == "chat m1" and s.events)
    (event,) = call.events
    assert event.name == "gen_ai.client.inference.operation.details"
    attrs = dict(event.attributes or {})
    inputs = json.loads(str(attrs["gen_ai.input.messages"]))
    assert inputs[0]["role"] == "user" and inputs[0]["parts"][0]["content"].startswith("say ok")
    output = json.loads(str(attrs["gen_ai.output.messages"]))
    assert output[0]["parts"][0]["content"].startswith("say ok")


@pytest.mark.parametrize(
    ("text", "enabled", "capture"),
    [
        pytest.param("otel: true\n", True, False, id="true"),
        pytest.param("otel:\n  capture_content: true\n", True, True, id="mapping"),
        pytest.param("otel: false\n", False, False, id="false"),
    ],
)
def test_otel_in_harness_yaml(tmp_path: Path, text: str, enabled: bool, capture: bool) -> None:
    path = tmp_path / "harness.yaml"
    path.write_text(text, encoding="utf-8")
    otel = load_config(path).otel
    assert otel is not None and otel.enabled is enabled and otel.capture_content is capture


def test_console_exporter_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    from harness.observe import otel

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "evals")
    monkeypatch.setattr(otel, "_PROVIDERS", {})
    provider = otel.default_provider()
    assert provider.resource.attributes["service.name"] == "evals"
    processors = provider._active_span_processor._span_processors
    assert [type(p.span_exporter) for p in processors] == [ConsoleSpanExporter]  # type: ignore[attr-defined]
    provider.shutdown()


def test_without_the_extra_the_error_names_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness.errors import ConfigError

    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with pytest.raises(ConfigError, match=r"pip install 'harness\[otel\]'"):
        OTelHook()
