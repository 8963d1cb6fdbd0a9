"""What ``harness run`` prints when a run ends: the summary for people, or JSON for scripts.

For people: the summary table, then the failing and errored items with a reason each,
then what the budget skipped, what ``--resume`` reused, and where the files are.
``--json`` prints one JSON object instead (and nothing else on stdout)::

    harness run specs/ --json | jq '.models[] | {model, pass_rate}'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.runner.failures import print_failures
from harness.runner.money import format_usd
from harness.runner.run import RunResult
from harness.runner.summary import ModelStats, failure_lines, print_summary
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED
from harness.store.sqlite import Store


def print_run_end(
    result: RunResult,
    console: Console,
    *,
    out_dir: Path,
    files: Sequence[Path],
    timings: str,
    max_cost: float | None,
    notes: Sequence[str] = (),
) -> None:
    """The human-readable end of a run."""
    print_summary(result.stats, console, timings=timings)
    lines, total = failure_lines(result.stats)
    print_failures(lines, total, console)
    budget = budget_note(result.stats, max_cost)
    if budget:
        _say(console, budget)
    for note in notes:
        _say(console, note)
    if result.resumed_skipped:
        _say(console, f"resumed run {result.run_id}: {result.resumed_skipped} item(s) already done")
    _say(console, f"run {result.run_id}: results in {out_dir}")
    for f in files:
        _say(console, f"  {f}")


def _say(console: Console, text: str) -> None:
    # paths and ids are data: no [markup] and no :emoji: codes
    console.print(text, markup=False, emoji=False)


def budget_note(stats: Sequence[ModelStats], max_cost: float | None) -> str | None:
    """``12 item(s) skipped: the budget ($0.05) was reached after spending $0.0493``."""
    skipped = sum(s.budget_skipped for s in stats)
    if not skipped:
        return None
    spent = sum(s.cost_usd for s in stats)
    budget = "" if max_cost is None else f" ({format_usd(max_cost, sign=True)})"
    return (
        f"{skipped} item(s) skipped for budget: the cost limit{budget} was reached after "
        f"spending {format_usd(spent, sign=True)}; raise --max-cost (or the spec's max_cost) "
        "and continue with harness run --resume"
    )


def run_json(
    result: RunResult,
    *,
    out_dir: Path,
    files: Sequence[Path],
    fail_under: float | None,
    max_cost: float | None,
) -> str:
    """The run's summary as one JSON object (``--json``)."""
    lines, total = failure_lines(result.stats)
    data: dict[str, Any] = {
        "run_id": result.run_id,
        "status": result.status,
        "exit_code": result.exit_code(fail_under),
        "pass_rate": result.pass_rate,
        "counts": {s: result.count(s) for s in (PASSED, FAILED, ERROR, SKIPPED)},
        "cost_usd": sum(s.cost_usd for s in result.stats),
        "max_cost": max_cost,
        "resumed_skipped": result.resumed_skipped,
        "models": [_model(s) for s in result.stats],
        "failures": [line.as_dict() for line in lines],
        "failures_total": total,
        "out_dir": str(out_dir),
        "files": [str(f) for f in files],
    }
    return json.dumps(data, indent=2)


def _model(s: ModelStats) -> dict[str, Any]:
    return {
        "model": s.model,
        "passed": s.passed,
        "failed": s.failed,
        "errors": s.errors,
        "skipped": s.skipped,
        "skipped_for_budget": s.budget_skipped,
        "pass_rate": s.pass_rate,
        "mean_score": s.mean_score,
        "p50_ms": s.latency(0.5),
        "p95_ms": s.latency(0.95),
        "input_tokens": s.input_tokens,
        "output_tokens": s.output_tokens,
        "cost_usd": s.cost_usd if s.priced else None,
        "error_types": dict(s.error_types),
    }


def write_run_files(store: Store, run_id: str, out_dir: Path) -> list[Path]:
    """The report (report.html, summary.csv, results files), or the results files alone
    when the reports stage is not installed."""
    try:
        from harness.report import write_reports
    except ImportError:
        from harness.report.results_files import write_results_files

        return write_results_files(store, run_id, out_dir)
    return list(write_reports(store, run_id, out_dir).values())
