"""Streaming body readers: Server-Sent Events and newline-delimited JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One server-sent event: its ``event`` name (``message`` by default) and ``data``."""

    event: str
    data: str


async def iter_sse(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    """Yield the events of an SSE body as they arrive.

    Multi-line ``data:`` fields are joined with newlines and comments are skipped. An
    event cut off by the end of the body is dropped, as the SSE spec says; drivers
    detect truncation from the missing terminal event.
    """
    event = ""
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield SSEEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value


async def iter_ndjson(response: httpx.Response) -> AsyncIterator[str]:
    """Yield the non-empty lines of a newline-delimited JSON body (not yet parsed)."""
    async for line in response.aiter_lines():
        if line.strip():
            yield line
