"""What the three batch fakes share: the batches they hold and how each line ends.

A batch stays in progress for ``batch_polls`` polls (server option, default 1), or as
long as ``batch_hold`` is true (a test flips it), then ends. A line's outcome is read
from its request body, so a spec's case chooses it with a word in its prompt:

- ``FAIL-LINE``: the line ends with a server error (the runner retries it live);
- ``BAD-LINE``: the line ends with a 400 invalid request;
- ``LOST-LINE``: the line is missing from the results;
- ``SLOW``: with server option ``batch_expire``, the batch expires before the line ran;
- anything else: the live handler's answer, exactly as a live call would get it.

Live calls go to the wire format's own handler through :func:`guarded`, which refuses
(400) a prompt holding any word of the server option ``refuse_live``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.fakes.server import FakeServer, ReceivedRequest, Reply

Outcome = Literal["answer", "fail", "bad", "lost", "expired"]
LiveHandler = Callable[[ReceivedRequest, FakeServer], Awaitable[Reply]]


@dataclass
class FakeBatch:
    """One batch: its lines (custom id, path, body) and, once ended, their results."""

    id: str
    lines: list[tuple[str, str, Any]]
    label: Any = None
    """What the client tagged the batch with (OpenAI's metadata, Gemini's display name)."""
    input_file_id: str | None = None
    polls: int = 0
    ended: bool = False
    expired: bool = False
    results: list[tuple[str, Outcome, Reply | None]] = field(default_factory=list)


def outcome(body: Any, options: dict[str, Any]) -> Outcome:
    """How a line ends, from the words in its body (see the module docstring)."""
    text = json.dumps(body)
    if "FAIL-LINE" in text:
        return "fail"
    if "BAD-LINE" in text:
        return "bad"
    if "LOST-LINE" in text:
        return "lost"
    if "SLOW" in text and options.get("batch_expire"):
        return "expired"
    return "answer"


def batches(server: FakeServer) -> dict[str, FakeBatch]:
    """The server's batches by id (created on first use)."""
    held: dict[str, FakeBatch] = server.options.setdefault("_batches", {})
    return held


async def advance(batch: FakeBatch, server: FakeServer, live: LiveHandler) -> None:
    """Count a poll; end the batch (computing every line's result) when its time came."""
    batch.polls += 1
    options = server.options
    if batch.ended or options.get("batch_hold") or batch.polls <= options.get("batch_polls", 1):
        return
    batch.ended = True
    batch.expired = bool(options.get("batch_expire"))
    for custom_id, path, body in batch.lines:
        kind = outcome(body, options)
        reply = None
        if kind == "answer":
            request = ReceivedRequest("POST", path, {}, _auth(), body, json.dumps(body).encode())
            reply = await live(request, server)
        batch.results.append((custom_id, kind, reply))


def _auth() -> dict[str, str]:
    # the batch was authorised when it was created; the live handlers check a key is there
    return {
        "authorization": "Bearer batch",
        "x-api-key": "batch",
        "x-goog-api-key": "batch",
        "anthropic-version": "2023-06-01",
    }


def jsonl_reply(rows: list[Any]) -> Reply:
    """A JSONL download."""
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return Reply(chunks=[data], content_type="application/jsonl")


def guarded(live: LiveHandler) -> LiveHandler:
    """``live``, refusing with a 400 any request whose body holds a ``refuse_live`` word."""

    async def handler(request: ReceivedRequest, server: FakeServer) -> Reply:
        text = request.body.decode("utf-8", "replace")
        if any(word in text for word in server.options.get("refuse_live", ())):
            error = {"message": "refused: invalid request", "type": "invalid_request_error"}
            return Reply(json={"type": "error", "error": error}, status=400)
        return await live(request, server)

    return handler
