"""The Anthropic Messages API wire format as pure functions: request body, answer, stream, errors.

Nothing here does I/O; :mod:`harness.drivers.anthropic` wires these into
:class:`~harness.drivers.http_driver.HTTPDriver`. Structured output uses a forced
tool (``tool_choice: {type: tool, name}``) whose ``input`` is the answer; its
``tool_use`` block is returned as ``Response.parsed``, never as a tool call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.drivers.base import (
    AudioPart,
    FilePart,
    ImagePart,
    Message,
    Request,
    Response,
    StreamEvent,
    StructuredMode,
    TextPart,
    ToolCall,
    Usage,
)
from harness.drivers.http import error_from_status
from harness.drivers.tool_choice import ToolChoice, native_tool_choice, tool_choice
from harness.errors import (
    ContentFilterError,
    ProviderError,
    ResponseParseError,
    UnsupportedFeatureError,
)

API_VERSION = "2023-06-01"
"""The ``anthropic-version`` header every request carries."""
DEFAULT_MAX_TOKENS = 1024
"""``max_tokens`` is required by the API; used when the request's params lack it."""

# Anthropic's stop_reason -> the normalized finish reasons the other drivers use
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "model_context_window_exceeded": "length",
}

# error.type -> the HTTP status the API uses for it (stream error events carry no status)
ERROR_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}

# params with the same name on the wire; others are mapped or dropped (seed has no equivalent)
_PASSTHROUGH = ("temperature", "top_p", "top_k", "metadata", "thinking", "service_tier")
_TOOL_NAME_RE = re.compile(r"[^a-zA-Z0-9_-]")
# the portable tool_choice modes -> Anthropic's tool_choice.type
_CHOICE_TYPES = {"auto": "auto", "required": "any", "none": "none", "tool": "tool"}


def output_tool_name(request: Request) -> str:
    """The name of the forced tool that carries structured output (``^[a-zA-Z0-9_-]{1,64}$``)."""
    return _TOOL_NAME_RE.sub("_", request.schema_name)[:64] or "output"


def _wraps_output(schema: Mapping[str, Any]) -> bool:
    # a tool's input_schema must be an object: other schemas travel as {"value": ...}
    return schema.get("type") != "object"


def _output_tool(request: Request) -> dict[str, Any]:
    assert request.schema is not None
    schema: Mapping[str, Any] = request.schema
    if _wraps_output(schema):
        schema = {"type": "object", "properties": {"value": schema}, "required": ["value"]}
    return {
        "name": output_tool_name(request),
        "description": "Record the answer. Always call this tool with the complete answer.",
        "input_schema": dict(schema),
    }


def _image_block(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        source = {"type": "base64", "media_type": part.media_type, "data": part.data}
        return {"type": "image", "source": source}
    return {"type": "image", "source": {"type": "url", "url": part.url or ""}}


def _content(message: Message) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str) and not message.tool_calls:
        return message.content
    blocks: list[dict[str, Any]] = []
    parts = (TextPart(message.content),) if isinstance(message.content, str) else message.content
    for part in parts:
        if isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, FilePart):
            source = {"type": "base64", "media_type": part.media_type, "data": part.data}
            blocks.append({"type": "document", "source": source})
        elif isinstance(part, AudioPart):
            raise UnsupportedFeatureError("Anthropic models take no audio parts")
        else:
            blocks.append(_image_block(part))
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}
        )
    # with thinking on, the API wants the turn's thinking blocks back, first and unchanged
    thinking = [dict(b) for c in message.tool_calls for b in c.provider_data.get("thinking", ())]
    return thinking + blocks


def _messages(messages: tuple[Message, ...]) -> tuple[str | None, list[dict[str, Any]]]:
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            system.append(msg.text)
            continue
        if msg.role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": msg.tool_call_id or "",
                "content": msg.text,
            }
            last = out[-1] if out else None
            # consecutive tool results answer one assistant turn: one user message holds them all
            if (
                last is not None
                and last["role"] == "user"
                and isinstance(last["content"], list)
                and all(b.get("type") == "tool_result" for b in last["content"])
            ):
                last["content"].append(result)
            else:
                out.append({"role": "user", "content": [result]})
            continue
        out.append({"role": msg.role, "content": _content(msg)})
    return ("\n\n".join(system) if system else None), out


def _tool_choice(request: Request, *, provider: str) -> Mapping[str, Any] | None:
    # parallel_tool_calls: false (OpenAI's name) is Anthropic's disable_parallel_tool_use
    choice = tool_choice(request, provider=provider)
    if choice is None:
        native = native_tool_choice(request)
        if native is not None or request.params.get("parallel_tool_calls") is not False:
            return native
        choice = ToolChoice("auto")
    if not request.tools:
        return None
    out: dict[str, Any] = {"type": _CHOICE_TYPES[choice.mode]}
    if choice.mode == "tool":
        out["name"] = choice.name
    if choice.mode != "none" and request.params.get("parallel_tool_calls") is False:
        out["disable_parallel_tool_use"] = True
    return out


