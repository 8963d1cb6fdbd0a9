"""The cassette transport: each request goes to the cassette of the item whose scope it runs in.

Nothing is patched process-wide. The runner sets the current item with
``Recorder.scope(item)`` (a ``ContextVar``, so every asyncio task sees its own item);
this transport, wrapped around the driver's real transport, looks the request up in
that item's vcrpy ``Cassette``, replays it, records it, or raises a typed error.
"""

from __future__ import annotations

import contextvars
import shlex
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from vcr.errors import UnhandledHTTPRequestError
from vcr.record_mode import RecordMode as VcrRecordMode
from vcr.request import Request as VcrRequest

from harness.cassettes.constants import TIMINGS_EXTENSION, TIMINGS_KEY
from harness.cassettes.faults import fault_response, is_fault, raise_fault
from harness.cassettes.scrub import replace_bytes
from harness.errors import CassetteError, CassetteMissingError, CassetteStaleError

if TYPE_CHECKING:
    from harness.cassettes.item_cassette import ItemCassette
    from harness.cassettes.recorder import Recorder

__all__ = ["CURRENT", "TIMINGS_EXTENSION", "TIMINGS_KEY", "CassetteTransport", "replay_response"]

STREAM_TYPES = ("text/event-stream", "ndjson", "jsonl", "x-json-stream")

CURRENT: contextvars.ContextVar[ItemCassette | None] = contextvars.ContextVar(
    "harness_cassette", default=None
)


class ReplayStream(httpx.AsyncByteStream):
    """A recorded body handed back in the chunks it is split into."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def is_stream(headers: dict[str, list[str]]) -> bool:
    """Whether a stored response is a stream (SSE or newline-delimited JSON)."""
    kind = ",".join(headers.get("content-type", ())).lower()
    return any(t in kind for t in STREAM_TYPES)


def rerecord_command(item_id: str) -> str:
    """The command that re-records one item's cassette (``-k`` on spec::case::model)."""
    selector = item_id.rsplit("::", 1)[0] if item_id.count("::") >= 3 else item_id
    return f"harness run --record-mode all -k {shlex.quote(selector)}"


def replay_response(stored: dict[str, Any]) -> httpx.Response:
    """An ``httpx.Response`` for a stored response, carrying its recorded timings.

    Streams replay one line per chunk (line endings kept), so line-based SSE and
    NDJSON readers parse exactly the recorded events; chunk boundaries of the original
    network reads are not kept (they vary run to run and would churn the file).
    """
    body = stored["body"]["string"] or b""
    if isinstance(body, str):
        body = body.encode()
    headers: dict[str, list[str]] = stored.get("headers") or {}
    chunks = body.splitlines(keepends=True) if is_stream(headers) else [body]
    extensions: dict[str, Any] = {}
    timings = stored.get(TIMINGS_KEY)
    if timings:
        extensions[TIMINGS_EXTENSION] = dict(timings)
    message = (stored.get("status") or {}).get("message")
    if message:
        extensions["reason_phrase"] = str(message).encode("ascii", "replace")
    return httpx.Response(
        stored["status"]["code"],
        headers=[(k, v) for k, values in headers.items() for v in values],
        stream=ReplayStream(chunks),
        extensions=extensions,
    )


def _play(cassette: Any, request: VcrRequest) -> dict[str, Any] | None:
    """The recorded response for ``request``, or None: vcrpy's ``can_play_response_for``
    then ``play_response`` in one matching pass instead of two."""
    if cassette.record_mode == VcrRecordMode.ALL:
        return None
    if not (cassette.rewound or cassette.allow_playback_repeats):
        return None
    try:
        response: dict[str, Any] = cassette.play_response(request)
    except UnhandledHTTPRequestError:
        return None
    return response


class CassetteTransport(httpx.AsyncBaseTransport):
    """Records and replays through the current item's cassette; see the module docstring."""

    def __init__(self, inner: httpx.AsyncBaseTransport, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Replay, record or refuse one request.

        Raises:
            CassetteMissingError: replay-only and the item has no cassette.
            CassetteStaleError: replay-only and no recorded request matches.
            CassetteError: replay-only and the call is outside any item's scope.
        """
        state = CURRENT.get()
        if state is None:
            if self.recorder.mode == "none":
                raise CassetteError(
                    f"{request.method} {request.url.path} was made outside an item's "
                    "cassette scope and cannot be replayed in record mode none"
                )
            return await self.inner.handle_async_request(request)
        body = await request.aread()
        scrubbed = self.recorder.scrubber.request(request, body)
        vcr_request = VcrRequest(scrubbed.method, scrubbed.uri, scrubbed.body, scrubbed.headers)
        cassette = state.cassette
        stored = _play(cassette, vcr_request)
        if stored is not None:
            self.recorder.replayed += 1
            state.served += 1
            if is_fault(stored):
                raise_fault(stored, request)
            return replay_response(stored)
        if cassette.write_protected:
            if not cassette.rewound:
                raise CassetteMissingError(f"no cassette for {state.item_id}")
            raise CassetteStaleError(
                f"cassette is stale for {state.item_id}: {state.explain_miss(vcr_request)}; "
                f"re-record with: {rerecord_command(state.item_id)} ({state.path})"
            )
        started = time.perf_counter()
        try:
            live = await self._record(request, scrubbed.secrets)
        except Exception as exc:  # the real transport failed: a dropped connection, a timeout
            # record the fault too: replay must end the item as this run does
            elapsed = (time.perf_counter() - started) * 1000
            cassette.append(vcr_request, fault_response(exc, elapsed, scrubbed.secrets))
            self.recorder.recorded += 1
            state.served += 1
            raise
        # the file keeps an equivalent old answer (no diff); this run sees what it measured
        cassette.append(vcr_request, state.keep_timings_if_unchanged(vcr_request, live))
        self.recorder.recorded += 1
        state.served += 1
        return replay_response(live)

    async def _record(self, request: httpx.Request, secrets: frozenset[str]) -> dict[str, Any]:
        """Call the real transport, read the whole body while timing it, and scrub it."""
        start = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        response.request = request
        first: float | None = None
        chunks: list[bytes] = []
        try:
            async for chunk in response.aiter_bytes():  # decoded: gzip never reaches disk
                if chunk and first is None:
                    first = time.perf_counter()
                chunks.append(chunk)
        finally:
            await response.aclose()
        end = time.perf_counter()
        headers = self.recorder.scrubber.response_headers(response.headers, secrets)
        streamed = is_stream(headers)
        ttft = round((first - start) * 1000, 1) if streamed and first is not None else None
        return {
            "status": {"code": response.status_code, "message": response.reason_phrase},
            "headers": headers,
            "body": {"string": replace_bytes(b"".join(chunks), secrets)},
            TIMINGS_KEY: {"latency_ms": round((end - start) * 1000, 1), "ttft_ms": ttft},
        }

    async def aclose(self) -> None:
        """Close the real transport."""
        await self.inner.aclose()
