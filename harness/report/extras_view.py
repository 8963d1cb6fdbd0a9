"""The report's "Repeats and metrics" table: pass@k, pass^k, majority vote and named
metrics per model, shown when a run repeated cases or named metrics."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from harness.report.aggregate import METRIC_PREFIX, judge_costs, metric_scores, repeat_measures

_REPEAT_HEADERS = [
    ("pass@1", "pass_at_1", "mean over cases of the share of attempts that passed"),
    ("pass@k", "pass_at_k", "chance at least one of k attempts passes (unbiased estimator)"),
    ("pass^k", "pass_hat_k", "chance all k attempts pass (k attempts: every one passed)"),
    ("majority", "majority_pass_rate", "share of cases where more than half the attempts passed"),
]


def extras_table(frame: pd.DataFrame) -> dict[str, Any] | None:
    """Headers and rows for the table, or None when there is nothing to add."""
    repeats = repeat_measures(frame, ["model"])
    metrics = metric_scores(frame, ["model"])
    costs = judge_costs(frame, ["model"])
    names = [c for c in metrics.columns if c.startswith(METRIC_PREFIX)]
    repeated = bool(len(repeats)) and int(repeats["repeat_k"].max()) > 1
    if not repeated and not names and not len(costs):
        return None
    table = repeats.merge(costs, on="model", how="left")
    if names:
        table = table.merge(metrics, on="model", how="left")
    headers: list[tuple[str, str]] = []
    columns: list[str] = []
    if repeated:
        headers.append(("k", "attempts per case (--repeat)"))
        columns.append("repeat_k")
        for label, column, help_ in _REPEAT_HEADERS:
            headers.append((label, help_))
            columns.append(column)
    if len(costs):
        headers.append(("judge cost", "what the judge calls of model-graded assertions cost"))
        columns.append("judge_cost_usd")
    for name in names:
        headers.append(
            (name[len(METRIC_PREFIX) :], "mean score of the assertions with this metric")
        )
        columns.append(name)
    rows = []
    for rec in table.to_dict("records"):
        cells = [_cell(rec.get(c), c) for c in columns]
        rows.append({"model": rec["model"], "cells": cells})
    return {"headers": headers, "rows": rows}


def _cell(value: Any, column: str) -> tuple[str, str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ("—", "")
    if column == "repeat_k":
        return (str(int(value)), str(int(value)))
    if column == "judge_cost_usd":
        return (f"${value:.4f}", f"{value:.9f}")
    return (f"{value:.1%}", f"{value:.6f}")
