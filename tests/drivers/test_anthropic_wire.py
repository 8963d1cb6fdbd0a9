"""The Anthropic wire format: request bodies, usage, finish reasons, stream folding, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.drivers import anthropic_wire as wire
from harness.drivers.base import Message, Request, Tool, ToolCall, Usage
from harness.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    ProviderError,
    RateLimitError,
    ServerError,
    TimeoutError_,
)

HI = (Message("user", "hi"),)


def _request(**kw: Any) -> Request:
    return Request(model="claude-test", messages=kw.pop("messages", HI), **kw)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, {"max_tokens": 1024}, id="max-tokens-default"),
        pytest.param({"max_tokens": 7}, {"max_tokens": 7}, id="max-tokens"),
        pytest.param({"stop": "END"}, {"stop_sequences": ["END"]}, id="stop-string"),
        pytest.param({"stop": ["a", "b"]}, {"stop_sequences": ["a", "b"]}, id="stop-list"),
        pytest.param({"temperature": 0.0}, {"temperature": 0.0}, id="temperature-zero-kept"),
        pytest.param(
            {"extra_body": {"thinking": {"type": "enabled", "budget_tokens": 1024}}},
            {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            id="extra-body",
        ),
    ],
)
def test_params_map_to_the_wire(params: dict[str, Any], expected: dict[str, Any]) -> None:
    body = wire.build_body(_request(params=params), None, stream=False)
    assert {k: body[k] for k in expected} == expected


def test_seed_has_no_anthropic_equivalent_and_is_dropped() -> None:
    body = wire.build_body(_request(params={"seed": 3}), None, stream=False)
    assert "seed" not in body


def test_system_messages_become_the_top_level_system() -> None:
    request = _request(messages=(Message("system", "A"), Message("system", "B"), *HI))
    body = wire.build_body(request, None, stream=True)
    assert body["system"] == "A\n\nB"
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["stream"] is True


def test_consecutive_tool_results_share_one_user_turn() -> None:
    calls = (ToolCall("f", {"x": 1}, id="t1"), ToolCall("f", {"x": 2}, id="t2"))
    request = _request(
        messages=(
            *HI,
            Message("assistant", "", tool_calls=calls),
            Message("tool", "one", tool_call_id="t1"),
            Message("tool", "two", tool_call_id="t2"),
        )
    )
    messages = wire.build_body(request, None, stream=False)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [
        {"type": "tool_use", "id": "t1", "name": "f", "input": {"x": 1}},
        {"type": "tool_use", "id": "t2", "name": "f", "input": {"x": 2}},
    ]
    assert [b["tool_use_id"] for b in messages[2]["content"]] == ["t1", "t2"]


def test_tool_mode_forces_the_output_tool() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = wire.build_body(_request(schema=schema, schema_name="my answer"), "tool", stream=False)
    assert body["tool_choice"] == {"type": "tool", "name": "my_answer"}
    assert body["tools"][0]["input_schema"] == schema


def test_prompt_mode_adds_no_tool() -> None:
    body = wire.build_body(_request(schema={"type": "object"}), "prompt", stream=False)
    assert "tools" not in body and "tool_choice" not in body


def test_a_non_object_schema_travels_wrapped_and_comes_back_unwrapped() -> None:
    schema = {"type": "array", "items": {"type": "integer"}}
    request = _request(schema=schema)
    body = wire.build_body(request, "tool", stream=False)
    assert body["tools"][0]["input_schema"]["properties"]["value"] == schema
    message = _message([{"type": "tool_use", "id": "t", "name": "output", "input": {"value": [1]}}])
    response = wire.parse_message(message, request, "tool")
    assert response.parsed == [1]
    assert response.text == "[1]"
    assert response.tool_calls == ()


def _message(content: list[dict[str, Any]], stop: str = "end_turn", **usage: int) -> dict[str, Any]:
    return {
        "type": "message",
        "model": "claude-test-1",
        "content": content,
        "stop_reason": stop,
        "usage": {"input_tokens": 3, "output_tokens": 2, **usage},
    }


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        pytest.param(
            {"input_tokens": 10, "output_tokens": 4},
            Usage(10, 4, 0, None, 0),
            id="no-cache",
        ),
        pytest.param(
            {
                "input_tokens": 10,
                "cache_creation_input_tokens": 100,
                "cache_read_input_tokens": 1000,
                "output_tokens": 4,
            },
            Usage(1110, 4, 1000, None, 100),
            id="cache-writes-and-reads-count-as-input",
        ),
        pytest.param(
            {
                "input_tokens": 5,
                "cache_read_input_tokens": None,
                "output_tokens": 9,
                "output_tokens_details": {"thinking_tokens": 6},
            },
            Usage(5, 9, 0, 6, 0),
            id="thinking-tokens-are-reasoning",
        ),
        pytest.param({}, Usage(None, None, None, None), id="unknown"),
    ],
)
def test_usage_mapping(usage: dict[str, Any], expected: Usage) -> None:
    assert wire.usage_from(usage) == expected


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        pytest.param("end_turn", "stop", id="end-turn"),
        pytest.param("stop_sequence", "stop", id="stop-sequence"),
        pytest.param("max_tokens", "length", id="max-tokens"),
        pytest.param("tool_use", "tool_calls", id="tool-use"),
        pytest.param("pause_turn", "pause_turn", id="unknown-passes-through"),
    ],
)
def test_finish_reasons(stop: str, finish: str) -> None:
    assert wire.finish_reason(stop) == finish


def test_parse_message_text_and_tool_calls() -> None:
    content: list[dict[str, Any]] = [
        {"type": "text", "text": "Let me look. "},
        {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"q": "x"}},
    ]
    response = wire.parse_message(_message(content, "tool_use"), _request(), None)
    assert response.text == "Let me look. "
    assert response.tool_calls == (
        ToolCall("get", {"q": "x"}, id="toolu_1", raw_arguments='{"q": "x"}'),
    )
    assert response.finish_reason == "tool_calls"
    assert response.model == "claude-test-1"


def test_a_refusal_with_no_text_is_a_content_filter_error() -> None:
    with pytest.raises(ContentFilterError, match="refused"):
        wire.parse_message(_message([], "refusal"), _request(), None, provider="anthropic")


@pytest.mark.parametrize(
    ("kind", "message", "error", "status"),
    [
        pytest.param(
            "authentication_error", "invalid x-api-key", AuthenticationError, 401, id="auth"
        ),
        pytest.param("permission_error", "no access", AuthenticationError, 403, id="permission"),
        pytest.param(
            "invalid_request_error", "messages: bad", BadRequestError, 400, id="bad-request"
        ),
        pytest.param(
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
            ContextLengthError,
            400,
            id="prompt-too-long",
        ),
        pytest.param("rate_limit_error", "slow down", RateLimitError, 429, id="rate-limit"),
        pytest.param("overloaded_error", "Overloaded", ServerError, 529, id="overloaded"),
        pytest.param("api_error", "internal", ServerError, 500, id="api-error"),
        pytest.param("timeout_error", "timeout", ServerError, 504, id="timeout-504"),
    ],
)
def test_stream_error_events_are_typed(
    kind: str, message: str, error: type[ProviderError], status: int
) -> None:
    data = {"type": "error", "error": {"type": kind, "message": message}}
    exc = wire.stream_error(data, provider="anthropic", model="m")
    assert type(exc) is error
    assert exc.status_code == status
    assert message in str(exc) and kind in str(exc)
    assert str(exc).startswith("anthropic:m: ")


def test_timeout_error_type_is_not_a_client_timeout() -> None:
    # a server-side 504 is a ServerError (retried), not our own read timeout
    data = {"type": "error", "error": {"type": "timeout_error", "message": "t"}}
    assert not isinstance(wire.stream_error(data, provider="p", model="m"), TimeoutError_)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Busy"}}),
            "overloaded_error: Busy",
            id="anthropic-shape",
        ),
        pytest.param("<html>bad gateway</html>", None, id="not-json"),
        pytest.param(json.dumps({"detail": "x"}), None, id="other-json"),
    ],
)
def test_error_message(body: str, expected: str | None) -> None:
    assert wire.error_message(body) == expected


def _feed(state: wire.StreamState, *events: dict[str, Any]) -> list[Any]:
    return [e for data in events for e in state.feed(data)]


def test_stream_state_folds_text_tools_and_cumulative_usage() -> None:
    state = wire.StreamState(_request(tools=(Tool("get"),)), None)
    start_usage = {"input_tokens": 9, "cache_read_input_tokens": 4, "output_tokens": 1}
    events = _feed(
        state,
        {"type": "message_start", "message": {"model": "claude-x", "usage": start_usage}},
        {"type": "ping"},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "t1", "name": "get", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"q": '},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '"x"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 12},
        },
        {"type": "message_stop"},
    )
    assert [e.kind for e in events] == ["text", "tool_call", "usage", "finish", "response"]
    assert events[1].tool_call == ToolCall("get", {"q": "x"}, id="t1", raw_arguments='{"q": "x"}')
    final = events[-1].response
    assert final.text == "Hi"
    assert final.usage == Usage(13, 12, 4, None, 0)
    assert final.finish_reason == "tool_calls"
    assert final.model == "claude-x"
    assert state.done


def test_stream_state_in_tool_mode_yields_the_output_as_text() -> None:
    request = _request(schema={"type": "object"})
    state = wire.StreamState(request, "tool")
    events = _feed(
        state,
        {"type": "message_start", "message": {"model": "m", "usage": {"input_tokens": 1}}},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": "output", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"a": 1}'},
        },
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 3},
        },
        {"type": "message_stop"},
    )
    assert [e.kind for e in events][:1] == ["text"]
    assert events[0].text == '{"a": 1}'
    assert events[-1].response.parsed == {"a": 1}
    assert events[-1].response.tool_calls == ()


def test_stream_error_event_raises_typed_error() -> None:
    state = wire.StreamState(_request(), None, provider="anthropic")
    with pytest.raises(ServerError, match="overloaded_error"):
        state.feed(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        )
