"""A fake Anthropic Messages API (``POST /v1/messages``), plain and streamed (SSE).

Answers are deterministic: ``echo: <last user text>``; when ``tool_choice`` forces a
tool, a ``tool_use`` block whose input satisfies that tool's ``input_schema``; a call
of the first tool when tools are given and the last turn is the user's text; or a
JSON value for a schema found in prompt instructions. Server ``options``:

- ``reject_tool_choice``: answer 400 invalid_request_error to a forced tool choice.
- ``cache_creation_tokens`` / ``cache_read_tokens`` / ``thinking_tokens``: usage to report.
- ``refuse``: answer with ``stop_reason: refusal`` and no content.
- ``stream_error``: after the first text delta, send an ``error`` event of this type
  (e.g. ``overloaded_error``) and end the stream.
- ``tool_script``: play a multi-step tool exchange (:mod:`tests.fakes.tool_script`);
  ``tool_use`` ids are ``toolu_<step>_<n>`` and each must be answered by a
  ``tool_result`` in the next user message. With ``thinking`` enabled in the request,
  each tool-calling turn starts with a signed thinking block that must come back first.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.schema_values import schema_from_prompt, value_for
from tests.fakes.server import FakeServer, ReceivedRequest, Reply
from tests.fakes.tool_script import Call, Exchange, Result, ScriptError, call_id, next_step

MODEL_SUFFIX = "-20250101"


def setup(server: FakeServer) -> None:
    """Register ``POST /v1/messages``."""
    server.route("POST", "/v1/messages", messages)


def error_body(kind: str, message: str) -> dict[str, Any]:
    """An Anthropic error body: ``{type: error, error: {type, message}}``."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def _error(status: int, kind: str, message: str) -> Reply:
    return Reply(json=error_body(kind, message), status=status, headers={"request-id": "req_err"})


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if b.get("type") == "text")
    return ""


def _system_text(system: Any) -> str:
    return system if isinstance(system, str) else _text_of(system or [])


def history(messages: list[dict[str, Any]]) -> list[Exchange]:
    """The ``tool_use`` turns of a conversation and the ``tool_result`` blocks answering them.

    Raises:
        ScriptError: as the API does, when the ``tool_result`` blocks are not in the very
            next user message, or come after other content there.
    """
    out: list[Exchange] = []
    waiting = False
    for m in messages:
        blocks = m.get("content") if isinstance(m.get("content"), list) else []
        results = [b for b in blocks if b.get("type") == "tool_result"]
        if waiting:
            if m.get("role") != "user" or not results:
                raise ScriptError("tool_use ids were found without tool_result blocks just after")
            if blocks[: len(results)] != results:
                raise ScriptError("tool_result blocks must come first in the user message")
            for b in results:
                out[-1].results.append(Result(b.get("tool_use_id", ""), _result_text(b)))
        elif results:
            raise ScriptError("a tool_result block answers no tool_use block")
        uses = (
            [b for b in blocks if b.get("type") == "tool_use"]
            if m.get("role") == "assistant"
            else []
        )
        if uses:
            out.append(Exchange([Call(b["name"], b.get("input"), b.get("id")) for b in uses]))
        waiting = bool(uses)
    return out


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    return content if isinstance(content, str) else _text_of(content or [])


def thinking_block(step: int) -> dict[str, Any]:
    """The thinking block the fake puts before step ``step``'s calls when thinking is on."""
    return {"type": "thinking", "thinking": f"I need tools ({step}).", "signature": f"sig_{step}"}


def _check_thinking(msgs: list[dict[str, Any]]) -> None:
    # as the API does with thinking on: a tool-calling turn goes back with its thinking first
    turns = [m for m in msgs if m.get("role") == "assistant" and _uses_tools(m)]
    for step, m in enumerate(turns, start=1):
        if m["content"][0] != thinking_block(step):
            raise ScriptError(
                "Expected `thinking` or `redacted_thinking`, but found "
                f"{m['content'][0].get('type')!r}. When `thinking` is enabled, an assistant "
                "message with tool_use must start with its thinking block, unchanged"
            )


def _scripted(body: dict[str, Any], script: list[Any]) -> tuple[list[dict[str, Any]], str]:
    msgs = body["messages"]
    thinking = (body.get("thinking") or {}).get("type") == "enabled"
    if thinking:
        _check_thinking(msgs)
    step = next_step(script, history(msgs))
    if isinstance(step, str):
        return [{"type": "text", "text": step}], "end_turn"
    number = sum(1 for m in msgs if m.get("role") == "assistant" and _uses_tools(m)) + 1
    blocks: list[dict[str, Any]] = [thinking_block(number)] if thinking else []
    blocks.append({"type": "text", "text": "Let me call tools."})
    for n, c in enumerate(step, start=1):
        blocks.append(
            {
                "type": "tool_use",
                "id": call_id("toolu_", number, n),
                "name": c["name"],
                "input": c["arguments"],
            }
        )
    return blocks, "tool_use"


