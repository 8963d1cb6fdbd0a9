"""The report's tables, built with pandas from a normalized results frame.

Rules every table follows (the docs repeat them): a model's pass rate counts every
graded attempt (``--repeat`` attempts each count once; errors count as not passed;
skipped items are left out and counted separately), and unknown costs stay unknown:
they are never summed as $0.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pandas as pd

from harness.report.aggregate import with_repeats_and_metrics
from harness.report.frame import KEY
from harness.report.stats import mcnemar_exact, percentile, wilson_interval
from harness.store.records import ERROR, SKIPPED

SMALL_N = 30
"""Fewer shared cases than this and a pairwise comparison is flagged as small."""
ALPHA = 0.05

SUMMARY_COLUMNS = [
    "scope",
    "spec",
    "model",
    "attempts",
    "cases",
    "max_attempt",
    "passed",
    "failed",
    "errors",
    "skipped",
    "pass_rate",
    "pass_rate_ci_low",
    "pass_rate_ci_high",
    "mean_score",
    "latency_p50_ms",
    "latency_p95_ms",
    "ttft_p50_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "cost_known",
    "cost_per_pass_usd",
    "repaired_share",
    "timings_recorded",
    "rate_limit_wait_s",
    "rate_limited_share",
]


def summarize(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by`` with every leaderboard measure.

    Args:
        frame: A frame from ``harness.report.frame.normalize``.
        by: Grouping columns, e.g. ``["model"]`` or ``["spec", "model"]``.
    """
    rows = []
    for key, group in frame.groupby(by, sort=True):
        values = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, values, strict=True)), **_measures(group)})
    return pd.DataFrame(rows, columns=[*by, *SUMMARY_COLUMNS[3:]])


def leaderboard(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per model, best pass rate first (ties: lower cost per pass first)."""
    table = summarize(frame, ["model"])
    return table.sort_values(
        ["pass_rate", "cost_per_pass_usd"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)


def summary_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``summary.csv`` table: ``scope`` is ``model`` or ``spec_model``.

    Model rows carry an empty ``spec``. After :data:`SUMMARY_COLUMNS` come the repeat
    measures and one ``metric:NAME`` column per named metric
    (:mod:`harness.report.aggregate`).
    """
    per_model = summarize(frame, ["model"])
    per_model.insert(0, "spec", "")
    per_model.insert(0, "scope", "model")
    per_spec = summarize(frame, ["spec", "model"])
    per_spec.insert(0, "scope", "spec_model")
    table = pd.concat([per_model, per_spec], ignore_index=True)[SUMMARY_COLUMNS]
    # appended after the documented columns: repeats (pass@k, ...), judge cost, named metrics
    return with_repeats_and_metrics(table, frame)


def _measures(group: pd.DataFrame) -> dict[str, object]:
    graded = group[group["status"] != SKIPPED]
    n = len(graded)
    passed = int(graded["passed"].sum())
    errors = int((graded["status"] == ERROR).sum())
    low, high = wilson_interval(passed, n)
    latencies = graded["latency_ms"].dropna().tolist()
    ttfts = graded["ttft_ms"].dropna().tolist()
    costs = graded["cost_usd"]
    known = int(costs.notna().sum())
    total_cost = float(costs.sum()) if known else None
    # errors never produced a score: they count as 0, as they count as not passed
    scores = graded["score"].where(graded["status"] != ERROR, 0.0).fillna(0.0)
    outputs = graded[graded["output"].notna()]
    return {
        "attempts": n,
        "cases": int(graded[["spec", "case_id"]].drop_duplicates().shape[0]),
        "max_attempt": int(group["attempt"].max()) if len(group) else 0,
        "passed": passed,
        "failed": n - passed - errors,
        "errors": errors,
        "skipped": int(len(group) - n),
        "pass_rate": passed / n if n else None,
        "pass_rate_ci_low": low if n else None,
        "pass_rate_ci_high": high if n else None,
        "mean_score": float(scores.mean()) if n else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "ttft_p50_ms": percentile(ttfts, 50),
        "input_tokens": int(graded["input_tokens"].sum()),
        "output_tokens": int(graded["output_tokens"].sum()),
        "cost_usd": total_cost,
        "cost_known": known,
        "cost_per_pass_usd": total_cost / passed if total_cost is not None and passed else None,
        "repaired_share": float(outputs["repaired"].mean()) if len(outputs) else None,
        "timings_recorded": bool(graded["timings_recorded"].any()),
        **_rate_limit_waits(graded),
    }


def _rate_limit_waits(graded: pd.DataFrame) -> dict[str, float | None]:
    """Seconds the model's calls waited for rate limits in all, and the share of attempts
    that waited at all; unknown (None) for results stored before waits were measured."""
    waits = graded["rate_limit_wait_ms"].dropna()
    if not len(waits):
        return {"rate_limit_wait_s": None, "rate_limited_share": None}
    return {
        "rate_limit_wait_s": float(waits.sum()) / 1000.0,
        "rate_limited_share": float((waits > 0).mean()),
    }


@dataclass(frozen=True, slots=True)
class PairResult:
    """Model ``a`` against model ``b`` on the case attempts both ran.

    ``wins`` counts attempts ``a`` passed and ``b`` did not; ``losses`` the reverse;
    ``ties`` both passed or both did not.
    """

    a: str
    b: str
    shared: int
    wins: int
    losses: int
    ties: int
    p_value: float

    @property
    def significant(self) -> bool:
        """Whether McNemar's exact test rejects "no difference" at the 5% level."""
        return self.p_value < ALPHA

    @property
    def small_n(self) -> bool:
        """Too few shared cases or disagreements for the test to say much."""
        return self.shared < SMALL_N or self.wins + self.losses < 10

    @property
    def verdict(self) -> str:
        """A phrase a reader can act on."""
        if self.shared == 0:
            return "no shared cases"
        if not self.significant:
            return "not significant"
        better = self.a if self.wins > self.losses else self.b
        return f"{better} better"


def pairwise(frame: pd.DataFrame) -> list[PairResult]:
    """Every pair of models compared on shared (spec, case, attempt) keys."""
    graded = frame[frame["status"] != SKIPPED]
    outcome = graded.pivot_table(index=KEY, columns="model", values="passed", aggfunc="max")
    results = []
    for a, b in itertools.combinations(sorted(graded["model"].unique()), 2):
        both = outcome[[a, b]].dropna()
        pa, pb = both[a].astype(bool), both[b].astype(bool)
        wins, losses = int((pa & ~pb).sum()), int((~pa & pb).sum())
        results.append(
            PairResult(
                a=str(a),
                b=str(b),
                shared=len(both),
                wins=wins,
                losses=losses,
                ties=len(both) - wins - losses,
                p_value=mcnemar_exact(wins, losses),
            )
        )
    return results
