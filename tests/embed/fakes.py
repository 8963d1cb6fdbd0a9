"""Embeddings endpoints for the loopback fake server: a bag-of-letters vector per text."""

from __future__ import annotations

from tests.fakes import openai_fake
from tests.fakes.server import FakeServer, ReceivedRequest, Reply


def letters(text: str) -> list[float]:
    """A 26-dimensional vector of letter counts: similar texts point the same way."""
    vector = [0.0] * 26
    for ch in text.lower():
        if "a" <= ch <= "z":
            vector[ord(ch) - 97] += 1.0
    return vector


async def openai_embeddings(request: ReceivedRequest, server: FakeServer) -> Reply:
    """``POST /v1/embeddings`` as OpenAI answers it (rows out of order, by ``index``)."""
    texts = request.json["input"]
    rows = [
        {"object": "embedding", "index": i, "embedding": letters(t)} for i, t in enumerate(texts)
    ]
    return Reply(
        json={
            "object": "list",
            "data": list(reversed(rows)),
            "model": request.json["model"],
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        }
    )


def with_embeddings(server: FakeServer) -> None:
    """The OpenAI fake plus its embeddings endpoint."""
    openai_fake.setup(server)
    server.route("POST", "/v1/embeddings", openai_embeddings)