def build_body(
    request: Request, mode: StructuredMode | None, *, stream: bool, provider: str = ""
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/messages`` for a request.

    Args:
        request: the request (in ``prompt`` mode its messages already hold the schema note).
        mode: ``tool`` adds the forced output tool; other modes add nothing.
        stream: set ``"stream": true``.
        provider: the provider's name, for errors.

    Raises:
        BadRequestError: the ``tool_choice`` param names no tool of the request.
    """
    params = dict(request.params)
    system, messages = _messages(request.messages)
    max_tokens = params.get("max_tokens", params.get("max_output_tokens", DEFAULT_MAX_TOKENS))
    body: dict[str, Any] = {"model": request.model, "max_tokens": max_tokens, "messages": messages}
    if system is not None:
        body["system"] = system
    for name in _PASSTHROUGH:
        if params.get(name) is not None:
            body[name] = params[name]
    stop = params.get("stop", params.get("stop_sequences"))
    if stop:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    tools = [
        {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
        for t in request.tools
    ]
    choice = _tool_choice(request, provider=provider)  # checked in every mode
    if mode == "tool" and request.schema is not None:
        tools.append(_output_tool(request))
        body["tool_choice"] = {"type": "tool", "name": output_tool_name(request)}
    elif choice is not None:
        body["tool_choice"] = choice
    if tools:
        body["tools"] = tools
    if stream:
        body["stream"] = True
    body.update(params.get("extra_body") or {})
    return body


def usage_from(data: Mapping[str, Any]) -> Usage:
    """Normalized usage from an Anthropic ``usage`` object.

    ``input_tokens`` on the wire excludes cache writes and reads; the normalized total
    input adds both, and ``cached_tokens`` is the cache reads.
    """
    fresh = data.get("input_tokens")
    writes = data.get("cache_creation_input_tokens") or 0
    reads = data.get("cache_read_input_tokens") or 0
    details = data.get("output_tokens_details") or {}
    total_in = None if fresh is None else int(fresh) + int(writes) + int(reads)
    return Usage(
        input_tokens=total_in,
        output_tokens=data.get("output_tokens"),
        cached_tokens=int(reads) if fresh is not None else None,
        reasoning_tokens=details.get("thinking_tokens"),
        cache_write_tokens=int(writes) if fresh is not None else None,
    )


def finish_reason(stop_reason: str | None) -> str | None:
    """The normalized finish reason (``stop``, ``length``, ``tool_calls``, ...)."""
    if stop_reason is None:
        return None
    return FINISH_REASONS.get(stop_reason, stop_reason)


def _answer(
    blocks: Sequence[Mapping[str, Any]], request: Request, mode: StructuredMode | None
) -> tuple[str, tuple[ToolCall, ...], Any]:
    texts: list[str] = []
    calls: list[ToolCall] = []
    thinking: list[dict[str, Any]] = []  # sent back with the turn's first call
    parsed: Any = None
    output_name = output_tool_name(request) if mode == "tool" else None
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            texts.append(block["text"])
        elif kind == "thinking":
            thinking.append(
                {"type": "thinking", "thinking": block.get("thinking", ""),
                 "signature": block.get("signature", "")}
            )  # fmt: skip
        elif kind == "redacted_thinking":
            thinking.append({"type": "redacted_thinking", "data": block.get("data", "")})
        elif kind == "tool_use":
            args = block.get("input")
            args = args if isinstance(args, dict) else {}
            if block.get("name") == output_name and parsed is None:
                parsed = args
                if request.schema is not None and _wraps_output(request.schema):
                    parsed = args.get("value")
                continue
            raw = block.get("_raw_json") or json.dumps(args)
            data = {"thinking": tuple(thinking)} if thinking and not calls else {}
            calls.append(
                ToolCall(
                    name=block["name"],
                    arguments=args,
                    id=block.get("id", ""),
                    raw_arguments=raw,
                    provider_data=data,
                )
            )
    text = "".join(texts)
    if parsed is not None:
        text = json.dumps(parsed, ensure_ascii=False)
    return text, tuple(calls), parsed


def _check_refusal(response: Response, request: Request, provider: str) -> Response:
    if response.finish_reason == "content_filter" and not response.text and not response.tool_calls:
        raise ContentFilterError(
            "the model refused to answer (stop_reason refusal); rephrase the prompt",
            provider=provider,
            model=request.model,
        )
    return response


def parse_message(
    body: Mapping[str, Any], request: Request, mode: StructuredMode | None, *, provider: str = ""
) -> Response:
    """The Response for a non-streamed ``message`` body.

    Raises:
        ContentFilterError: the model refused and said nothing.
        ResponseParseError: the body is an error object or not a message.
    """
    if body.get("type") == "error":
        raise stream_error(body, provider=provider, model=request.model)
    if body.get("type") != "message":
        raise ResponseParseError(
            f"expected a message, got type {body.get('type')!r}",
            provider=provider,
            model=request.model,
        )
    text, calls, parsed = _answer(body["content"], request, mode)
    response = Response(
        text=text,
        model=body.get("model") or "",
        parsed=parsed,
        tool_calls=calls,
        finish_reason=finish_reason(body.get("stop_reason")),
        usage=usage_from(body.get("usage") or {}),
    )
    return _check_refusal(response, request, provider)


def error_message(body: str) -> str | None:
    """``"<error.type>: <error.message>"`` of an Anthropic error body, if it is one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict) or not isinstance(err.get("message"), str):
        return None
    kind = err.get("type")
    return f"{kind}: {err['message']}" if kind else str(err["message"])


