"""End-to-end run speed: ``harness run`` on one spec of N cases next to raw aiohttp.

The loopback OpenAI fake (``tests.fakes.server``) runs in a subprocess. In the same
run this script makes N calls with raw aiohttp (64 in flight, the same prompts), then
times ``harness run`` as a subprocess, start-up, spec loading, scoring (a ``contains``
expectation per case), the SQLite store and the results files included::

    .venv/bin/python -m benchmarks.bench_run                 # 5,000 cases, 64 in flight
    .venv/bin/python -m benchmarks.bench_run --cases 1000 --profile   # cProfile the runner

The target is at least 0.35x raw aiohttp, start-up included. The breakdown by phase
(start-up, specs, run, report files) comes from :mod:`benchmarks.phases`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def fake_server(
    module: str = "tests.fakes.server", args: Sequence[str] = ("--kind", "openai")
) -> Iterator[str]:
    """A fake provider (the OpenAI fake by default) in a subprocess; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def write_project(root: Path, url: str, cases: int) -> None:
    """harness.yaml with the fake as provider ``bench`` and one spec of ``cases`` cases."""
    (root / "specs").mkdir(parents=True)
    (root / "harness.yaml").write_text(
        f"providers:\n  bench: {{type: openai, base_url: '{url}/v1'}}\n"
        "defaults: {record_mode: 'off'}\n"
    )
    with (root / "specs" / "cases.jsonl").open("w") as f:
        for i in range(cases):
            want = f"item {i}" if i % 10 else "never"
            row = {"id": f"c{i}", "vars": {"n": i}, "expect": [{"type": "contains", "value": want}]}
            f.write(json.dumps(row) + "\n")
    (root / "specs" / "bench.yaml").write_text(
        "name: bench\nmodels: [bench:fake-model]\nparams: {max_tokens: 16}\n"
        "prompt: 'Repeat: item {{ n }}'\ncases_file: cases.jsonl\n"
    )


async def raw_aiohttp(url: str, cases: int, in_flight: int) -> float:
    """Raw aiohttp: the same prompts, ``in_flight`` workers, JSON parsed; returns calls/s."""
    import aiohttp

    bodies = [
        {
            "model": "fake-model",
            "messages": [{"role": "user", "content": f"Repeat: item {i}"}],
            "max_tokens": 16,
        }
        for i in range(cases)
    ]
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:
        it = iter(bodies)

        async def worker() -> None:
            for body in it:
                async with session.post(url + "/v1/chat/completions", json=body) as r:
                    await r.json()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return cases / (time.perf_counter() - start)


def harness_cli(root: Path, in_flight: int) -> tuple[float, str]:
    """Time ``harness run`` in a subprocess; returns (seconds, its output)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run(
        [
            *(sys.executable, "-c", "from harness.cli import main; main()", "run"),
            *("--concurrency", str(in_flight), "--out", str(root / "out")),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"harness run failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed, proc.stdout


def in_process(root: Path, in_flight: int, *, profile: bool = False) -> float:
    """Run the Runner in this process (no start-up, no report files); returns calls/s.

    With ``profile``, runs under cProfile and prints the top functions
    (``BENCH_SORT=tottime`` to sort by own time).
    """
    from rich.console import Console

    from harness.cassettes.recorder import Recorder
    from harness.config import load_config
    from harness.runner.run import Runner, RunOptions
    from harness.spec.load import load_specs
    from harness.store.sqlite import Store

    config = load_config(root / "harness.yaml")
    specs, problems = load_specs([root / "specs"], config)
    assert not problems, problems
    db = root / f"in-process-{time.monotonic_ns()}.db"
    with Store.open(db) as store:
        runner = Runner(
            specs,
            config,
            store,
            RunOptions(progress=False, record_mode="off", concurrency=in_flight),
            recorder=Recorder(config.cassettes_dir, "off"),
            console=Console(file=io.StringIO()),
        )
        profiler = cProfile.Profile()
        start = time.perf_counter()
        if profile:
            profiler.enable()
        asyncio.run(runner.run())
        profiler.disable()
        elapsed = time.perf_counter() - start
    count = store_count(db)
    if profile:
        print(f"in-process runner: {count} items in {elapsed:.2f}s")
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            30
        )
    return count / elapsed


def store_count(path: Path) -> int:
    """Results in a store."""
    import sqlite3

    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])


def main(argv: list[str] | None = None) -> None:
    """Measure and print calls/s of raw aiohttp and ``harness run``, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="cProfile an in-process run")
    args = parser.parse_args(argv)
    n, k = args.cases, args.in_flight
    with fake_server() as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, url, n)
        if args.profile:
            in_process(root, k, profile=True)
            return
        asyncio.run(raw_aiohttp(url, min(500, n), k))  # warm up the server
        raw = asyncio.run(raw_aiohttp(url, n, k))
        print(f"{n} cases, {k} in flight, OpenAI fake in a subprocess")
        print(f"raw aiohttp        {raw:8.0f} calls/s")
        elapsed, _ = harness_cli(root, k)
        stored = store_count(root / "reports" / "harness.db")
        ours = n / elapsed
        print(
            f"harness run (CLI)  {ours:8.0f} calls/s  ({elapsed:.2f}s for {stored} results, "
            f"start-up, scoring, store and results files included)"
        )
        print(f"ratio              {ours / raw:8.2f}x raw aiohttp (target >= 0.35x)")
        from benchmarks.phases import breakdown, show

        print("where harness run's time goes (the same steps in a fresh process):")
        print(show(breakdown(root, record_mode="off", concurrency=k), elapsed))
        inner = in_process(root, k)
        print(
            f"runner in-process  {inner:8.0f} calls/s  ({inner / raw:.2f}x raw; no start-up, "
            "spec loading or report files)"
        )
        if stored != n:
            raise SystemExit(f"expected {n} results in the store, found {stored}")


if __name__ == "__main__":
    main()
