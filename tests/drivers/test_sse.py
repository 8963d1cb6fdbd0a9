"""Reading SSE and NDJSON bodies."""

from __future__ import annotations

import httpx
import pytest

from harness.drivers.sse import SSEEvent, iter_ndjson, iter_sse


def _response(body: bytes) -> httpx.Response:
    return httpx.Response(200, stream=httpx.ByteStream(body))


@pytest.mark.parametrize(
    ("body", "events"),
    [
        pytest.param(
            b"data: a\n\ndata: b\n\n",
            [SSEEvent("message", "a"), SSEEvent("message", "b")],
            id="plain",
        ),
        pytest.param(
            b"event: ping\ndata: {}\n\n: comment\n\nevent: x\ndata: 1\ndata: 2\n\n",
            [SSEEvent("ping", "{}"), SSEEvent("x", "1\n2")],
            id="named-multiline",
        ),
        pytest.param(
            b"data: a\r\n\r\ndata:b\r\n\r\n",
            [SSEEvent("message", "a"), SSEEvent("message", "b")],
            id="crlf",
        ),
        pytest.param(b"data: a\n\ndata: cut", [SSEEvent("message", "a")], id="truncated"),
    ],
)
async def test_iter_sse(body: bytes, events: list[SSEEvent]) -> None:
    assert [e async for e in iter_sse(_response(body))] == events


async def test_iter_ndjson_skips_blank_lines() -> None:
    lines = [line async for line in iter_ndjson(_response(b'{"a":1}\n\n{"b":2}\n'))]
    assert lines == ['{"a":1}', '{"b":2}']
