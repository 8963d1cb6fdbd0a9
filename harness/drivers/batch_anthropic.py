"""Anthropic's Message Batches: many Messages calls in one request, answered within 24 hours.

Create the batch with every request inline (``POST /v1/messages/batches``, each
``{"custom_id", "params"}`` where ``params`` is the live call's body), poll it
(``GET /v1/messages/batches/{id}``) until ``processing_status`` is ``ended``, then
read the JSONL at its ``results_url``: one ``{"custom_id", "result"}`` a line, the
result ``succeeded`` (with the ``message`` a live call returns), ``errored`` (with the
error body), ``canceled`` or ``expired``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.drivers.batch_base import (
    BatchAnswer,
    BatchAPI,
    BatchJob,
    BatchLine,
    BatchState,
    body_bytes,
    read_jsonl,
)

# an errored request's error type -> the status its live call would have got
_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class AnthropicBatch(BatchAPI):
    """Anthropic's Message Batches API (``/v1/messages/batches``)."""

    max_requests = 100_000
    max_bytes = 250_000_000  # the request limit is 256 MB
    one_model = False

    def _headers(self, lines: Sequence[BatchLine] = ()) -> dict[str, str]:
        headers = dict(lines[0].call.headers or {}) if lines else {}
        headers.setdefault("anthropic-version", self.driver.settings.api_version or "2023-06-01")
        return headers

    async def submit(
        self,
        model: str,
        lines: Sequence[BatchLine],
        job: BatchJob,
        remember: Callable[[BatchJob], None],
    ) -> BatchJob:
        """``POST /v1/messages/batches`` with every request inline."""
        requests = [{"custom_id": ln.custom_id, "params": ln.call.body} for ln in lines]
        created = await self.http.send_json(
            "POST",
            "/v1/messages/batches",
            json_body={"requests": requests},
            headers=self._headers(lines),
        )
        done = BatchJob(str(created["id"]), None, job.tag)
        remember(done)
        return done

    async def poll(self, job: BatchJob) -> BatchState:
        """``GET /v1/messages/batches/{id}``."""
        info = await self.http.send_json(
            "GET", f"/v1/messages/batches/{job.batch_id}", headers=self._headers()
        )
        counts = info.get("request_counts") or {}
        failed = sum(int(counts.get(k) or 0) for k in ("errored", "canceled", "expired"))
        finished = failed + int(counts.get("succeeded") or 0)
        return BatchState(
            done=info.get("processing_status") == "ended",
            state=str(info.get("processing_status")),
            finished=finished,
            failed=failed,
            total=finished + int(counts.get("processing") or 0),
            info=info,
        )

    async def results(self, job: BatchJob, state: BatchState) -> list[BatchAnswer]:
        """The JSONL at ``results_url`` (or ``/v1/messages/batches/{id}/results``)."""
        url = (state.info or {}).get(
            "results_url"
        ) or f"/v1/messages/batches/{job.batch_id}/results"
        data = (await self.http.send("GET", str(url), headers=self._headers())).content
        return [_answer(row) for row in read_jsonl(data)]


def _answer(row: Any) -> BatchAnswer:
    custom_id = str(row.get("custom_id"))
    result = row.get("result") or {}
    kind = result.get("type")
    if kind == "succeeded":
        return BatchAnswer(custom_id, 200, body_bytes(result.get("message")))
    if kind == "errored":
        error = result.get("error") or {}
        inner = error.get("error")
        if not isinstance(inner, dict):
            inner = error
        status = _STATUS.get(str(inner.get("type")), 500)
        return BatchAnswer(custom_id, status, body_bytes(error), reason=str(inner.get("message")))
    return BatchAnswer(custom_id, None, reason=f"the request was {kind or 'not run'}")
