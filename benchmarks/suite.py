"""Every benchmark in one run, each in its own subprocess, gathered into one Markdown table.

The stage benchmarks (``bench_drivers``, ``bench_run``, ``bench_replay``,
``bench_report``) are called as they are and their printed figures read back; the peers
comparison and the scaling runs are :mod:`benchmarks.peers` and
:mod:`benchmarks.scaling`. Each measurement runs under a small launcher that reports the
peak RSS of the largest process it started (``RUSAGE_CHILDREN``), so every row has its
own memory figure. ``python -m benchmarks --help`` lists the options.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"

# the launcher runs a command and writes the peak RSS (KB) of its largest descendant
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "out = sys.argv[1]\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "with open(out, 'w') as f:\n"
    "    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


@dataclass
class Measured:
    """What one measured command did: its output, exit code, wall time and peak RSS."""

    stdout: str
    stderr: str
    returncode: int
    seconds: float
    peak_rss_mb: float | None


def measure(cmd: Sequence[str], *, cwd: Path = REPO, timeout: float = 3600, **env: str) -> Measured:
    """Run ``cmd`` to the end; wall time and the peak RSS of its largest process."""
    with tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False) as f:
        peak_file = Path(f.name)
    environment = {**os.environ, "PYTHONPATH": str(REPO), **env}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(peak_file), *cmd],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        seconds = time.perf_counter() - start
        text = peak_file.read_text().strip()
        peak = int(text) / 1024 if text else None
    finally:
        peak_file.unlink(missing_ok=True)
    return Measured(proc.stdout, proc.stderr, proc.returncode, seconds, peak)


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    size: str
    result: str
    ratio: str = ""
    seconds: float | None = None
    peak_rss_mb: float | None = None
    note: str = ""


@dataclass
class Suite:
    """Which benchmarks to run and at what sizes."""

    quick: bool = False
    only: frozenset[str] = frozenset()
    rows: list[Row] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def wants(self, name: str) -> bool:
        """Whether benchmark ``name`` is selected."""
        return not self.only or name in self.only

    def run_stage(self, name: str, cmd: Sequence[str]) -> Measured | None:
        """Run one benchmark command; a failure becomes a row saying so, with the error."""
        print(f"== {name}: {' '.join(cmd)}", flush=True)
        m = measure([sys.executable, *cmd])
        self.log.append(f"$ python {' '.join(cmd)}\n{m.stdout.strip()}")
        print(m.stdout.rstrip(), flush=True)
        if m.returncode != 0:
            error = (m.stderr.strip().splitlines() or ["no output"])[-1]
            self.rows.append(Row(name, "", "FAILED", note=f"exit {m.returncode}: {error}"))
            print(m.stderr[-3000:], file=sys.stderr)
            return None
        return m


def _num(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"benchmark output changed: no match for {pattern!r}")
    return float(match.group(1))


def drivers(suite: Suite) -> None:
    """Driver layer calls/s against raw aiohttp on the same server, same process."""
    calls = 1000 if suite.quick else 2000
    m = suite.run_stage("drivers", ["-m", "benchmarks.bench_drivers", "--calls", str(calls)])
    if m is None:
        return
    raw = _num(r"raw aiohttp\s+(\d+) calls/s", m.stdout)
    ours = _num(r"harness OpenAIDriver\s+(\d+) calls/s", m.stdout)
    suite.rows.append(
        Row(
            "driver layer (OpenAIDriver), 64 in flight",
            f"{calls:,} calls",
            f"{ours:,.0f} calls/s",
            f"{ours / raw:.2f}x raw aiohttp ({raw:,.0f}/s)",
            m.seconds,
            m.peak_rss_mb,
            "best of 3 alternating rounds",
        )
    )


def full_run(suite: Suite) -> None:
    """``harness run`` (CLI, start-up to results files) against raw aiohttp."""
    cases = 1000 if suite.quick else 5000
    m = suite.run_stage("run", ["-m", "benchmarks.bench_run", "--cases", str(cases)])
    if m is None:
        return
    raw = _num(r"raw aiohttp\s+(\d+) calls/s", m.stdout)
    ours = _num(r"harness run \(CLI\)\s+(\d+) calls/s", m.stdout)
    seconds = _num(r"calls/s\s+\(([\d.]+)s for", m.stdout)
    note = "start-up, scoring, SQLite store and report files included"
    inner = re.search(r"runner in-process\s+(\d+) calls/s", m.stdout)
    if inner:
        note += (
            f"; runner alone {float(inner.group(1)):,.0f}/s ({float(inner.group(1)) / raw:.2f}x)"
        )
    suite.rows.append(
        Row(
            "full run (`harness run`), 64 in flight",
            f"{cases:,} cases",
            f"{ours:,.0f} calls/s",
            f"{ours / raw:.2f}x raw aiohttp ({raw:,.0f}/s)",
            seconds,
            m.peak_rss_mb,
            note,
        )
    )


def replay(suite: Suite) -> None:
    """Replay items/s end to end (load, match, score, store), each size in its own process."""
    for n in (1000,) if suite.quick else (1000, 10_000):
        m = suite.run_stage(f"replay {n}", ["benchmarks/bench_replay.py", "--items", str(n)])
        if m is None:
            continue
        seconds = _num(r"items:\s+([\d.]+) s", m.stdout)
        rate = _num(r"s\s+(\d+) items/s", m.stdout)
        suite.rows.append(
            Row(
                "cassette replay (`--record-mode none`)",
                f"{n:,} items",
                f"{rate:,.0f} items/s",
                f"{rate / 1000:.2f}x the 1,000/s target",
                seconds,
                m.peak_rss_mb,
                "recording first is not timed; RSS includes it",
            )
        )


def replay_cli(suite: Suite) -> None:
    """The CI path from the command line: `harness run --record-mode none`, launch to exit."""
    for n in (1000,) if suite.quick else (1000, 10_000):
        m = suite.run_stage(
            f"replay-cli {n}", ["-m", "benchmarks.bench_replay_cli", "--items", str(n)]
        )
        if m is None:
            continue
        seconds = _num(r"items: ([\d.]+)s", m.stdout)
        target = 1000 if n <= 1000 else 2500
        suite.rows.append(
            Row(
                "CI path from the command line (`harness run --record-mode none`)",
                f"{n:,} items",
                f"{n / seconds:,.0f} items/s",
                f"{n / seconds / target:.2f}x the {target:,}/s target",
                seconds,
                m.peak_rss_mb,
                "start-up, specs, replay, store and every report file; recording first untimed",
            )
        )


def pytest_plugin(suite: Suite) -> None:
    """The pytest plugin next to ``harness run`` on the same cassettes, both modes."""
    cases = 1000 if suite.quick else 10_000
    m = suite.run_stage("pytest", ["-m", "benchmarks.bench_pytest", "--cases", str(cases)])
    if m is None:
        return
    for mode in ("record", "replay"):
        cli = _num(rf"{mode}: harness run\s+([\d.]+) s", m.stdout)
        ours = _num(rf"{mode}: harness run\s+[\d.]+ s\s+pytest\s+([\d.]+) s", m.stdout)
        suite.rows.append(
            Row(
                f"pytest plugin ({mode}) vs `harness run`, 64 in flight",
                f"{2 * cases:,} items",
                f"{ours:.1f} s (CLI {cli:.1f} s)",
                f"{ours / cli:.2f}x the CLI (target <= 1.5x)",
                ours,
                m.peak_rss_mb,
                "start-up to report files, each a subprocess; same spec, same fake",
            )
        )


def report(suite: Suite) -> None:
    """Every report file written from a store: time, report.html size, peak RSS."""
    for n in (1000, 10_000) if suite.quick else (1000, 10_000, 100_000):
        m = suite.run_stage(f"report {n}", ["benchmarks/bench_report.py", "--one", str(n)])
        if m is None:
            continue
        data = json.loads(m.stdout.strip().splitlines()[-1])
        suite.rows.append(
            Row(
                "report files from the store (all of them)",
                f"{n:,} results",
                f"{data['render_s']} s, {data['html_mb']} MB html",
                "",
                data["render_s"],
                data["peak_rss_mb"],
                "synthetic results streamed into a store first; RSS of that process",
            )
        )


def view(suite: Suite) -> None:
    """`harness view` on a generated store: open, run page, search, trends."""
    n = 100_000 if suite.quick else 1_000_000
    m = suite.run_stage(f"view {n}", ["benchmarks/bench_view.py", "--results", str(n)])
    if m is None:
        return
    data = json.loads(m.stdout.strip().splitlines()[-1])
    opened = data["open = store + runs list"]
    scan = data["runs list without the covering index"]
    run_page = next(v for k, v in data.items() if k.startswith("one run of"))
    suite.rows.append(
        Row(
            "harness view: open a store (runs list answered)",
            f"{n:,} results, 10 runs",
            f"{opened:.2f} s; a run's page {run_page:.2f} s, "
            f"search every run {data['search every run, no match']:.2f} s, "
            f"trends {data['trends (GET /trends)']:.2f} s",
            f"{scan / opened:.1f}x faster than without the covering index",
            m.seconds,
            m.peak_rss_mb,
            "target < 2 s to open; store generation included in the seconds and RSS",
        )
    )


def peers(suite: Suite) -> None:
    """promptfoo and inspect_ai on the same 1,000-case eval as harness, in both setups."""
    from benchmarks.peers.compare import ceiling_speedup, compare, speedup

    cases = 200 if suite.quick else 1000
    print(f"== peers ({cases} cases)", flush=True)
    results = compare(cases)
    for r in results:
        label = f"peer ({r.setup}): {r.name}"
        if r.seconds is None:
            suite.rows.append(
                Row(label, f"{cases:,} cases", "not run", note=f"could not run here: {r.error}")
            )
            continue
        x, c = speedup(results, r), ceiling_speedup(results, r)
        ceiling = f"; raw aiohttp {c:.1f}x faster than it" if c is not None else ""
        suite.rows.append(
            Row(
                label + (f" {r.version}" if r.version else ""),
                f"{cases:,} cases",
                f"{cases / r.seconds:,.0f} cases/s, {r.passed}/{r.results} passed",
                f"harness {x:.1f}x faster" if x is not None else "",
                r.seconds,
                r.peak_rss_mb,
                r.note + ceiling,
            )
        )
        suite.log.append(f"peer {r.name} ({r.setup}): {r.seconds:.2f}s {r.note}")


def scaling(suite: Suite) -> None:
    """The whole ``harness run`` at 10k, 100k and 1M items (1k and 10k when quick)."""
    from benchmarks.scaling import QUICK_SIZES, SIZES, run_sizes

    for point in run_sizes(QUICK_SIZES if suite.quick else SIZES):
        suite.rows.append(
            Row(
                "scaling: the whole `harness run` vs the fake",
                f"{point.items:,} items",
                f"{point.items / point.run_s:,.0f} items/s, {point.us_per_item:,.0f} µs/item",
                "",
                point.run_s,
                point.run_rss_mb,
                f"start-up, spec, calls, store and report files included; `harness report` "
                f"alone {point.report_s:.1f}s, peak RSS {point.report_rss_mb:,.0f} MB, "
                f"report.html {point.html_mb:.1f} MB",
            )
        )


BENCHMARKS: dict[str, Callable[[Suite], None]] = {
    "drivers": drivers,
    "run": full_run,
    "replay": replay,
    "replay-cli": replay_cli,
    "pytest": pytest_plugin,
    "report": report,
    "view": view,
    "peers": peers,
    "scaling": scaling,
}


def machine() -> str:
    """One line about where this ran: CPUs, load, Python."""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}), load average {load} at the start, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def markdown(suite: Suite, started: str, command: str, where: str) -> str:
    """The results page."""
    lines = [
        "# Benchmark results",
        "",
        f"Measured {started} with `{command}` on {where}. The machine is shared and loaded:",
        "absolute figures move by 2x from run to run; the ratios, measured against raw aiohttp",
        "on the same server in the same run, are steadier. See docs/benchmarks.md.",
        "",
        "| benchmark | size | result | ratio | wall s | peak RSS MB | notes |",
        "| --- | --- | --- | --- | ---: | ---: | --- |",
    ]
    for r in suite.rows:
        secs = f"{r.seconds:.2f}" if r.seconds is not None else ""
        rss = f"{r.peak_rss_mb:,.0f}" if r.peak_rss_mb is not None else ""
        cells = [r.benchmark, r.size, r.result, r.ratio, secs, rss, r.note]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", "<details><summary>raw output</summary>", "", "```"]
    lines += suite.log
    lines += ["```", "", "</details>", ""]
    return "\n".join(lines)


def run_suite(suite: Suite, out: Path, command: str) -> str:
    """Run the selected benchmarks in order and write the page to ``out``."""
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    where = machine()
    for name, bench in BENCHMARKS.items():
        if suite.wants(name):
            try:
                bench(suite)
            except Exception as exc:  # one broken benchmark must not lose the others' rows
                suite.rows.append(Row(name, "", "FAILED", note=f"{type(exc).__name__}: {exc}"))
    page = markdown(suite, started, command, where)
    out.write_text(page, encoding="utf-8")
    return page
