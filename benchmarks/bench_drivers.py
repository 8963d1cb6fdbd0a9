"""How fast is the driver layer next to raw aiohttp? Measured in one process run.

A minimal OpenAI-compatible server (aiohttp.web, a fixed chat completion) runs in a
subprocess; this process then makes the same calls with raw aiohttp and with our
OpenAIDriver, the same number in flight, and prints calls/s and the ratio::

    .venv/bin/python -m benchmarks.bench_drivers                    # 2,000 calls, 64 in flight
    .venv/bin/python -m benchmarks.bench_drivers --httpx            # also the default httpx pool
    .venv/bin/python -m benchmarks.bench_drivers --calls 100000 --memory --rounds 1  # flat RSS?

The target is at least 0.4x raw aiohttp at 64 in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "bench-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "pong", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
).encode()
BODY = {"model": "bench-model", "messages": [{"role": "user", "content": "ping"}]}


def serve(port: int) -> None:
    """Run the minimal server until killed; prints its port first."""
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=ANSWER, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        assert site._server is not None
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


@contextmanager
def server_process() -> Iterator[str]:
    """The minimal server in a subprocess; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_drivers", "--serve"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def rss_mb() -> float:
    """This process's resident memory in MB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def run(
    call: Callable[[], Awaitable[object]],
    calls: int,
    in_flight: int,
    *,
    report_every: int = 0,
) -> float:
    """Make ``calls`` calls with ``in_flight`` workers; return calls per second."""
    started = finished = 0

    async def worker() -> None:
        nonlocal started, finished
        while started < calls:
            started += 1
            await call()
            finished += 1
            if report_every and finished % report_every == 0:
                print(f"  {finished:>8} calls  RSS {rss_mb():7.1f} MB", flush=True)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return calls / (time.perf_counter() - start)


async def bench_aiohttp(url: str, calls: int, in_flight: int) -> float:
    """Raw aiohttp: one session, post JSON, parse JSON."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def call() -> object:
            async with session.post(url + "/v1/chat/completions", json=BODY) as r:
                return await r.json()

        await run(call, min(200, calls), in_flight)  # warm up the pool
        return await run(call, calls, in_flight)


async def bench_httpx(url: str, calls: int, in_flight: int) -> float:
    """A default httpx.AsyncClient, for reference."""
    import httpx

    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:

        async def call() -> object:
            return (await client.post("/v1/chat/completions", json=BODY)).json()

        await run(call, min(200, calls), in_flight)
        return await run(call, calls, in_flight)


async def bench_driver(url: str, calls: int, in_flight: int, *, memory: bool = False) -> float:
    """Our OpenAIDriver: retries, error mapping, usage, cost, timings included."""
    from harness.drivers.base import Message, ProviderSettings, Request
    from harness.drivers.openai import OpenAIDriver

    settings = ProviderSettings(name="bench", type="openai", base_url=url + "/v1")
    request = Request(model="bench-model", messages=(Message("user", "ping"),))
    async with OpenAIDriver(settings) as driver:

        async def call() -> object:
            return await driver.complete(request)

        await run(call, min(200, calls), in_flight)
        every = max(calls // 10, 1) if memory else 0
        return await run(call, calls, in_flight, report_every=every)


def main(argv: list[str] | None = None) -> None:
    """Measure and print calls/s for raw aiohttp and our driver, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best counts")
    parser.add_argument("--httpx", action="store_true", help="also measure a default httpx client")
    parser.add_argument("--memory", action="store_true", help="print RSS every 10%% of calls")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.port)
        return
    n, k, rounds = args.calls, args.in_flight, max(args.rounds, 1)
    print(f"{n} calls, {k} in flight, server in a subprocess, client pid {os.getpid()}")
    with server_process() as url:
        # alternate the contenders and keep each one's best round: other load on the
        # machine then hurts both alike instead of whichever happened to run during it
        raws, ours = [], []
        for i in range(rounds):
            raws.append(asyncio.run(bench_aiohttp(url, n, k)))
            if args.memory:
                print(f"RSS before the driver run: {rss_mb():.1f} MB")
            ours.append(asyncio.run(bench_driver(url, n, k, memory=args.memory)))
            print(f"round {i + 1}: raw aiohttp {raws[-1]:6.0f}/s, OpenAIDriver {ours[-1]:6.0f}/s")
        raw, best = max(raws), max(ours)
        print(f"raw aiohttp          {raw:8.0f} calls/s (best of {rounds})")
        if args.httpx:
            plain = asyncio.run(bench_httpx(url, n, k))
            print(f"default httpx        {plain:8.0f} calls/s  ({plain / raw:.2f}x raw)")
        print(f"harness OpenAIDriver {best:8.0f} calls/s  ({best / raw:.2f}x raw aiohttp)")
        if args.memory:
            print(f"RSS after: {rss_mb():.1f} MB")


if __name__ == "__main__":
    main()
