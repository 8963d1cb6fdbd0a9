"""The Gemini API wire format (generateContent) as pure functions: body, answer, stream, errors.

Nothing here does I/O; :mod:`harness.drivers.gemini` wires these into
:class:`~harness.drivers.http_driver.HTTPDriver`.

Usage: ``thoughtsTokenCount`` is not part of ``candidatesTokenCount`` on the wire,
but thinking is billed as output, so the normalized ``output_tokens`` is
candidates + thoughts and ``reasoning_tokens`` is the thoughts alone. Input is
``promptTokenCount`` (which already holds the cached tokens) plus
``toolUsePromptTokenCount``; ``cached_tokens`` is ``cachedContentTokenCount``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    Tool,
    ToolCall,
    Usage,
)
from harness.drivers.gemini_schema import UnrepresentableSchema, to_gemini_schema
from harness.drivers.tool_choice import tool_choice
from harness.errors import ContentFilterError

API_VERSION = "v1beta"
"""The path version used unless the provider's settings give ``api_version``."""
SYNTHETIC_ID_PREFIX = "gemini-call-"
"""Gemini's function calls usually carry no id: harness numbers them ``gemini-call-1``,
``gemini-call-2``, ... through the conversation (the same on every replay) so that tool
results can name their call, and never sends these ids back (results match by name)."""
# the portable tool_choice modes -> functionCallingConfig.mode
_CALLING_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE", "tool": "ANY"}

_BLOCKED = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "LANGUAGE",
}
FINISH_REASONS: dict[str, str] = {"STOP": "stop", "MAX_TOKENS": "length"} | {
    reason: "content_filter" for reason in _BLOCKED
}
# our params -> generationConfig keys
_GENERATION = {
    "temperature": "temperature",
    "max_tokens": "maxOutputTokens",
    "max_output_tokens": "maxOutputTokens",
    "top_p": "topP",
    "top_k": "topK",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "candidate_count": "candidateCount",
}
# google.rpc status -> HTTP status, for errors that arrive inside a 200 stream
RPC_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def model_path(model: str, *, api_version: str | None, stream: bool) -> str:
    """``/v1beta/models/{model}:generateContent`` (or ``:streamGenerateContent``)."""
    name = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
    method = "streamGenerateContent" if stream else "generateContent"
    return f"/{api_version or API_VERSION}/{name}:{method}"


def schema_fields(schema: Mapping[str, Any], *, key: str, json_key: str) -> dict[str, Any]:
    """``{key: schema}`` in Gemini's subset, or the raw JSON Schema under ``json_key``.

    Example:
        >>> schema_fields({"type": "string"}, key="responseSchema", json_key="responseJsonSchema")
        {'responseSchema': {'type': 'STRING'}}
    """
    try:
        return {key: to_gemini_schema(schema)}
    except UnrepresentableSchema:
        raw = {k: v for k, v in schema.items() if k != "$schema"}
        return {json_key: raw}


def _part(part: TextPart | ImagePart | FilePart | AudioPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"text": part.text}
    if isinstance(part, FilePart | AudioPart):  # documents and sound go inline like images
        data = part.data.replace("+", "-").replace("/", "_")
        return {"inlineData": {"mimeType": part.media_type, "data": data}}
    if part.data is not None:
        # URL-safe base64, as the official SDK sends; the API's JSON mapping takes both
        data = part.data.replace("+", "-").replace("/", "_")
        return {"inlineData": {"mimeType": part.media_type, "data": data}}
    return {"fileData": {"mimeType": part.media_type, "fileUri": part.url or ""}}


def is_synthetic_id(call_id: str | None) -> bool:
    """Whether a tool call id is one harness made up (Gemini's answer carried none)."""
    return bool(call_id) and str(call_id).startswith(SYNTHETIC_ID_PREFIX)


def synthetic_id(number: int) -> str:
    """The id harness gives the ``number``-th call of a conversation that Gemini left unnamed."""
    return f"{SYNTHETIC_ID_PREFIX}{number}"


