"""The ``ollama`` wire format: ``/api/chat`` with NDJSON streaming and ``format`` schemas.

Usage comes only in the final (``done: true``) object: ``prompt_eval_count`` input
tokens and ``eval_count`` output tokens. Sampling params map to Ollama ``options``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from harness.drivers.base import (
    AudioPart,
    FilePart,
    ImagePart,
    Message,
    PartKind,
    Request,
    Response,
    StreamEvent,
    StructuredMode,
    Tool,
    ToolCall,
    Usage,
)
from harness.drivers.http_driver import HTTPCall, HTTPDriver
from harness.drivers.openai import tool_json
from harness.drivers.sse import iter_ndjson
from harness.drivers.tool_choice import tool_choice
from harness.errors import (
    BadRequestError,
    ResponseParseError,
    ServerError,
    UnsupportedFeatureError,
)

# our param name -> Ollama option name
OPTIONS: dict[str, str] = {
    "temperature": "temperature",
    "max_tokens": "num_predict",
    "max_completion_tokens": "num_predict",
    "num_predict": "num_predict",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "seed": "seed",
    "stop": "stop",
    "num_ctx": "num_ctx",
    "repeat_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}
# params that are top-level request fields rather than options
TOP_LEVEL = frozenset({"keep_alive", "think"})


def message_json(message: Message) -> dict[str, Any]:
    """One message in Ollama form: text content, base64 ``images``, tool calls."""
    out: dict[str, Any] = {"role": message.role, "content": message.text}
    if not isinstance(message.content, str):
        images = []
        for part in message.content:
            if isinstance(part, ImagePart):
                if part.data is None:
                    raise BadRequestError(
                        "Ollama takes inline images only: give the image as base64 data, not a URL",
                        model="",
                    )
                images.append(part.data)
            elif isinstance(part, FilePart | AudioPart):
                kind = "file" if isinstance(part, FilePart) else "audio"
                raise UnsupportedFeatureError(
                    f"Ollama takes text and images only, not {kind} parts"
                )
        if images:
            out["images"] = images
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": dict(c.arguments)}}
            for c in message.tool_calls
        ]
    if message.role == "tool" and message.name:
        out["tool_name"] = message.name
    return out


def messages_json(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """The conversation in Ollama form; a tool result names its tool (``tool_name``).

    Ollama's calls carry no ids: a result without a name takes the name of the call its
    ``tool_call_id`` points at, else of the call at its position after the assistant turn.
    """
    out: list[dict[str, Any]] = []
    calls: tuple[ToolCall, ...] = ()
    answered = 0
    for message in messages:
        item = message_json(message)
        if message.tool_calls:
            calls, answered = message.tool_calls, 0
        elif message.role == "tool":
            if "tool_name" not in item:
                by_id = [c for c in calls if message.tool_call_id and c.id == message.tool_call_id]
                at = by_id or ([calls[answered]] if answered < len(calls) else [])
                if at:
                    item["tool_name"] = at[0].name
            answered += 1
        out.append(item)
    return out


def usage_from(data: Mapping[str, Any]) -> Usage:
    """Usage from the final object's ``prompt_eval_count`` and ``eval_count``."""
    return Usage(input_tokens=data.get("prompt_eval_count"), output_tokens=data.get("eval_count"))


def tool_calls_from(message: Mapping[str, Any], *, numbered: int = 0) -> tuple[ToolCall, ...]:
    """ToolCalls from an Ollama message (arguments arrive as objects, not strings).

    Ollama gives calls no ids: each gets ``call_<n>``, ``n`` counting the conversation's
    calls from 0 (pass ``numbered``, how many came before), the same on every replay.
    """
    calls = []
    for i, call in enumerate(message.get("tool_calls") or (), start=numbered):
        fn = call.get("function") or {}
        args = fn.get("arguments") or {}
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                args = {}
        calls.append(
            ToolCall(
                name=fn.get("name", ""),
                arguments=args if isinstance(args, dict) else {},
                id=call.get("id") or f"call_{i}",
                raw_arguments=json.dumps(args),
            )
        )
    return tuple(calls)


def finish_reason(done_reason: str | None, *, has_calls: bool) -> str | None:
    """``done_reason``, but ``tool_calls`` when the model called tools (Ollama says ``stop``)."""
    return "tool_calls" if has_calls and done_reason == "stop" else done_reason


