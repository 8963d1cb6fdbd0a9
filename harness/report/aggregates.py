"""The report's measures as SQL aggregates over the store: flat memory at any run size.

The same measures as ``harness.report.tables`` (which computes them with pandas from a
frame, for results files and ``harness compare``), by the same rules: every graded
attempt counts once, errors count as not passed and score 0, skipped items are left out
and counted apart, unknown costs stay unknown. Counts and sums are SQL aggregates;
percentiles read one group's sorted values at a time (8 bytes a value), never a frame of
every row. A test checks both paths give the same tables.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.report.measures import SUMMARY_COLUMNS, PairResult, sort_leaderboard
from harness.report.stats import (
    mcnemar_exact,
    pairwise_sum,
    wilson_interval,
)
from harness.store.sqlite import Store

GRADED = "status != 'skipped'"
"""SQL: the result counts toward the pass rate."""

MODEL = (
    "(CASE WHEN prompt_name IS NULL OR prompt_name = '' THEN model "
    "ELSE prompt_name || '@' || model END)"
)
"""SQL: the contender a result counts for: ``<prompt>@<model>`` for a prompt variant, else
the model (``frame.normalize`` labels the pandas path's ``model`` column the same way)."""

_GROUP_COLUMNS = {"model": MODEL, "spec": "spec"}


def _by(by: Sequence[str]) -> str:
    for name in by:
        if name not in _GROUP_COLUMNS:
            raise ValueError(f"cannot group results by {name!r}")
    return ", ".join(_GROUP_COLUMNS[name] for name in by)


@dataclass(slots=True)
class Quantiles:
    """One group's sorted graded values of a column, as far as the report needs them:
    how many there are and the values at the positions asked for (0-based)."""

    key: tuple[Any, ...]
    count: int
    at: dict[int, float]

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile (0-100), as ``stats.percentile`` computes it."""
        if not self.count:
            return None
        pos = (self.count - 1) * q / 100
        lo, hi = math.floor(pos), math.ceil(pos)
        return self.at[lo] + (self.at[hi] - self.at[lo]) * (pos - lo)

    def every(self, step: int) -> list[float]:
        """Every ``step``-th value from the smallest (those asked for with ``strip``)."""
        return [self.at[i] for i in range(0, self.count, step)]

    @property
    def top(self) -> float:
        """The largest value."""
        return self.at[self.count - 1]


def quantiles(
    store: Store,
    run_id: str,
    by: Sequence[str],
    column: str,
    qs: Sequence[int],
    *,
    strip: int | None = None,
) -> Iterator[Quantiles]:
    """Per group of ``by``, the graded non-missing ``column`` values that the percentiles
    ``qs`` read (and, with ``strip``, every ``max(1, n // strip)``-th value and the
    largest): SQLite sorts and numbers each group, only the values asked for come back."""
    if column not in ("latency_ms", "ttft_ms"):
        raise ValueError(f"no percentiles of {column!r}")
    keys = _by(by)
    width = len(by)
    wanted = []
    for q in qs:
        pos = f"(n - 1) * {int(q)} / 100.0"
        wanted.append(f"i = CAST({pos} AS INTEGER)")
        wanted.append(f"i = CAST({pos} AS INTEGER) + ({pos} > CAST({pos} AS INTEGER))")
    if strip is not None:
        wanted.append(f"i % MAX(1, n / {int(strip)}) = 0")
        wanted.append("i = n - 1")
    named = ", ".join(f"k{j}" for j in range(width))
    aliased = ", ".join(f"{_GROUP_COLUMNS[name]} AS k{j}" for j, name in enumerate(by))
    cur = store.db.execute(
        f"SELECT {named}, n, i, v FROM (SELECT {aliased}, {column} AS v, "
        f"ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY {column}) - 1 AS i, "
        f"COUNT(*) OVER (PARTITION BY {keys}) AS n "
        f"FROM results WHERE run_id = ? AND {GRADED} AND {column} IS NOT NULL) "
        f"WHERE {' OR '.join(wanted) or '0'} ORDER BY {named}, i",
        (run_id,),
    )
    for key, rows in itertools.groupby(cur, key=lambda r: r[:width]):
        at: dict[int, float] = {}
        count = 0
        for r in rows:
            count = int(r[width])
            at[int(r[width + 1])] = float(r[width + 2])
        yield Quantiles(tuple(key), count, at)


COUNTS = f"""
    SUM({GRADED}),
    SUM(status = 'passed'),
    SUM(status = 'error'),
    COUNT(*),
    MAX(attempt),
    SUM(CASE WHEN {GRADED} THEN input_tokens END),
    SUM(CASE WHEN {GRADED} THEN output_tokens END),
    COUNT(CASE WHEN {GRADED} THEN cost_usd END),
    SUM(CASE WHEN {GRADED} AND output IS NOT NULL THEN repaired END),
    COUNT(CASE WHEN {GRADED} AND output IS NOT NULL THEN 1 END),
    MAX(CASE WHEN {GRADED} THEN timings_recorded ELSE 0 END)
"""
"""SQL: a group's counts, in the order ``summary_rows`` reads them (the last is a MAX,
the fifth too; the others add up across groups)."""


def summarize_store(store: Store, run_id: str, by: Sequence[str]) -> list[dict[str, Any]]:
    """One row per group of ``by`` (``["model"]`` or ``["spec", "model"]``), in key order,
    with every leaderboard measure: the rows ``tables.summarize`` gives for a frame."""
    keys = _by(by)
    width = len(by)
    counts = store.db.execute(
        f"SELECT {keys}, {COUNTS} FROM results WHERE run_id = ? GROUP BY {keys} ORDER BY {keys}",
        (run_id,),
    ).fetchall()
    named = ", ".join(f"k{j}" for j in range(width))
    aliased = ", ".join(f"{_GROUP_COLUMNS[name]} AS k{j}" for j, name in enumerate(by))
    cases = dict(
        (tuple(r[:width]), r[width])
        for r in store.db.execute(
            f"SELECT {named}, COUNT(*) FROM (SELECT DISTINCT {aliased}, spec, case_id "
            f"FROM results WHERE run_id = ? AND {GRADED}) GROUP BY {named}",
            (run_id,),
        )
    )
    sums = _float_sums(store, run_id, by)
    latency = _percentiles(store, run_id, by, "latency_ms", (50, 95))
    ttft = _percentiles(store, run_id, by, "ttft_ms", (50,))
    return summary_rows(by, counts, cases, sums, latency, ttft)


Percentiles = dict[tuple[Any, ...], dict[int, float | None]]
"""Per group key, the percentiles asked for (``Quantiles.percentile``)."""


def summary_rows(
    by: Sequence[str],
    counts: Sequence[Sequence[Any]],
    cases: dict[tuple[Any, ...], int],
    sums: dict[tuple[Any, ...], tuple[float, float, _Waits]],
    latency: Percentiles,
    ttft: Percentiles,
) -> list[dict[str, Any]]:
    """``summarize_store``'s rows from what it gathered: per group (in ``counts``' order)
    its key then ``COUNTS``, its distinct graded cases, the float sums of
    ``_float_sums`` and the latency (50, 95) and time-to-first-token (50) percentiles."""
    width = len(by)
    rows = []
    for row in counts:
        key = tuple(row[:width])
        (n, passed, errors, total, max_attempt, tin, tout, known, repaired, outputs,
         recorded) = row[width:]  # fmt: skip
        scores, cost, waits = sums.get(key, (0.0, 0.0, None))
        n, passed, errors = int(n or 0), int(passed or 0), int(errors or 0)
        low, high = wilson_interval(passed, n)
        total_cost = float(cost) if known else None
        rows.append(
            {
                **dict(zip(by, key, strict=True)),
                "attempts": n,
                "cases": int(cases.get(key, 0)),
                "max_attempt": int(max_attempt) if total else 0,
                "passed": passed,
                "failed": n - passed - errors,
                "errors": errors,
                "skipped": int(total) - n,
                "pass_rate": passed / n if n else None,
                "pass_rate_ci_low": low if n else None,
                "pass_rate_ci_high": high if n else None,
                "mean_score": float(scores or 0.0) / n if n else None,
                "latency_p50_ms": latency.get(key, {}).get(50),
                "latency_p95_ms": latency.get(key, {}).get(95),
                "ttft_p50_ms": ttft.get(key, {}).get(50),
                "input_tokens": int(tin or 0),
                "output_tokens": int(tout or 0),
                "cost_usd": total_cost,
                "cost_known": int(known),
                "cost_per_pass_usd": total_cost / passed
                if total_cost is not None and passed
                else None,
                "repaired_share": float(repaired) / outputs if outputs else None,
                "timings_recorded": bool(recorded),
                **_rate_limit_waits(waits),
            }
        )
    return rows


@dataclass(slots=True)
class _Waits:
    """A group's known rate-limit waits (ms, in write order) and how many were above 0."""

    values: array[float] = field(default_factory=lambda: array("d"))
    waited: int = 0


