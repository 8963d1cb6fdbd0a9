"""The report's measures, shared by the pandas tables and the store's SQL aggregates:
the summary columns, a pairwise comparison, and the leaderboard's order."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


def sort_leaderboard(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best pass rate first, ties by lower cost per pass; unknowns last; otherwise stable
    (the order ``tables.leaderboard`` gets from pandas' ``sort_values``)."""

    def unknown(value: Any) -> bool:
        return value is None or (isinstance(value, float) and math.isnan(value))

    out = sorted(rows, key=lambda r: (unknown(r["cost_per_pass_usd"]), r["cost_per_pass_usd"] or 0))
    return sorted(out, key=lambda r: (unknown(r["pass_rate"]), -(r["pass_rate"] or 0)))
