"""Scaling: the whole ``harness run`` (start-up, spec, calls, store, report files) at
10k, 100k and 1M items: time per item and peak RSS, to show flat cost and flat memory.

Each size is one ``harness run`` subprocess against a loopback OpenAI-compatible fake
that keeps no request log (64 in flight, a ``contains`` expectation per case, SQLite
store on). Its peak RSS comes from ``wait4`` on that process alone. Then ``harness
report`` rewrites the report files from the store, timed and measured the same way, to
show what the report files cost on their own::

    .venv/bin/python -m benchmarks.scaling                      # 10,000 / 100,000 / 1,000,000
    .venv/bin/python -m benchmarks.scaling --sizes 1000,10000

The targets: time per item flat, peak RSS of the whole run under 400 MB and report
files under 60 s at 1,000,000 results.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_run import fake_server, store_count, write_project

REPO = Path(__file__).resolve().parent.parent
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1000, 10_000)
IN_FLIGHT = 64
RSS_LIMIT_MB = 400
REPORT_LIMIT_S = 60


@dataclass(frozen=True)
class Point:
    """One size's figures."""

    items: int
    run_s: float
    run_rss_mb: float
    report_s: float
    report_rss_mb: float
    html_mb: float
    stored: int

    @property
    def us_per_item(self) -> float:
        """Microseconds of the whole run per item."""
        return self.run_s / self.items * 1e6


@contextmanager
def quiet_fake() -> Iterator[str]:
    """The fault-injecting fake with every fault off (it keeps no request log); its URL."""
    names = ("rate-limit", "server-error", "reset", "hang", "truncated", "wrong-type", "huge")
    with fake_server("tests.fakes.faulty", [f"--{name}=0" for name in names]) as url:
        yield url


def timed(args: Sequence[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``harness ARGS`` in a subprocess; (seconds, its peak RSS in MB, its stderr).
    Its CPU seconds are printed too: on a loaded machine they say more than wall time."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from harness.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"harness {' '.join(args)} failed ({proc.returncode}): {err[-2000:]}")
    print(f"  harness {args[0]}: {usage.ru_utime + usage.ru_stime:.1f} CPU s", flush=True)
    return elapsed, usage.ru_maxrss / 1024, err


def one(n: int, url: str) -> Point:
    """One size: ``harness run`` then ``harness report`` in a scratch project."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, url, n)
        run_s, run_rss, _ = timed(
            ["run", "--concurrency", str(IN_FLIGHT), "--out", str(root / "out")], root
        )
        stored = store_count(root / "reports" / "harness.db")
        report_s, report_rss, _ = timed(["report", "latest", "--out", str(root / "again")], root)
        html_mb = (root / "again" / "report.html").stat().st_size / 1e6
    return Point(n, run_s, run_rss, report_s, report_rss, html_mb, stored)


def run_sizes(sizes: Sequence[int]) -> list[Point]:
    """Every size against one fake; prints and returns the figures."""
    points = []
    print(
        f"{'items':>9} {'run s':>8} {'items/s':>8} {'µs/item':>8} {'run RSS MB':>11} "
        f"{'report s':>9} {'report RSS MB':>14} {'html MB':>8}"
    )
    with quiet_fake() as url:
        for n in sizes:
            p = one(n, url)
            if p.stored != n:
                raise RuntimeError(f"{n} items run but {p.stored} stored")
            points.append(p)
            print(
                f"{n:>9,} {p.run_s:>8.2f} {n / p.run_s:>8,.0f} {p.us_per_item:>8,.0f} "
                f"{p.run_rss_mb:>11,.0f} {p.report_s:>9.2f} {p.report_rss_mb:>14,.0f} "
                f"{p.html_mb:>8.2f}",
                flush=True,
            )
    if len(points) > 1:
        small, big = points[0], points[-1]
        growth = big.us_per_item / small.us_per_item
        print(
            f"time per item at {big.items:,} is {growth:.2f}x that at {small.items:,} (1.0 = flat)"
        )
        print(
            f"at {big.items:,}: peak RSS of harness run {big.run_rss_mb:,.0f} MB "
            f"(target < {RSS_LIMIT_MB}), report files {big.report_s:.1f} s "
            f"(target < {REPORT_LIMIT_S})"
        )
    return points


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    args = parser.parse_args(argv)
    run_sizes([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
