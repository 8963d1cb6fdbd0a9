"""A fault-injecting OpenAI-compatible fake: seeded random misbehaviour on every request.

Built on :class:`tests.fakes.server.FakeServer` and the OpenAI fake's answers. Each
request draws one outcome from a :class:`FaultMix` with a seeded RNG, in arrival order:

- ``rate_limit``: 429 with ``Retry-After: 0`` (and ``retry-after-ms``)
- ``server_error``: 500, 502 or 503 with a JSON error body
- ``reset``: the connection drops halfway through the answer (mid-stream when streamed)
- ``hang``: no first byte for ``hang_seconds`` (past a short read timeout)
- ``truncated``: 200 whose JSON body (or stream) ends halfway
- ``wrong_type``: 200 with an HTML page as ``text/html``
- ``huge``: a valid answer whose text is ``huge_bytes`` long
- otherwise the ordinary answer.

``delay`` makes every request wait that long first (a run that is still going when a
test interrupts it).

Run it::

    with FaultyServer(FaultMix(seed=1)).in_thread() as url: ...
    python -m tests.fakes.faulty --seed 1 --port 8123        # a subprocess
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from aiohttp import web

from tests.fakes import openai_fake
from tests.fakes.server import FakeServer, Fault, Faults, ReceivedRequest, Reply

OUTCOMES = ("rate_limit", "server_error", "reset", "hang", "truncated", "wrong_type", "huge")
_DRAWN: contextvars.ContextVar[Fault | None] = contextvars.ContextVar("faulty_fault", default=None)


@dataclass(frozen=True)
class FaultMix:
    """Probability of each fault per request (the rest answer normally), and its sizes."""

    rate_limit: float = 0.05
    server_error: float = 0.05
    reset: float = 0.03
    hang: float = 0.02
    truncated: float = 0.03
    wrong_type: float = 0.03
    huge: float = 0.02
    hang_seconds: float = 1.0
    huge_bytes: int = 200_000
    delay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if sum(getattr(self, name) for name in OUTCOMES) > 1:
            raise ValueError("fault probabilities add up to more than 1")


class _DrawnFaults(Faults):
    """The fault the current request drew (a context variable: concurrent requests
    each get their own), ahead of any scripted ones."""

    def pop(self) -> Fault | None:
        drawn = _DRAWN.get()
        return drawn if drawn is not None else super().pop()


class FaultyServer(FakeServer):
    """The OpenAI fake with seeded random faults; ``counts`` says what was served."""

    def __init__(self, mix: FaultMix | None = None, *, port: int = 0) -> None:
        super().__init__(openai_fake.setup, port=port)
        self.mix = mix or FaultMix()
        self.faults = _DrawnFaults()
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(self.mix.seed)
        # a drill makes thousands of calls: keep counts, not every request body
        self.keep_requests = False

    def draw(self) -> str:
        """The next outcome name (``ok`` or one of :data:`OUTCOMES`)."""
        x = self._rng.random()
        for name in OUTCOMES:
            x -= getattr(self.mix, name)
            if x < 0:
                return name
        return "ok"

    async def _serve(self, request: web.Request, handler: Any) -> web.StreamResponse:
        outcome = self.draw()  # before any await: the order of arrival decides
        fault = self._fault(outcome)
        self.counts[outcome] += 1
        if self.mix.delay:
            await asyncio.sleep(self.mix.delay)
        if outcome == "wrong_type":
            await request.read()
            return web.Response(
                text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        if outcome == "huge":
            handler = _huge(handler, self.mix.huge_bytes)
        token = _DRAWN.set(fault)
        try:
            return await super()._serve(request, handler)
        except ConnectionResetError:
            # the client gave up (a read timeout) while we streamed: nobody is listening
            return web.Response(status=499)
        finally:
            _DRAWN.reset(token)
            if not self.keep_requests:
                self.requests.clear()

    def _fault(self, outcome: str) -> Fault | None:
        if outcome == "rate_limit":
            return Fault("status", 429, _error(429), {"Retry-After": "0", "retry-after-ms": "5"})
        if outcome == "server_error":
            status = self._rng.choice((500, 502, 503))
            return Fault("status", status, _error(status))
        if outcome == "reset":
            return Fault("reset")
        if outcome == "hang":
            return Fault("slow_first_byte", delay=self.mix.hang_seconds)
        if outcome == "truncated":
            return Fault("truncate")
        return None


def _error(status: int) -> str:
    return f'{{"error": {{"message": "fake {status}", "type": "fake", "code": {status}}}}}'


def _huge(handler: Any, size: int) -> Any:
    async def answer(request: ReceivedRequest, server: FakeServer) -> Reply:
        reply: Reply = await handler(request, server)
        if reply.streamed or not isinstance(reply.json, dict) or "choices" not in reply.json:
            return reply
        body = dict(reply.json)
        message = dict(body["choices"][0]["message"])
        text = message.get("content") or ""
        message["content"] = text + " " + "x" * max(0, size - len(text))
        body["choices"] = [{**body["choices"][0], "message": message}]
        return Reply(json=body, status=reply.status, headers=reply.headers)

    return answer


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until killed; prints the base URL first. Options override :class:`FaultMix`."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    for f in fields(FaultMix):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=None)
    args = parser.parse_args(argv)
    overrides = {
        f.name: getattr(args, f.name) for f in fields(FaultMix) if getattr(args, f.name) is not None
    }

    async def serve() -> None:
        server = FaultyServer(FaultMix(**overrides), port=args.port)
        print(await server.start(), flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
