"""A fake Gemini API: ``models/{model}:generateContent`` and ``:streamGenerateContent?alt=sse``.

Answers are deterministic: ``echo: <last user text>``; a JSON value satisfying
``responseSchema`` / ``responseJsonSchema`` when ``responseMimeType`` is JSON; a
``functionCall`` of the first declared function when tools are given and the last
turn is the user's text; or a JSON value for a schema found in prompt instructions.
Server ``options``:

- ``reject_response_schema``: answer 400 INVALID_ARGUMENT to ``responseSchema``.
- ``cached_tokens`` / ``thoughts_tokens``: usage to report.
- ``block_prompt``: answer with ``promptFeedback.blockReason: SAFETY`` and no candidates.
- ``safety_stop``: answer with ``finishReason: SAFETY`` and no text.
- ``api_key``: the only key accepted; others get 400 API_KEY_INVALID.
- ``tool_script``: play a multi-step tool exchange (:mod:`tests.fakes.tool_script`);
  like the API, calls carry no ids and the next user turn must hold one
  ``functionResponse`` per call, matched by name and order. ``function_call_ids``:
  give calls ids (``fc_<step>_<n>``) that the responses must repeat.
  ``thought_signatures``: sign each step's first call (``thoughtSignature``), as thinking
  models do; the signature must come back on that call (Gemini 3 refuses the turn else).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.fakes.schema_values import schema_from_prompt, value_for
from tests.fakes.server import FakeServer, ReceivedRequest, Reply
from tests.fakes.tool_script import (
    Call,
    Exchange,
    Result,
    ScriptError,
    call_id,
    next_step,
    result_text,
)

MODEL_PATH = "/{version}/models/{model:[^:/]+}"


def setup(server: FakeServer) -> None:
    """Register generateContent and streamGenerateContent."""
    server.route("POST", MODEL_PATH + ":generateContent", generate)
    server.route("POST", MODEL_PATH + ":streamGenerateContent", generate)


def error_body(code: int, status: str, message: str, reason: str | None = None) -> dict[str, Any]:
    """A Gemini error body: ``{error: {code, message, status[, details]}}``."""
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        err["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        ]
    return {"error": err}


def _error(code: int, status: str, message: str, reason: str | None = None) -> Reply:
    return Reply(json=error_body(code, status, message, reason), status=code)


def lower_types(schema: Any) -> Any:
    """Gemini's upper-case ``type`` names (``OBJECT``) back to JSON Schema's (``object``)."""
    if isinstance(schema, dict):
        return {
            k: (v.lower() if k == "type" and isinstance(v, str) else lower_types(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [lower_types(v) for v in schema]
    return schema


def _text_of(content: dict[str, Any] | None) -> str:
    return "".join(p.get("text", "") for p in (content or {}).get("parts") or [])


def signature(step: int) -> str:
    """The thought signature (base64) of step ``step``'s first call with ``thought_signatures``."""
    return base64.b64encode(f"sig-{step:03d}".encode()).decode()


def history(
    contents: list[dict[str, Any]], *, with_ids: bool, signed: bool = False
) -> list[Exchange]:
    """The ``functionCall`` turns of a conversation and the ``functionResponse`` parts after.

    Results reference calls by name and order (by id when the calls carried ids).

    Raises:
        ScriptError: as the API does, when the next turn's function responses are not
            one per function call.
    """
    out: list[Exchange] = []
    waiting = 0
    for content in contents:
        parts = content.get("parts") or []
        responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
        if waiting:
            if content.get("role") != "user" or len(responses) != waiting:
                raise ScriptError(
                    "Please ensure that the number of function response parts is equal to "
                    "the number of function call parts of the function call turn."
                )
            for r in responses:
                ref = r.get("id", "") if with_ids else r.get("name", "")
                out[-1].results.append(Result(ref, result_text(r.get("response"))))
        elif responses:
            raise ScriptError("a function response turn must come right after a function call turn")
        calls = [p["functionCall"] for p in parts if "functionCall" in p]
        if signed and content.get("role") == "model" and calls:
            first = next(p for p in parts if "functionCall" in p)
            if first.get("thoughtSignature") != signature(len(out) + 1):
                raise ScriptError(
                    "Function call is missing a thought_signature in functionCall parts. "
                    "This is required for tools to work correctly"
                )
        given = {c.get("id") for c in calls} | {r.get("id") for r in responses}
        if not with_ids and given - {None}:
            raise ScriptError(f"ids {sorted(given - {None})} were never given by the model")
        if content.get("role") == "model" and calls:
            out.append(
                Exchange(
                    [Call(c["name"], c.get("args") or {}, c.get("id")) for c in calls],
                    by_name=not with_ids,
                )
            )
        waiting = len(calls) if content.get("role") == "model" else 0
    return out


def _scripted(body: dict[str, Any], options: dict[str, Any]) -> list[dict[str, Any]]:
    contents = body.get("contents") or []
    with_ids = bool(options.get("function_call_ids"))
    signed = bool(options.get("thought_signatures"))
    step = next_step(options["tool_script"], history(contents, with_ids=with_ids, signed=signed))
    if isinstance(step, str):
        return [{"text": step}]
    number = sum(1 for c in contents if any("functionCall" in p for p in c.get("parts") or [])) + 1
    parts: list[dict[str, Any]] = []
    for n, c in enumerate(step, start=1):
        call: dict[str, Any] = {"name": c["name"], "args": c["arguments"]}
        if with_ids:
            call["id"] = call_id("fc_", number, n)
        parts.append({"functionCall": call})
    if signed:
        parts[0]["thoughtSignature"] = signature(number)  # as thinking models sign the first
    return parts


