"""harness, promptfoo and inspect_ai side by side on the same eval and the same server.

One loopback OpenAI-compatible fake (``tests.fakes.server``) serves all three. The eval:
N cases ``Repeat: item {n}``, max 16 tokens, 64 in flight, each case checking that the
answer contains ``item {n}`` (every tenth case expects ``never`` and fails). Each tool
gets the equivalent config, generated here, and is timed from its command line to exit
(start-up included), with the peak RSS of its largest process.

The peers install on first use into ``benchmarks/.peers/`` (git-ignored):
promptfoo from npm (the newest release whose ``engines`` accept this Node 20) and
inspect_ai from PyPI into its own venv. A peer that cannot be installed or run is
reported with its error, never with a made-up number::

    .venv/bin/python -m benchmarks.peers                 # 1,000 cases
    .venv/bin/python -m benchmarks.peers --cases 200 --no-install
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
from pathlib import Path

from benchmarks.bench_run import fake_server, store_count, write_project
from benchmarks.suite import REPO, measure

PEERS = REPO / "benchmarks" / ".peers"
PROMPTFOO_VERSION = "0.121.20"
"""Newest promptfoo whose ``engines`` accept Node 20 (``^20.20.0 || >=22.22.0``);
later releases need Node >= 22.22."""
IN_FLIGHT = 64
MAX_TOKENS = 16


class PeerUnavailable(Exception):
    """A peer could not be installed or run here; the message says why."""


@dataclass
class PeerResult:
    """One tool's run of the eval; ``seconds`` is None when it could not run."""

    name: str
    seconds: float | None = None
    results: int | None = None
    passed: int | None = None
    peak_rss_mb: float | None = None
    version: str | None = None
    error: str | None = None
    note: str = ""


def want(i: int) -> str:
    """What case ``i`` expects in the answer."""
    return f"item {i}" if i % 10 else "never"


def _tail(text: str, lines: int = 6) -> str:
    return " / ".join(text.strip().splitlines()[-lines:]) or "no output"


# --------------------------------------------------------------------------- harness


