"""Reports: pandas tables, the self-contained HTML page, summary.csv, and run comparison.

The core functions take plain data (``RunInfo`` and a results frame); only
``write_reports`` and ``harness.report.sources`` read the store.
"""

from __future__ import annotations

from pathlib import Path

from harness.report.compare import Comparison, compare_runs
from harness.report.frame import normalize
from harness.report.html import render_report
from harness.report.results_files import write_results_files
from harness.report.tables import leaderboard, pairwise, summary_frame
from harness.store.sqlite import Store

__all__ = [
    "Comparison",
    "compare_runs",
    "leaderboard",
    "pairwise",
    "render_report",
    "summary_frame",
    "write_reports",
]


def write_reports(store: Store, run_id: str, out_dir: Path) -> dict[str, Path]:
    """Write ``report.html``, ``summary.csv``, ``results.csv`` and ``results.json``.

    Args:
        store: The results store holding the run.
        run_id: The run to report on.
        out_dir: The run's report folder (created if needed).

    Returns:
        The written paths by kind: ``html``, ``summary``, ``results_csv``, ``results_json``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = normalize(store.results_frame(run_id))
    html_path = out_dir / "report.html"
    html_path.write_text(render_report(store.run(run_id), frame), encoding="utf-8")
    summary_path = out_dir / "summary.csv"
    summary_frame(frame).to_csv(summary_path, index=False)
    paths = {"html": html_path, "summary": summary_path}
    for path in write_results_files(store, run_id, out_dir):
        paths["results_json" if path.suffix == ".json" else "results_csv"] = path
    return paths
