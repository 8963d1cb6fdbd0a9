"""A fake Gemini API with batch mode: ``models/{model}:batchGenerateContent`` (inlined
requests) and ``batches/{id}`` (the operation); with server option ``results_file`` the
answers come in a responses file (``/download/v1beta/files/{id}:download``, JSON lines
with ``key``) instead of inlined. generateContent of
:mod:`tests.fakes.gemini_fake` is there too (failed lines are retried live). Lines end as
:mod:`tests.fakes.batch_fake` says.
"""

from __future__ import annotations

from typing import Any

from tests.fakes import gemini_fake
from tests.fakes.batch_fake import FakeBatch, advance, batches, guarded, jsonl_reply
from tests.fakes.server import FakeServer, ReceivedRequest, Reply

TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"


def setup(server: FakeServer) -> None:
    """Register generateContent and the batch routes."""
    server.route("POST", gemini_fake.MODEL_PATH + ":generateContent", guarded(gemini_fake.generate))
    server.route("POST", gemini_fake.MODEL_PATH + ":batchGenerateContent", create)
    server.route("GET", "/{version}/batches/{batch_id}", retrieve)
    server.route("GET", "/{version}/batches", listing)
    server.route("GET", "/download/{version}/files/{name}", download)


async def create(request: ReceivedRequest, server: FakeServer) -> Reply:
    """POST .../models/{model}:batchGenerateContent."""
    if "x-goog-api-key" not in request.headers:
        return Reply(json=gemini_fake.error_body(403, "PERMISSION_DENIED", "no key"), status=403)
    batch = request.json.get("batch") or {}
    requests = ((batch.get("inputConfig") or {}).get("requests") or {}).get("requests") or []
    path = request.path.replace(":batchGenerateContent", ":generateContent")
    lines = [(r["metadata"]["key"], path, r["request"]) for r in requests]
    name = f"batches/{server.next_id()}"
    batches(server)[name] = FakeBatch(name, lines, label=batch.get("displayName"))
    return Reply(json=_operation(batches(server)[name]))


async def listing(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /v1beta/batches: every batch's operation."""
    return Reply(json={"operations": [_operation(b) for b in batches(server).values()]})


async def retrieve(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /v1beta/batches/{id}: each poll moves the batch on."""
    batch = batches(server).get("batches/" + request.path.rsplit("/", 1)[1])
    if batch is None:
        return Reply(json=gemini_fake.error_body(404, "NOT_FOUND", "no batch"), status=404)
    await advance(batch, server, gemini_fake.generate)
    operation = _operation(batch)
    output = operation["metadata"].get("output")
    if output and server.options.get("results_file"):
        rows = [
            {"key": entry["metadata"]["key"], **{k: v for k, v in entry.items() if k != "metadata"}}
            for entry in output["inlinedResponses"]["inlinedResponses"]
        ]
        name = f"files/results-{batch.id.rsplit('/', 1)[1]}"
        server.options.setdefault("_files", {})[name] = rows
        operation["metadata"]["output"] = {"responsesFile": name}
    return Reply(json=operation)


async def download(request: ReceivedRequest, server: FakeServer) -> Reply:
    """GET /download/v1beta/files/{id}:download?alt=media: a responses file."""
    name = "files/" + request.path.rsplit("/", 1)[1].removesuffix(":download")
    rows = server.options.get("_files", {}).get(name)
    if rows is None or request.query.get("alt") != "media":
        return Reply(json=gemini_fake.error_body(404, "NOT_FOUND", "no file"), status=404)
    return jsonl_reply(rows)


def _operation(batch: FakeBatch) -> dict[str, Any]:
    state = "BATCH_STATE_RUNNING"
    if batch.ended:
        state = "BATCH_STATE_EXPIRED" if batch.expired else "BATCH_STATE_SUCCEEDED"
    metadata: dict[str, Any] = {"@type": TYPE, "name": batch.id, "state": state}
    if batch.label:
        metadata["displayName"] = batch.label
    if batch.ended:
        inlined: list[Any] = []
        for key, kind, reply in batch.results:
            meta = {"key": key}
            if kind == "answer" and reply is not None and reply.status < 400:
                inlined.append({"response": reply.json, "metadata": meta})
            elif kind in ("fail", "answer"):
                inlined.append({"error": {"code": 13, "message": "internal"}, "metadata": meta})
            elif kind == "bad":
                error = {"code": 3, "message": "BAD-LINE is invalid", "status": "INVALID_ARGUMENT"}
                inlined.append({"error": error, "metadata": meta})
            # expired and lost lines have no entry
        metadata["output"] = {"inlinedResponses": {"inlinedResponses": inlined}}
    return {"name": batch.id, "metadata": metadata, "done": batch.ended}
