"""Provider pressure: every item finished against providers that push back, at the limit.

Each scenario runs a fresh ``tests.fakes.pressure_fake`` in a subprocess per tool (so
every tool meets a full bucket) and times each tool from its command line to exit,
start-up included. Rejected calls are counted by the fake (``GET /stats``)::

    .venv/bin/python -m benchmarks.bench_pressure                     # every scenario
    .venv/bin/python -m benchmarks.bench_pressure --only rpm,auto --no-peers

Scenarios and their targets (the issue "Provider pressure"):

- ``rpm``: 50 requests/s (a bucket of 50), 429 with ``retry-after`` and ``x-ratelimit-*``
  beyond it; 600 cases, 64 in flight, nothing configured: no errors, finished within
  1.15x of N/R, rejected calls under 20% of the calls made.
- ``tpm``: the same with 60,000 tokens a minute (a call reserves 20 tokens: 50 calls/s).
- ``latency``: answers take 500 ms; 2,000 cases at 128 in flight: finished within 1.1x of
  the ideal 2000 x 0.5 / 128 s, next to raw aiohttp.
- ``auto``: a fake with K workers (latency grows once more than K are in flight) and
  ``concurrency: auto``: the limit settles near K without being told.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_run import fake_server, write_project
from benchmarks.peers.compare import (
    PeerResult,
    PeerUnavailable,
    run_inspect,
    run_promptfoo,
    run_raw_aiohttp,
)
from benchmarks.suite import REPO, measure

FAKE = "tests.fakes.pressure_fake"
COST = 20
"""Tokens the fake charges a benchmark call: 'Repeat: item N' (16 chars / 4) + max_tokens 16."""


@dataclass
class Outcome:
    """One tool's run of one scenario."""

    tool: str
    seconds: float | None = None
    results: int | None = None
    passed: int | None = None
    errors: int | None = None
    accepted: int | None = None
    rejected: int | None = None
    error: str | None = None
    note: str = ""

    @property
    def rejected_share(self) -> float | None:
        """Rejected calls over all calls the fake saw."""
        if self.accepted is None or self.rejected is None:
            return None
        total = self.accepted + self.rejected
        return self.rejected / total if total else 0.0


@dataclass
class Scenario:
    """A fake's settings, the run's size, and the ideal finishing time."""

    name: str
    fake_args: list[str]
    cases: int
    in_flight: int
    ideal: float
    target: float
    outcomes: list[Outcome] = field(default_factory=list)


def fake_stats(url: str) -> dict[str, int]:
    """What the fake counted."""
    with urllib.request.urlopen(url + "/stats", timeout=10) as r:
        data: dict[str, int] = json.loads(r.read())
    return data


def run_harness(url: str, cases: int, work: Path, in_flight: int) -> Outcome:
    """``harness run --concurrency N`` on the eval, nothing about rate limits configured."""
    root = work / "harness"
    write_project(root, url, cases)
    m = measure([sys.executable, "-m", "harness", "run", "--concurrency", str(in_flight)], cwd=root)
    if m.returncode not in (0, 1):
        raise PeerUnavailable(f"harness run exited {m.returncode}: {m.stderr[-500:]}")
    with sqlite3.connect(root / "reports" / "harness.db") as con:
        counts = dict(con.execute("SELECT status, COUNT(*) FROM results GROUP BY status"))
        waited = con.execute("SELECT SUM(rate_limit_wait_ms) FROM results").fetchone()[0]
        began, ended = con.execute("SELECT started_at, finished_at FROM runs").fetchone()
    return Outcome(
        "harness",
        m.seconds,
        sum(counts.values()),
        counts.get("passed", 0),
        counts.get("error", 0),
        note=f"the calls themselves (the run's start to finish in the store) took "
        f"{ended - began:.2f} s; items waited {float(waited or 0) / 1000:.0f} s in all for "
        "rate limits",
    )


def _peer(result: PeerResult) -> Outcome:
    return Outcome(
        result.name,
        result.seconds,
        result.results,
        result.passed,
        result.errors,
        note=f"{result.version or ''} {result.note}".strip(),
    )


def tools(
    install: bool, peers: bool, raw: bool
) -> dict[str, Callable[[str, int, Path, int], Outcome]]:
    """The tools to run, by name."""
    out: dict[str, Callable[[str, int, Path, int], Outcome]] = {"harness": run_harness}
    if raw:
        out["raw aiohttp"] = lambda u, n, w, k: _raw(u, n, w, k)
    if peers:
        out["promptfoo"] = lambda u, n, w, k: _peer(
            run_promptfoo(u, n, w, "tuned", install=install, in_flight=k)
        )
        out["inspect_ai"] = lambda u, n, w, k: _peer(
            run_inspect(u, n, w, "tuned", install=install, in_flight=k)
        )
    return out


def _raw(url: str, cases: int, work: Path, in_flight: int) -> Outcome:
    import benchmarks.peers.compare as compare

    saved, compare.IN_FLIGHT = compare.IN_FLIGHT, in_flight
    try:
        return _peer(run_raw_aiohttp(url, cases, work))
    finally:
        compare.IN_FLIGHT = saved