def run_harness(url: str, cases: int, work: Path) -> PeerResult:
    """``harness run`` (the CLI, as a user would) on the eval."""
    root = work / "harness"
    write_project(root, url, cases)
    m = measure([sys.executable, "-m", "harness", "run", "--concurrency", str(IN_FLIGHT)], cwd=root)
    if m.returncode not in (0, 1):
        raise PeerUnavailable(f"harness run exited {m.returncode}: {_tail(m.stderr)}")
    db = root / "reports" / "harness.db"
    import sqlite3

    with sqlite3.connect(db) as con:
        passed = con.execute("SELECT COUNT(*) FROM results WHERE status='passed'").fetchone()[0]
    return PeerResult(
        "harness",
        m.seconds,
        store_count(db),
        int(passed),
        m.peak_rss_mb,
        note="report.html and results files included",
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


def run_promptfoo(url: str, cases: int, work: Path, *, install: bool = True) -> PeerResult:
    """``promptfoo eval`` with caching, sharing and the results database off."""
    exe = promptfoo_bin(install)
    folder = work / "promptfoo"
    folder.mkdir()
    config = folder / "promptfooconfig.json"  # JSON is YAML: promptfoo reads it as its config
    config.write_text(json.dumps(promptfoo_config(url, cases)))
    out = folder / "output.json"
    m = measure(
        [
            str(exe),
            "eval",
            "-c",
            str(config),
            "--no-cache",
            "--no-write",
            "--no-table",
            "--no-progress-bar",
            "-j",
            str(IN_FLIGHT),
            "-o",
            str(out),
        ],
        cwd=folder,
        PROMPTFOO_DISABLE_TELEMETRY="1",
        PROMPTFOO_DISABLE_UPDATE="1",
        PROMPTFOO_CONFIG_DIR=str(folder / "home"),
    )
    if not out.exists():
        raise PeerUnavailable(f"promptfoo exited {m.returncode}: {_tail(m.stderr + m.stdout)}")
    stats = json.loads(out.read_text())["results"]["stats"]
    passed, failed = int(stats["successes"]), int(stats["failures"])
    errors = int(stats.get("errors", 0))
    return PeerResult(
        "promptfoo",
        m.seconds,
        passed + failed + errors,
        passed,
        m.peak_rss_mb,
        version=PROMPTFOO_VERSION,
        note="--no-cache --no-write",
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


def run_inspect(url: str, cases: int, work: Path, *, install: bool = True) -> PeerResult:
    """``inspect eval`` through its OpenAI-compatible provider (Chat Completions)."""
    exe = inspect_bin(install)
    folder = work / "inspect"
    folder.mkdir()
    rows = [{"id": f"c{i}", "input": f"Repeat: item {i}", "target": want(i)} for i in range(cases)]
    (folder / "cases.json").write_text(json.dumps(rows))
    (folder / "task.py").write_text(INSPECT_TASK)
    logs = folder / "logs"
    m = measure(
        [
            str(exe),
            "eval",
            "task.py",
            "--model",
            "openai-api/bench/fake-model",
            "--max-connections",
            str(IN_FLIGHT),
            "--max-tokens",
            str(MAX_TOKENS),
            "--log-dir",
            str(logs),
            "--display",
            "none",
        ],
        cwd=folder,
        BENCH_API_KEY="sk-fake",
        BENCH_BASE_URL=f"{url}/v1",
        INSPECT_DISPLAY="none",
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
        m.seconds,
        total,
        round(accuracy * total),
        m.peak_rss_mb,
        version=log.get("eval", {}).get("packages", {}).get("inspect_ai"),
        note="a .eval log written",
    )


# --------------------------------------------------------------------------- all together

Runner = Callable[[str, int, Path], PeerResult]


def compare(cases: int = 1000, *, install: bool = True) -> list[PeerResult]:
    """Run harness and both peers against one fake; a peer that fails says why."""
    runners: dict[str, Runner] = {
        "harness": run_harness,
        "promptfoo": lambda u, n, w: run_promptfoo(u, n, w, install=install),
        "inspect_ai": lambda u, n, w: run_inspect(u, n, w, install=install),
    }
    results: list[PeerResult] = []
    with fake_server() as url, tempfile.TemporaryDirectory() as tmp:
        for name, run in runners.items():
            print(f"-- {name}: {cases} cases against {url}", flush=True)
            try:
                r = run(url, cases, Path(tmp))
            except (
                PeerUnavailable,
                OSError,
                subprocess.SubprocessError,
                ValueError,
                KeyError,
            ) as exc:
                r = PeerResult(name, error=f"{type(exc).__name__}: {exc}")
                print(f"   {name} could not run here: {r.error}", flush=True)
            else:
                print(
                    f"   {r.seconds:.2f}s, {r.passed}/{r.results} passed, "
                    f"peak RSS {r.peak_rss_mb or 0:.0f} MB",
                    flush=True,
                )
                if r.results != cases:
                    r.note += f"; reported {r.results} results for {cases} cases"
            results.append(r)
    return results


def print_table(results: list[PeerResult], cases: int) -> None:
    """Wall time, cases/s and the ratio to harness for each tool."""
    ours = next((r.seconds for r in results if r.name == "harness"), None)
    print(f"\n{cases} cases, {IN_FLIGHT} in flight, one loopback OpenAI-compatible fake")
    print(f"{'tool':<12} {'wall s':>8} {'cases/s':>8} {'passed':>9} {'RSS MB':>7}  vs harness")
    for r in results:
        if r.seconds is None:
            print(f"{r.name:<12} could not run: {r.error}")
            continue
        ratio = f"harness {r.seconds / ours:.1f}x faster" if ours and r.name != "harness" else ""
        print(
            f"{r.name:<12} {r.seconds:>8.2f} {cases / r.seconds:>8,.0f} "
            f"{r.passed:>4}/{r.results:<4} {r.peak_rss_mb or 0:>7.0f}  {ratio}"
        )


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--no-install", action="store_true", help="never install a peer")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(REPO))
    results = compare(args.cases, install=not args.no_install)
    print_table(results, args.cases)
