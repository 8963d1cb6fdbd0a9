"""Write a run's report files straight from the store, in flat memory at any size.

Every table and chart comes from SQL aggregates (``harness.report.aggregates``), the
matrix embeds at most a capped selection (``harness.report.matrix``), and the results
files are streamed from a cursor (``harness.report.results_files``). pandas is not
imported on this path.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from harness.report.aggregates import (
    pairwise_store,
    quantiles,
    run_counts,
    summarize_store,
)
from harness.report.beside import ResultsFiles
from harness.report.charts import (
    LATENCY_QUANTILES,
    MAX_STRIP_POINTS,
    LatencyRow,
    accuracy_vs_cost,
    latency_chart,
)
from harness.report.extras_store import Extras, extras_store, extras_table_store, summary_extras
from harness.report.failing_store import failing_store
from harness.report.html import _leaderboard_rows, _run_meta, render_page
from harness.report.matrix import MATRIX_BYTES, MATRIX_RESULTS, matrix_data
from harness.report.measures import SUMMARY_COLUMNS, sort_leaderboard
from harness.report.summary_pass import summarize_both
from harness.store.sqlite import Store


def render_store_report(
    store: Store,
    run_id: str,
    *,
    max_results: int = MATRIX_RESULTS,
    max_bytes: int = MATRIX_BYTES,
    summary: Summaries | None = None,
    extras: Extras | None = None,
) -> str:
    """The whole ``report.html`` of a run in ``store``, as ``render_report`` draws it from a
    frame, with the matrix capped at ``max_results`` results and ``max_bytes`` of text."""
    counts = run_counts(store, run_id)
    meta = _run_meta(
        store.run(run_id),
        run_id=run_id,
        recorded=counts.recorded,
        total=counts.total,
        models=counts.models,
        specs=counts.specs,
    )
    per_model = summarize_store(store, run_id, ["model"]) if summary is None else summary[0]
    board = sort_leaderboard(per_model)
    latency = [
        LatencyRow(
            str(group.key[0]),
            {q: group.percentile(q) or 0.0 for q in LATENCY_QUANTILES},
            group.every(max(1, group.count // MAX_STRIP_POINTS)),
            group.top,
        )
        for group in quantiles(
            store, run_id, ["model"], "latency_ms", LATENCY_QUANTILES, strip=MAX_STRIP_POINTS
        )
    ]
    matrix = matrix_data(store, run_id, max_results=max_results, max_bytes=max_bytes)
    payload = matrix.payload
    left_out: dict[str, Any] | None = None
    if matrix.capped:
        payload = {**payload, "total": matrix.total}
        left_out = {
            "shown": payload["n"],
            "cap": max_results,
            "megabytes": f"{max_bytes / 1e6:g}",
            "kinds": matrix.left,
        }
    return render_page(
        meta,
        board=_leaderboard_rows(board),
        cost_chart=accuracy_vs_cost(board),
        latency_chart=latency_chart(
            latency, replayed=counts.replayed_models, recorded=meta["timings"] != "live"
        ),
        pairs=pairwise_store(store, run_id) if len(counts.models) > 1 else [],
        payload=payload,
        total=counts.total,
        failing=failing_store(store, run_id),
        extras=extras_table_store(store, run_id, per_model=extras),
        left_out=left_out,
    )


Summaries = tuple[list[dict[str, Any]], list[dict[str, Any]]]
"""The per-model and the per spec x model summary rows (``summarize_store``)."""


def summaries(store: Store, run_id: str) -> Summaries:
    """Both summaries of a run: report.html and summary.csv read the same ones."""
    return summarize_both(store, run_id)


def write_summary_csv(
    store: Store,
    run_id: str,
    path: Path,
    *,
    summary: Summaries | None = None,
    extras: Extras | None = None,
) -> Path:
    """``summary.csv``: one row per model and per spec x model (``SUMMARY_COLUMNS``).

    Written as pandas' ``to_csv`` writes ``tables.summary_frame``: unknown values empty,
    floats as ``repr``, booleans ``True``/``False``; after ``SUMMARY_COLUMNS`` the repeat
    measures, the judge cost and one ``metric:NAME`` column per named metric.
    """
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        per_model, per_spec = summary or summaries(store, run_id)
        rows = [{"scope": "model", "spec": "", **row} for row in per_model]
        rows += [{"scope": "spec_model", **row} for row in per_spec]
        keys = [
            ("model", (row["model"],)) if row["scope"] == "model"
            else ("spec_model", (row["spec"], row["model"]))
            for row in rows
        ]  # fmt: skip
        columns, values, whole = summary_extras(store, run_id, keys, per_model=extras)
        writer.writerow([*SUMMARY_COLUMNS, *columns])
        for row, extra in zip(rows, values, strict=True):
            if not whole and extra["repeat_k"] is not None:
                extra["repeat_k"] = float(extra["repeat_k"])  # pandas' NaN makes it a float
            cells = [row[c] for c in SUMMARY_COLUMNS] + [extra[c] for c in columns]
            writer.writerow(["" if v is None else v for v in cells])
    return path


def write_reports(store: Store, run_id: str, out_dir: Path) -> dict[str, Path]:
    """Write ``report.html``, ``summary.csv``, ``results.csv`` and ``results.json`` (and
    ``results.parquet`` when pyarrow is installed).

    Args:
        store: The results store holding the run.
        run_id: The run to report on.
        out_dir: The run's report folder (created if needed).

    Returns:
        The written paths by kind: ``html``, ``summary``, ``results_csv``,
        ``results_json`` and, with pyarrow, ``results_parquet``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "report.html"
    files = ResultsFiles.start(store, run_id, out_dir)  # a large run's: beside the page
    try:
        summary = summaries(store, run_id)
        extras = extras_store(store, run_id, ["model"])  # the page's and summary.csv's
        page = render_store_report(store, run_id, summary=summary, extras=extras)
        html_path.write_text(page, encoding="utf-8")
        summary_csv = write_summary_csv(
            store, run_id, out_dir / "summary.csv", summary=summary, extras=extras
        )
        paths = {"html": html_path, "summary": summary_csv}
    except BaseException:
        files.stop()
        raise
    return {**paths, **files.wait()}