def calls_before(request: Request) -> int:
    """How many tool calls the request's history already holds (numbers new synthetic ids)."""
    return sum(len(m.tool_calls) for m in request.messages)


def _function_response(msg: Message, position: int, calls: tuple[ToolCall, ...]) -> dict[str, Any]:
    # Gemini matches a result to its call by name (and order): find the call by its id,
    # else take the message's own name, else the call at the same position
    call = next((c for c in calls if msg.tool_call_id and c.id == msg.tool_call_id), None)
    if call is None and msg.name is None and position < len(calls):
        call = calls[position]
    name = msg.name or (call.name if call is not None else "")
    try:
        result = json.loads(msg.text)
    except ValueError:
        result = msg.text
    response = result if isinstance(result, dict) else {"result": result}
    out: dict[str, Any] = {"name": name, "response": response}
    if msg.tool_call_id and not is_synthetic_id(msg.tool_call_id):
        out["id"] = msg.tool_call_id
    return {"functionResponse": out}


def _contents(messages: tuple[Message, ...]) -> tuple[list[str], list[dict[str, Any]]]:
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    calls: tuple[ToolCall, ...] = ()  # the calls of the last model turn, for the results
    answered = 0
    for msg in messages:
        if msg.role == "system":
            system.append(msg.text)
            continue
        if msg.role == "tool":
            part = _function_response(msg, answered, calls)
            answered += 1
            last = contents[-1] if contents else None
            if last and last["role"] == "user" and "functionResponse" in last["parts"][0]:
                last["parts"].append(part)  # one turn answers all calls of the model's turn
            else:
                contents.append({"role": "user", "parts": [part]})
            continue
        items = (TextPart(msg.content),) if isinstance(msg.content, str) else msg.content
        parts = [_part(p) for p in items if not (isinstance(p, TextPart) and not p.text)]
        if msg.tool_calls:
            calls, answered = msg.tool_calls, 0
        for call in msg.tool_calls:
            fc: dict[str, Any] = {"name": call.name, "args": dict(call.arguments)}
            if call.id and not is_synthetic_id(call.id):
                fc["id"] = call.id  # an id Gemini gave: sent back as it came
            signature = call.provider_data.get("thoughtSignature")
            # a signed call goes back signed: Gemini 3 refuses the turn without it
            parts.append(
                {"functionCall": fc, **({"thoughtSignature": signature} if signature else {})}
            )
        role = "model" if msg.role == "assistant" else "user"
        contents.append({"role": role, "parts": parts or [{"text": ""}]})
    return system, contents


def _declaration(tool: Tool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name, "description": tool.description}
    out.update(schema_fields(tool.parameters, key="parameters", json_key="parametersJsonSchema"))
    return out


def build_body(
    request: Request, mode: StructuredMode | None, *, provider: str = ""
) -> dict[str, Any]:
    """The JSON body of ``generateContent`` / ``streamGenerateContent`` for a request.

    Args:
        request: the request (in ``prompt`` mode its messages already hold the schema note).
        mode: ``response_schema`` adds ``responseMimeType`` and ``responseSchema``.
        provider: the provider's name, for errors.

    Raises:
        BadRequestError: the ``tool_choice`` param is not one Gemini can take.
    """
    params = dict(request.params)
    system, contents = _contents(request.messages)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    config = {
        wire: params[ours] for ours, wire in _GENERATION.items() if params.get(ours) is not None
    }
    stop = params.get("stop", params.get("stop_sequences"))
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if params.get("thinking_budget") is not None:
        config["thinkingConfig"] = {"thinkingBudget": params["thinking_budget"]}
    if mode == "response_schema" and request.schema is not None:
        config["responseMimeType"] = "application/json"
        config.update(
            schema_fields(request.schema, key="responseSchema", json_key="responseJsonSchema")
        )
    extra = dict(params.get("extra_body") or {})
    config.update(extra.pop("generationConfig", None) or {})
    if config:
        body["generationConfig"] = config
    if request.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(t) for t in request.tools]}]
        choice = tool_choice(request, provider=provider, native=False)
        if choice is not None:
            calling: dict[str, Any] = {"mode": _CALLING_MODES[choice.mode]}
            if choice.mode == "tool":
                calling["allowedFunctionNames"] = [choice.name]
            body["toolConfig"] = {"functionCallingConfig": calling}
    else:
        tool_choice(request, provider=provider, native=False)  # a bad value is still an error
    body.update(extra)
    return body