def stream_error(data: Mapping[str, Any], *, provider: str, model: str) -> ProviderError:
    """The typed error for an ``error`` event inside a 200 stream (e.g. overloaded_error)."""
    err = data.get("error")
    kind = err.get("type") if isinstance(err, Mapping) else None
    status = ERROR_STATUS.get(str(kind), 500)
    body = json.dumps(data)
    return error_from_status(
        status, body, {}, provider=provider, model=model, message=error_message(body)
    )


class StreamState:
    """Folds Messages API stream events into StreamEvents and, at ``message_stop``, a Response.

    Example:
        >>> state = StreamState(request, mode=None)
        >>> for event_name, data in events:  # doctest: +SKIP
        ...     yield from state.feed(data)
    """

    def __init__(
        self, request: Request, mode: StructuredMode | None, *, provider: str = ""
    ) -> None:
        self.request = request
        self.mode = mode
        self.provider = provider
        self.blocks: dict[int, dict[str, Any]] = {}
        self.usage: dict[str, Any] = {}
        self.model = ""
        self.stop_reason: str | None = None
        self.done = False

    def feed(self, data: Mapping[str, Any]) -> list[StreamEvent]:
        """The events one decoded SSE ``data`` object produces (``ping`` produces none).

        Raises:
            ProviderError: an ``error`` event (typed from its ``error.type``).
        """
        kind = data.get("type")
        if kind == "message_start":
            message = data["message"]
            self.model = message.get("model") or ""
            self.usage.update(message.get("usage") or {})
        elif kind == "content_block_start":
            block = dict(data["content_block"])
            if block.get("type") == "tool_use":
                block["_raw_json"] = ""
            self.blocks[int(data["index"])] = block
        elif kind == "content_block_delta":
            return self._delta(int(data["index"]), data["delta"])
        elif kind == "content_block_stop":
            return self._block_stop(int(data["index"]))
        elif kind == "message_delta":
            self.stop_reason = (data.get("delta") or {}).get("stop_reason") or self.stop_reason
            # message_delta usage is cumulative; keys it lacks keep message_start's values
            self.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
            return [
                StreamEvent(kind="usage", usage=usage_from(self.usage)),
                StreamEvent(kind="finish", finish_reason=finish_reason(self.stop_reason)),
            ]
        elif kind == "message_stop":
            self.done = True
            return [StreamEvent(kind="response", response=self.response())]
        elif kind == "error":
            raise stream_error(data, provider=self.provider, model=self.request.model)
        return []

    def _delta(self, index: int, delta: Mapping[str, Any]) -> list[StreamEvent]:
        block = self.blocks[index]
        if delta.get("type") == "text_delta":
            block["text"] = block.get("text", "") + delta["text"]
            if self.mode == "tool":
                return []  # the answer arrives as tool input; text is commentary
            return [StreamEvent(kind="text", text=delta["text"])]
        if delta.get("type") == "input_json_delta":
            block["_raw_json"] += delta.get("partial_json", "")
        elif delta.get("type") == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
        elif delta.get("type") == "signature_delta":
            block["signature"] = block.get("signature", "") + delta.get("signature", "")
        return []  # thinking is not part of the answer (it goes back with the tool calls)

    def _block_stop(self, index: int) -> list[StreamEvent]:
        block = self.blocks[index]
        if block.get("type") != "tool_use":
            return []
        raw = block.get("_raw_json") or ""
        try:
            block["input"] = json.loads(raw) if raw else (block.get("input") or {})
        except ValueError:
            block["input"] = {}
        if self.mode == "tool" and block.get("name") == output_tool_name(self.request):
            return [StreamEvent(kind="text", text=json.dumps(block["input"], ensure_ascii=False))]
        # the blocks so far: the turn's first call carries the thinking before it
        _, calls, _ = _answer(
            [self.blocks[i] for i in sorted(self.blocks) if i <= index], self.request, self.mode
        )
        return [StreamEvent(kind="tool_call", tool_call=calls[-1])] if calls else []

    def response(self) -> Response:
        """The Response assembled from everything fed so far."""
        blocks = [self.blocks[i] for i in sorted(self.blocks)]
        text, calls, parsed = _answer(blocks, self.request, self.mode)
        response = Response(
            text=text,
            model=self.model,
            parsed=parsed,
            tool_calls=calls,
            finish_reason=finish_reason(self.stop_reason),
            usage=usage_from(self.usage),
        )
        return _check_refusal(response, self.request, self.provider)
