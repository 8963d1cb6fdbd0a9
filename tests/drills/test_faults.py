"""Fault drills: ``harness run`` against three faulty loopback models loses nothing.

Every item ends in the store exactly once as passed, failed, error or skipped; retries
are counted in the results; the run's memory stays bounded; Ctrl-C (SIGINT) leaves a
consistent store and ``--resume`` finishes it.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import harness.errors
from tests.drills.runs import (
    STATUSES,
    count_results,
    runs,
    start_run,
    stored_rows,
    write_project,
)
from tests.fakes.faulty import OUTCOMES, FaultMix, FaultyServer

# one model mostly rate-limited, one streamed that hangs and drops connections mid-stream,
# one that sends junk
MIXES = (
    FaultMix(seed=1, rate_limit=0.15, server_error=0.05),
    FaultMix(seed=2, hang=0.04, reset=0.08, server_error=0.05, hang_seconds=1.0),
    FaultMix(seed=3, truncated=0.08, wrong_type=0.08, huge=0.05, huge_bytes=300_000),
)
HARNESS_ERRORS = frozenset(
    name
    for name, obj in vars(harness.errors).items()
    if isinstance(obj, type) and issubclass(obj, harness.errors.HarnessError)
)
PEAK_RSS_LIMIT_MB = 600  # a 2,000-item run with 300 kB answers; the report included


@contextlib.contextmanager
def faulty_servers(mixes: tuple[FaultMix, ...]) -> Iterator[tuple[list[FaultyServer], list[str]]]:
    """Start one faulty fake per mix, each in its own thread."""
    servers = [FaultyServer(mix) for mix in mixes]
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(s.in_thread()) for s in servers]
        yield servers, urls


def test_2000_items_on_three_faulty_models_each_end_in_the_store_once(tmp_path: Path) -> None:
    with faulty_servers(MIXES) as (servers, urls):
        total = write_project(tmp_path, urls, cases=667, skip_every=50, streamed=[1])
        start = time.monotonic()
        child = start_run(tmp_path)
        _, err = child.proc.communicate(timeout=120)
        elapsed = time.monotonic() - start
    assert child.proc.returncode == 1, err[-2000:]  # finished; some cases fail on purpose
    rows = stored_rows(tmp_path / "reports" / "harness.db")
    assert len(rows) == total == 2001
    assert len({r["item_id"] for r in rows}) == total
    statuses = Counter(r["status"] for r in rows)
    assert set(statuses) <= STATUSES
    assert statuses["skipped"] == 13 * 3
    assert statuses["passed"] > total // 2, statuses
    assert statuses["failed"] > 0, statuses
    errors = Counter(r["error_type"] for r in rows if r["status"] == "error")
    assert set(errors) <= HARNESS_ERRORS, errors  # typed errors only, never a bare crash
    retried = [r["retries"] for r in rows if r["retries"]]
    assert sum(retried) > 50 and any(r["status"] == "passed" for r in rows if r["retries"])
    streamed = Counter(r["model"] for r in rows if r["ttft_ms"] is not None)
    assert set(streamed) == {"p1:m"}, streamed  # only the streamed model has a first token
    served = sum((s.counts for s in servers), Counter())
    assert all(served[name] > 0 for name in OUTCOMES), served
    assert [r["status"] for r in runs(tmp_path / "reports" / "harness.db")] == ["finished"]
    assert child.peak_rss_mb() < PEAK_RSS_LIMIT_MB
    assert elapsed < 90, f"the drill took {elapsed:.0f}s"


@pytest.mark.parametrize(
    "sig",
    [pytest.param(signal.SIGINT, id="sigint")],
)
def test_interrupt_leaves_a_consistent_store_and_resume_finishes(
    tmp_path: Path, sig: signal.Signals
) -> None:
    mixes = tuple(FaultMix(seed=10 + i, delay=0.02, hang=0.0) for i in range(3))
    db = tmp_path / "reports" / "harness.db"
    with faulty_servers(mixes) as (_, urls):
        total = write_project(tmp_path, urls, cases=200, concurrency=6)
        child = start_run(tmp_path)
        deadline = time.monotonic() + 60
        while count_results(db) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        child.proc.send_signal(sig)
        _, err = child.proc.communicate(timeout=30)
        assert child.proc.returncode == 2, err[-2000:]
        assert "--resume" in err

        rows = stored_rows(db)
        assert 60 <= len(rows) < total, "the run must be interrupted mid-way"
        assert len({r["item_id"] for r in rows}) == len(rows)
        assert all(r["status"] in STATUSES and r["finished_at"] for r in rows)  # no partial rows
        (run,) = runs(db)
        assert run["status"] == "interrupted"

        resumed = start_run(tmp_path, "--resume")
        _, err = resumed.proc.communicate(timeout=60)
    assert resumed.proc.returncode == 1, err[-2000:]
    rows = stored_rows(db)
    assert len(rows) == total
    assert len({r["item_id"] for r in rows}) == total
    assert [r["status"] for r in runs(db)] == ["finished"]
