"""The CI path from the command line: ``harness run --record-mode none`` over N recorded
items, timed from launching the command to its exit (start-up, spec loading, cassette
replay, scoring, store and every report file included).

The items are first recorded (untimed) with ``--record-mode once`` against the loopback
OpenAI fake, which is then stopped: the timed replay is offline. Then the same steps run
in a fresh process timed phase by phase (``benchmarks.phases``)::

    .venv/bin/python -m benchmarks.bench_replay_cli                 # 1,000 and 10,000 items
    .venv/bin/python -m benchmarks.bench_replay_cli --items 1000

Targets: at least 1,000 items/s at 1,000 items and 2,500 items/s at 10,000.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_run import fake_server, store_count, write_project
from benchmarks.phases import breakdown, show

REPO = Path(__file__).resolve().parent.parent
TARGETS = {1000: 1000, 10_000: 2500}
IN_FLIGHT = 64


def _harness(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "true"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from harness.cli import main; main()", "run", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"harness run {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done


def one(n: int) -> float:
    """Record ``n`` items, replay them from the command line; prints and returns items/s."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with fake_server() as url:
            write_project(root, url, n)
            _harness(root, "--record-mode", "once", "--concurrency", str(IN_FLIGHT))
        store = root / "reports" / "harness.db"
        store.unlink()
        elapsed, _ = _harness(
            root, "--record-mode", "none", "--concurrency", str(IN_FLIGHT), "--out", "out"
        )
        stored = store_count(store)
        if stored != n:
            raise SystemExit(f"replayed {n} items but {stored} stored")
        rate = n / elapsed
        target = TARGETS.get(n)
        verdict = f" (target >= {target:,}/s: {'met' if rate >= target else 'NOT met'})"
        print(
            f"harness run --record-mode none, {n:,} items: {elapsed:.2f}s, {rate:,.0f} items/s"
            + (verdict if target else ""),
            flush=True,
        )
        phases = breakdown(root, record_mode="none", concurrency=IN_FLIGHT)
        print(show(phases, elapsed), flush=True)
    return rate


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", default="1000,10000")
    args = parser.parse_args(argv)
    for n in (int(s) for s in args.items.split(",")):
        one(n)


if __name__ == "__main__":
    main()
