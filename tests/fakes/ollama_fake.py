"""A fake Ollama server: ``/api/chat``, plain and NDJSON-streamed.

Answers are deterministic: ``echo: <last user text>``, a JSON value satisfying the
``format`` schema (or a schema in prompt instructions), or a call of the first tool.
Token counts appear only in the final ``done: true`` object. Server ``options``:
``reject_format`` answers 400 to a schema ``format`` (as old Ollama versions did).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.schema_values import schema_from_prompt, value_for
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

CREATED_AT = "2024-01-01T00:00:00.000000Z"


def setup(server: FakeServer) -> None:
    """Register ``/api/chat``."""
    server.route("POST", "/api/chat", chat)


async def chat(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /api/chat (streams unless ``stream`` is false, like Ollama)."""
    body = request.json
    if not isinstance(body, dict) or not body.get("model"):
        return Reply(json={"error": "model is required"}, status=400)
    fmt = body.get("format")
    if isinstance(fmt, dict) and server.options.get("reject_format"):
        return Reply(json={"error": "format: schema is not supported"}, status=400)
    messages = body.get("messages") or []
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    schema: Any = fmt if isinstance(fmt, dict) else None
    if fmt == "json":
        schema = {}
    if schema is None:
        schema = schema_from_prompt(last_user.get("content") or "")
    tools = body.get("tools") or []
    calls: list[dict[str, Any]] = []
    if tools and messages and messages[-1].get("role") == "user":
        fn = tools[0]["function"]
        calls.append(
            {"function": {"name": fn["name"], "arguments": value_for(fn.get("parameters"))}}
        )
        text = ""
    elif schema is not None:
        text = json.dumps(value_for(schema))
    else:
        text = "echo: " + (last_user.get("content") or "")
    options = body.get("options") or {}
    words = text.split(" ") if text else []
    reason = "stop"
    limit = options.get("num_predict")
    if limit is not None and len(words) > limit:
        words, reason = words[:limit], "length"
        text = " ".join(words)
    prompt_tokens = sum(len((m.get("content") or "").split()) for m in messages)
    final = {
        "model": body["model"],
        "created_at": CREATED_AT,
        "done": True,
        "done_reason": reason,
        "total_duration": 1000,
        "load_duration": 10,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": 100,
        "eval_count": len(words) + len(calls) * 5,
        "eval_duration": 500,
    }
    if body.get("stream", True) is False:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        return Reply(json={**final, "message": message})
    lines = []
    for i, word in enumerate(words):
        piece = word if i == 0 else " " + word
        lines.append(
            {
                "model": body["model"],
                "created_at": CREATED_AT,
                "done": False,
                "message": {"role": "assistant", "content": piece},
            }
        )
    if calls:
        lines.append(
            {
                "model": body["model"],
                "created_at": CREATED_AT,
                "done": False,
                "message": {"role": "assistant", "content": "", "tool_calls": calls},
            }
        )
    lines.append({**final, "message": {"role": "assistant", "content": ""}})
    return Reply(
        chunks=[(json.dumps(line) + "\n").encode() for line in lines],
        content_type="application/x-ndjson",
    )