def _rate_limit_waits(waits: _Waits | None) -> dict[str, float | None]:
    """``rate_limit_wait_s`` and ``rate_limited_share`` as ``tables._rate_limit_waits``
    computes them: unknown (None) when no result of the group has a measured wait."""
    if waits is None or not len(waits.values):
        return {"rate_limit_wait_s": None, "rate_limited_share": None}
    return {
        "rate_limit_wait_s": pairwise_sum(waits.values) / 1000.0,
        "rate_limited_share": waits.waited / len(waits.values),
    }


def _float_sums(
    store: Store, run_id: str, by: Sequence[str]
) -> dict[tuple[Any, ...], tuple[float, float, _Waits]]:
    """Per group, the sums of scores (errors score 0) and of known costs, added in the
    pandas path's order (rows in write order, NumPy's pairwise sum), and the known
    rate-limit waits."""
    keys = _by(by)
    width = len(by)
    cur = store.db.execute(
        f"SELECT {keys}, CASE WHEN status = 'error' THEN 0.0 ELSE COALESCE(score, 0.0) END, "
        f"COALESCE(cost_usd, 0.0), rate_limit_wait_ms FROM results "
        f"WHERE run_id = ? AND {GRADED} ORDER BY {keys}, rowid",
        (run_id,),
    )
    out = {}
    for key, rows in itertools.groupby(cur, key=lambda r: r[:width]):
        scores, costs, waits = array("d"), array("d"), _Waits()
        for r in rows:
            scores.append(r[width])
            costs.append(r[width + 1])
            wait = r[width + 2]
            if wait is not None:
                waits.values.append(wait)
                waits.waited += wait > 0
        out[tuple(key)] = (pairwise_sum(scores), pairwise_sum(costs), waits)
    return out


