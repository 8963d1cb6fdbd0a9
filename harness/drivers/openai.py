"""The ``openai`` wire format: Chat Completions, Azure OpenAI, and every compatible server.

Groq, Mistral, Together, DeepSeek, xAI, OpenRouter, vLLM, llama.cpp and LM Studio
speak it too; they differ only in ``base_url`` and key variable (see registry
presets). Azure is selected by the provider name ``azure`` or ``options: {azure: true}``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from harness.drivers.base import (
    ALL_PARTS,
    AudioPart,
    FilePart,
    ImagePart,
    Message,
    Request,
    Response,
    StreamEvent,
    StructuredMode,
    Tool,
    ToolCall,
    Usage,
)
from harness.drivers.http_driver import HTTPCall, HTTPDriver
from harness.drivers.sse import iter_sse
from harness.drivers.tool_choice import native_tool_choice, tool_choice
from harness.errors import ContentFilterError, ResponseParseError, ServerError

AZURE_API_VERSION = "2024-10-21"

# params the Chat Completions wire format knows; others go through ``extra_body``
PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "n",
        "user",
        "reasoning_effort",
        "parallel_tool_calls",
        "service_tier",
    }
)


_AUDIO_FORMATS = {"mpeg": "mp3", "x-wav": "wav", "wave": "wav", "vnd.wave": "wav"}


def message_json(message: Message) -> dict[str, Any]:
    """One message in Chat Completions form."""
    out: dict[str, Any] = {"role": message.role}
    if isinstance(message.content, str):
        out["content"] = message.content
    else:
        parts: list[dict[str, Any]] = []
        for part in message.content:
            if isinstance(part, ImagePart):
                url = part.url or f"data:{part.media_type};base64,{part.data}"
                parts.append({"type": "image_url", "image_url": {"url": url}})
            elif isinstance(part, FilePart):
                data = f"data:{part.media_type};base64,{part.data}"
                file: dict[str, Any] = {"file_data": data}
                if part.name:
                    file["filename"] = part.name
                parts.append({"type": "file", "file": file})
            elif isinstance(part, AudioPart):
                subtype = part.media_type.rpartition("/")[2]
                audio = {"data": part.data, "format": _AUDIO_FORMATS.get(subtype, subtype)}
                parts.append({"type": "input_audio", "input_audio": audio})
            else:
                parts.append({"type": "text", "text": part.text})
        out["content"] = parts
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.raw_arguments or json.dumps(dict(call.arguments)),
                },
            }
            for call in message.tool_calls
        ]
        if not out["content"]:
            out["content"] = None
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.name is not None and message.role != "tool":
        out["name"] = message.name
    return out


def tool_json(tool: Tool) -> dict[str, Any]:
    """A function tool in Chat Completions form."""
    fn: dict[str, Any] = {"name": tool.name, "parameters": dict(tool.parameters)}
    if tool.description:
        fn["description"] = tool.description
    return {"type": "function", "function": fn}


def usage_from(data: Mapping[str, Any] | None) -> Usage:
    """Usage from a Chat Completions ``usage`` object (cached and reasoning tokens included)."""
    if not data:
        return Usage()
    prompt_details = data.get("prompt_tokens_details") or {}
    completion_details = data.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=data.get("prompt_tokens"),
        output_tokens=data.get("completion_tokens"),
        cached_tokens=prompt_details.get("cached_tokens"),
        reasoning_tokens=completion_details.get("reasoning_tokens"),
    )


def tool_call_from(data: Mapping[str, Any]) -> ToolCall:
    """A ToolCall from a ``tool_calls`` entry; unparseable arguments become ``{}``."""
    fn = data.get("function") or {}
    raw = fn.get("arguments") or ""
    try:
        args = json.loads(raw) if raw else {}
    except ValueError:
        args = {}
    return ToolCall(
        name=fn.get("name", ""),
        arguments=args if isinstance(args, dict) else {},
        id=data.get("id") or "",
        raw_arguments=raw,
    )


def _slot_of(delta: Mapping[str, Any], calls: Mapping[int, Mapping[str, Any]]) -> int:
    """Which call a streamed ``tool_calls`` delta continues: its ``index``; without one (some
    compatible servers leave it out), the call with its id, a new call for a new id, else
    the last call."""
    index = delta.get("index")
    if isinstance(index, int):
        return index
    call_id = delta.get("id")
    for key, slot in calls.items():
        if call_id and slot["id"] == call_id:
            return key
    if call_id or not calls:
        return max(calls, default=-1) + 1
    return max(calls)


class OpenAIDriver(HTTPDriver):
    """Chat Completions over HTTP; Azure OpenAI when the provider is ``azure``."""

    accepts = ALL_PARTS  # image_url, file, input_audio

    request_id_header = "x-request-id"
    batch_api = "harness.drivers.batch_openai:OpenAIBatch"

    @property
    def azure(self) -> bool:
        """Whether this provider is Azure OpenAI (deployment paths, ``api-key`` header)."""
        return self.settings.name == "azure" or bool(self.settings.options.get("azure"))

    def auth_headers(self, key: str) -> dict[str, str]:
        """``api-key`` for Azure, a bearer token otherwise."""
        return {"api-key": key} if self.azure else {"Authorization": f"Bearer {key}"}

    def structured_modes(self, request: Request) -> tuple[StructuredMode, ...]:
        """json_schema (strict) -> json_object (with ``schema``, for llama.cpp) -> prompt."""
        if request.schema is None:
            return ()
        return ("json_schema", "json_object", "prompt")

    def build_call(
        self, request: Request, mode: StructuredMode | None, *, stream: bool
    ) -> HTTPCall:
        """A Chat Completions POST."""
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [message_json(m) for m in request.messages],
        }
        params = request.params
        for key, value in params.items():
            if key in PARAMS and value is not None:
                body[key] = value
        choice = self._tool_choice(request)  # checked with or without tools
        if request.tools:
            body["tools"] = [tool_json(t) for t in request.tools]
            if choice is not None:
                body["tool_choice"] = choice
        elif params.get("parallel_tool_calls") is not None:
            del body["parallel_tool_calls"]  # the API refuses it without tools
        if mode == "json_schema" and request.schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": dict(request.schema),
                    "strict": True,
                },
            }
        elif mode == "json_object" and request.schema is not None:
            body["response_format"] = {"type": "json_object", "schema": dict(request.schema)}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        extra = params.get("extra_body")
        if isinstance(extra, Mapping):
            body.update(extra)
        if self.azure:
            version = self.settings.api_version or AZURE_API_VERSION
            path = f"/openai/deployments/{request.model}/chat/completions"
            return HTTPCall(path, body, params={"api-version": version})
        return HTTPCall("/chat/completions", body)

    def _tool_choice(self, request: Request) -> Any:
        choice = tool_choice(request, provider=self.settings.name)
        if choice is None:
            return native_tool_choice(request)
        if choice.mode == "tool":
            return {"type": "function", "function": {"name": choice.name}}
        return choice.mode

    def parse_body(self, body: Any, request: Request, mode: StructuredMode | None) -> Response:
        """A ``chat.completion`` object."""
        if not body.get("choices"):
            raise ResponseParseError(
                "the answer has no choices",
                provider=self.settings.name,
                model=request.model,
            )
        choice = body["choices"][0]
        message = choice.get("message") or {}
        text = message.get("content") or ""
        finish = choice.get("finish_reason")
        self._check_refusal(request, text, message.get("refusal"), finish)
        calls = tuple(tool_call_from(c) for c in message.get("tool_calls") or ())
        return Response(
            text=text,
            model=body.get("model") or request.model,
            tool_calls=calls,
            finish_reason=finish,
            usage=usage_from(body.get("usage")),
        )

    def _check_refusal(
        self, request: Request, text: str, refusal: str | None, finish: str | None
    ) -> None:
        if text:
            return
        if refusal or finish == "content_filter":
            raise ContentFilterError(
                f"the model refused or the output was filtered: {refusal or finish}",
                provider=self.settings.name,
                model=request.model,
            )

    async def parse_stream(
        self, response: httpx.Response, request: Request, mode: StructuredMode | None
    ) -> AsyncIterator[StreamEvent]:
        """``chat.completion.chunk`` events ending with ``[DONE]``."""
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        usage = Usage()
        finish: str | None = None
        model = request.model
        refusal: list[str] = []
        chunks: list[Any] = []
        done = False
        async for event in iter_sse(response):
            if event.data == "[DONE]":
                done = True
                break
            chunk = json.loads(event.data)
            chunks.append(chunk)
            if "error" in chunk:
                raise ServerError(
                    f"error inside the stream: {chunk['error']}",
                    provider=self.settings.name,
                    model=request.model,
                )
            model = chunk.get("model") or model
            if chunk.get("usage"):
                usage = usage_from(chunk["usage"])
                yield StreamEvent("usage", usage=usage)
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                piece = delta.get("content")
                if piece:
                    text.append(piece)
                    yield StreamEvent("text", text=piece)
                if delta.get("refusal"):
                    refusal.append(delta["refusal"])
                for tc in delta.get("tool_calls") or ():
                    slot = calls.setdefault(_slot_of(tc, calls), {"id": "", "name": "", "args": []})
                    fn = tc.get("function") or {}
                    slot["id"] = tc.get("id") or slot["id"]
                    slot["name"] = fn.get("name") or slot["name"]
                    if fn.get("arguments"):
                        slot["args"].append(fn["arguments"])
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
        if not done and finish is None:
            raise ResponseParseError(
                "the stream ended before [DONE] (cut off); try again",
                provider=self.settings.name,
                model=request.model,
            )
        tool_calls = tuple(
            tool_call_from(
                {"id": c["id"], "function": {"name": c["name"], "arguments": "".join(c["args"])}}
            )
            for _, c in sorted(calls.items())
        )
        for call in tool_calls:
            yield StreamEvent("tool_call", tool_call=call)
        full = "".join(text)
        self._check_refusal(request, full, "".join(refusal) or None, finish)
        yield StreamEvent("finish", finish_reason=finish)
        yield StreamEvent(
            "response",
            response=Response(
                text=full,
                model=model,
                tool_calls=tool_calls,
                finish_reason=finish,
                usage=usage,
                raw=chunks,
            ),
        )