def _calls_before(request: Request) -> int:
    return sum(len(m.tool_calls) for m in request.messages)


def _offered_tools(request: Request, provider: str) -> tuple[Tool, ...]:
    """The tools to send: Ollama has no tool_choice, so ``none`` offers none and a tool's
    name offers only that tool (the model is still free to answer in text)."""
    choice = tool_choice(request, provider=provider, native=False)
    if choice is None or choice.mode in ("auto", "required"):
        return request.tools
    if choice.mode == "none":
        return ()
    return tuple(t for t in request.tools if t.name == choice.name)


class OllamaDriver(HTTPDriver):
    """Ollama's native chat API."""

    accepts: frozenset[PartKind] = frozenset({"text", "image"})  # images

    request_id_header = "x-request-id"

    def structured_modes(self, request: Request) -> tuple[StructuredMode, ...]:
        """``format`` with the JSON Schema, then prompt instructions."""
        return () if request.schema is None else ("format", "prompt")

    def build_call(
        self, request: Request, mode: StructuredMode | None, *, stream: bool
    ) -> HTTPCall:
        """A POST to ``/api/chat``; ``stream`` is always explicit (Ollama defaults to true)."""
        body: dict[str, Any] = {
            "model": request.model,
            "messages": messages_json(request.messages),
            "stream": stream,
        }
        options: dict[str, Any] = {}
        for key, value in request.params.items():
            if value is None:
                continue
            if key in OPTIONS:
                options[OPTIONS[key]] = value
            elif key in TOP_LEVEL:
                body[key] = value
        if isinstance(request.params.get("options"), Mapping):
            options.update(request.params["options"])
        if options:
            if isinstance(options.get("stop"), str):
                options["stop"] = [options["stop"]]
            body["options"] = options
        tools = _offered_tools(request, self.settings.name)
        if tools:
            body["tools"] = [tool_json(t) for t in tools]
        if mode == "format" and request.schema is not None:
            body["format"] = dict(request.schema)
        extra = request.params.get("extra_body")
        if isinstance(extra, Mapping):
            body.update(extra)
        return HTTPCall("/api/chat", body)

    def parse_body(self, body: Any, request: Request, mode: StructuredMode | None) -> Response:
        """The single (``done: true``) chat object."""
        if "error" in body:
            raise ServerError(
                f"Ollama error: {body['error']}", provider=self.settings.name, model=request.model
            )
        message = body["message"]
        calls = tool_calls_from(message, numbered=_calls_before(request))
        return Response(
            text=message.get("content") or "",
            model=body.get("model") or request.model,
            tool_calls=calls,
            finish_reason=finish_reason(body.get("done_reason"), has_calls=bool(calls)),
            usage=usage_from(body),
        )

    async def parse_stream(
        self, response: httpx.Response, request: Request, mode: StructuredMode | None
    ) -> AsyncIterator[StreamEvent]:
        """NDJSON chat objects; the last has ``done: true`` and the token counts."""
        text: list[str] = []
        calls: list[ToolCall] = []
        async for line in iter_ndjson(response):
            chunk = json.loads(line)
            if "error" in chunk:
                raise ServerError(
                    f"Ollama error inside the stream: {chunk['error']}",
                    provider=self.settings.name,
                    model=request.model,
                )
            message = chunk.get("message") or {}
            piece = message.get("content")
            if piece:
                text.append(piece)
                yield StreamEvent("text", text=piece)
            for call in tool_calls_from(message, numbered=_calls_before(request) + len(calls)):
                calls.append(call)
                yield StreamEvent("tool_call", tool_call=call)
            if chunk.get("done"):
                usage = usage_from(chunk)
                finish = finish_reason(chunk.get("done_reason"), has_calls=bool(calls))
                yield StreamEvent("usage", usage=usage)
                yield StreamEvent("finish", finish_reason=finish)
                yield StreamEvent(
                    "response",
                    response=Response(
                        text="".join(text),
                        model=chunk.get("model") or request.model,
                        tool_calls=tuple(calls),
                        finish_reason=finish,
                        usage=usage,
                        raw=chunk,
                    ),
                )
                return
        raise ResponseParseError(
            "the stream ended before the final done object (cut off); try again",
            provider=self.settings.name,
            model=request.model,
        )
