"""A fake OpenAI Chat Completions server (also the Azure path), plain and streamed.

Answers are deterministic: ``echo: <last user text>``; a JSON value satisfying the
requested schema (``response_format`` json_schema, json_object with ``schema``, or
a schema in prompt instructions); or a call of the first tool when tools are given
and the last message is the user's. Server ``options``:

- ``reject_json_schema``: answer 400 to ``response_format.type == json_schema``
  (as llama.cpp's server does); ``reject_json_object``: the same for json_object.
- ``no_stream_usage``: never send the usage chunk when streaming (llama.cpp).
- ``cached_tokens`` / ``reasoning_tokens``: numbers to report in usage details.
- ``tool_script``: play a multi-step tool exchange (:mod:`tests.fakes.tool_script`);
  calls get ids ``call_<step>_<n>`` and each ``tool`` message must name one by
  ``tool_call_id``.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.schema_values import schema_from_prompt, value_for
from tests.fakes.server import FakeServer, ReceivedRequest, Reply
from tests.fakes.tool_script import Call, Exchange, Result, ScriptError, call_id, next_step

CREATED = 1_700_000_000


def setup(server: FakeServer) -> None:
    """Register the Chat Completions routes (OpenAI and Azure paths)."""
    for path in (
        "/v1/chat/completions",
        "/chat/completions",
        "/openai/deployments/{deployment}/chat/completions",
    ):
        server.route("POST", path, chat)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _bad_request(message: str, param: str = "response_format") -> Reply:
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return Reply(json={"error": error}, status=400)


def history(messages: list[dict[str, Any]]) -> list[Exchange]:
    """The tool-calling turns of a Chat Completions conversation and their results.

    Raises:
        ScriptError: a ``tool`` message that does not follow the assistant's tool calls.
    """
    out: list[Exchange] = []
    previous = ""
    for m in messages:
        role = m.get("role")
        if role == "assistant" and m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                try:
                    args = json.loads(c["function"]["arguments"])
                except ValueError as exc:
                    raise ScriptError(f"tool call arguments are not JSON: {exc}") from exc
                calls.append(Call(c["function"]["name"], args, c.get("id")))
            out.append(Exchange(calls))
        elif role == "tool":
            if previous not in ("assistant+calls", "tool"):
                raise ScriptError("a 'tool' message must follow an assistant message's tool_calls")
            out[-1].results.append(Result(m.get("tool_call_id") or "", _text_of(m.get("content"))))
        previous = "assistant+calls" if role == "assistant" and m.get("tool_calls") else str(role)
    return out


def _scripted(body: dict[str, Any], script: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    step = next_step(script, history(body.get("messages", [])))
    if isinstance(step, str):
        return step, []
    number = sum(1 for m in body["messages"] if m.get("tool_calls")) + 1
    calls = [
        {
            "id": call_id("call_", number, n),
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
        }
        for n, c in enumerate(step, start=1)
    ]
    return "", calls


def answer(body: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The assistant message, finish reason and usage numbers for a request body.

    Raises:
        ScriptError: with ``tool_script`` set, the history breaks the tool exchange.
    """
    messages = body.get("messages", [])
    fmt = body.get("response_format") or {}
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    prompt_text = " ".join(_text_of(m.get("content")) for m in messages)
    schema = None
    if fmt.get("type") == "json_schema":
        schema = fmt["json_schema"].get("schema", {})
    elif fmt.get("type") == "json_object":
        schema = fmt.get("schema", {})
    else:
        schema = schema_from_prompt(_text_of(last_user.get("content")))
        if schema is None and messages:
            schema = schema_from_prompt(_text_of(messages[0].get("content")))
    tool_calls: list[dict[str, Any]] = []
    tools = body.get("tools") or []
    if options.get("tool_script") is not None:
        text, tool_calls = _scripted(body, options["tool_script"])
        finish = "tool_calls" if tool_calls else "stop"
    elif tools and body.get("tool_choice") != "none" and messages[-1].get("role") == "user":
        fn = tools[0]["function"]
        args = json.dumps(value_for(fn.get("parameters")))
        tool_calls.append(
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": fn["name"], "arguments": args},
            }
        )
        text = ""
        finish = "tool_calls"
    elif schema is not None:
        text = json.dumps(value_for(schema))
        finish = "stop"
    else:
        text = "echo: " + _text_of(last_user.get("content"))
        finish = "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    words = text.split(" ")
    if limit is not None and len(words) > limit and not tool_calls:
        text, finish = " ".join(words[:limit]), "length"
    prompt_tokens = len(prompt_text.split())
    completion_tokens = len(text.split()) + len(tool_calls) * 5
    return {
        "text": text,
        "tool_calls": tool_calls,
        "finish": finish,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cached": int(options.get("cached_tokens", 0)),
        "reasoning": int(options.get("reasoning_tokens", 0)),
    }


