"""The statistics against values computed independently (R, statsmodels, by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.report.stats import (
    mcnemar_exact,
    pareto_frontier,
    percentile,
    two_proportion_test,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("passed", "total", "low", "high"),
    [
        pytest.param(8, 10, 0.4902, 0.9433, id="8-of-10"),
        pytest.param(0, 10, 0.0, 0.2775, id="none-passed"),
        pytest.param(10, 10, 0.7225, 1.0, id="all-passed"),
        pytest.param(50, 100, 0.4038, 0.5962, id="half"),
        pytest.param(0, 0, 0.0, 1.0, id="no-data"),
    ],
)
def test_wilson_interval_matches_known_values(
    passed: int, total: int, low: float, high: float
) -> None:
    got = wilson_interval(passed, total)
    assert got == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        # 2 * P(X <= 2 | n=12, 1/2) = 2 * 79 / 4096
        pytest.param(10, 2, 158 / 4096, id="10-vs-2"),
        pytest.param(5, 0, 0.0625, id="five-one-sided-never-significant"),
        pytest.param(6, 0, 0.03125, id="six-one-sided"),
        pytest.param(3, 3, 1.0, id="balanced"),
        pytest.param(0, 0, 1.0, id="no-disagreement"),
        pytest.param(2, 10, 158 / 4096, id="symmetric"),
    ],
)
def test_mcnemar_exact_is_a_two_sided_binomial_test(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-9)


def test_mcnemar_exact_handles_large_counts() -> None:
    assert mcnemar_exact(5000, 5000) == pytest.approx(1.0)
    assert mcnemar_exact(5200, 4800) < 0.001


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "p"),
    [
        pytest.param(45, 100, 60, 100, 0.03366, id="45-vs-60"),
        pytest.param(5, 10, 5, 10, 1.0, id="equal"),
        pytest.param(0, 10, 0, 10, 1.0, id="all-zero"),
        pytest.param(3, 0, 5, 10, 1.0, id="empty-side"),
    ],
)
def test_two_proportion_test(k1: int, n1: int, k2: int, n2: int, p: float) -> None:
    assert two_proportion_test(k1, n1, k2, n2) == pytest.approx(p, abs=1e-4)


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([1.0], id="one"),
        pytest.param([3.0, 1.0, 2.0, 4.0], id="four-unsorted"),
        pytest.param([float(x * x % 97) for x in range(1, 200)], id="many"),
    ],
)
@pytest.mark.parametrize("q", [0, 5, 25, 50, 95, 100])
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 50) is None


@pytest.mark.parametrize(
    ("points", "frontier"),
    [
        pytest.param([(1.0, 0.5), (2.0, 0.9), (3.0, 0.8)], [0, 1], id="dominated-dropped"),
        pytest.param([(1.0, 0.5), (1.0, 0.6)], [1], id="same-cost-better"),
        pytest.param([(1.0, 0.5), (1.0, 0.5)], [0, 1], id="identical-both-kept"),
        pytest.param([(3.0, 0.9), (2.0, 0.8), (1.0, 0.7)], [2, 1, 0], id="all-on-frontier"),
        pytest.param([], [], id="empty"),
    ],
)
def test_pareto_frontier(points: list[tuple[float, float]], frontier: list[int]) -> None:
    assert pareto_frontier(points) == frontier