def answer(body: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The parts, finish reason and usage for a request body.

    Raises:
        ScriptError: with ``tool_script`` set, the history breaks the tool exchange.
    """
    contents = body.get("contents") or []
    last = contents[-1] if contents else {}
    last_text = _text_of(last)
    config = body.get("generationConfig") or {}
    decls = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
    user_turn = last.get("role", "user") == "user" and not any(
        "functionResponse" in p for p in last.get("parts") or []
    )
    parts: list[dict[str, Any]] = []
    finish = "STOP"
    schema = config.get("responseJsonSchema") or lower_types(config.get("responseSchema"))
    if options.get("tool_script") is not None:
        parts = _scripted(body, options)
    elif decls and user_turn:
        decl = decls[0]
        params = decl.get("parametersJsonSchema") or lower_types(decl.get("parameters"))
        parts.append({"functionCall": {"name": decl["name"], "args": value_for(params)}})
    else:
        if config.get("responseMimeType") != "application/json" or schema is None:
            system = _text_of(body.get("systemInstruction"))
            schema = schema_from_prompt(last_text) or schema_from_prompt(system)
        text = json.dumps(value_for(schema)) if schema is not None else "echo: " + last_text
        limit = config.get("maxOutputTokens")
        words = text.split(" ")
        if limit is not None and len(words) > limit:
            text, finish = " ".join(words[:limit]), "MAX_TOKENS"
        parts.append({"text": text})
    if options.get("safety_stop"):
        parts, finish = [], "SAFETY"
    prompt = " ".join(_text_of(c) for c in [body.get("systemInstruction"), *contents])
    out = sum(len(p.get("text", "").split()) for p in parts) + 5 * sum(
        "functionCall" in p for p in parts
    )
    usage: dict[str, Any] = {
        "promptTokenCount": len(prompt.split()),
        "candidatesTokenCount": out,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": len(prompt.split())}],
    }
    if options.get("cached_tokens"):
        usage["cachedContentTokenCount"] = int(options["cached_tokens"])
    if options.get("thoughts_tokens"):
        usage["thoughtsTokenCount"] = int(options["thoughts_tokens"])
    usage["totalTokenCount"] = (
        usage["promptTokenCount"] + out + int(options.get("thoughts_tokens", 0))
    )
    return {"parts": parts, "finish": finish, "usage": usage}


async def generate(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST models/{model}:generateContent and :streamGenerateContent."""
    key = request.headers.get("x-goog-api-key") or request.query.get("key")
    if not key:
        return _error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.")
    wanted = server.options.get("api_key")
    if wanted is not None and key != wanted:
        message = "API key not valid. Please pass a valid API key."
        return _error(400, "INVALID_ARGUMENT", message, reason="API_KEY_INVALID")
    body = request.json
    if not isinstance(body, dict) or not body.get("contents"):
        return _error(
            400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified"
        )
    config = body.get("generationConfig") or {}
    if "responseSchema" in config and server.options.get("reject_response_schema"):
        message = (
            'Invalid JSON payload received. Unknown name "responseSchema" at '
            "'generation_config': Cannot find field."
        )
        return _error(400, "INVALID_ARGUMENT", message)
    model = request.path.rsplit("/", 1)[-1].split(":", 1)[0]
    try:
        a = answer(body, server.options)
    except ScriptError as exc:
        return _error(400, "INVALID_ARGUMENT", str(exc))
    rid = f"resp-{server.next_id():04d}"
    response: dict[str, Any] = {
        "candidates": [
            {
                "content": {"parts": a["parts"], "role": "model"},
                "finishReason": a["finish"],
                "index": 0,
            }
        ],
        "usageMetadata": a["usage"],
        "modelVersion": model + "-001",
        "responseId": rid,
    }
    if server.options.get("block_prompt"):
        response = {
            "promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {
                "promptTokenCount": a["usage"]["promptTokenCount"],
                "totalTokenCount": a["usage"]["promptTokenCount"],
            },
            "modelVersion": response["modelVersion"],
            "responseId": rid,
        }
    if request.path.endswith(":streamGenerateContent"):
        if request.query.get("alt") != "sse":
            return Reply(json=[response])  # without alt=sse the API answers one JSON array
        return Reply(chunks=_stream(response), content_type="text/event-stream")
    return Reply(json=response)


def _stream(response: dict[str, Any]) -> list[bytes]:
    chunks: list[dict[str, Any]] = []
    base = {k: response[k] for k in ("modelVersion", "responseId")}
    candidates = response.get("candidates")
    usage = response["usageMetadata"]
    if not candidates:
        chunks.append(response)
    else:
        cand = candidates[0]
        parts = cand["content"]["parts"]
        pieces: list[list[dict[str, Any]]] = []
        for part in parts:
            if "text" in part:
                words = part["text"].split(" ")
                pieces += [[{"text": w if i == 0 else " " + w}] for i, w in enumerate(words)]
            elif pieces and "functionCall" in pieces[-1][-1]:
                pieces[-1].append(part)  # parallel calls arrive together, in one chunk
            else:
                pieces.append([part])
        # usage grows chunk by chunk; only the last chunk's counts are final
        partial_usage = {"promptTokenCount": usage["promptTokenCount"]}
        for piece in pieces[:-1] if pieces else []:
            chunks.append(
                {
                    "candidates": [{"content": {"parts": piece, "role": "model"}, "index": 0}],
                    "usageMetadata": partial_usage,
                    **base,
                }
            )
        last_parts = pieces[-1] if pieces else []
        last_cand: dict[str, Any] = {"content": {"parts": last_parts, "role": "model"}}
        last_cand.update(finishReason=cand["finishReason"], index=0)
        chunks.append({"candidates": [last_cand], "usageMetadata": usage, **base})
    return [f"data: {json.dumps(c)}\r\n\r\n".encode() for c in chunks]