def _usage(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt_tokens": a["prompt_tokens"],
        "completion_tokens": a["completion_tokens"],
        "total_tokens": a["prompt_tokens"] + a["completion_tokens"],
        "prompt_tokens_details": {"cached_tokens": a["cached"], "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": a["reasoning"],
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


async def chat(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/chat/completions."""
    body = request.json
    if not isinstance(body, dict) or "messages" not in body or "model" not in body:
        return _bad_request("'messages' and 'model' are required", param="messages")
    fmt = (body.get("response_format") or {}).get("type")
    if fmt == "json_schema" and server.options.get("reject_json_schema"):
        return _bad_request("response_format type json_schema is not supported")
    if fmt == "json_object" and server.options.get("reject_json_object"):
        return _bad_request("response_format type json_object is not supported")
    try:
        a = answer(body, server.options)
    except ScriptError as exc:
        return _bad_request(str(exc), param="messages")
    cid = f"chatcmpl-{server.next_id()}"
    model = body["model"]
    if body.get("stream"):
        include_usage = (body.get("stream_options") or {}).get("include_usage")
        if server.options.get("no_stream_usage"):
            include_usage = False
        return Reply(
            chunks=_stream(cid, model, a, bool(include_usage)), content_type="text/event-stream"
        )
    message: dict[str, Any] = {"role": "assistant", "content": a["text"] or None, "refusal": None}
    if a["tool_calls"]:
        message["tool_calls"] = a["tool_calls"]
    return Reply(
        json={
            "id": cid,
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": a["finish"], "logprobs": None}
            ],
            "usage": _usage(a),
            "system_fingerprint": "fp_fake",
        }
    )


def _stream(cid: str, model: str, a: dict[str, Any], include_usage: bool) -> list[bytes]:
    base = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            **base,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        if include_usage:
            out["usage"] = None
        return out

    events: list[dict[str, Any]] = [chunk({"role": "assistant", "content": "", "refusal": None})]
    words = a["text"].split(" ") if a["text"] else []
    for i, word in enumerate(words):
        events.append(chunk({"content": word if i == 0 else " " + word}))
    # parallel calls: each call's head, then their argument halves in turns, so only
    # joining the deltas per index gives each call its arguments
    halves: list[list[dict[str, Any]]] = [[], []]
    for n, call in enumerate(a["tool_calls"]):
        fn = call["function"]
        head = {"index": n, "id": call["id"], "type": "function"}
        events.append(
            chunk({"tool_calls": [{**head, "function": {"name": fn["name"], "arguments": ""}}]})
        )
        args = fn["arguments"]
        for i, piece in enumerate((args[: len(args) // 2], args[len(args) // 2 :])):
            halves[i].append({"index": n, "function": {"arguments": piece}})
    for delta in halves[0] + halves[1]:
        events.append(chunk({"tool_calls": [delta]}))
    events.append(chunk({}, a["finish"]))
    if include_usage:
        events.append({**base, "choices": [], "usage": _usage(a)})
    out = [f"data: {json.dumps(e)}\n\n".encode() for e in events]
    out.append(b"data: [DONE]\n\n")
    return out


def chat_reply(
    server: FakeServer, model: str, text: str, usage: dict[str, Any], fingerprint: str
) -> Reply:
    """A plain (not streamed) chat completion answering ``text``: the task fakes' shape."""
    return Reply(
        json={
            "id": f"chatcmpl-{server.next_id()}",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": _usage(usage),
            "system_fingerprint": fingerprint,
        }
    )
