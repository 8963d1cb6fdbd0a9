"""A fake provider server on loopback (aiohttp.web) with scripted faults.

Each wire format lives in its own module with a ``setup(server)`` function that
registers handlers with :meth:`FakeServer.route`. A handler gets the
:class:`ReceivedRequest` and returns a :class:`Reply` (a JSON body, or stream
chunks); the server records every request and applies the next scripted fault.

Three ways to run one::

    async with FakeServer("openai") as server:          # in an async test
        url = server.base_url
    with FakeServer("openai").in_thread() as url:       # from sync code
        ...
    python -m tests.fakes.server --kind openai --port 8123   # a subprocess
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import itertools
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

KINDS: dict[str, str] = {
    "openai": "tests.fakes.openai_fake",
    "ollama": "tests.fakes.ollama_fake",
    "anthropic": "tests.fakes.anthropic_fake",
    "gemini": "tests.fakes.gemini_fake",
    "vision": "tests.fakes.vision_fake",
    "router": "tests.fakes.router_fake",
    "tools": "tests.fakes.tools_fake",
    "openai_batch": "tests.fakes.openai_batch_fake",
    "anthropic_batch": "tests.fakes.anthropic_batch_fake",
    "gemini_batch": "tests.fakes.gemini_batch_fake",
}

FaultKind = Literal["status", "malformed", "truncate", "slow_first_byte", "reset"]


@dataclass(frozen=True)
class ReceivedRequest:
    """What the fake received: method, path, query, lower-cased headers and JSON body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    json: Any
    body: bytes


@dataclass(frozen=True)
class Reply:
    """A handler's answer: ``json`` for a plain body, or ``chunks`` for a stream."""

    json: Any = None
    chunks: Sequence[bytes] = ()
    content_type: str = "application/json"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def streamed(self) -> bool:
        """Whether this reply is a stream of chunks."""
        return bool(self.chunks)


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, applied to one request."""

    kind: FaultKind
    status: int = 500
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Faults:
    """A queue of faults: each request takes the next one, if any."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()

    def add(self, fault: Fault, times: int = 1) -> Faults:
        """Queue ``fault`` for the next ``times`` requests."""
        self._queue.extend([fault] * times)
        return self

    def status(
        self,
        status: int,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> Faults:
        """Answer with an HTTP error; ``body`` (JSON-encoded if not str) defaults to an error."""
        if body is None:
            body = {"error": {"message": f"fake error {status}", "type": "fake", "code": status}}
        text = body if isinstance(body, str) else json.dumps(body)
        return self.add(Fault("status", status=status, body=text, headers=headers or {}), times)

    def rate_limit(self, retry_after: str | None = "0", *, ms: str | None = None) -> Faults:
        """429 with ``Retry-After`` (and ``retry-after-ms`` when given)."""
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        if ms is not None:
            headers["retry-after-ms"] = ms
        return self.status(429, headers=headers)

    def malformed(self) -> Faults:
        """200 with a body that is not JSON."""
        return self.add(Fault("malformed"))

    def truncate(self) -> Faults:
        """End the answer cleanly halfway: half the stream chunks, or half the JSON body."""
        return self.add(Fault("truncate"))

    def reset(self) -> Faults:
        """Drop the connection halfway through the answer."""
        return self.add(Fault("reset"))

    def slow_first_byte(self, delay: float) -> Faults:
        """Wait ``delay`` seconds before answering."""
        return self.add(Fault("slow_first_byte", delay=delay))

    def pop(self) -> Fault | None:
        """The next fault, or None."""
        return self._queue.popleft() if self._queue else None

    def __len__(self) -> int:
        return len(self._queue)


Handler = Callable[[ReceivedRequest, "FakeServer"], Awaitable[Reply]]


class FakeServer:
    """A loopback server speaking one wire format (``kind``), with faults and a request log."""

    def __init__(
        self,
        kind: str | Callable[[FakeServer], None] = "openai",
        *,
        options: Mapping[str, Any] | None = None,
        port: int = 0,
    ) -> None:
        self.faults = Faults()
        self.requests: list[ReceivedRequest] = []
        self.options: dict[str, Any] = dict(options or {})
        self.port = port
        self.app = web.Application()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        setup = kind if callable(kind) else importlib.import_module(KINDS[kind]).setup
        setup(self)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (valid once started)."""
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Register a handler; aiohttp path syntax (``/v1/models/{model}``) works."""

        async def serve(request: web.Request) -> web.StreamResponse:
            return await self._serve(request, handler)

        self.app.router.add_route(method, path, serve)

    async def start(self) -> str:
        """Start listening on 127.0.0.1; returns the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.base_url

    async def stop(self) -> None:
        """Stop listening and close connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[str]:
        """Run the server on its own event loop in a background thread; yields the base URL."""
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            started.set()
            loop.run_forever()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        started.wait(10)
        try:
            yield self.base_url
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def next_id(self) -> int:
        """A fresh number for ids (request ids, completion ids)."""
        return next(self._ids)

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        received = ReceivedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            json=body,
            body=raw,
        )
        self.requests.append(received)
        fault = self.faults.pop()
        rid = {"x-request-id": f"req-{self.next_id()}"}
        if fault is not None and fault.kind == "slow_first_byte":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == "status":
            return web.Response(
                status=fault.status,
                text=fault.body,
                content_type="application/json",
                headers={**rid, **fault.headers},
            )
        if fault is not None and fault.kind == "malformed":
            return web.Response(text='{"id": "x", "choices": [', content_type="application/json")
        reply = await handler(received, self)
        headers = {**rid, **reply.headers}
        if not reply.streamed:
            data = json.dumps(reply.json).encode()
            if fault is not None and fault.kind == "truncate":
                data = data[: len(data) // 2]
            if fault is not None and fault.kind == "reset":
                return await self._reset(request, [data[: len(data) // 2]], reply, headers)
            return web.Response(
                body=data, status=reply.status, content_type=reply.content_type, headers=headers
            )
        chunks = list(reply.chunks)
        if fault is not None and fault.kind == "reset":
            return await self._reset(request, chunks[: len(chunks) // 2], reply, headers)
        if fault is not None and fault.kind == "truncate":
            chunks = chunks[: len(chunks) // 2]
        response = web.StreamResponse(status=reply.status, headers=headers)
        response.content_type = reply.content_type
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
        return response

    async def _reset(
        self, request: web.Request, chunks: list[bytes], reply: Reply, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=reply.status, headers=headers)
        response.content_type = reply.content_type
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk)
        await asyncio.sleep(0.01)  # let the client read what was sent before the drop
        if request.transport is not None:
            request.transport.close()
        return response


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fake until killed: ``python -m tests.fakes.server --kind openai --port N``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--kind", default="openai", choices=sorted(KINDS))
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    async def serve() -> None:
        server = FakeServer(args.kind, port=args.port)
        url = await server.start()
        print(url, flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
