"""Render the self-contained ``report.html`` (and the compare page) with Jinja2.

Autoescape is always on. Tables and charts are rendered here, on the server side; the
per-result data goes in as escaped JSON (``payload.embed_json``) for the page's
script, which writes it with ``textContent`` only.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from importlib.resources import files
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from harness.report.charts import accuracy_vs_cost, latency_distribution
from harness.report.extras_view import extras_table
from harness.report.failing import failing_assertions
from harness.report.payload import build_payload, embed_json
from harness.report.tables import leaderboard, pairwise
from harness.store.records import RunInfo

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _asset(name: str) -> Markup:
    # our own static files, not data: inserted as they are
    return Markup((files("harness.report") / "templates" / name).read_text(encoding="utf-8"))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_time(ts: float | None) -> str:
    """A Unix timestamp as ``YYYY-MM-DD HH:MM:SS UTC``; empty when unknown."""
    if _missing(ts):
        return ""
    assert ts is not None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_cell(value: Any, kind: str) -> tuple[str, str]:
    """``(display, sort key)`` for one leaderboard cell; unknown shows as an em dash."""
    if _missing(value):
        return ("—", "")
    if kind == "pct":
        return (f"{value:.1%}", f"{value:.6f}")
    if kind == "usd":
        return (f"${value:.4f}" if value < 10 else f"${value:,.2f}", f"{value:.9f}")
    if kind == "ms":
        return (f"{value:,.0f} ms", f"{value:.3f}")
    if kind == "num":
        return (f"{value:.3f}", f"{value:.6f}")
    return (f"{int(value):,}", str(int(value)))


def _leaderboard_rows(board: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for rec in board.to_dict("records"):
        n = rec["attempts"]
        rate = fmt_cell(rec["pass_rate"], "pct")
        ci = (
            f"{rec['pass_rate_ci_low']:.1%}–{rec['pass_rate_ci_high']:.1%}"
            if not _missing(rec["pass_rate_ci_low"])
            else "—"
        )
        cost = fmt_cell(rec["cost_usd"], "usd")
        if rec["cost_known"] == 0:
            cost = ("unknown", "")
        elif rec["cost_known"] < n:
            cost = (f"{cost[0]} (known for {rec['cost_known']}/{n})", cost[1])
        repeat = f"{rec['cases']} cases × up to {rec['max_attempt']} attempts"
        rows.append(
            {
                "model": rec["model"],
                "cells": [
                    rate,
                    (ci, rate[1]),
                    (f"{n:,}", str(n)),
                    (repeat, str(rec["cases"])),
                    fmt_cell(rec["mean_score"], "num"),
                    fmt_cell(rec["latency_p50_ms"], "ms"),
                    fmt_cell(rec["latency_p95_ms"], "ms"),
                    fmt_cell(rec["ttft_p50_ms"], "ms"),
                    fmt_cell(rec["input_tokens"], "int"),
                    fmt_cell(rec["output_tokens"], "int"),
                    cost,
                    fmt_cell(rec["cost_per_pass_usd"], "usd"),
                    fmt_cell(rec["repaired_share"], "pct"),
                    fmt_cell(rec["errors"], "int"),
                    fmt_cell(rec["skipped"], "int"),
                    _wait_cell(rec["rate_limit_wait_s"], rec["rate_limited_share"]),
                ],
            }
        )
    return rows


LEADERBOARD_HEADERS = [
    ("pass rate", "share of graded attempts that passed; errors count as not passed"),
    ("95% CI", "Wilson score interval of the pass rate"),
    ("n", "graded attempts (every --repeat attempt counts once)"),
    ("cases", "distinct spec x case pairs and attempts per case"),
    ("mean score", "mean weighted assertion score; errors score 0"),
    ("p50 latency", "median wall time per call"),
    ("p95 latency", "95th percentile wall time per call"),
    ("p50 TTFT", "median time to first token (streaming calls)"),
    ("input tok", "total input tokens"),
    ("output tok", "total output tokens"),
    ("total cost", "USD; unknown prices are never counted as $0"),
    ("cost / pass", "total cost divided by passed attempts"),
    ("JSON repaired", "share of outputs that needed JSON repair to parse"),
    ("errors", "attempts that ended in an error (no answer)"),
    ("skipped", "items not run (left out of the pass rate)"),
    (
        "rate-limit wait",
        "total time the calls waited for the provider's rate limits (pauses after 429s, "
        "pacing, configured RPM/TPM), and the share of attempts that waited",
    ),
]


def _wait_cell(seconds: Any, share: Any) -> tuple[str, str]:
    if _missing(seconds):
        return ("—", "")
    text = f"{seconds:,.1f} s"
    if seconds and not _missing(share):
        text += f" ({share:.0%} waited)"
    return (text, f"{seconds:.3f}")


def _run_meta(run: RunInfo | None, frame: pd.DataFrame) -> dict[str, Any]:
    recorded = int(frame["timings_recorded"].sum()) if len(frame) else 0
    if run is None:
        run = RunInfo(run_id=str(frame["run_id"].iloc[0]) if len(frame) else "", started_at=0.0)
    timings = run.timings
    if recorded and recorded < len(frame):
        timings = "mixed"
    elif recorded and recorded == len(frame):
        timings = "recorded"
    fields: list[tuple[str, str]] = [
        ("run id", run.run_id),
        ("started", fmt_time(run.started_at or None)),
        ("finished", fmt_time(run.finished_at)),
        ("status", run.status),
        ("git commit", run.git_commit or "unknown"),
        ("record mode", run.record_mode or "none"),
        ("timings", f"{timings} ({recorded:,} of {len(frame):,} results replayed from cassettes)"),
        ("models", ", ".join(run.models or sorted(frame["model"].unique()))),
        ("source", run.source),
    ]
    return {
        "run_id": run.run_id,
        "fields": fields,
        "timings": timings,
        "spec_hashes": sorted(run.spec_hashes.items()),
        "specs": _specs(run, frame),
        "params": json.dumps(run.params, indent=2, sort_keys=True, default=str)
        if run.params
        else "",
    }


def _specs(run: RunInfo, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(name, description) of every spec of the run; descriptions as stored at its start."""
    described = run.params.get("spec_descriptions") or {}
    names = sorted(set(run.spec_hashes) | set(frame["spec"].unique()) | set(described))
    return [(str(n), str(described.get(n) or "")) for n in names if n]


def render_report(run: RunInfo | None, frame: pd.DataFrame) -> str:
    """The whole ``report.html`` for one run as a string.

    Args:
        run: The run's metadata (None renders what the frame alone tells).
        frame: Results, as from ``harness.report.frame.normalize``.
    """
    board = leaderboard(frame)
    meta = _run_meta(run, frame)
    pairs = pairwise(frame) if frame["model"].nunique() > 1 else []
    template = _ENV.get_template("report.html.j2")
    return template.render(
        meta=meta,
        headers=LEADERBOARD_HEADERS,
        rows=_leaderboard_rows(board),
        extras=extras_table(frame),
        pairs=pairs,
        failing=failing_assertions(frame),
        cost_chart=accuracy_vs_cost(board),
        latency_chart=latency_distribution(frame, recorded=meta["timings"] != "live"),
        data=embed_json(build_payload(frame)),
        css=_asset("report.css"),
        js=_asset("report.js"),
        generated=fmt_time(dt.datetime.now(dt.UTC).timestamp()),
        total=len(frame),
    )


def render_template(name: str, **context: Any) -> str:
    """Render another page (e.g. ``compare.html.j2``) with the shared CSS."""
    return _ENV.get_template(name).render(css=_asset("report.css"), **context)
