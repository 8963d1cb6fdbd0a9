"""The OpenAI fake with a delay per request, for runs that must still be going when killed."""

from __future__ import annotations

import asyncio

from tests.fakes import openai_fake
from tests.fakes.server import FakeServer, ReceivedRequest, Reply


def setup(server: FakeServer) -> None:
    """Chat Completions that wait ``options['delay']`` seconds before answering."""

    async def chat(request: ReceivedRequest, srv: FakeServer) -> Reply:
        await asyncio.sleep(float(srv.options.get("delay", 0.0)))
        return await openai_fake.chat(request, srv)

    server.route("POST", "/v1/chat/completions", chat)