def usage_from(meta: Mapping[str, Any] | None) -> Usage:
    """Normalized usage from ``usageMetadata`` (see the module docstring for the sums)."""
    if not meta:
        return Usage()
    prompt = meta.get("promptTokenCount")
    candidates = meta.get("candidatesTokenCount")
    thoughts = meta.get("thoughtsTokenCount")
    total_in = None if prompt is None else prompt + (meta.get("toolUsePromptTokenCount") or 0)
    out = None
    if candidates is not None or thoughts is not None:
        out = (candidates or 0) + (thoughts or 0)
    elif prompt is not None:
        out = 0  # an answer with no output tokens leaves the count out
    return Usage(
        input_tokens=total_in,
        output_tokens=out,
        cached_tokens=meta.get("cachedContentTokenCount", 0 if prompt is not None else None),
        reasoning_tokens=thoughts,
    )


def finish_reason(reason: str | None, *, has_calls: bool = False) -> str | None:
    """The normalized finish reason; ``tool_calls`` when the model called functions."""
    if reason is None:
        return None
    if has_calls and reason == "STOP":
        return "tool_calls"
    return FINISH_REASONS.get(reason, reason.lower())


def _candidate(body: Mapping[str, Any]) -> Mapping[str, Any]:
    candidates = body.get("candidates") or [{}]
    first: Mapping[str, Any] = candidates[0]
    return first


def chunk_parts(body: Mapping[str, Any], *, numbered: int = 0) -> tuple[str, list[ToolCall]]:
    """The answer text (thought summaries left out) and function calls in one response body.

    A call without an id gets :func:`synthetic_id` ``numbered + n`` (its number ``n`` from 1
    in this body): pass how many calls the conversation held before.
    """
    texts: list[str] = []
    calls: list[ToolCall] = []
    for part in (_candidate(body).get("content") or {}).get("parts") or []:
        if "text" in part and not part.get("thought"):
            texts.append(part["text"])
        elif "functionCall" in part:
            fc = part["functionCall"]
            args = fc.get("args") or {}
            signature = part.get("thoughtSignature")
            calls.append(
                ToolCall(
                    name=fc["name"],
                    arguments=args,
                    id=fc.get("id") or synthetic_id(numbered + len(calls) + 1),
                    raw_arguments=json.dumps(args, ensure_ascii=False),
                    # thinking models sign their calls; the next step must send it back
                    provider_data={"thoughtSignature": signature} if signature else {},
                )
            )
    return "".join(texts), calls


def check_blocked(body: Mapping[str, Any], text: str, *, provider: str, model: str) -> None:
    """Raise when the prompt was blocked, or the answer was stopped on safety with no text.

    Raises:
        ContentFilterError: ``promptFeedback.blockReason`` set, or a safety finish reason.
    """
    block = (body.get("promptFeedback") or {}).get("blockReason")
    if block and not body.get("candidates"):
        raise ContentFilterError(
            f"the prompt was blocked (blockReason {block}); rephrase it or adjust "
            "safetySettings through params.extra_body",
            provider=provider,
            model=model,
        )
    reason = _candidate(body).get("finishReason")
    if reason in _BLOCKED and not text:
        raise ContentFilterError(
            f"the answer was blocked (finishReason {reason}); rephrase the prompt",
            provider=provider,
            model=model,
        )


