"""Structured output: try the native mode first and fall back when a server rejects it.

A driver lists its modes best first (OpenAI: ``json_schema`` -> ``json_object`` ->
``prompt``). A mode is *rejected* when the server answers 400/422 about it
(llama.cpp's server, for one, rejects ``json_schema`` but takes ``json_object`` with a
schema). :class:`ModeMemory` remembers per (provider name, model) which mode last
worked, so later calls skip the modes already rejected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from harness.drivers.base import Message, Request, StructuredMode, TextPart
from harness.errors import BadRequestError, UnsupportedFeatureError

T = TypeVar("T")

_REJECTION_RE = re.compile(
    r"response_format|response format|json_schema|json_object|schema|structured|"
    r"\bformat\b|not supported|unsupported|grammar",
    re.IGNORECASE,
)


def is_rejection(exc: BaseException) -> bool:
    """Whether an error means "this structured-output mode is not supported here"."""
    if isinstance(exc, UnsupportedFeatureError):
        return True
    if isinstance(exc, BadRequestError) and exc.status_code in (400, 422):
        return bool(_REJECTION_RE.search(str(exc)))
    return False


class ModeMemory:
    """Which structured mode last worked for each (provider name, model)."""

    def __init__(self) -> None:
        self._working: dict[tuple[str, str], StructuredMode] = {}

    def remaining(
        self, key: tuple[str, str], modes: Sequence[StructuredMode]
    ) -> tuple[StructuredMode, ...]:
        """``modes`` starting at the one that last worked (all of them if none did yet)."""
        known = self._working.get(key)
        if known is None or known not in modes:
            return tuple(modes)
        return tuple(modes[modes.index(known) :])

    def remember(self, key: tuple[str, str], mode: StructuredMode) -> None:
        """Record that ``mode`` worked."""
        self._working[key] = mode


async def with_fallback(
    modes: Sequence[StructuredMode],
    call: Callable[[StructuredMode | None], Awaitable[T]],
    *,
    memory: ModeMemory,
    key: tuple[str, str],
) -> tuple[T, StructuredMode | None]:
    """Call with each mode in turn until one is not rejected; return (result, mode).

    With no modes (no schema asked), calls once with ``None``.

    Raises:
        BadRequestError: the last mode was rejected too, or another error.
    """
    todo = memory.remaining(key, modes)
    if not todo:
        return await call(None), None
    for i, mode in enumerate(todo):
        try:
            result = await call(mode)
        except BadRequestError as exc:
            if i + 1 < len(todo) and is_rejection(exc):
                continue
            raise
        memory.remember(key, mode)
        return result, mode
    raise AssertionError("unreachable")  # pragma: no cover


def schema_instruction(schema: Mapping[str, Any]) -> str:
    """The text prompt mode appends: the JSON Schema and "answer with JSON only"."""
    return (
        "\n\nAnswer with a single JSON value that conforms to this JSON Schema, and "
        "nothing else (no prose, no code fences):\n"
        + json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
    )


def with_schema_prompt(request: Request) -> Request:
    """The request with the schema instruction appended to its last user or system message."""
    if request.schema is None:
        return request
    note = schema_instruction(request.schema)
    messages = list(request.messages)
    for i in range(len(messages) - 1, -1, -1):
        msg = messages[i]
        if msg.role in ("user", "system"):
            if isinstance(msg.content, str):
                messages[i] = replace(msg, content=msg.content + note)
            else:
                messages[i] = replace(msg, content=(*msg.content, TextPart(note.lstrip())))
            break
    else:
        messages.append(Message(role="user", content=note.lstrip()))
    return replace(request, messages=tuple(messages))
