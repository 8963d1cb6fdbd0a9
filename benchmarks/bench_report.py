"""Benchmark the report files: time, report.html size and peak RSS at 1k, 10k and 100k results.

Every file ``harness run`` writes (report.html, summary.csv, results.csv, results.json,
results.parquet with pyarrow) is written from a store of synthetic results, as ``harness
report`` does. Each size runs in its own process so peak RSS is that size's alone. With
``--browser``
(needs /usr/bin/chromium) it also measures how long headless Chromium takes to load the
page until the case matrix is drawn.

    .venv/bin/python benchmarks/bench_report.py            # 1,000 / 10,000 / 100,000
    .venv/bin/python benchmarks/bench_report.py --browser  # plus page load time
    .venv/bin/python benchmarks/bench_report.py --sizes 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = ["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku", "gemini:gemini-2.0-flash",
          "ollama:llama3.2", "openai:gpt-4.1"]  # fmt: skip
ATTEMPTS = 2


def synthetic_rows(n: int) -> list[dict[str, object]]:
    """``n`` results: 5 models x 2 attempts x n/10 cases over 4 specs, realistic text sizes."""
    return list(iter_synthetic_rows(n))


def iter_synthetic_rows(n: int) -> Iterator[dict[str, object]]:
    """``synthetic_rows`` one at a time."""
    made = 0
    cases = max(1, n // (len(MODELS) * ATTEMPTS))
    for c in range(cases):
        spec = f"spec-{c % 4}"
        prompt = f"Extract the invoice fields from document {c}. " + "Lorem ipsum dolor. " * 15
        for model in MODELS:
            for attempt in range(1, ATTEMPTS + 1):
                k = made
                passed = (k * 2654435761) % 100 < 75
                output = json.dumps({"invoice": f"INV-{c}", "total": c * 3.5 + attempt,
                                     "note": "ok " * (k % 20)})  # fmt: skip
                yield {
                    "run_id": "bench", "item_id": f"{spec}::case-{c}::{model}::{attempt}",
                    "spec": spec, "case_id": f"case-{c:06d}", "model": model, "attempt": attempt,
                    "status": "passed" if passed else "failed", "score": 1.0 if passed else 0.5,
                    "prompt": prompt, "output": output, "parsed_output": json.loads(output),
                    "repaired": k % 17 == 0,
                    "verdicts": json.dumps([
                        {"assertion": "schema", "passed": True, "score": 1.0,
                         "reason": "valid against schema", "weight": 1.0, "field": None,
                         "error": None},
                        {"assertion": "equals", "passed": passed, "score": 1.0 if passed else 0.0,
                         "reason": "matched" if passed else f"expected {c * 3.5}, got {c}",
                         "weight": 1.0, "field": "total", "error": None},
                    ]),
                    "latency_ms": 300.0 + (k * 7919) % 2000, "ttft_ms": 120.0 + k % 50,
                    "input_tokens": 120, "output_tokens": 40 + k % 30,
                    "cost_usd": None if model.startswith("ollama") else 0.0001 * (1 + k % 3),
                    "tags": json.dumps(["smoke"] if c % 2 else ["regression"]),
                    "case_vars": json.dumps({"doc": c}),
                    "expected": json.dumps([{"type": "equals", "field": "total",
                                             "value": c * 3.5}]),
                }  # fmt: skip
                made += 1
                if made >= n:
                    return


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(n: int) -> dict[str, float]:
    """Write every report file for ``n`` synthetic results from a store, in this process.

    The results are streamed into a scratch store first (10,000 at a time), so the peak
    RSS is the report files' own; returns seconds, bytes and peak RSS in MB.
    """
    import dataclasses

    from harness.report import write_reports
    from harness.store.records import ResultRecord, RunInfo
    from harness.store.sqlite import Store

    names = {f.name for f in dataclasses.fields(ResultRecord)}
    out = Path(tempfile.gettempdir()) / f"bench-report-{n}"
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "h.db") as store:
        store.start_run(RunInfo("bench", started_at=time.time(), models=list(MODELS)))
        batch: list[ResultRecord] = []
        for row in iter_synthetic_rows(n):
            values = {k: v for k, v in row.items() if k in names}
            for key in ("verdicts", "tags", "case_vars", "expected"):
                values[key] = json.loads(str(values[key]))
            batch.append(ResultRecord(**values))  # type: ignore[arg-type]
            if len(batch) == 10_000:
                store.write(batch)
                batch = []
        store.write(batch)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start, cpu = time.perf_counter(), time.process_time() + _children_cpu()
        paths = write_reports(store, "bench", out)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() + _children_cpu() - cpu  # a large run's second process too
    # the larger of this process and the second one that writes a large run's results files
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return {
        "results": n,
        "render_s": round(elapsed, 2),
        "cpu_s": round(cpu, 2),
        "html_mb": round(paths["html"].stat().st_size / 1e6, 2),
        "summary_kb": round(paths["summary"].stat().st_size / 1e3, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_before_render_mb": round(before / 1024, 1),
    }


async def page_load(n: int) -> float:
    """Seconds from navigation until the matrix has drawn its first page."""
    from tests.report.cdp import Browser

    path = Path(tempfile.gettempdir()) / f"bench-report-{n}" / "report.html"
    async with Browser() as page:
        await page.send("Page.enable")
        start = time.perf_counter()
        await page.send("Page.navigate", url=path.as_uri())
        await page.wait_event("Page.loadEventFired", timeout=120)
        while not await page.eval("document.querySelectorAll('#matrix-table td.cell').length"):
            await asyncio.sleep(0.05)
        return round(time.perf_counter() - start, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--browser", action="store_true", help="also time page load")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    header = f"{'results':>9} {'render s':>9} {'CPU s':>7} {'html MB':>8} {'peak RSS MB':>12}"
    print(header + (f" {'load s':>7}" if args.browser else ""))
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        m = json.loads(out)
        line = (
            f"{n:>9,} {m['render_s']:>9} {m['cpu_s']:>7} {m['html_mb']:>8} {m['peak_rss_mb']:>12}"
        )
        if args.browser:
            line += f" {asyncio.run(page_load(n)):>7}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
