"""Reports: the self-contained HTML page, summary.csv, results files, and run comparison.

``write_reports`` reads the store with SQL aggregates and streams (flat memory at any
run size, no pandas); the frame-based functions (``render_report``, ``leaderboard``,
``summary_frame``, ``compare_runs``) take plain data for results files and analysis.
Names load lazily: ``harness run`` never pays for pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.report.compare import Comparison, compare_runs
    from harness.report.html import render_report
    from harness.report.tables import leaderboard, pairwise, summary_frame
    from harness.report.write import write_reports

_EXPORTS = {
    "Comparison": "harness.report.compare",
    "compare_runs": "harness.report.compare",
    "leaderboard": "harness.report.tables",
    "pairwise": "harness.report.tables",
    "render_report": "harness.report.html",
    "summary_frame": "harness.report.tables",
    "write_reports": "harness.report.write",
}

__all__ = [
    "Comparison",
    "compare_runs",
    "leaderboard",
    "pairwise",
    "render_report",
    "summary_frame",
    "write_reports",
]

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
