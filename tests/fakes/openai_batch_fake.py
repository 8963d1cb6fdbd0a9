"""A fake OpenAI server with the Batch API: ``/v1/files`` (upload, content), ``/v1/batches``.

The Chat Completions routes of :mod:`tests.fakes.openai_fake` are there too (failed lines
are retried live). Lines end as :mod:`tests.fakes.batch_fake` says.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.fakes import openai_fake
from tests.fakes.batch_fake import FakeBatch, advance, batches, guarded, jsonl_reply
from tests.fakes.server import FakeServer, ReceivedRequest, Reply


def setup(server: FakeServer) -> None:
    """Register the chat routes and the Batch API's."""
    for path in ("/v1/chat/completions", "/chat/completions"):
        server.route("POST", path, guarded(openai_fake.chat))
    server.route("POST", "/v1/files", upload)
    server.route("GET", "/v1/files/{file_id}/content", content)
    server.route("POST", "/v1/batches", create)
    server.route("GET", "/v1/batches", listing)
    server.route("GET", "/v1/batches/{batch_id}", retrieve)


def _files(server: FakeServer) -> dict[str, bytes]:
    files: dict[str, bytes] = server.options.setdefault("_files", {})
    return files


def _multipart(request: ReceivedRequest) -> dict[str, bytes]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        parts[str(name)] = part.get_payload(decode=True)
    return parts


async def upload(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/files (multipart: ``purpose`` and ``file``)."""
    parts = _multipart(request)
    if parts.get("purpose") != b"batch" or "file" not in parts:
        error = {"message": "purpose must be batch", "type": "invalid_request_error"}
        return Reply(json={"error": error}, status=400)
    file_id = f"file-{server.next_id()}"
    _files(server)[file_id] = parts["file"]
    return Reply(json={"id": file_id, "object": "file", "purpose": "batch"})


async def create(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST /v1/batches: the lines are read from the uploaded file."""
    body = request.json
    data = _files(server).get(body.get("input_file_id"))
    if data is None:
        return Reply(
            json={"error": {"message": "no such file", "type": "invalid_request"}}, status=404
        )
    lines = [json.loads(line) for line in data.splitlines() if line.strip()]
    batch_id = f"batch_{server.next_id()}"
    parsed = [(ln["custom_id"], ln["url"], ln["body"]) for ln in lines]
    batch = FakeBatch(batch_id, parsed, label=body.get("metadata"))
    batch.input_file_id = body.get("input_file_id")
    batches(server)[batch_id] = batch
    return Reply(json=_object(batch))


async def listing(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /v1/batches: every batch, newest first (their state as last polled)."""
    data = [_object(b) for b in reversed(batches(server).values())]
    return Reply(json={"object": "list", "data": data, "has_more": False})


async def retrieve(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /v1/batches/{id}: each poll moves the batch on (server option ``poll_status``:
    answer every poll with that HTTP error instead)."""
    failing = server.options.get("poll_status")
    if failing:
        return Reply(
            json={"error": {"message": "unavailable", "type": "server_error"}}, status=failing
        )
    batch = batches(server).get(request.path.rsplit("/", 1)[1])
    if batch is None:
        return Reply(
            json={"error": {"message": "No batch found", "type": "invalid_request"}}, status=404
        )
    await advance(batch, server, openai_fake.chat)
    obj = _object(batch)
    if batch.ended:
        out: list[Any] = []
        err: list[Any] = []
        for n, (custom_id, kind, reply) in enumerate(batch.results):
            row: dict[str, Any] = {"id": f"batch_req_{n}", "custom_id": custom_id}
            if kind == "answer" and reply is not None:
                row |= {
                    "response": {"status_code": reply.status, "body": reply.json},
                    "error": None,
                }
                (out if reply.status < 400 else err).append(row)
            elif kind == "fail":
                body = {"error": {"message": "The server had an error", "type": "server_error"}}
                err.append(row | {"response": {"status_code": 500, "body": body}, "error": None})
            elif kind == "bad":
                body = {
                    "error": {"message": "BAD-LINE is invalid", "type": "invalid_request_error"}
                }
                err.append(row | {"response": {"status_code": 400, "body": body}, "error": None})
            elif kind == "expired":
                error = {"code": "batch_expired", "message": "This request could not be executed"}
                err.append(row | {"response": None, "error": error})
        files = _files(server)
        if out:
            files[obj["output_file_id"]] = _jsonl(out)
        else:
            obj["output_file_id"] = None
        if err:
            files[obj["error_file_id"]] = _jsonl(err)
        else:
            obj["error_file_id"] = None
    return Reply(json=obj)


def _jsonl(rows: list[Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


async def content(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /v1/files/{id}/content."""
    data = _files(server).get(request.path.split("/")[3])
    if data is None:
        return Reply(
            json={"error": {"message": "No such file", "type": "invalid_request"}}, status=404
        )
    return jsonl_reply([json.loads(line) for line in data.splitlines() if line.strip()])


def _object(batch: FakeBatch) -> dict[str, Any]:
    answered = sum(1 for _, kind, r in batch.results if kind == "answer" and r and r.status < 400)
    status = "in_progress"
    if batch.ended:
        status = "expired" if batch.expired else "completed"
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": batch.input_file_id,
        "completion_window": "24h",
        "metadata": batch.label,
        "status": status,
        "output_file_id": f"file-out-{batch.id}",
        "error_file_id": f"file-err-{batch.id}",
        "request_counts": {
            "total": len(batch.lines),
            "completed": answered,
            "failed": len(batch.results) - answered,
        },
    }
