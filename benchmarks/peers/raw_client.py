"""The ceiling: the eval as a bare aiohttp script, no framework at all.

``python -m benchmarks.peers.raw_client URL CASES IN_FLIGHT`` posts the same N chat
requests the tools make (64 in flight), checks each answer the same way (``contains``)
and prints ``{"results": N, "passed": K}``. Timed from its command line to exit like
the tools, it is how fast any Python tool could finish this eval on this machine.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp


async def run(url: str, cases: int, in_flight: int) -> dict[str, int]:
    """Make the calls; count results and passes."""
    pending = iter(range(cases))
    passed = 0
    done = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal passed, done
        for i in pending:
            body = {
                "model": "fake-model",
                "messages": [{"role": "user", "content": f"Repeat: item {i}"}],
                "max_tokens": 16,
            }
            async with session.post(url + "/v1/chat/completions", json=body) as r:
                answer = (await r.json())["choices"][0]["message"]["content"]
            want = f"item {i}" if i % 10 else "never"
            passed += want in answer
            done += 1

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(in_flight)))
    return {"results": done, "passed": passed}


if __name__ == "__main__":
    url, cases, in_flight = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(run(url, cases, in_flight))))
