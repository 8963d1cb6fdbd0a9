"""A fake Anthropic server with Message Batches: ``/v1/messages/batches`` (create, retrieve,
results). The Messages route of :mod:`tests.fakes.anthropic_fake` is there too (failed
lines are retried live). Lines end as :mod:`tests.fakes.batch_fake` says.
"""

from __future__ import annotations

from typing import Any

from tests.fakes import anthropic_fake
from tests.fakes.batch_fake import FakeBatch, advance, batches, guarded, jsonl_reply
from tests.fakes.server import FakeServer, ReceivedRequest, Reply


def setup(server: FakeServer) -> None:
    """Register the Messages route and the Message Batches routes."""
    server.route("POST", "/v1/messages", guarded(anthropic_fake.messages))
    server.route("POST", "/v1/messages/batches", create)
    server.route("GET", "/v1/messages/batches/{batch_id}", retrieve)
    server.route("GET", "/v1/messages/batches/{batch_id}/results", results)


def _missing() -> Reply:
    body = anthropic_fake.error_body("not_found_error", "batch not found")
    return Reply(json=body, status=404)


async def create(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/messages/batches with ``requests: [{custom_id, params}]``."""
    if "anthropic-version" not in request.headers or "x-api-key" not in request.headers:
        return Reply(json=anthropic_fake.error_body("authentication_error", "no key"), status=401)
    requests = request.json.get("requests") or []
    batch_id = f"msgbatch_{server.next_id()}"
    lines = [(r["custom_id"], "/v1/messages", r["params"]) for r in requests]
    batches(server)[batch_id] = FakeBatch(batch_id, lines)
    return Reply(json=_object(batches(server)[batch_id], server))


async def retrieve(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /v1/messages/batches/{id}: each poll moves the batch on."""
    batch = batches(server).get(request.path.rsplit("/", 1)[1])
    if batch is None:
        return _missing()
    await advance(batch, server, anthropic_fake.messages)
    return Reply(json=_object(batch, server))


async def results(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /v1/messages/batches/{id}/results: JSONL, once the batch ended."""
    batch = batches(server).get(request.path.split("/")[4])
    if batch is None or not batch.ended:
        return _missing()
    rows: list[Any] = []
    for custom_id, kind, reply in batch.results:
        result: dict[str, Any]
        if kind == "answer" and reply is not None and reply.status < 400:
            result = {"type": "succeeded", "message": reply.json}
        elif kind == "answer" and reply is not None:
            result = {"type": "errored", "error": reply.json}
        elif kind == "fail":
            error = anthropic_fake.error_body("api_error", "Internal server error")
            result = {"type": "errored", "error": error}
        elif kind == "bad":
            error = anthropic_fake.error_body("invalid_request_error", "BAD-LINE is invalid")
            result = {"type": "errored", "error": error}
        elif kind == "expired":
            result = {"type": "expired"}
        else:
            continue  # lost
        rows.append({"custom_id": custom_id, "result": result})
    return jsonl_reply(rows)


def _object(batch: FakeBatch, server: FakeServer) -> dict[str, Any]:
    kinds = [kind for _, kind, _ in batch.results]
    succeeded = kinds.count("answer")
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": "ended" if batch.ended else "in_progress",
        "request_counts": {
            "processing": 0 if batch.ended else len(batch.lines),
            "succeeded": succeeded,
            "errored": kinds.count("fail") + kinds.count("bad"),
            "canceled": 0,
            "expired": kinds.count("expired"),
        },
        "results_url": (
            f"{server.base_url}/v1/messages/batches/{batch.id}/results" if batch.ended else None
        ),
        "created_at": "2026-01-01T00:00:00Z",
        "expires_at": "2026-01-02T00:00:00Z",
    }