def _percentiles(
    store: Store, run_id: str, by: Sequence[str], column: str, qs: Sequence[int]
) -> Percentiles:
    return {
        group.key: {q: group.percentile(q) for q in qs}
        for group in quantiles(store, run_id, by, column, qs)
    }


def leaderboard_store(store: Store, run_id: str) -> list[dict[str, Any]]:
    """One row per model, best pass rate first (ties: lower cost per pass first)."""
    return sort_leaderboard(summarize_store(store, run_id, ["model"]))


def summary_store(store: Store, run_id: str) -> list[dict[str, Any]]:
    """The ``summary.csv`` rows (``SUMMARY_COLUMNS``, then the repeat measures, the judge
    cost and the named metrics): model rows, then spec x model rows."""
    from harness.report.extras_store import summary_extras

    out = [
        {"scope": "model", "spec": "", **row} for row in summarize_store(store, run_id, ["model"])
    ]
    out += [
        {"scope": "spec_model", **row} for row in summarize_store(store, run_id, ["spec", "model"])
    ]
    keys = [
        ("model", (row["model"],)) if row["scope"] == "model"
        else ("spec_model", (row["spec"], row["model"]))
        for row in out
    ]  # fmt: skip
    _, extras, _ = summary_extras(store, run_id, keys)
    return [
        {**{name: row[name] for name in SUMMARY_COLUMNS}, **extra}
        for row, extra in zip(out, extras, strict=True)
    ]