def _uses_tools(message: dict[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, list) and any(b.get("type") == "tool_use" for b in content)


def answer(body: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The content blocks, stop reason and usage for a request body.

    Raises:
        ScriptError: with ``tool_script`` set, the history breaks the tool exchange.
    """
    msgs = body["messages"]
    last = msgs[-1] if msgs else {}
    last_text = _text_of(last.get("content"))
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    user_turn = last.get("role") == "user" and not any(
        b.get("type") == "tool_result" for b in last.get("content") or [] if isinstance(b, dict)
    )
    blocks: list[dict[str, Any]] = []
    stop = "end_turn"
    if options.get("tool_script") is not None:
        blocks, stop = _scripted(body, options["tool_script"])
    elif choice.get("type") == "tool":
        tool = next(t for t in tools if t["name"] == choice["name"])
        blocks.append(_tool_use(tool, n=1))
        stop = "tool_use"
    elif tools and choice.get("type") != "none" and user_turn:
        blocks.append({"type": "text", "text": "Let me call a tool."})
        blocks.append(_tool_use(tools[0], n=1))
        stop = "tool_use"
    else:
        schema = schema_from_prompt(last_text) or schema_from_prompt(
            _system_text(body.get("system"))
        )
        text = json.dumps(value_for(schema)) if schema is not None else "echo: " + last_text
        words = text.split(" ")
        if len(words) > body["max_tokens"]:
            text, stop = " ".join(words[: body["max_tokens"]]), "max_tokens"
        blocks.append({"type": "text", "text": text})
    if options.get("refuse"):
        blocks, stop = [], "refusal"
    prompt = (
        _system_text(body.get("system")) + " " + " ".join(_text_of(m.get("content")) for m in msgs)
    )
    out_tokens = sum(len(b.get("text", "").split()) for b in blocks) + 5 * sum(
        b["type"] == "tool_use" for b in blocks
    )
    thinking = int(options.get("thinking_tokens", 0))
    usage = {
        "input_tokens": len(prompt.split()),
        "cache_creation_input_tokens": int(options.get("cache_creation_tokens", 0)),
        "cache_read_input_tokens": int(options.get("cache_read_tokens", 0)),
        "output_tokens": out_tokens + thinking,
        "service_tier": "standard",
    }
    if thinking:
        usage["output_tokens_details"] = {"thinking_tokens": thinking}
    return {"content": blocks, "stop_reason": stop, "usage": usage}


def _tool_use(tool: dict[str, Any], *, n: int) -> dict[str, Any]:
    value = value_for(tool.get("input_schema"))
    return {"type": "tool_use", "id": f"toolu_{n:02d}", "name": tool["name"], "input": value}


async def messages(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/messages."""
    headers = request.headers
    if not headers.get("x-api-key") and not headers.get("authorization"):
        return _error(401, "authentication_error", "x-api-key header is required")
    if "anthropic-version" not in headers:
        return _error(400, "invalid_request_error", "anthropic-version header is required")
    body = request.json
    if not isinstance(body, dict) or "messages" not in body or "model" not in body:
        return _error(400, "invalid_request_error", "messages: Field required")
    if "max_tokens" not in body:
        return _error(400, "invalid_request_error", "max_tokens: Field required")
    if (body.get("tool_choice") or {}).get("type") == "tool" and server.options.get(
        "reject_tool_choice"
    ):
        return _error(400, "invalid_request_error", "tool_choice: tool use is not supported")
    try:
        a = answer(body, server.options)
    except ScriptError as exc:
        return _error(400, "invalid_request_error", str(exc))
    message = {
        "id": f"msg_{server.next_id():04d}",
        "type": "message",
        "role": "assistant",
        "model": body["model"] + MODEL_SUFFIX,
        "content": a["content"],
        "stop_reason": a["stop_reason"],
        "stop_sequence": None,
        "usage": a["usage"],
    }
    rid = {"request-id": f"req_{server.next_id():04d}"}
    if body.get("stream"):
        chunks = _stream(message, server.options.get("stream_error"))
        return Reply(chunks=chunks, content_type="text/event-stream", headers=rid)
    return Reply(json=message, headers=rid)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()


def _stream(message: dict[str, Any], stream_error: str | None) -> list[bytes]:
    usage = message["usage"]
    start_usage = {**usage, "output_tokens": 1}
    start = {**message, "content": [], "stop_reason": None, "usage": start_usage}
    out = [_event("message_start", {"message": start}), _event("ping", {})]
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            out.append(
                _event(
                    "content_block_start",
                    {"index": i, "content_block": {"type": "text", "text": ""}},
                )
            )
            words = block["text"].split(" ")
            for n, word in enumerate(words):
                piece = word if n == 0 else " " + word
                delta = {"type": "text_delta", "text": piece}
                out.append(_event("content_block_delta", {"index": i, "delta": delta}))
                if stream_error:
                    err = error_body(stream_error, f"fake {stream_error}")["error"]
                    out.append(_event("error", {"error": err}))
                    return out
        elif block["type"] == "thinking":
            head = {"type": "thinking", "thinking": "", "signature": ""}
            out.append(_event("content_block_start", {"index": i, "content_block": head}))
            for key in ("thinking", "signature"):
                delta = {"type": f"{key}_delta", key: block[key]}
                out.append(_event("content_block_delta", {"index": i, "delta": delta}))
        else:
            head = {**block, "input": {}}
            out.append(_event("content_block_start", {"index": i, "content_block": head}))
            args = json.dumps(block["input"])
            half = len(args) // 2
            for piece in (args[:half], args[half:]):
                delta = {"type": "input_json_delta", "partial_json": piece}
                out.append(_event("content_block_delta", {"index": i, "delta": delta}))
        out.append(_event("content_block_stop", {"index": i}))
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    out.append(
        _event(
            "message_delta", {"delta": delta, "usage": {"output_tokens": usage["output_tokens"]}}
        )
    )
    out.append(_event("message_stop", {}))
    return out
