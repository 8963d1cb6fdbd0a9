"""Both summaries of a run (per model, and per spec x model) from one pass over its rows.

``summarize_store`` reads the store five times for one grouping (counts, distinct cases,
float sums, two sets of percentiles, each a sort of every graded row); the report needs
two groupings, so ten. Here the counts and distinct cases are read once per spec x
model and added up per model (they are integers), and the values the float sums and
percentiles need come from a single sorted read, one model at a time: per model, its
rows in write order, split by spec as they go. The rows are the same as
``summarize_store``'s to the last digit (the same values, summed in the same order);
a test checks it.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence
from typing import Any

from harness.report.aggregates import (
    COUNTS,
    GRADED,
    MODEL,
    Percentiles,
    _Waits,
    summary_rows,
)
from harness.report.stats import pairwise_sum
from harness.store.sqlite import Store

_ADDED = (0, 1, 2, 3, 5, 6, 7, 8, 9)
"""Positions in ``COUNTS`` that add up across groups (the others are MAX)."""

_Sums = dict[tuple[Any, ...], tuple[float, float, _Waits]]


class _Group:
    """One group's graded values in write order (scores, costs, waits) and its
    latencies and times to first token (sorted when read)."""

    __slots__ = ("costs", "latency", "scores", "ttft", "waits")

    def __init__(self) -> None:
        self.scores: array[float] = array("d")
        self.costs: array[float] = array("d")
        self.waits = _Waits()
        self.latency: array[float] = array("d")
        self.ttft: array[float] = array("d")

    def add(self, score: float, cost: float, wait: Any, latency: Any, ttft: Any) -> None:
        self.scores.append(score)
        self.costs.append(cost)
        if wait is not None:
            self.waits.values.append(wait)
            self.waits.waited += wait > 0
        if latency is not None:
            self.latency.append(latency)
        if ttft is not None:
            self.ttft.append(ttft)

    def close(
        self, key: tuple[Any, ...], sums: _Sums, latency: Percentiles, ttft: Percentiles
    ) -> None:
        sums[key] = (pairwise_sum(self.scores), pairwise_sum(self.costs), self.waits)
        if self.latency:
            latency[key] = {q: _percentile(sorted(self.latency), q) for q in (50, 95)}
        if self.ttft:
            ttft[key] = {50: _percentile(sorted(self.ttft), 50)}


def _percentile(values: Sequence[float], q: int) -> float:
    """As ``Quantiles.percentile`` reads SQLite's sorted values."""
    pos = (len(values) - 1) * q / 100
    lo = int(pos)
    hi = lo + (pos > lo)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def summarize_both(store: Store, run_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(summarize_store(.., ["model"]), summarize_store(.., ["spec", "model"]))``."""
    per_spec = store.db.execute(
        f"SELECT spec, {MODEL} AS m, {COUNTS} FROM results WHERE run_id = ? "
        "GROUP BY spec, m ORDER BY spec, m",
        (run_id,),
    ).fetchall()
    per_model: dict[Any, list[Any]] = {}
    for row in per_spec:
        model, values = row[1], row[2:]
        seen = per_model.get(model)
        if seen is None:
            per_model[model] = [model, *values]
            continue
        for i in _ADDED:
            seen[1 + i] = (seen[1 + i] or 0) + (values[i] or 0)
        for i in (4, 10):  # MAX(attempt), MAX(timings_recorded)
            if values[i] is not None and (seen[1 + i] is None or values[i] > seen[1 + i]):
                seen[1 + i] = values[i]
    model_counts = [per_model[m] for m in sorted(per_model, key=_sql_order)]
    spec_cases: dict[tuple[Any, ...], int] = {}
    model_cases: dict[tuple[Any, ...], int] = {}
    for spec, model, n in store.db.execute(
        f"SELECT spec, m, COUNT(*) FROM (SELECT DISTINCT spec, {MODEL} AS m, case_id "
        f"FROM results WHERE run_id = ? AND {GRADED}) GROUP BY spec, m",
        (run_id,),
    ):
        spec_cases[(spec, model)] = n
        model_cases[(model,)] = model_cases.get((model,), 0) + n
    sums: tuple[_Sums, _Sums] = ({}, {})
    latency: tuple[Percentiles, Percentiles] = ({}, {})
    ttft: tuple[Percentiles, Percentiles] = ({}, {})
    cur = store.db.execute(
        f"SELECT {MODEL} AS m, spec, "
        "CASE WHEN status = 'error' THEN 0.0 ELSE COALESCE(score, 0.0) END, "
        "COALESCE(cost_usd, 0.0), rate_limit_wait_ms, latency_ms, ttft_ms "
        f"FROM results WHERE run_id = ? AND {GRADED} ORDER BY m, rowid",
        (run_id,),
    )
    for model, rows in itertools.groupby(cur, key=lambda r: r[0]):
        whole, by_spec = _Group(), dict[Any, _Group]()
        for _, spec, score, cost, wait, lat, first in rows:
            whole.add(score, cost, wait, lat, first)
            group = by_spec.get(spec)
            if group is None:
                group = by_spec[spec] = _Group()
            group.add(score, cost, wait, lat, first)
        whole.close((model,), sums[0], latency[0], ttft[0])
        for spec, group in by_spec.items():
            group.close((spec, model), sums[1], latency[1], ttft[1])
    return (
        summary_rows(["model"], model_counts, model_cases, sums[0], latency[0], ttft[0]),
        summary_rows(["spec", "model"], per_spec, spec_cases, sums[1], latency[1], ttft[1]),
    )


def _sql_order(value: Any) -> tuple[int, Any]:
    """SQLite's ORDER BY for the text keys of a group (NULL first; UTF-8 byte order is
    code point order, as Python compares strings)."""
    return (0, "") if value is None else (1, value)