def run_scenario(scenario: Scenario, install: bool, peers: bool) -> None:
    """Every tool against a fresh fake; fills ``scenario.outcomes``."""
    runners = tools(install, peers, raw=scenario.name == "latency")
    for name, run in runners.items():
        print(
            f"-- {scenario.name}: {name}, {scenario.cases} cases, {scenario.in_flight} in flight",
            flush=True,
        )
        with fake_server(FAKE, scenario.fake_args) as url, tempfile.TemporaryDirectory() as tmp:
            try:
                outcome = run(url, scenario.cases, Path(tmp), scenario.in_flight)
            except (PeerUnavailable, OSError, ValueError, KeyError) as exc:
                outcome = Outcome(name, error=f"{type(exc).__name__}: {exc}")
            stats = fake_stats(url)
            outcome.accepted, outcome.rejected = stats["accepted"], stats["rejected"]
        scenario.outcomes.append(outcome)
        print("   " + line(scenario, outcome), flush=True)


def line(scenario: Scenario, o: Outcome) -> str:
    """One tool's result as text."""
    if o.seconds is None:
        return f"{o.tool:<12} could not run here: {o.error}"
    share = o.rejected_share or 0.0
    calls = (o.accepted or 0) + (o.rejected or 0)
    return (
        f"{o.tool:<12} {o.seconds:7.2f} s  {o.seconds / scenario.ideal:5.2f}x ideal  "
        f"{o.results}/{scenario.cases} results, {o.passed} passed, errors {o.errors}  "
        f"rejected {o.rejected} ({share:.1%} of {calls} calls)  {o.note}"
    )


def verdict(scenario: Scenario) -> str:
    """Whether harness met the scenario's targets."""
    ours = next((o for o in scenario.outcomes if o.tool == "harness"), None)
    if ours is None or ours.seconds is None:
        return "harness did not run"
    checks = [
        (
            ours.errors == 0 and ours.results == scenario.cases,
            f"every item finished, errors {ours.errors}",
        ),
        (
            ours.seconds <= scenario.target * scenario.ideal,
            f"{ours.seconds / scenario.ideal:.2f}x ideal (target {scenario.target}x)",
        ),
    ]
    if scenario.name in ("rpm", "tpm"):
        share = ours.rejected_share or 0.0
        checks.append((share < 0.2, f"rejected {share:.1%} of calls (target < 20%)"))
    return "; ".join(("MET " if ok else "NOT MET ") + text for ok, text in checks)


# --------------------------------------------------------------------------- auto


async def _auto(url: str, workers: int, latency: float, calls: int) -> tuple[list[int], float]:
    from harness.config import ProjectConfig
    from harness.drivers.base import Message, ProviderSettings, Request
    from harness.runner.pool import Pool

    class Passthrough:
        mode = "off"

        def wrap(self, transport: object) -> object:
            return transport

    provider = ProviderSettings(name="p", type="openai", base_url=url + "/v1", concurrency="auto")
    config = ProjectConfig(root=Path.cwd(), path=None, providers={"p": provider})
    pool = Pool(config, Passthrough(), concurrency=None)  # type: ignore[arg-type]
    pending = iter(range(calls))

    async def worker() -> None:
        for i in pending:
            request = Request(model="fake-model", messages=(Message("user", f"item {i}"),))
            await pool.complete("p:fake-model", request)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(pool.provider_limit("p"))))
    elapsed = time.perf_counter() - start
    history = list(pool.gate("p").limit.history)
    await pool.aclose()
    return history, calls / elapsed


def run_auto(workers: int, latency: float, calls: int) -> str:
    """``concurrency: auto`` against a fake with ``workers`` workers: where the limit settles."""
    args = ["--workers", str(workers), "--latency", str(latency)]
    with fake_server(FAKE, args) as url:
        history, rate = asyncio.run(_auto(url, workers, latency, calls))
    second_half = history[len(history) // 2 :] or history
    settled = statistics.median(second_half)
    ceiling = workers / latency
    ok = 0.75 * workers <= settled <= 1.5 * workers
    return (
        f"auto: K={workers} workers, {latency * 1000:.0f} ms each, {calls} calls: the limit went "
        f"{history[:6]}... and settled at median {settled:.0f} (range {min(second_half)}-"
        f"{max(second_half)}) over the second half; {rate:.0f} calls/s of the {ceiling:.0f}/s the "
        f"fake can serve. {'MET' if ok else 'NOT MET'}: settles within 0.75-1.5x of K"
    )


SCENARIOS = {
    "rpm": lambda: Scenario("rpm", ["--rps", "50", "--burst", "50"], 600, 64, 600 / 50, 1.15),
    "tpm": lambda: Scenario("tpm", ["--tpm", "60000"], 600, 64, 600 * COST / 1000, 1.15),
    "latency": lambda: Scenario("latency", ["--latency", "0.5"], 2000, 128, 2000 * 0.5 / 128, 1.1),
}


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="rpm,tpm,latency,auto")
    parser.add_argument("--no-peers", action="store_true", help="harness (and raw aiohttp) only")
    parser.add_argument("--no-install", action="store_true", help="never install a peer")
    parser.add_argument("--auto-workers", type=int, default=16)
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    report: list[str] = []
    for name in chosen:
        if name == "auto":
            text = run_auto(args.auto_workers, 0.1, 3000)
            print(text, flush=True)
            report.append(text)
            continue
        scenario = SCENARIOS[name]()
        run_scenario(scenario, install=not args.no_install, peers=not args.no_peers)
        title = f"{name}: {scenario.cases} cases, {scenario.in_flight} in flight"
        report.append(
            f"{title}, ideal {scenario.ideal:.2f} s\n"
            + "\n".join("  " + line(scenario, o) for o in scenario.outcomes)
            + "\n  harness: "
            + verdict(scenario)
        )
    print("\n" + "\n\n".join(report))


if __name__ == "__main__":
    import os

    os.environ.setdefault("PYTHONPATH", str(REPO))
    main()
