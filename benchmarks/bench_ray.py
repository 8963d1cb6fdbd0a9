"""The same suite on the local executor and on Ray with 2 workers: same results, overhead.

``python -m benchmarks.bench_ray`` writes a project of ``--cases`` items (default 20,000)
against the loopback OpenAI fake (a subprocess), then times ``harness run`` twice as a
command, start-up, store and report files included: with the local executor, and with
``--executor ray --ray-workers 2`` (a local Ray instance on this machine's cores, or the
cluster at ``--address``). It checks that both stores hold the same results table, every
item exactly once, and prints the overhead of Ray: wall time, items/s, the part of it
that is Ray's start-up (a run of 20 items on Ray, minus the same on the local executor).

Needs the ``ray`` extra (``pip install 'harness[ray]'``).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_run import fake_server, write_project

REPO = Path(__file__).resolve().parent.parent
TABLE = (
    "SELECT item_id, spec, case_id, model, attempt, status, output, score, verdicts, "
    "input_tokens, output_tokens, error_type FROM results ORDER BY item_id"
)


def timed_run(root: Path, store: str, *args: str) -> float:
    """Seconds ``harness run`` takes as a command; exits on a failed run."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_USAGE_STATS_ENABLED": "0"}
    start = time.perf_counter()
    done = subprocess.run(
        [
            *(sys.executable, "-c", "from harness.cli import main; main()", "run"),
            *("--store", store, "--out", str(root / f"out-{store}"), *args),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"harness run {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def table(db: Path) -> list[tuple[Any, ...]]:
    """The results table less what differs per run (run id, times)."""
    with sqlite3.connect(db) as con:
        return con.execute(TABLE).fetchall()


def main(argv: list[str] | None = None) -> None:
    """Measure both executors on one suite and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--address", help="a running Ray cluster (default: a local instance)")
    args = parser.parse_args(argv)
    ray_args = ["--executor", "ray", "--ray-workers", str(args.workers)]
    if args.address:
        ray_args += ["--ray-address", args.address]
    with fake_server() as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        small = Path(tmp) / "small"
        write_project(root, url, args.cases)
        write_project(small, url, 20)
        start_local = timed_run(small, "local.db")
        start_ray = timed_run(small, "ray.db", *ray_args)
        local = timed_run(root, "local.db")
        on_ray = timed_run(root, "ray.db", *ray_args)
        local_table, ray_table = table(root / "local.db"), table(root / "ray.db")
    n = args.cases
    ids = [row[0] for row in ray_table]
    print(f"{n} items, OpenAI fake in a subprocess, {os.cpu_count()} cores")
    print(f"local executor     {local:7.2f}s  {n / local:7.0f} items/s")
    print(f"ray, {args.workers} workers     {on_ray:7.2f}s  {n / on_ray:7.0f} items/s")
    print(f"overhead of Ray    {on_ray - local:+7.2f}s  ({on_ray / local:.2f}x the local time)")
    print(
        f"  of which start-up {start_ray - start_local:+6.2f}s  (20 items: ray {start_ray:.2f}s, "
        f"local {start_local:.2f}s)"
    )
    per_item = (on_ray - local - (start_ray - start_local)) / n * 1000
    print(f"  per item          {per_item:+6.3f} ms after start-up")
    same = local_table == ray_table
    once = len(ids) == len(set(ids)) == n
    print(f"same results table {same}; every item stored once {once}")
    if not (same and once):
        raise SystemExit("the Ray run's results differ from the local run's")


if __name__ == "__main__":
    main()