def pairwise_store(store: Store, run_id: str) -> list[PairResult]:
    """Every pair of graded models compared on the (spec, case, attempt) keys both ran."""
    models = [
        r[0]
        for r in store.db.execute(
            f"SELECT DISTINCT {MODEL} AS m FROM results WHERE run_id = ? AND {GRADED} ORDER BY m",
            (run_id,),
        )
    ]
    # one row per key and model (passed if any record of it passed), then a self-join
    store.db.execute("DROP TABLE IF EXISTS temp.report_outcome")
    store.db.execute(
        f"CREATE TEMP TABLE report_outcome AS SELECT spec, case_id, attempt, {MODEL} AS model, "
        f"MAX(status = 'passed') AS passed FROM results WHERE run_id = ? AND {GRADED} "
        f"GROUP BY spec, case_id, attempt, {MODEL}",
        (run_id,),
    )
    try:
        store.db.execute(
            "CREATE INDEX temp.report_outcome_key ON report_outcome (spec, case_id, attempt)"
        )
        counts = {
            (a, b): (shared, wins, losses)
            for a, b, shared, wins, losses in store.db.execute(
                "SELECT x.model, y.model, COUNT(*), SUM(x.passed AND NOT y.passed), "
                "SUM(y.passed AND NOT x.passed) FROM report_outcome x JOIN report_outcome y "
                "ON x.spec = y.spec AND x.case_id = y.case_id AND x.attempt = y.attempt "
                "AND x.model < y.model GROUP BY x.model, y.model"
            )
        }
    finally:
        store.db.execute("DROP TABLE IF EXISTS temp.report_outcome")
    results = []
    for a, b in itertools.combinations(models, 2):
        shared, wins, losses = (int(v or 0) for v in counts.get((a, b), (0, 0, 0)))
        results.append(
            PairResult(
                a=str(a),
                b=str(b),
                shared=shared,
                wins=wins,
                losses=losses,
                ties=shared - wins - losses,
                p_value=mcnemar_exact(wins, losses),
            )
        )
    return results


@dataclass(slots=True)
class RunCounts:
    """What the report's run section says about the results as a whole."""

    total: int
    recorded: int
    models: list[str] = field(default_factory=list)
    replayed_models: set[str] = field(default_factory=set)
    specs: list[str] = field(default_factory=list)


def run_counts(store: Store, run_id: str) -> RunCounts:
    """Results, how many replayed their timings, and the models (sorted) of a run."""
    total, recorded = store.db.execute(
        "SELECT COUNT(*), COALESCE(SUM(timings_recorded), 0) FROM results WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    models = [
        r[0]
        for r in store.db.execute(
            f"SELECT DISTINCT {MODEL} AS m FROM results WHERE run_id = ? ORDER BY m", (run_id,)
        )
    ]
    replayed = {
        r[0]
        for r in store.db.execute(
            f"SELECT DISTINCT {MODEL} FROM results WHERE run_id = ? AND timings_recorded",
            (run_id,),
        )
    }
    specs = [
        r[0]
        for r in store.db.execute(
            "SELECT DISTINCT spec FROM results WHERE run_id = ? ORDER BY spec", (run_id,)
        )
    ]
    return RunCounts(int(total), int(recorded), models, replayed, specs)
