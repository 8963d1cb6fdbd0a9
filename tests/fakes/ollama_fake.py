"""A fake Ollama server: ``/api/chat``, plain and NDJSON-streamed.

Answers are deterministic: ``echo: <last user text>``, a JSON value satisfying the
``format`` schema (or a schema in prompt instructions), or a call of the first tool.
Token counts appear only in the final ``done: true`` object. Server ``options``:
``reject_format`` answers 400 to a schema ``format`` (as old Ollama versions did);
``tool_script`` plays a multi-step tool exchange (:mod:`tests.fakes.tool_script`):
calls have no ids and each ``tool`` message names its call's tool (``tool_name``).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.schema_values import schema_from_prompt, value_for
from tests.fakes.server import FakeServer, ReceivedRequest, Reply
from tests.fakes.tool_script import Call, Exchange, Result, ScriptError, next_step

CREATED_AT = "2024-01-01T00:00:00.000000Z"


def setup(server: FakeServer) -> None:
    """Register ``/api/chat``."""
    server.route("POST", "/api/chat", chat)


def history(messages: list[dict[str, Any]]) -> list[Exchange]:
    """The assistant's ``tool_calls`` turns and the ``tool`` messages after them.

    Ollama's calls have no ids: a result references its call by ``tool_name`` and order.

    Raises:
        ScriptError: a ``tool`` message that follows no tool calls.
    """
    out: list[Exchange] = []
    previous = ""
    for m in messages:
        role = m.get("role")
        calls = m.get("tool_calls") if role == "assistant" else None
        if calls:
            fns = [c.get("function") or {} for c in calls]
            out.append(
                Exchange([Call(f.get("name"), f.get("arguments")) for f in fns], by_name=True)
            )
        elif role == "tool":
            if previous not in ("assistant+calls", "tool"):
                raise ScriptError("a 'tool' message must follow an assistant message's tool_calls")
            out[-1].results.append(Result(m.get("tool_name") or "", m.get("content") or ""))
        previous = "assistant+calls" if calls else str(role)
    return out


def _scripted(messages: list[dict[str, Any]], script: list[Any]) -> tuple[str, list[Any]]:
    step = next_step(script, history(messages))
    if isinstance(step, str):
        return step, []
    return "", [{"function": {"name": c["name"], "arguments": c["arguments"]}} for c in step]


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
    if server.options.get("tool_script") is not None:
        try:
            text, calls = _scripted(messages, server.options["tool_script"])
        except ScriptError as exc:
            return Reply(json={"error": str(exc)}, status=400)
    elif tools and messages and messages[-1].get("role") == "user":
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
