"""Replay speed: N cassette items end to end (cassette load, match, driver parse, score, store).

Records N items once through the real OpenAI driver against an in-process fake
(httpx.MockTransport), then times a ``--record-mode none`` run of the same items with
a transport that refuses the network: the CI path.

    .venv/bin/python benchmarks/bench_replay.py            # 1,000 and 10,000 items
    .venv/bin/python benchmarks/bench_replay.py --items 500
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.cassettes import Recorder
from harness.cassettes.modes import RecordMode
from harness.config import ProjectConfig
from harness.drivers.base import Driver, ModelPrice, ProviderSettings
from harness.drivers.registry import create_driver
from harness.runner.run import Runner, RunOptions
from harness.spec.types import Assertion, Case, PromptTemplate, Spec
from harness.store.sqlite import Store


def _answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    text = "echo: " + body["messages"][-1]["content"]
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        },
    )


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"replay reached the network: {request.url}")


def _spec(n: int) -> Spec:
    cases = tuple(
        Case(
            id=f"case-{i}",
            vars={"word": f"w{i}"},
            expect=(Assertion(type="contains", value=f"w{i}"),),
        )
        for i in range(n)
    )
    prompt = PromptTemplate(messages=(("user", "Say {{ word }}"),))
    return Spec(name="bench", path="bench.yaml", prompt=prompt, cases=cases, models=("bench:m",))


async def _run(root: Path, spec: Spec, mode: RecordMode, inner: httpx.MockTransport) -> float:
    settings = ProviderSettings(name="bench", type="openai", base_url="http://127.0.0.1:1/v1")
    config = ProjectConfig(root=root, path=None, providers={"bench": settings})
    recorder = Recorder(root / "cassettes", mode)

    def factory(s: ProviderSettings, prices: Mapping[str, ModelPrice]) -> Driver:
        return create_driver(s, transport=recorder.wrap(inner), prices=prices)

    with Store.open(root / f"harness-{mode}.db") as store:
        runner = Runner(
            [spec],
            config,
            store,
            RunOptions(progress=False, record_mode=mode, concurrency=64),
            recorder=recorder,
            driver_factory=factory,
            console=Console(file=io.StringIO()),
        )
        start = time.perf_counter()
        result = await runner.run()
        elapsed = time.perf_counter() - start
        frame = store.results_frame(result.run_id)
    if mode == "none":
        assert recorder.replayed == len(spec.cases), (recorder.replayed, len(spec.cases))
        assert set(frame["status"]) == {"passed"}, frame["error"].dropna().head()
    return elapsed


def bench(n: int) -> float:
    """Record ``n`` items, then time their replay; returns items per second."""
    spec = _spec(n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        asyncio.run(_run(root, spec, "once", httpx.MockTransport(_answer)))
        elapsed = asyncio.run(_run(root, spec, "none", httpx.MockTransport(_refuse)))
    rate = n / elapsed
    print(f"replay {n:>6} items: {elapsed:6.2f} s  {rate:7.0f} items/s", flush=True)
    return rate


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="*", default=[1_000, 10_000])
    args = parser.parse_args()
    for n in args.items:
        bench(n)


if __name__ == "__main__":
    main()
