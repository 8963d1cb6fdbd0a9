"""harness, promptfoo and inspect_ai side by side on the same eval and the same server.

One loopback OpenAI-compatible fake (``tests.fakes.server``) serves all three. The eval:
N cases ``Repeat: item {n}``, max 16 tokens, each case checking that the answer contains
``item {n}`` (every tenth case expects ``never`` and fails). Each tool gets the
equivalent config, generated here, and is timed from its command line to exit
(start-up included), with the peak RSS of its largest process.

Each tool runs in two setups (``SETUPS``):

- ``tuned``: 64 calls in flight for all three, and promptfoo at its fastest (no cache,
  no results database, no table, no progress bar);
- ``defaults``: the command as a user first types it, every setting at the tool's
  default (harness 16 in flight; promptfoo 4, cache and results database on;
  inspect_ai its default connection limit). Caches start empty.

Ratios compare harness with a peer in the same setup.

The peers install on first use into ``benchmarks/.peers/`` (git-ignored):
promptfoo from npm (the newest release whose ``engines`` accept this Node 20) and
inspect_ai from PyPI into its own venv. A peer that cannot be installed or run is
reported with its error, never with a made-up number::

    .venv/bin/python -m benchmarks.peers                 # 1,000 cases, both setups
    .venv/bin/python -m benchmarks.peers --cases 200 --no-install --setups tuned
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from benchmarks.bench_run import fake_server, store_count, write_project
from benchmarks.suite import REPO, measure

PEERS = REPO / "benchmarks" / ".peers"
PROMPTFOO_VERSION = "0.121.20"
"""Newest promptfoo whose ``engines`` accept Node 20 (``^20.20.0 || >=22.22.0``);
later releases need Node >= 22.22."""
IN_FLIGHT = 64
MAX_TOKENS = 16
SETUPS = ("tuned", "defaults")
"""``tuned``: 64 in flight, peers at their fastest; ``defaults``: every tool as installed."""


class PeerUnavailable(Exception):
    """A peer could not be installed or run here; the message says why."""


@dataclass
class PeerResult:
    """One tool's run of the eval; ``seconds`` is None when it could not run."""

    name: str
    setup: str = "tuned"
    seconds: float | None = None
    results: int | None = None
    passed: int | None = None
    peak_rss_mb: float | None = None
    version: str | None = None
    error: str | None = None
    errors: int | None = None
    """Cases that ended in an error (no answer), where the tool says."""
    note: str = ""


def want(i: int) -> str:
    """What case ``i`` expects in the answer."""
    return f"item {i}" if i % 10 else "never"


def _tail(text: str, lines: int = 6) -> str:
    return " / ".join(text.strip().splitlines()[-lines:]) or "no output"


# --------------------------------------------------------------------------- harness


def run_harness(
    url: str, cases: int, work: Path, setup: str = "tuned", *, in_flight: int = IN_FLIGHT
) -> PeerResult:
    """``harness run`` (the CLI, as a user would) on the eval."""
    root = work / "harness"
    write_project(root, url, cases)
    flags = ["--concurrency", str(in_flight)] if setup == "tuned" else []
    m = measure([sys.executable, "-m", "harness", "run", *flags], cwd=root)
    if m.returncode not in (0, 1):
        raise PeerUnavailable(f"harness run exited {m.returncode}: {_tail(m.stderr)}")
    db = root / "reports" / "harness.db"
    import sqlite3

    with sqlite3.connect(db) as con:
        passed = con.execute("SELECT COUNT(*) FROM results WHERE status='passed'").fetchone()[0]
    return PeerResult(
        "harness",
        setup,
        m.seconds,
        store_count(db),
        int(passed),
        m.peak_rss_mb,
        note="report.html and results files included"
        + ("" if setup == "tuned" else ", 16 in flight"),
    )


# --------------------------------------------------------------------------- the ceiling


