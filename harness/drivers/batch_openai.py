"""OpenAI's Batch API: a JSONL file of Chat Completions calls, answered within 24 hours.

Upload the lines (``POST /files``, purpose ``batch``), create the batch
(``POST /batches``), poll it (``GET /batches/{id}``), then download ``output_file_id``
(answers) and ``error_file_id`` (failed and expired requests) from
``GET /files/{id}/content``. Each output line holds the HTTP status and body the live
call would have got. Paths are joined to the provider's ``base_url`` (which ends in
``/v1`` for OpenAI), as the live calls' are.

An OpenAI-compatible server (Groq, vLLM, ...) has these endpoints only sometimes: the
API is used for the ``openai`` provider, the official endpoint, or a provider with
``batch: true`` in harness.yaml.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.drivers.base import ProviderSettings
from harness.drivers.batch_base import (
    BatchAnswer,
    BatchAPI,
    BatchJob,
    BatchLine,
    BatchState,
    body_bytes,
    jsonl,
    read_jsonl,
)

OFFICIAL_HOST = "api.openai.com"
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})


class OpenAIBatch(BatchAPI):
    """The Batch API of OpenAI (``/v1/batches``)."""

    max_requests = 50_000
    max_bytes = 190_000_000  # the file limit is 200 MB
    one_model = True

    @classmethod
    def available(cls, settings: ProviderSettings) -> bool:
        """The ``openai`` provider, the official endpoint, or one configured ``batch: true``."""
        if settings.batch:
            return True
        return settings.name == "openai" or OFFICIAL_HOST in (settings.base_url or "")

    async def submit(
        self,
        model: str,
        lines: Sequence[BatchLine],
        job: BatchJob,
        remember: Callable[[BatchJob], None],
    ) -> BatchJob:
        """Upload the input file (unless a crash left one) and create the batch."""
        file_id = job.input_file_id
        if file_id is None:
            rows = [
                {
                    "custom_id": ln.custom_id,
                    "method": "POST",
                    "url": ln.url_path,
                    "body": ln.call.body,
                }
                for ln in lines
            ]
            uploaded = await self.http.send_json(
                "POST",
                "/files",
                files={"file": ("harness-batch.jsonl", jsonl(rows), "application/jsonl")},
                data={"purpose": "batch"},
            )
            file_id = str(uploaded["id"])
            remember(BatchJob(None, file_id, job.tag))
        endpoint = lines[0].url_path if lines else "/v1/chat/completions"
        created = await self.http.send_json(
            "POST",
            "/batches",
            json_body={
                "input_file_id": file_id,
                "endpoint": endpoint,
                "completion_window": "24h",
                "metadata": {"created_by": "harness", "harness_job": job.tag},
            },
        )
        done = BatchJob(str(created["id"]), file_id, job.tag)
        remember(done)
        return done

    async def find(self, tag: str) -> BatchJob | None:
        """The newest batches (``GET /batches``) carrying ``metadata.harness_job == tag``."""
        if not tag:
            return None
        listed = await self.http.send_json("GET", "/batches", params={"limit": "100"})
        for info in listed.get("data") or ():
            if (info.get("metadata") or {}).get("harness_job") == tag:
                return BatchJob(str(info["id"]), info.get("input_file_id"), tag)
        return None

    async def poll(self, job: BatchJob) -> BatchState:
        """``GET /batches/{id}``."""
        info = await self.http.send_json("GET", f"/batches/{job.batch_id}")
        counts = info.get("request_counts") or {}
        completed, failed = int(counts.get("completed") or 0), int(counts.get("failed") or 0)
        return BatchState(
            done=info.get("status") in ENDED,
            state=str(info.get("status")),
            finished=completed + failed,
            failed=failed,
            total=counts.get("total"),
            info=info,
        )

    async def results(self, job: BatchJob, state: BatchState) -> list[BatchAnswer]:
        """The output file's answers, then the error file's failures."""
        info = state.info or {}
        answers: list[BatchAnswer] = []
        for key in ("output_file_id", "error_file_id"):
            file_id = info.get(key)
            if not file_id:
                continue
            data = (await self.http.send("GET", f"/files/{file_id}/content")).content
            answers.extend(_answer(row) for row in read_jsonl(data))
        return answers


def _answer(row: Any) -> BatchAnswer:
    custom_id = str(row.get("custom_id"))
    response = row.get("response") or None
    error = row.get("error") or None
    if response and response.get("status_code") is not None:
        return BatchAnswer(
            custom_id, int(response["status_code"]), body_bytes(response.get("body"))
        )
    reason = error.get("message") or error.get("code") if isinstance(error, dict) else None
    return BatchAnswer(custom_id, None, reason=str(reason or "no answer in the batch"))
