"""The openai driver's wire details: params, Azure, usage mapping, llama.cpp quirks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from harness.drivers.base import Message, ProviderSettings, Request, Tool
from harness.drivers.openai import OpenAIDriver, usage_from
from harness.drivers.registry import create_driver, driver_class, provider_settings
from harness.errors import ContentFilterError
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

HELLO = (Message("user", "hello world"),)
SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}}


def settings(url: str, **kw: Any) -> ProviderSettings:
    return ProviderSettings(name=kw.pop("name", "bench"), type="openai", base_url=url, **kw)


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        pytest.param(
            {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "prompt_tokens_details": {"cached_tokens": 64},
                "completion_tokens_details": {"reasoning_tokens": 12},
            },
            (100, 20, 64, 12),
            id="details",
        ),
        pytest.param({"prompt_tokens": 5, "completion_tokens": 1}, (5, 1, None, None), id="plain"),
        pytest.param(None, (None, None, None, None), id="absent"),
    ],
)
def test_usage_mapping(usage: dict[str, Any] | None, expected: tuple[Any, ...]) -> None:
    u = usage_from(usage)
    assert (u.input_tokens, u.output_tokens, u.cached_tokens, u.reasoning_tokens) == expected


@pytest.fixture
async def fake() -> AsyncIterator[FakeServer]:
    """The openai fake reporting cached and reasoning tokens."""
    async with FakeServer("openai", options={"cached_tokens": 1, "reasoning_tokens": 2}) as s:
        yield s


@pytest.mark.parametrize(
    "stream", [pytest.param(False, id="plain"), pytest.param(True, id="streamed")]
)
async def test_cached_and_reasoning_tokens(fake: FakeServer, stream: bool) -> None:
    async with OpenAIDriver(settings(fake.base_url + "/v1")) as driver:
        r = await driver.complete(Request("m", HELLO, stream=stream))
    assert (r.usage.input_tokens, r.usage.cached_tokens, r.usage.reasoning_tokens) == (2, 1, 2)


async def test_params_map_and_unknown_ones_are_dropped(fake: FakeServer) -> None:
    params = {"temperature": 0, "max_tokens": 9, "num_ctx": 4096, "extra_body": {"top_k": 5}}
    async with OpenAIDriver(settings(fake.base_url + "/v1")) as driver:
        await driver.complete(Request("m", HELLO, params=params))
    body = fake.requests[0].json
    assert (body["temperature"], body["max_tokens"], body["top_k"]) == (0, 9, 5)
    assert "num_ctx" not in body and "extra_body" not in body


async def test_max_tokens_gives_finish_reason_length(fake: FakeServer) -> None:
    async with OpenAIDriver(settings(fake.base_url + "/v1")) as driver:
        r = await driver.complete(Request("m", HELLO, params={"max_tokens": 1}))
    assert (r.text, r.finish_reason) == ("echo:", "length")


async def test_azure_paths_and_key_header(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az-key")
    s = provider_settings("azure")
    s = ProviderSettings(
        name="azure",
        type=s.type,
        base_url=fake.base_url,
        api_key_env=s.api_key_env,
        api_version="2024-06-01",
    )
    async with create_driver(s) as driver:
        r = await driver.complete(Request("my-deployment", HELLO))
    sent = fake.requests[0]
    assert sent.path == "/openai/deployments/my-deployment/chat/completions"
    assert sent.query == {"api-version": "2024-06-01"}
    assert sent.headers["api-key"] == "az-key" and "authorization" not in sent.headers
    assert r.text == "echo: hello world"


async def test_llamacpp_takes_json_object_with_schema_and_sends_no_stream_usage() -> None:
    options = {"reject_json_schema": True, "no_stream_usage": True}
    async with (
        FakeServer("openai", options=options) as fake,
        OpenAIDriver(settings(fake.base_url + "/v1", name="llamacpp")) as driver,
    ):
        r = await driver.complete(Request("m", HELLO, schema=SCHEMA, stream=True))
    assert r.structured_mode == "json_object"
    assert fake.requests[-1].json["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert r.parsed == {"a": 1}
    assert r.usage.input_tokens is None and r.cost_usd is None  # no usage sent: unknown


async def test_prompt_fallback_when_both_json_modes_are_rejected() -> None:
    options = {"reject_json_schema": True, "reject_json_object": True}
    async with (
        FakeServer("openai", options=options) as fake,
        OpenAIDriver(settings(fake.base_url + "/v1")) as driver,
    ):
        r = await driver.complete(Request("m", HELLO, schema=SCHEMA))
    assert r.structured_mode == "prompt" and r.parsed == {"a": 1}
    last = fake.requests[-1].json
    assert "response_format" not in last
    assert "JSON Schema" in last["messages"][-1]["content"]


def _answer(message: dict[str, Any], finish: str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"choices": [{"index": 0, "message": message, "finish_reason": finish}]},
        )

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("message", "finish"),
    [
        pytest.param(
            {"role": "assistant", "content": None, "refusal": "I can't"}, "stop", id="refusal"
        ),
        pytest.param({"role": "assistant", "content": None}, "content_filter", id="filtered"),
    ],
)
async def test_refusals_are_content_filter_errors(message: dict[str, Any], finish: str) -> None:
    transport = _answer(message, finish)
    async with OpenAIDriver(settings("http://127.0.0.1:9/v1"), transport=transport) as driver:
        with pytest.raises(ContentFilterError):
            await driver.complete(Request("m", HELLO))


async def test_unparseable_tool_arguments_become_empty() -> None:
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
        ],
    }
    async with OpenAIDriver(
        settings("http://127.0.0.1:9/v1"), transport=_answer(message, "tool_calls")
    ) as d:
        r = await d.complete(Request("m", HELLO))
    assert r.tool_calls[0].arguments == {} and r.tool_calls[0].raw_arguments == "{oops"


def test_compatible_presets_use_the_openai_driver() -> None:
    for name in (
        "groq",
        "mistral",
        "together",
        "deepseek",
        "xai",
        "openrouter",
        "vllm",
        "lmstudio",
    ):
        s = provider_settings(name)
        assert driver_class(s.type) is OpenAIDriver, name
        assert s.base_url is not None and s.base_url.endswith("/v1"), name


async def test_json_body_is_plain_json() -> None:
    seen: list[Any] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(
            200, json={"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}
        )

    async with OpenAIDriver(
        settings("http://127.0.0.1:9/v1"), transport=httpx.MockTransport(handle)
    ) as d:
        r = await d.complete(Request("m", HELLO))
    assert r.text == "hi" and seen[0]["model"] == "m"


@pytest.mark.parametrize(
    ("deterministic", "second_call_modes"),
    [
        pytest.param(False, ["json_object"], id="memory-skips-rejected-mode"),
        pytest.param(True, ["json_schema", "json_object"], id="deterministic-walks-the-chain"),
    ],
)
async def test_structured_mode_memory_and_deterministic_option(
    deterministic: bool, second_call_modes: list[str]
) -> None:
    async with FakeServer("openai", options={"reject_json_schema": True}) as fake:
        base = settings(fake.base_url + "/v1")
        options = {**base.options, "deterministic": True} if deterministic else base.options
        async with OpenAIDriver(replace(base, options=options)) as driver:
            await driver.complete(Request("m", HELLO, schema=SCHEMA))
            seen = len(fake.requests)
            second = await driver.complete(Request("m", HELLO, schema=SCHEMA))
        modes = [r.json["response_format"]["type"] for r in fake.requests[seen:]]
    assert second.structured_mode == "json_object"
    assert modes == second_call_modes


async def test_streamed_tool_call_deltas_without_an_index_stay_apart() -> None:
    # some compatible servers leave out the index: a new id starts a new call
    deltas = [
        {"id": "a", "type": "function", "function": {"name": "get", "arguments": '{"q":'}},
        {"function": {"arguments": ' "x"}'}},
        {"id": "b", "type": "function", "function": {"name": "put", "arguments": "{}"}},
    ]

    async def stream(request: ReceivedRequest, server: FakeServer) -> Reply:
        chunks = [{"choices": [{"index": 0, "delta": {"tool_calls": [d]}}]} for d in deltas]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        lines = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]
        return Reply(chunks=lines, content_type="text/event-stream")

    request = Request("m", HELLO, tools=(Tool("get"), Tool("put")), stream=True)
    async with FakeServer(lambda s: s.route("POST", "/v1/chat/completions", stream)) as server:
        driver = OpenAIDriver(settings(server.base_url + "/v1"))
        try:
            response = await driver.complete(request)
        finally:
            await driver.aclose()
    assert [(c.id, c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("a", "get", {"q": "x"}),
        ("b", "put", {}),
    ]
