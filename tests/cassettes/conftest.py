"""Shared helpers for cassette tests: items, an echo server on loopback, clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

from harness.cassettes import Recorder
from harness.runner.items import Item
from harness.spec.types import Case, PromptTemplate, Spec
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

API_KEY = "test-key-SECRET-0123456789abcdef"
ORG = "org-SECRET-ORGANIZATION-42"


def make_item(
    case: str = "c1", *, spec: str = "spec", model: str = "fake:model", attempt: int = 1
) -> Item:
    """An item with no prompt logic: the cassette layer only needs its names."""
    s = Spec(name=spec, path="spec.yaml", prompt=PromptTemplate(messages=()), cases=())
    return Item(s, Case(id=case, vars={}, expect=()), model, attempt)


async def _echo(req: ReceivedRequest, server: FakeServer) -> Reply:
    body = req.json or {}
    if req.path.endswith("/stream"):
        events = [{"n": i, "echo": body.get("prompt")} for i in range(3)]
        if req.query.get("format") == "ndjson":
            lines = [json.dumps(e).encode() + b"\n" for e in events]
            return Reply(chunks=lines, content_type="application/x-ndjson")
        chunks = [f"data: {json.dumps(e)}\n\n".encode() for e in events]
        return Reply(chunks=[*chunks, b"data: [DONE]\n\n"], content_type="text/event-stream")
    # echoes every credential it got, everywhere a provider might
    auth = req.headers.get("authorization", "")
    return Reply(
        json={"echo": body, "auth": auth, "key": req.headers.get("x-api-key"), "q": req.query},
        headers={
            "set-cookie": f"session={API_KEY}; Path=/",
            "openai-organization": ORG,
            "x-echo-auth": auth,
            "date": "Mon, 01 Jan 2024 00:00:00 GMT",
        },
    )


def echo_setup(server: FakeServer) -> None:
    """Routes: POST /v1/echo (JSON), POST /v1/stream (SSE, or NDJSON with ?format=ndjson)."""
    server.route("POST", "/v1/echo", _echo)
    server.route("POST", "/v1/stream", _echo)


@pytest.fixture
async def echo_server() -> AsyncIterator[FakeServer]:
    """A started echo server on 127.0.0.1 (stopped at the end)."""
    server = FakeServer(echo_setup)
    await server.start()
    yield server
    await server.stop()


ClientFactory = Callable[[Recorder, str], httpx.AsyncClient]


def client_for(recorder: Recorder, base_url: str) -> httpx.AsyncClient:
    """A client like a driver's: one pool over the aiohttp transport, wrapped by the recorder."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=recorder.wrap(AiohttpTransport()),
        headers={"authorization": f"Bearer {API_KEY}", "x-api-key": API_KEY},
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The cassettes folder of a test."""
    return tmp_path / "cassettes"
