"""Compare two runs: pass-rate changes with significance, flipped cases, cost and latency.

Run A is the baseline, run B the candidate. Within each model (and each spec x model),
case attempts both runs have are paired and tested with McNemar's exact test; when the
runs share no case attempts the two pass rates are compared with a two-proportion
z-test. ``Comparison.regressions`` applies the ``--fail-on-regression`` rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from harness.report.frame import KEY
from harness.report.stats import mcnemar_exact, percentile, two_proportion_test
from harness.report.tables import ALPHA
from harness.store.records import PASSED, SKIPPED

ALL_SPECS = "(all specs)"


@dataclass(frozen=True, slots=True)
class GroupChange:
    """The pass-rate change of one model, on one spec or on all of them."""

    model: str
    spec: str
    n_a: int
    passed_a: int
    n_b: int
    passed_b: int
    paired: int
    test: str
    p_value: float

    @property
    def rate_a(self) -> float | None:
        """Run A's pass rate (None when A has no graded attempts here)."""
        return self.passed_a / self.n_a if self.n_a else None

    @property
    def rate_b(self) -> float | None:
        """Run B's pass rate."""
        return self.passed_b / self.n_b if self.n_b else None

    @property
    def delta(self) -> float | None:
        """B minus A, in rate points (None when either side is missing)."""
        if self.rate_a is None or self.rate_b is None:
            return None
        return self.rate_b - self.rate_a

    @property
    def significant(self) -> bool:
        """Whether the test rejects "no change" at the 5% level."""
        return self.test != "none" and self.p_value < ALPHA

    @property
    def regression(self) -> bool:
        """A significant drop."""
        return self.significant and (self.delta or 0.0) < 0


@dataclass(frozen=True, slots=True)
class Flip:
    """One case attempt whose outcome changed between the runs."""

    model: str
    spec: str
    case_id: str
    attempt: int
    before: str
    after: str

    @property
    def to_fail(self) -> bool:
        """Passed in A and did not pass in B (failed or errored)."""
        return self.before == PASSED


@dataclass(frozen=True, slots=True)
class ModelChange:
    """Cost and latency of one model in both runs (None where unknown)."""

    model: str
    cost_a: float | None
    cost_b: float | None
    cost_per_attempt_a: float | None
    cost_per_attempt_b: float | None
    p50_a: float | None
    p50_b: float | None
    p95_a: float | None
    p95_b: float | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything ``harness compare`` prints."""

    name_a: str
    name_b: str
    groups: tuple[GroupChange, ...]
    flips: tuple[Flip, ...]
    models: tuple[ModelChange, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    recorded_timings: bool

    @property
    def regressions(self) -> list[str]:
        """Why ``--fail-on-regression`` fails: significant drops, then flips to fail."""
        reasons = [
            f"{g.model} on {g.spec}: pass rate {g.rate_a:.1%} -> {g.rate_b:.1%} (p={g.p_value:.4f})"
            for g in self.groups
            if g.regression
        ]
        reasons += [
            f"{f.model} {f.spec}/{f.case_id}#{f.attempt}: {f.before} -> {f.after}"
            for f in self.flips
            if f.to_fail
        ]
        return reasons


def compare_runs(
    frame_a: pd.DataFrame, frame_b: pd.DataFrame, *, name_a: str = "A", name_b: str = "B"
) -> Comparison:
    """Compare two normalized results frames (A is the baseline)."""
    a = frame_a[frame_a["status"] != SKIPPED]
    b = frame_b[frame_b["status"] != SKIPPED]
    models_a, models_b = set(a["model"]), set(b["model"])
    shared = sorted(models_a & models_b)
    groups: list[GroupChange] = []
    flips: list[Flip] = []
    changes: list[ModelChange] = []
    for model in shared:
        ma, mb = a[a["model"] == model], b[b["model"] == model]
        merged = ma[[*KEY, "status"]].merge(mb[[*KEY, "status"]], on=KEY, suffixes=("_a", "_b"))
        groups.append(_group(model, ALL_SPECS, ma, mb, merged))
        for spec in sorted(set(ma["spec"]) | set(mb["spec"])):
            groups.append(
                _group(
                    model,
                    spec,
                    ma[ma["spec"] == spec],
                    mb[mb["spec"] == spec],
                    merged[merged["spec"] == spec],
                )
            )
        changed = merged[(merged["status_a"] == PASSED) != (merged["status_b"] == PASSED)]
        for row in changed.sort_values(KEY).to_dict("records"):
            flips.append(
                Flip(
                    model=model,
                    spec=str(row["spec"]),
                    case_id=str(row["case_id"]),
                    attempt=int(row["attempt"]),
                    before=str(row["status_a"]),
                    after=str(row["status_b"]),
                )
            )
        changes.append(_model_change(model, ma, mb))
    recorded = bool(a["timings_recorded"].any() or b["timings_recorded"].any())
    return Comparison(
        name_a=name_a,
        name_b=name_b,
        groups=tuple(groups),
        flips=tuple(flips),
        models=tuple(changes),
        only_a=tuple(sorted(models_a - models_b)),
        only_b=tuple(sorted(models_b - models_a)),
        recorded_timings=recorded,
    )


def _group(
    model: str, spec: str, a: pd.DataFrame, b: pd.DataFrame, merged: pd.DataFrame
) -> GroupChange:
    n_a, n_b = len(a), len(b)
    passed_a, passed_b = int(a["passed"].sum()), int(b["passed"].sum())
    if len(merged):
        was, now = merged["status_a"] == PASSED, merged["status_b"] == PASSED
        test, p = "McNemar", mcnemar_exact(int((was & ~now).sum()), int((~was & now).sum()))
    elif n_a and n_b:
        test, p = "two-proportion", two_proportion_test(passed_a, n_a, passed_b, n_b)
    else:
        test, p = "none", 1.0
    return GroupChange(model, spec, n_a, passed_a, n_b, passed_b, len(merged), test, p)


def _cost(frame: pd.DataFrame) -> tuple[float | None, float | None]:
    known = frame["cost_usd"].dropna()
    if known.empty:
        return None, None
    return float(known.sum()), float(known.mean())


def _model_change(model: str, a: pd.DataFrame, b: pd.DataFrame) -> ModelChange:
    cost_a, per_a = _cost(a)
    cost_b, per_b = _cost(b)
    lat_a, lat_b = a["latency_ms"].dropna().tolist(), b["latency_ms"].dropna().tolist()
    return ModelChange(
        model=model,
        cost_a=cost_a,
        cost_b=cost_b,
        cost_per_attempt_a=per_a,
        cost_per_attempt_b=per_b,
        p50_a=percentile(lat_a, 50),
        p50_b=percentile(lat_b, 50),
        p95_a=percentile(lat_a, 95),
        p95_b=percentile(lat_b, 95),
    )