def run_raw_aiohttp(url: str, cases: int, work: Path, setup: str = "tuned") -> PeerResult:
    """The eval as a bare aiohttp script (``raw_client``): how fast any Python tool could be."""
    m = measure(
        [sys.executable, "-m", "benchmarks.peers.raw_client", url, str(cases), str(IN_FLIGHT)],
        cwd=REPO,
    )
    if m.returncode != 0:
        raise PeerUnavailable(f"raw_client exited {m.returncode}: {_tail(m.stderr)}")
    counts = json.loads(m.stdout)
    return PeerResult(
        "raw aiohttp",
        setup,
        m.seconds,
        int(counts["results"]),
        int(counts["passed"]),
        m.peak_rss_mb,
        note="the ceiling: no framework, no store, no files",
    )


# --------------------------------------------------------------------------- promptfoo


def promptfoo_bin(install: bool) -> Path:
    """The promptfoo executable, installed with npm into benchmarks/.peers when missing."""
    folder = PEERS / "promptfoo"
    exe = folder / "node_modules" / ".bin" / "promptfoo"
    if exe.exists():
        return exe
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise PeerUnavailable("node and npm are not installed")
    if not install:
        raise PeerUnavailable(f"not installed in {folder} (run without --no-install)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"name": "peers", "private": true}\n')
    print(f"installing promptfoo@{PROMPTFOO_VERSION} with npm into {folder} ...", flush=True)
    proc = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", f"promptfoo@{PROMPTFOO_VERSION}"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0 or not exe.exists():
        raise PeerUnavailable(f"npm install failed ({proc.returncode}): {_tail(proc.stderr)}")
    return exe


def promptfoo_config(url: str, cases: int) -> dict[str, object]:
    """The eval as a promptfoo config: the fake as an OpenAI chat provider, one test a case."""
    return {
        "description": "harness benchmark",
        "prompts": ["Repeat: item {{n}}"],
        "providers": [
            {
                "id": "openai:chat:fake-model",
                "config": {
                    "apiBaseUrl": f"{url}/v1",
                    "apiKey": "sk-fake",
                    "max_tokens": MAX_TOKENS,
                },
            }
        ],
        "tests": [
            {"vars": {"n": i}, "assert": [{"type": "contains", "value": want(i)}]}
            for i in range(cases)
        ],
    }


def promptfoo_tuned(in_flight: int = IN_FLIGHT) -> list[str]:
    """promptfoo's flags at its fastest, ``in_flight`` calls at once."""
    return [
        *("--no-cache", "--no-write", "--no-table", "--no-progress-bar"),
        *("-j", str(in_flight)),
    ]


PROMPTFOO_TUNED = promptfoo_tuned()


def run_promptfoo(
    url: str,
    cases: int,
    work: Path,
    setup: str = "tuned",
    *,
    install: bool = True,
    in_flight: int = IN_FLIGHT,
) -> PeerResult:
    """``promptfoo eval``: tuned, with caching, the results database and output off."""
    exe = promptfoo_bin(install)
    folder = work / "promptfoo"
    folder.mkdir()
    config = folder / "promptfooconfig.json"  # JSON is YAML: promptfoo reads it as its config
    config.write_text(json.dumps(promptfoo_config(url, cases)))
    out = folder / "output.json"
    flags = promptfoo_tuned(in_flight) if setup == "tuned" else []
    m = measure(
        [str(exe), "eval", "-c", str(config), *flags, "-o", str(out)],
        cwd=folder,
        PROMPTFOO_DISABLE_TELEMETRY="1",
        PROMPTFOO_DISABLE_UPDATE="1",
        # its database and cache start empty, in the work folder
        PROMPTFOO_CONFIG_DIR=str(folder / "home"),
        PROMPTFOO_CACHE_PATH=str(folder / "cache"),
    )
    if not out.exists():
        raise PeerUnavailable(f"promptfoo exited {m.returncode}: {_tail(m.stderr + m.stdout)}")
    stats = json.loads(out.read_text())["results"]["stats"]
    passed, failed = int(stats["successes"]), int(stats["failures"])
    errors = int(stats.get("errors", 0))
    return PeerResult(
        "promptfoo",
        setup,
        m.seconds,
        passed + failed + errors,
        passed,
        m.peak_rss_mb,
        version=PROMPTFOO_VERSION,
        note=" ".join(flags) or "cache and results database on, 4 in flight",
        errors=errors,
    )


# --------------------------------------------------------------------------- inspect_ai

INSPECT_TASK = '''\
"""The harness benchmark eval as an inspect_ai task (generated by benchmarks/peers)."""

import json

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

CASES = json.load(open(__file__.replace("task.py", "cases.json")))


@task
def bench():
    samples = [Sample(id=c["id"], input=c["input"], target=c["target"]) for c in CASES]
    return Task(dataset=MemoryDataset(samples), solver=generate(), scorer=includes())
'''


def inspect_bin(install: bool) -> Path:
    """The ``inspect`` executable in its own venv under benchmarks/.peers."""
    venv = PEERS / "inspect-venv"
    exe = venv / "bin" / "inspect"
    if exe.exists():
        return exe
    if not install:
        raise PeerUnavailable(f"not installed in {venv} (run without --no-install)")
    print(f"installing inspect_ai from PyPI into {venv} ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "pip"), "install", "-q", "inspect_ai", "openai"],
    ]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            raise PeerUnavailable(f"{' '.join(step[:3])} failed: {_tail(proc.stderr)}")
    return exe


def run_inspect(
    url: str,
    cases: int,
    work: Path,
    setup: str = "tuned",
    *,
    install: bool = True,
    in_flight: int = IN_FLIGHT,
) -> PeerResult:
    """``inspect eval`` through its OpenAI-compatible provider (Chat Completions)."""
    exe = inspect_bin(install)
    folder = work / "inspect"
    folder.mkdir()
    rows = [{"id": f"c{i}", "input": f"Repeat: item {i}", "target": want(i)} for i in range(cases)]
    (folder / "cases.json").write_text(json.dumps(rows))
    (folder / "task.py").write_text(INSPECT_TASK)
    logs = folder / "logs"
    model = ["--model", "openai-api/bench/fake-model", "--max-tokens", str(MAX_TOKENS)]
    tuned = ["--max-connections", str(in_flight), "--display", "none"]
    m = measure(
        [str(exe), "eval", "task.py", *model, "--log-dir", str(logs)]
        + (tuned if setup == "tuned" else []),
        cwd=folder,
        BENCH_API_KEY="sk-fake",
        BENCH_BASE_URL=f"{url}/v1",
    )
    found = sorted(logs.glob("*.eval")) if logs.exists() else []
    if m.returncode != 0 or not found:
        raise PeerUnavailable(f"inspect eval exited {m.returncode}: {_tail(m.stderr + m.stdout)}")
    dump = subprocess.run(
        [str(exe), "log", "dump", str(found[-1])], capture_output=True, text=True, check=True
    )
    log = json.loads(dump.stdout)
    if log.get("status") != "success":
        raise PeerUnavailable(f"inspect eval ended {log.get('status')}: {log.get('error')}")
    accuracy = log["results"]["scores"][0]["metrics"]["accuracy"]["value"]
    total = int(log["results"]["completed_samples"])
    return PeerResult(
        "inspect_ai",
        setup,
        m.seconds,
        total,
        round(accuracy * total),
        m.peak_rss_mb,
        version=log.get("eval", {}).get("packages", {}).get("inspect_ai"),
        note="a .eval log written" + ("" if setup == "tuned" else ", default connections"),
        errors=int(log["results"].get("total_samples", total)) - total,
    )


# --------------------------------------------------------------------------- all together

Runner = Callable[[str, int, Path, str], PeerResult]


def compare(
    cases: int = 1000, *, install: bool = True, setups: tuple[str, ...] = SETUPS
) -> list[PeerResult]:
    """Run harness and both peers against one fake in each setup; a peer that fails says why."""
    runners: dict[str, Runner] = {
        "harness": run_harness,
        "promptfoo": lambda u, n, w, s: run_promptfoo(u, n, w, s, install=install),
        "inspect_ai": lambda u, n, w, s: run_inspect(u, n, w, s, install=install),
    }
    results: list[PeerResult] = []
    with fake_server() as url:
        for setup in setups:
            if setup == "tuned":  # the ceiling has no settings to leave at their defaults
                runners = {"raw aiohttp": run_raw_aiohttp, **runners}
            else:
                runners.pop("raw aiohttp", None)
            for name, run in runners.items():
                print(f"-- {name} ({setup}): {cases} cases against {url}", flush=True)
                with tempfile.TemporaryDirectory() as tmp:
                    r = _run_one(name, setup, partial(run, url, cases, Path(tmp), setup))
                if r.results not in (None, cases):
                    r.note += f"; reported {r.results} results for {cases} cases"
                results.append(r)
    return results


def _run_one(name: str, setup: str, run: Callable[[], PeerResult]) -> PeerResult:
    try:
        r = run()
    except (PeerUnavailable, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        r = PeerResult(name, setup, error=f"{type(exc).__name__}: {exc}")
        print(f"   {name} could not run here: {r.error}", flush=True)
    else:
        print(
            f"   {r.seconds:.2f}s, {r.passed}/{r.results} passed, "
            f"peak RSS {r.peak_rss_mb or 0:.0f} MB",
            flush=True,
        )
    return r


def speedup(results: list[PeerResult], peer: PeerResult) -> float | None:
    """How many times faster harness finished than ``peer``, in the same setup."""
    ours = next(
        (r for r in results if r.name == "harness" and r.setup == peer.setup and r.seconds), None
    )
    if ours is None or peer.seconds is None or ours.seconds is None or peer.name == "harness":
        return None
    if peer.name == "raw aiohttp":
        return None  # the ceiling: shown as its own speed-up over each peer
    return peer.seconds / ours.seconds


def ceiling_speedup(results: list[PeerResult], tool: PeerResult) -> float | None:
    """How many times faster the bare aiohttp script finished than ``tool``."""
    raw = next((r for r in results if r.name == "raw aiohttp" and r.seconds), None)
    if raw is None or raw.seconds is None or tool.seconds is None or tool is raw:
        return None
    return tool.seconds / raw.seconds


def print_table(results: list[PeerResult], cases: int) -> None:
    """Wall time, cases/s and the ratio to harness (same setup) for each tool."""
    print(f"\n{cases} cases, one loopback OpenAI-compatible fake")
    header = f"{'tool':<12} {'setup':<9} {'wall s':>8} {'cases/s':>8} {'passed':>9} {'RSS MB':>7}"
    print(header + "  vs harness              vs the ceiling")
    for r in results:
        if r.seconds is None:
            print(f"{r.name:<12} {r.setup:<9} could not run: {r.error}")
            continue
        x, c = speedup(results, r), ceiling_speedup(results, r)
        ratio = f"harness {x:.1f}x faster" if x is not None else ""
        ceiling = f"raw aiohttp {c:.1f}x faster" if c is not None else ""
        print(
            f"{r.name:<12} {r.setup:<9} {r.seconds:>8.2f} {cases / r.seconds:>8,.0f} "
            f"{r.passed:>4}/{r.results:<4} {r.peak_rss_mb or 0:>7.0f}  {ratio:<24}{ceiling}"
        )


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--no-install", action="store_true", help="never install a peer")
    parser.add_argument(
        "--setups",
        default=",".join(SETUPS),
        help="comma-separated: tuned (64 in flight, peers at their fastest), defaults",
    )
    args = parser.parse_args(argv)
    setups = tuple(s for s in args.setups.split(",") if s)
    unknown = set(setups) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setup {', '.join(sorted(unknown))}; choose from {', '.join(SETUPS)}")
    os.environ.setdefault("PYTHONPATH", str(REPO))
    results = compare(args.cases, install=not args.no_install, setups=setups)
    print_table(results, args.cases)