def parse_response(body: Mapping[str, Any], request: Request, *, provider: str = "") -> Response:
    """The Response for a non-streamed ``GenerateContentResponse`` body.

    Raises:
        ContentFilterError: see :func:`check_blocked`.
    """
    text, calls = chunk_parts(body, numbered=calls_before(request))
    check_blocked(body, text, provider=provider, model=request.model)
    reason = _candidate(body).get("finishReason")
    return Response(
        text=text,
        model=body.get("modelVersion") or "",
        tool_calls=tuple(calls),
        finish_reason=finish_reason(reason, has_calls=bool(calls)),
        usage=usage_from(body.get("usageMetadata")),
        request_id=body.get("responseId"),
    )


class StreamState:
    """Folds ``streamGenerateContent?alt=sse`` chunks into StreamEvents and a final Response.

    Each chunk is a whole ``GenerateContentResponse`` holding only the new parts; the
    usage is cumulative, so the last chunk's counts win. The stream has no terminal
    event: it is complete when a chunk carried a ``finishReason``.
    """

    def __init__(self, request: Request, *, provider: str = "") -> None:
        self.request = request
        self.provider = provider
        self.texts: list[str] = []
        self.calls: list[ToolCall] = []
        self.usage: Mapping[str, Any] | None = None
        self.reason: str | None = None
        self.model = ""
        self.response_id: str | None = None
        self.last: Mapping[str, Any] = {}

    @property
    def done(self) -> bool:
        """Whether a chunk carried the finish reason (the stream is complete)."""
        return self.reason is not None

    def feed(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The events one decoded chunk produces."""
        self.last = chunk
        self.model = chunk.get("modelVersion") or self.model
        self.response_id = chunk.get("responseId") or self.response_id
        text, calls = chunk_parts(chunk, numbered=calls_before(self.request) + len(self.calls))
        events: list[StreamEvent] = []
        if text:
            self.texts.append(text)
            events.append(StreamEvent(kind="text", text=text))
        for call in calls:
            self.calls.append(call)
            events.append(StreamEvent(kind="tool_call", tool_call=call))
        if chunk.get("usageMetadata"):
            self.usage = chunk["usageMetadata"]
            events.append(StreamEvent(kind="usage", usage=usage_from(self.usage)))
        block = (chunk.get("promptFeedback") or {}).get("blockReason")
        reason = _candidate(chunk).get("finishReason") or (block and "SAFETY")
        if reason:
            self.reason = reason
            has_calls = bool(self.calls)
            events.append(
                StreamEvent(kind="finish", finish_reason=finish_reason(reason, has_calls=has_calls))
            )
        return events

    def response(self) -> Response:
        """The Response assembled from every chunk fed so far.

        Raises:
            ContentFilterError: see :func:`check_blocked` (judged on the whole text).
        """
        text = "".join(self.texts)
        check_blocked(self.last, text, provider=self.provider, model=self.request.model)
        return Response(
            text=text,
            model=self.model,
            tool_calls=tuple(self.calls),
            finish_reason=finish_reason(self.reason, has_calls=bool(self.calls)),
            usage=usage_from(self.usage),
            request_id=self.response_id,
        )


def error_status(body: str, status: int) -> tuple[int, bool]:
    """(HTTP status to classify by, whether the key itself was rejected).

    Gemini answers a bad API key with 400 INVALID_ARGUMENT and reason
    ``API_KEY_INVALID``; that is an authentication problem, not a bad request.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return status, False
    if isinstance(data, list) and data:
        data = data[0]
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return status, False
    # an error body may be any JSON at all: read only the parts that have the documented shape
    details = err.get("details")
    listed = details if isinstance(details, list) else ()
    reasons = {d.get("reason") for d in listed if isinstance(d, dict)}
    bad_key = "API_KEY_INVALID" in reasons or "API key not valid" in str(err.get("message"))
    if status < 400:  # an error object inside a 200 stream
        code = err.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
            status = code
        else:
            status = RPC_STATUS.get(str(err.get("status")), 500)
    return status, bad_key
