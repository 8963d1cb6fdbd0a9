"""Scaling: time and peak memory of a run at 1k, 10k and 100k items, to show linear cost.

Each size runs in a fresh process: the runner (in-process, 64 in flight, a ``contains``
expectation per case, SQLite store on) against a loopback OpenAI-compatible fake that
keeps no request log, then the report files. The process reports its own peak RSS
after the run and after the report::

    .venv/bin/python -m benchmarks.scaling                  # 1,000 / 10,000 / 100,000
    .venv/bin/python -m benchmarks.scaling --sizes 1000,5000
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.bench_run import fake_server

REPO = Path(__file__).resolve().parent.parent
SIZES = (1000, 10_000, 100_000)
QUICK_SIZES = (1000, 10_000)
IN_FLIGHT = 64


@dataclass(frozen=True)
class Point:
    """One size's figures."""

    items: int
    run_s: float
    loaded_rss_mb: float
    run_rss_mb: float
    report_s: float
    total_rss_mb: float
    stored: int

    @property
    def us_per_item(self) -> float:
        """Microseconds of run time per item."""
        return self.run_s / self.items * 1e6


@contextmanager
def quiet_fake() -> Iterator[str]:
    """The fault-injecting fake with every fault off (it keeps no request log); its URL."""
    zero = [
        f"--{name}=0"
        for name in (
            "rate-limit",
            "server-error",
            "reset",
            "hang",
            "truncated",
            "wrong-type",
            "huge",
        )
    ]
    with fake_server("tests.fakes.faulty", zero) as url:
        yield url


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(n: int) -> Point:
    """Run ``n`` items in this process and report on them; returns the figures."""
    from rich.console import Console

    from benchmarks.bench_run import store_count, write_project
    from harness.cassettes.recorder import Recorder
    from harness.config import load_config
    from harness.report import write_reports
    from harness.runner.run import Runner, RunOptions
    from harness.spec.load import load_specs
    from harness.store.sqlite import Store

    with quiet_fake() as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, url, n)
        start = time.perf_counter()
        config = load_config(root / "harness.yaml")
        specs, problems = load_specs([root / "specs"], config)
        assert not problems, problems
        loaded_rss = _peak_mb()  # the spec's cases are in memory: the input, not the run
        with Store.open(root / "harness.db") as store:
            runner = Runner(
                specs,
                config,
                store,
                RunOptions(progress=False, record_mode="off", concurrency=IN_FLIGHT),
                recorder=Recorder(config.cassettes_dir, "off"),
                console=Console(file=io.StringIO()),
            )
            result = asyncio.run(runner.run())
            run_s = time.perf_counter() - start
            run_rss = _peak_mb()
            start = time.perf_counter()
            write_reports(store, result.run_id, root / "out")
            report_s = time.perf_counter() - start
        stored = store_count(root / "harness.db")
    return Point(n, run_s, loaded_rss, run_rss, report_s, _peak_mb(), stored)


def run_sizes(sizes: Sequence[int]) -> list[Point]:
    """Each size in a fresh process; prints and returns the figures."""
    points = []
    print(
        f"{'items':>8} {'run s':>8} {'items/s':>8} {'µs/item':>8} {'loaded MB':>10} "
        f"{'run RSS MB':>11} "
        f"{'report s':>9} {'peak RSS MB':>12}"
    )
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.scaling", "--one", str(n)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"scaling at {n} items failed: {out.stderr[-2000:]}")
        p = Point(**json.loads(out.stdout.strip().splitlines()[-1]))
        if p.stored != n:
            raise RuntimeError(f"{n} items run but {p.stored} stored")
        points.append(p)
        print(
            f"{n:>8,} {p.run_s:>8.2f} {n / p.run_s:>8,.0f} {p.us_per_item:>8,.0f} "
            f"{p.loaded_rss_mb:>10,.0f} {p.run_rss_mb:>11,.0f} {p.report_s:>9.2f} "
            f"{p.total_rss_mb:>12,.0f}",
            flush=True,
        )
    if len(points) > 1:
        small, big = points[0], points[-1]
        growth = big.us_per_item / small.us_per_item
        print(
            f"time per item at {big.items:,} is {growth:.2f}x that at {small.items:,} "
            "(1.0 = linear)"
        )
    return points


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(asdict(one(args.one))))
        return
    run_sizes([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
