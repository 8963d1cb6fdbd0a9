"""The statistics the reports rely on, in plain Python: no SciPy needed.

Every function takes counts or plain sequences and returns plain numbers, so the
tables and the compare command share one tested implementation.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence

Z_95 = 1.959963984540054
"""The two-sided 95% quantile of the standard normal distribution."""


def wilson_interval(passed: int, total: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Better than the normal approximation near 0 and 1 and for small ``total``.

    Args:
        passed: Successes.
        total: Trials; ``0`` gives the uninformative interval ``(0.0, 1.0)``.
        z: Normal quantile; the default gives a 95% interval.

    Example:
        >>> [round(x, 4) for x in wilson_interval(8, 10)]
        [0.4902, 0.9433]
    """
    if total <= 0:
        return (0.0, 1.0)
    p = passed / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar test (a binomial test on the discordant pairs).

    Args:
        b: Pairs where the first model passed and the second did not.
        c: Pairs where the second model passed and the first did not.

    Returns:
        The p-value; ``1.0`` when there are no discordant pairs.

    Example:
        >>> round(mcnemar_exact(10, 2), 4)
        0.0386
    """
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    # sum in log space: n can be in the tens of thousands
    log_half_n = n * math.log(0.5)
    tail = sum(math.exp(_log_comb(n, i) + log_half_n) for i in range(k + 1))
    return min(1.0, 2 * tail)


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided pooled z-test for a difference of two independent proportions.

    Used when two runs share no cases, so no paired test is possible.

    Returns:
        The p-value; ``1.0`` when either sample is empty or the pooled rate is 0 or 1.
    """
    if n1 <= 0 or n2 <= 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0
    z = abs(k1 / n1 - k2 / n2) / math.sqrt(var)
    return math.erfc(z / math.sqrt(2))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation, like NumPy's default.

    Returns:
        ``None`` for an empty sequence.

    Example:
        >>> percentile([1, 2, 3, 4], 50)
        2.5
    """
    if not values:
        return None
    return percentile_sorted(sorted(values), q)


def percentile_sorted(ordered: Sequence[float], q: float) -> float | None:
    """``percentile`` of values already sorted ascending (no copy is made)."""
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def pairwise_sum(values: Sequence[float]) -> float:
    """The sum of ``values`` in NumPy's pairwise order, so SQL-path summaries match the
    pandas path (``Series.sum``) to the last digit.

    Blocks of up to 128 values are summed in 8 interleaved running sums; longer runs are
    split in two (at a multiple of 8) and the halves added.

    Example:
        >>> pairwise_sum([0.003] * 13)
        0.03900000000000001
    """
    return _pairwise(values, 0, len(values))


def _pairwise(a: Sequence[float], lo: int, n: int) -> float:
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= 128:
        whole = n - n % 8
        r = [functools.reduce(operator.add, a[lo + j : lo + whole : 8]) for j in range(8)]
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(lo + whole, lo + n):
            res += a[i]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(a, lo, half) + _pairwise(a, lo + half, n - half)


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point dominates, for lower cost and higher accuracy.

    A point ``(cost, accuracy)`` is dominated when another costs no more, is at least
    as accurate, and is strictly better in one of the two.

    Returns:
        Indices into ``points``, ordered by cost.

    Example:
        >>> pareto_frontier([(1.0, 0.5), (2.0, 0.9), (3.0, 0.8)])
        [0, 1]
    """
    keep: list[int] = []
    for i, (cost, acc) in enumerate(points):
        dominated = any(
            oc <= cost and oa >= acc and (oc < cost or oa > acc)
            for j, (oc, oa) in enumerate(points)
            if j != i
        )
        if not dominated:
            keep.append(i)
    return sorted(keep, key=lambda i: (points[i][0], -points[i][1]))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
