"""Gemini's batch mode: generateContent requests inlined in one ``batchGenerateContent`` call.

Create the batch (``POST /v1beta/models/{model}:batchGenerateContent`` with
``{"batch": {"displayName", "inputConfig": {"requests": {"requests": [{"request",
"metadata": {"key"}}]}}}}``, each ``request`` the live call's body), poll the operation
(``GET /v1beta/batches/{id}``) until its ``metadata.state`` ends (``BATCH_STATE_SUCCEEDED``,
``_FAILED``, ``_CANCELLED``, ``_EXPIRED``), then read the answers from
``metadata.output.inlinedResponses.inlinedResponses`` (each a ``response`` a live call
returns, or an ``error``), or from the ``responsesFile`` it names
(``GET /download/v1beta/{file}:download?alt=media``, JSON lines with ``key``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from harness.drivers.gemini_wire import API_VERSION

ENDED = ("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED", "PARTIALLY_SUCCEEDED")
# google.rpc codes -> HTTP statuses, for an inlined error
_HTTP = {3: 400, 5: 404, 7: 403, 8: 429, 9: 400, 13: 500, 14: 503, 16: 401}


class GeminiBatch(BatchAPI):
    """The Gemini API's batch mode (inlined requests)."""

    max_requests = 10_000
    max_bytes = 19_000_000  # inlined requests may total 20 MB
    one_model = True

    @property
    def _version(self) -> str:
        return self.driver.settings.api_version or API_VERSION

    async def submit(
        self,
        model: str,
        lines: Sequence[BatchLine],
        job: BatchJob,
        remember: Callable[[BatchJob], None],
    ) -> BatchJob:
        """``POST .../models/{model}:batchGenerateContent`` with the requests inlined."""
        path = lines[0].call.path.replace(":generateContent", ":batchGenerateContent")
        requests = [{"request": ln.call.body, "metadata": {"key": ln.custom_id}} for ln in lines]
        batch = {
            "displayName": f"harness-{job.tag}",
            "inputConfig": {"requests": {"requests": requests}},
        }
        created = await self.http.send_json("POST", path, json_body={"batch": batch})
        done = BatchJob(str(created["name"]), None, job.tag)
        remember(done)
        return done

    async def find(self, tag: str) -> BatchJob | None:
        """The batches (``GET /v1beta/batches``) whose display name is ``harness-<tag>``."""
        if not tag:
            return None
        listed = await self.http.send_json(
            "GET", f"/{self._version}/batches", params={"pageSize": "100"}
        )
        for op in listed.get("operations") or ():
            if (op.get("metadata") or {}).get("displayName") == f"harness-{tag}":
                return BatchJob(str(op["name"]), None, tag)
        return None

    async def poll(self, job: BatchJob) -> BatchState:
        """``GET /v1beta/{batches/id}``."""
        info = await self.http.send_json("GET", f"/{self._version}/{job.batch_id}")
        meta = info.get("metadata") or {}
        state = str(meta.get("state") or "")
        stats = meta.get("batchStats") or {}
        failed = int(stats.get("failedRequestCount") or 0)
        succeeded = int(stats.get("successfulRequestCount") or 0)
        total = stats.get("requestCount")
        return BatchState(
            done=bool(info.get("done")) or state.endswith(ENDED),
            state=state,
            finished=failed + succeeded,
            failed=failed,
            total=int(total) if total is not None else None,
            info=info,
        )

    async def results(self, job: BatchJob, state: BatchState) -> list[BatchAnswer]:
        """The inlined responses in request order (matched by ``metadata.key``), or the
        responses file's lines."""
        info = state.info or {}
        output = (info.get("metadata") or {}).get("output") or (info.get("response") or {})
        if not isinstance(output, Mapping):
            return []
        file_name = output.get("responsesFile")
        if file_name:
            url = f"/download/{self._version}/{file_name}:download"
            data = (await self.http.send("GET", url, params={"alt": "media"})).content
            return [_answer(row, str(row.get("key"))) for row in read_jsonl(data)]
        inlined = (output.get("inlinedResponses") or {}).get("inlinedResponses") or []
        return [
            _answer(row, str((row.get("metadata") or {}).get("key", "")))
            for row in inlined
            if isinstance(row, Mapping)
        ]


def _answer(row: Mapping[str, Any], custom_id: str) -> BatchAnswer:
    if row.get("response") is not None:
        return BatchAnswer(custom_id, 200, body_bytes(row["response"]))
    error = row.get("error") or {}
    code = error.get("code") if isinstance(error, Mapping) else None
    status = 500
    if isinstance(code, int):
        status = code if code >= 100 else _HTTP.get(code, 500)
    message = error.get("message") if isinstance(error, Mapping) else None
    return BatchAnswer(custom_id, status, body_bytes({"error": error}), reason=str(message))
