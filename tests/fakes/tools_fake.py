"""A fake shop assistant on the OpenAI Chat Completions wire that calls tools, deterministically.

It reads the conversation the way a small tool-using model would: the last user message
is the question, and the ``tool`` messages after it are what its tools said. For each
question it plans the calls it needs (``calculate`` for arithmetic, ``lookup`` for an
item's price, both for "how much do 3 blue kettles cost"), makes the next one, and
answers once every result is in. specs/tool_use.yaml's cassettes were recorded on it:

    python -m tests.fakes.server --kind tools --port 8000
    harness run specs/tool_use.yaml --record-mode all

Models:

- ``fake-tools``: plans as above; several independent calls go in one answer (parallel).
  Asked to stream, any model answers in the openai fake's chunks.
- ``fake-tools-mini``: multiplies in its head (wrongly, for two-digit numbers) instead of
  calling ``calculate``, and forgets to multiply a looked-up price by the quantity.
- ``fake-loop``: calls ``lookup`` on every step, forever (a loop that never stops).
- ``fake-flood``: answers with as many parallel ``lookup`` calls as the question's
  number (``flood 1000``), then, given results, answers ``done``.
- ``fake-chat``: no tools; answers a multi-turn conversation from what it was told
  ("my name is Ann" ... "what is my name?" -> "Your name is Ann.").
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.openai_fake import CREATED, _stream, _text_of, _usage
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

_ARITH = re.compile(r"(\d+(?:\.\d+)?)\s*([-+*/])\s*(\d+(?:\.\d+)?)")
_ITEM = re.compile(
    r"\b(?:(\d+) )?(?:the |a |an )?([a-z]+ (?:kettle|toaster|mug|lamp|pan))s?\b", re.I
)


def setup(server: FakeServer) -> None:
    """Register the Chat Completions route."""
    server.route("POST", "/v1/chat/completions", chat)


def _since_question(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The last user message and the tool messages after it."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            tools = [m for m in messages[i + 1 :] if m.get("role") == "tool"]
            return _text_of(messages[i].get("content")), tools
    return "", []


def _call(name: str, arguments: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "id": f"call_{n}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def _number(text: str) -> float | None:
    found = re.search(r"\$?(\d+(?:\.\d+)?)", text)
    return float(found.group(1)) if found else None


def _shown(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def plan(
    question: str, results: list[str], model: str, done: int
) -> tuple[list[dict[str, Any]], str]:
    """The tool calls to make next (none: answer now) and the answer text."""
    mini = model.endswith("-mini")
    items = [(int(m.group(1) or 1), m.group(2).lower()) for m in _ITEM.finditer(question)]
    if items:
        return _shop(items[:1] if mini else items, results, mini, done)
    arith = _ARITH.search(question)
    if arith:
        a, op, b = arith.groups()
        if mini and op == "*":  # in its head: right only for one-digit numbers
            x, y = float(a), float(b)
            guess = x * y if x < 10 and y < 10 else x * y - 10
            return [], f"The answer is {_shown(guess)}."
        if not results:
            return [_call("calculate", {"expression": f"{a} {op} {b}"}, done + 1)], ""
        if results[0].startswith("error"):
            return [], "Sorry, I could not compute that."
        return [], f"The answer is {results[0]}."
    return [], "I can look up prices and do arithmetic."


def _shop(
    items: list[tuple[int, str]], results: list[str], mini: bool, done: int
) -> tuple[list[dict[str, Any]], str]:
    """Prices: look every item up at once, then multiply or add with the calculator."""
    if not results:
        calls = [_call("lookup", {"item": name}, done + k) for k, (_, name) in enumerate(items, 1)]
        return calls, ""
    prices = [_number(r) for r in results[: len(items)]]
    for (_, name), price in zip(items, prices, strict=False):
        if price is None:
            return [], f"Sorry, we don't sell the {name}."
    known = [p for p in prices if p is not None]
    if len(items) == 1 and (items[0][0] == 1 or mini):  # mini forgets the quantity
        return [], f"The {items[0][1]} costs ${known[0]:.2f}."
    if len(results) == len(items):
        if len(items) == 1:
            expression = f"{_shown(known[0])} * {items[0][0]}"
        else:
            expression = " + ".join(_shown(p) for p in known)
        return [_call("calculate", {"expression": expression}, done + 1)], ""
    total = _number(results[-1])
    if total is None:
        return [], "Sorry, I could not add that up."
    return [], f"That comes to ${total:.2f}."


def _loop_plan(
    question: str, results: list[str], model: str, done: int
) -> tuple[list[dict[str, Any]], str]:
    if model == "fake-loop":
        return [_call("lookup", {"item": f"thing {done + 1}"}, done + 1)], ""
    count = int(_number(question) or 1)
    if results:
        return [], f"done after {len(results)} results"
    return [_call("lookup", {"item": f"thing {k}"}, k) for k in range(1, count + 1)], ""


def _chat_answer(messages: list[dict[str, Any]]) -> str:
    said = " ".join(_text_of(m.get("content")) for m in messages if m.get("role") == "user")
    last = _text_of(messages[-1].get("content")) if messages else ""
    name = re.search(r"my name is (\w+)", said, re.I)
    if "name" in last.lower() and "?" in last:
        return f"Your name is {name.group(1)}." if name else "You have not told me your name."
    return "Nice to meet you." if name else "Hello."


async def chat(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/chat/completions, streamed when asked."""
    body: Any = request.json
    messages: list[dict[str, Any]] = body.get("messages", []) if isinstance(body, dict) else []
    model = str(body.get("model", ""))
    question, tool_messages = _since_question(messages)
    results = [_text_of(m.get("content")) for m in tool_messages]
    done = sum(1 for m in messages if m.get("role") == "tool")
    if model == "fake-chat":
        calls, text = [], _chat_answer(messages)
    elif model in ("fake-loop", "fake-flood"):
        calls, text = _loop_plan(question, results, model, done)
    else:
        calls, text = plan(question, results, model, done)
    message: dict[str, Any] = {"role": "assistant", "content": None if calls else text}
    if calls:
        message["tool_calls"] = calls
    prompt_words = sum(len(_text_of(m.get("content")).split()) for m in messages)
    usage = {
        "prompt_tokens": prompt_words,
        "completion_tokens": len(text.split()) + 10 * len(calls),
        "cached": 0,
        "reasoning": 0,
    }
    if body.get("stream"):  # the openai fake's chunks: text by words, arguments in halves
        a = {**usage, "text": "" if calls else text, "tool_calls": calls}
        a["finish"] = "tool_calls" if calls else "stop"
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = _stream(f"chatcmpl-{server.next_id()}", model, a, include)
        return Reply(chunks=chunks, content_type="text/event-stream")
    return Reply(
        json={
            "id": f"chatcmpl-{server.next_id()}",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if calls else "stop",
                    "logprobs": None,
                }
            ],
            "usage": _usage(usage),
            "system_fingerprint": "fp_fake_tools",
        }
    )
