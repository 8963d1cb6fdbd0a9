"""The Gemini wire format: request bodies, usage (thinking tokens), finish reasons, stream, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.drivers import gemini_wire as wire
from harness.drivers.base import ImagePart, Message, Request, TextPart, Tool, ToolCall, Usage
from harness.errors import ContentFilterError

HI = (Message("user", "hi"),)


def _request(**kw: Any) -> Request:
    return Request(model="gemini-test", messages=kw.pop("messages", HI), **kw)


@pytest.mark.parametrize(
    ("model", "stream", "api_version", "path"),
    [
        pytest.param(
            "gemini-x", False, None, "/v1beta/models/gemini-x:generateContent", id="plain"
        ),
        pytest.param(
            "gemini-x", True, None, "/v1beta/models/gemini-x:streamGenerateContent", id="stream"
        ),
        pytest.param("models/g", False, "v1", "/v1/models/g:generateContent", id="prefixed-v1"),
    ],
)
def test_model_path(model: str, stream: bool, api_version: str | None, path: str) -> None:
    assert wire.model_path(model, api_version=api_version, stream=stream) == path


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, None, id="no-config"),
        pytest.param(
            {"max_tokens": 9, "temperature": 0.0, "top_p": 0.5, "top_k": 3, "seed": 1},
            {"maxOutputTokens": 9, "temperature": 0.0, "topP": 0.5, "topK": 3, "seed": 1},
            id="sampling",
        ),
        pytest.param({"stop": "END"}, {"stopSequences": ["END"]}, id="stop"),
        pytest.param(
            {"thinking_budget": 0}, {"thinkingConfig": {"thinkingBudget": 0}}, id="thinking-budget"
        ),
        pytest.param(
            {
                "temperature": 1,
                "extra_body": {"generationConfig": {"responseModalities": ["TEXT"]}},
            },
            {"temperature": 1, "responseModalities": ["TEXT"]},
            id="extra-generation-config-merged",
        ),
    ],
)
def test_generation_config(params: dict[str, Any], expected: dict[str, Any] | None) -> None:
    body = wire.build_body(_request(params=params), None)
    assert body.get("generationConfig") == expected


def test_extra_body_top_level_keys_pass_through() -> None:
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    body = wire.build_body(_request(params={"extra_body": {"safetySettings": safety}}), None)
    assert body["safetySettings"] == safety


def test_roles_system_instruction_and_parts() -> None:
    request = _request(
        messages=(
            Message("system", "Be brief."),
            Message("user", (TextPart("look"), ImagePart(data="ab+/", media_type="image/jpeg"))),
            Message("assistant", "ok"),
            Message("user", (ImagePart(url="gs://bucket/cat.png"),)),
        )
    )
    body = wire.build_body(request, None)
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/jpeg", "data": "ab-_"}
    }
    assert body["contents"][2]["parts"] == [
        {"fileData": {"mimeType": "image/png", "fileUri": "gs://bucket/cat.png"}}
    ]


def test_function_calls_and_responses() -> None:
    calls = (ToolCall("get", {"q": 1}, id="c1"), ToolCall("get", {"q": 2}))
    request = _request(
        messages=(
            *HI,
            Message("assistant", "", tool_calls=calls),
            Message("tool", '{"v": 1}', tool_call_id="c1"),
            Message("tool", "plain text", name="get"),
        ),
        tools=(
            Tool("get", "Get it", {"type": "object", "properties": {"q": {"type": "integer"}}}),
        ),
    )
    body = wire.build_body(request, None)
    model_turn, answer = body["contents"][1:]
    assert model_turn["parts"] == [
        {"functionCall": {"name": "get", "args": {"q": 1}, "id": "c1"}},
        {"functionCall": {"name": "get", "args": {"q": 2}}},
    ]
    assert answer == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get", "response": {"v": 1}, "id": "c1"}},
            {"functionResponse": {"name": "get", "response": {"result": "plain text"}}},
        ],
    }
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get",
                    "description": "Get it",
                    "parameters": {"type": "OBJECT", "properties": {"q": {"type": "INTEGER"}}},
                }
            ]
        }
    ]


def test_response_schema_mode() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": False,
    }
    config = wire.build_body(_request(schema=schema), "response_schema")["generationConfig"]
    assert config == {
        "responseMimeType": "application/json",
        "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
    }


def test_a_recursive_schema_goes_as_response_json_schema() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "#/$defs/Node",
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
    }
    config = wire.build_body(_request(schema=schema), "response_schema")["generationConfig"]
    assert "responseSchema" not in config
    assert config["responseJsonSchema"] == {k: v for k, v in schema.items() if k != "$schema"}


def test_prompt_mode_adds_no_schema() -> None:
    body = wire.build_body(_request(schema={"type": "object"}), "prompt")
    assert "generationConfig" not in body


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        pytest.param(
            {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
            Usage(10, 5, 0, None),
            id="plain",
        ),
        pytest.param(
            {
                "promptTokenCount": 10,
                "candidatesTokenCount": 5,
                "thoughtsTokenCount": 100,
                "totalTokenCount": 115,
            },
            Usage(10, 105, 0, 100),
            id="thoughts-billed-as-output",
        ),
        pytest.param(
            {"promptTokenCount": 1000, "cachedContentTokenCount": 800, "candidatesTokenCount": 2},
            Usage(1000, 2, 800, None),
            id="cached-is-part-of-prompt",
        ),
        pytest.param(
            {"promptTokenCount": 10, "toolUsePromptTokenCount": 7, "candidatesTokenCount": 1},
            Usage(17, 1, 0, None),
            id="tool-use-prompt-is-input",
        ),
        pytest.param({"promptTokenCount": 4}, Usage(4, 0, 0, None), id="no-output"),
        pytest.param(None, Usage(), id="missing"),
    ],
)
def test_usage_mapping(meta: dict[str, Any] | None, expected: Usage) -> None:
    assert wire.usage_from(meta) == expected


@pytest.mark.parametrize(
    ("reason", "has_calls", "finish"),
    [
        pytest.param("STOP", False, "stop", id="stop"),
        pytest.param("STOP", True, "tool_calls", id="function-call"),
        pytest.param("MAX_TOKENS", False, "length", id="max-tokens"),
        pytest.param("SAFETY", False, "content_filter", id="safety"),
        pytest.param("RECITATION", False, "content_filter", id="recitation"),
        pytest.param("MALFORMED_FUNCTION_CALL", False, "malformed_function_call", id="other"),
    ],
)
def test_finish_reasons(reason: str, has_calls: bool, finish: str) -> None:
    assert wire.finish_reason(reason, has_calls=has_calls) == finish


def _body(parts: list[dict[str, Any]], finish: str = "STOP", **extra: Any) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish}],
        "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 3},
        "modelVersion": "gemini-test-001",
        "responseId": "r1",
        **extra,
    }


def test_parse_response_skips_thoughts_and_reads_calls() -> None:
    parts: list[dict[str, Any]] = [
        {"text": "thinking about it", "thought": True},
        {"text": "Hello"},
        {"functionCall": {"name": "get", "args": {"q": "x"}, "id": "fc1"}},
    ]
    response = wire.parse_response(_body(parts), _request())
    assert response.text == "Hello"
    assert response.tool_calls == (
        ToolCall("get", {"q": "x"}, id="fc1", raw_arguments='{"q": "x"}'),
    )
    assert response.finish_reason == "tool_calls"
    assert response.model == "gemini-test-001"
    assert response.request_id == "r1"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 3}},
            id="prompt-blocked",
        ),
        pytest.param(_body([], "SAFETY"), id="answer-blocked"),
        pytest.param(_body([], "PROHIBITED_CONTENT"), id="prohibited"),
    ],
)
def test_blocked_answers_raise_content_filter(body: dict[str, Any]) -> None:
    with pytest.raises(ContentFilterError, match="blocked"):
        wire.parse_response(body, _request(), provider="gemini")


def test_a_safety_stop_after_some_text_keeps_the_text() -> None:
    response = wire.parse_response(_body([{"text": "partial"}], "SAFETY"), _request())
    assert response.text == "partial"
    assert response.finish_reason == "content_filter"


def test_stream_state_takes_the_last_usage() -> None:
    state = wire.StreamState(_request())
    events = [
        *state.feed(
            {
                "candidates": [{"content": {"parts": [{"text": "Hel"}]}}],
                "usageMetadata": {"promptTokenCount": 2},
            }
        ),
        *state.feed(
            {
                "candidates": [{"content": {"parts": [{"text": "lo"}]}, "finishReason": "STOP"}],
                "usageMetadata": {
                    "promptTokenCount": 2,
                    "candidatesTokenCount": 2,
                    "thoughtsTokenCount": 8,
                },
                "modelVersion": "g-001",
            }
        ),
    ]
    assert [e.kind for e in events] == ["text", "usage", "text", "usage", "finish"]
    assert state.done
    final = state.response()
    assert final.text == "Hello"
    assert final.usage == Usage(2, 10, 0, 8)
    assert final.finish_reason == "stop"
    assert final.model == "g-001"


def test_stream_state_is_not_done_without_a_finish_reason() -> None:
    state = wire.StreamState(_request())
    state.feed({"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]})
    assert not state.done


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        pytest.param(
            {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                    "details": [{"reason": "API_KEY_INVALID"}],
                }
            },
            400,
            (400, True),
            id="bad-key",
        ),
        pytest.param(
            {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}},
            429,
            (429, False),
            id="rate-limit",
        ),
        pytest.param(
            [{"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}],
            200,
            (503, False),
            id="in-stream-listed",
        ),
        pytest.param(
            {"error": {"message": "x", "status": "RESOURCE_EXHAUSTED"}},
            200,
            (429, False),
            id="in-stream-status-only",
        ),
    ],
)
def test_error_status(body: Any, status: int, expected: tuple[int, bool]) -> None:
    assert wire.error_status(json.dumps(body), status) == expected


def test_error_status_of_a_non_json_body() -> None:
    assert wire.error_status("<html>", 502) == (502, False)


def test_calls_without_ids_are_numbered_through_the_conversation() -> None:
    parts = [
        {"functionCall": {"name": "get", "args": {"q": 1}}},
        {"functionCall": {"name": "put", "args": {}}},
    ]
    first = wire.parse_response(_body(parts), _request())
    assert [c.id for c in first.tool_calls] == ["gemini-call-1", "gemini-call-2"]
    later = _request(
        messages=(
            *HI,
            Message("assistant", "", tool_calls=first.tool_calls),
            Message("tool", "1", tool_call_id="gemini-call-1"),
            Message("tool", "2", tool_call_id="gemini-call-2"),
        )
    )
    again = wire.parse_response(_body(parts[:1]), later)
    assert [c.id for c in again.tool_calls] == ["gemini-call-3"]  # the same on every replay


def test_streamed_calls_are_numbered_across_chunks() -> None:
    state = wire.StreamState(_request())
    state.feed(_body([{"functionCall": {"name": "get", "args": {}}}], finish=None))  # type: ignore[arg-type]
    state.feed(_body([{"functionCall": {"name": "put", "args": {}, "id": "real"}}]))
    state.feed(_body([{"functionCall": {"name": "get", "args": {}}}]))
    assert [c.id for c in state.response().tool_calls] == ["gemini-call-1", "real", "gemini-call-3"]


def test_made_up_ids_are_never_sent_and_results_find_their_call() -> None:
    calls = (
        ToolCall("get", {"q": 1}, id="gemini-call-1"),
        ToolCall("put", {}, id="gemini-call-2"),
        ToolCall("get", {"q": 2}, id="gemini-call-3"),
    )
    request = _request(
        messages=(
            *HI,
            Message("assistant", "", tool_calls=calls),
            Message("tool", "by id", tool_call_id="gemini-call-2"),
            Message("tool", "by name", name="get"),
            Message("tool", "by position"),
        )
    )
    model_turn, answer = wire.build_body(request, None)["contents"][1:]
    assert [p["functionCall"] for p in model_turn["parts"]] == [
        {"name": "get", "args": {"q": 1}},
        {"name": "put", "args": {}},
        {"name": "get", "args": {"q": 2}},
    ]
    assert [p["functionResponse"] for p in answer["parts"]] == [
        {"name": "put", "response": {"result": "by id"}},
        {"name": "get", "response": {"result": "by name"}},
        {"name": "get", "response": {"result": "by position"}},
    ]


def test_a_second_round_of_calls_starts_a_new_model_turn() -> None:
    one = (ToolCall("get", {}, id="gemini-call-1"),)
    two = (ToolCall("put", {}, id="gemini-call-2"),)
    request = _request(
        messages=(
            *HI,
            Message("assistant", "", tool_calls=one),
            Message("tool", "a", tool_call_id="gemini-call-1"),
            Message("assistant", "", tool_calls=two),
            Message("tool", "b"),
        )
    )
    contents = wire.build_body(request, None)["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user", "model", "user"]
    assert contents[4]["parts"] == [
        {"functionResponse": {"name": "put", "response": {"result": "b"}}}
    ]
