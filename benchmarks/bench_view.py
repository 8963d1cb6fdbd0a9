"""Benchmark `harness view` on a big store: a million results over ten runs.

Generates the store (or reuses ``--store``), then times, in one process, the store's
open (migrations included) and the first answer of each page through the ASGI app,
the way a browser's first requests would hit it: the runs list, a run of 100,000
results, a full-text search in it, the trends and one item. Then it drops the covering
index and times the runs list again, side by side: what the index buys.

    .venv/bin/python benchmarks/bench_view.py                 # 1,000,000 results
    .venv/bin/python benchmarks/bench_view.py --results 100000
    .venv/bin/python benchmarks/bench_view.py --store /tmp/big.db --keep

The target: the view opens a store of a million results (the runs list answered) in
under 2 s. The OS file cache is warm (the store was just written, or read before).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.store.records import ResultRecord, RunInfo  # noqa: E402
from harness.store.sqlite import Store  # noqa: E402

RUNS = 10
MODELS = ("openai:gpt-4o-mini", "anthropic:claude-3-5-haiku", "gemini:gemini-2.0-flash",
          "ollama:llama3.2")  # fmt: skip
SPECS = ("extract", "classify", "summarize", "refuse")
FIRST_ITEM = "extract::case-000000::openai:gpt-4o-mini::1"


def generate(path: Path, results: int) -> None:
    """``results`` results spread over ``RUNS`` runs, 4 models, 4 specs, realistic text."""
    per_run = results // RUNS
    with Store.open(path) as store:
        for r in range(RUNS):
            run_id = f"2026010{r // 10}T{r % 10:02d}0000-bench{r:02d}"
            store.start_run(
                RunInfo(run_id=run_id, started_at=1_767_225_600.0 + r * 86_400,
                        finished_at=1_767_225_700.0 + r * 86_400, git_commit=f"{r:07x}",
                        models=list(MODELS), status="finished", record_mode="none")
            )  # fmt: skip
            batch: list[ResultRecord] = []
            for i in range(per_run):
                model = MODELS[i % len(MODELS)]
                spec = SPECS[(i // len(MODELS)) % len(SPECS)]
                case = f"case-{i // (len(MODELS) * len(SPECS)):06d}"
                passed = (i * 2654435761 + r * 97) % 100 < 70 + r
                batch.append(
                    ResultRecord(
                        run_id=run_id, item_id=f"{spec}::{case}::{model}::1", spec=spec,
                        case_id=case, model=model, attempt=1,
                        status="passed" if passed else "failed", score=1.0 if passed else 0.0,
                        prompt=f"Extract the fields of document {case}. " + "Lorem ipsum. " * 20,
                        output=json.dumps({"invoice": case, "total": i * 1.5, "note": "ok"}),
                        verdicts=[{"assertion": "equals", "passed": passed, "score": 1.0,
                                   "reason": "matched" if passed else "expected X, got Y"}],
                        latency_ms=200.0 + i % 700, input_tokens=120, output_tokens=30,
                        cost_usd=0.0001 * (1 + i % 4), tags=["bench"],
                    )
                )  # fmt: skip
                if len(batch) == 20_000:
                    store.write(batch)
                    batch = []
            store.write(batch)


def timed(fn: object, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start, out


def measure(path: Path) -> list[tuple[str, float, str]]:
    """Seconds per step: open the store, then each page's first answer."""
    from starlette.testclient import TestClient

    from harness.view.app import create_app
    from harness.view.serve import prepare_store

    rows: list[tuple[str, float, str]] = []
    took, _ = timed(prepare_store, path)
    rows.append(("open the store (migrations)", took, ""))
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    took, page = timed(client.get, "/")
    rows.append(("runs list (GET /)", took, f"{len(page.text):,} bytes"))  # type: ignore[attr-defined]
    rows.append(("open = store + runs list", rows[0][1] + rows[1][1], "target < 2 s"))
    with sqlite3.connect(path) as db:
        latest = db.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[
            0
        ]
        n = db.execute("SELECT COUNT(*) FROM results WHERE run_id = ?", (latest,)).fetchone()[0]
        total = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    for label, url in (
        (f"one run of {n:,} (GET /runs/ID)", f"/runs/{latest}"),
        ("search its answers (?q=case-000123)", f"/runs/{latest}?q=case-000123"),
        ("search, no match (?q=zzz)", f"/runs/{latest}?q=zzz-no-match"),
        ("failed only, one model", f"/runs/{latest}?status=failed&model=ollama:llama3.2"),
        ("search every run (GET /search?q=case-000123)", "/search?q=case-000123"),
        ("search every run, no match", "/search?q=zzz-no-match"),
        ("trends (GET /trends)", "/trends"),
        (
            "one item (GET /item)",
            f"/item?run={latest}&id=extract::case-000000::openai:gpt-4o-mini::1",
        ),
    ):
        took, page = timed(client.get, url)
        assert page.status_code == 200, (url, page.status_code)  # type: ignore[attr-defined]
        rows.append((label, took, ""))
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX results_overview_prompts")
    took, _ = timed(client.get, "/")
    rows.append(("runs list without the covering index", took, "the peer: same query, table scan"))
    rows.insert(0, ("store", 0.0, f"{total:,} results, {path.stat().st_size / 1e6:,.0f} MB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=None, help="reuse or keep this store")
    parser.add_argument("--keep", action="store_true", help="keep the generated store")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="harness-view-bench-"))
    path = args.store or tmp / "harness.db"
    try:
        if not path.exists():
            took, _ = timed(generate, path, args.results)
            print(f"generated {args.results:,} results in {took:.1f} s")
        work = tmp / "work.db"  # measured on a copy: the index is dropped at the end
        shutil.copy(path, work)
        rows = measure(work)
        for label, seconds, note in rows:
            shown = "" if label == "store" else f"{seconds:8.3f} s"
            print(f"{label:45} {shown:>10}  {note}")
        # the last line, for python -m benchmarks
        print(json.dumps({label: round(seconds, 4) for label, seconds, _ in rows}))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"store kept at {path}")


if __name__ == "__main__":
    main()
