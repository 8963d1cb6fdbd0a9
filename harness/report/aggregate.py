"""Measures over repeats and named metrics, per model (and per spec × model).

With ``--repeat K`` every case runs K times. Per case, with ``n`` graded attempts of
which ``c`` passed:

- ``pass@k`` is the chance that at least one of k attempts drawn from the n passes, by the
  unbiased estimator ``1 - C(n-c, k) / C(n, k)`` (Chen et al., 2021, "Evaluating Large
  Language Models Trained on Code");
- ``pass^k`` is the chance that all k pass, ``C(c, k) / C(n, k)`` (Yao et al., 2024,
  tau-bench); with k = n it is "every attempt passed";
- majority vote passes when more than half of the attempts passed.

A model's value is the mean over its cases, with k the largest number of attempts any of
its cases has (a case with fewer attempts uses all it has). ``judge_cost_usd`` sums what
the judge calls of model-graded assertions cost (known prices only). A named metric (``metric:`` on
an assertion) is the mean score of its assertions over every graded attempt; an
assertion that could not be evaluated counts 0.
"""

from __future__ import annotations

from math import comb
from typing import Any

import pandas as pd

from harness.store.records import SKIPPED

REPEAT_COLUMNS = ["repeat_k", "pass_at_1", "pass_at_k", "pass_hat_k", "majority_pass_rate"]
METRIC_PREFIX = "metric:"


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate from n attempts with c passes (k <= n)."""
    if k > n or k < 1:
        raise ValueError(f"pass@k needs 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """The unbiased pass^k estimate: all of k attempts drawn from the n pass."""
    if k > n or k < 1:
        raise ValueError(f"pass^k needs 1 <= k <= n, got k={k}, n={n}")
    return comb(c, k) / comb(n, k)


def repeat_measures(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by``: k, and the means over cases of pass@1, pass@k, pass^k
    and the majority vote."""
    graded = frame[frame["status"] != SKIPPED]
    keys = [*by, *(c for c in ("spec", "case_id") if c not in by)]
    per_case = graded.groupby(keys)["passed"].agg(n="size", c="sum").reset_index()
    rows = []
    for key, cases in per_case.groupby(by, sort=True):
        values = key if isinstance(key, tuple) else (key,)
        k = int(cases["n"].max())
        at_1, at_k, hat_k, majority = [], [], [], []
        for n, c in zip(cases["n"].astype(int), cases["c"].astype(int), strict=True):
            at_1.append(c / n)
            at_k.append(pass_at_k(n, c, min(k, n)))
            hat_k.append(pass_hat_k(n, c, min(k, n)))
            majority.append(1.0 if 2 * c > n else 0.0)
        rows.append(
            {
                **dict(zip(by, values, strict=True)),
                "repeat_k": k,
                "pass_at_1": _mean(at_1),
                "pass_at_k": _mean(at_k),
                "pass_hat_k": _mean(hat_k),
                "majority_pass_rate": _mean(majority),
            }
        )
    return pd.DataFrame(rows, columns=[*by, *REPEAT_COLUMNS])


def judge_costs(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by``: ``judge_cost_usd``, what its model-graded assertions'
    judge calls cost (known costs only; empty when none was known)."""
    rows: list[dict[str, Any]] = []
    for values, verdicts in zip(
        frame[by].itertuples(index=False, name=None), frame["verdicts"], strict=True
    ):
        costs = [
            float(v["cost_usd"])
            for v in verdicts or ()
            if isinstance(v, dict) and isinstance(v.get("cost_usd"), int | float)
        ]
        if costs:
            rows.append({**dict(zip(by, values, strict=True)), "judge_cost_usd": sum(costs)})
    if not rows:
        return pd.DataFrame(columns=[*by, "judge_cost_usd"])
    return (
        pd.DataFrame(rows).groupby(by, as_index=False).agg(judge_cost_usd=("judge_cost_usd", "sum"))
    )


def metric_scores(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by`` and one ``metric:NAME`` column per named metric."""
    rows: list[dict[str, Any]] = []
    graded = frame[frame["status"] != SKIPPED]
    for values, verdicts in zip(
        graded[by].itertuples(index=False, name=None), graded["verdicts"], strict=True
    ):
        for v in verdicts or ():
            name = v.get("metric") if isinstance(v, dict) else None
            if name:
                score = 0.0 if v.get("error") else float(v.get("score") or 0.0)
                rows.append({**dict(zip(by, values, strict=True)), "metric": name, "score": score})
    if not rows:
        return pd.DataFrame(columns=by)
    long = pd.DataFrame(rows)
    wide = long.pivot_table(index=by, columns="metric", values="score", aggfunc="mean")
    wide.columns = [f"{METRIC_PREFIX}{c}" for c in wide.columns]
    return wide.reset_index()


def with_repeats_and_metrics(summary: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``summary`` (scope, spec, model, ...) with the repeat and metric columns appended."""
    parts = []
    for scope, by in (("model", ["model"]), ("spec_model", ["spec", "model"])):
        extra = repeat_measures(frame, by).merge(judge_costs(frame, by), on=by, how="left")
        metrics = metric_scores(frame, by)
        if len(metrics.columns) > len(by):
            extra = extra.merge(metrics, on=by, how="left")
        if "spec" not in by:
            extra.insert(0, "spec", "")
        extra.insert(0, "scope", scope)
        parts.append(extra)
    extras = pd.concat(parts, ignore_index=True)
    merged = summary.merge(extras, on=["scope", "spec", "model"], how="left")
    return merged


def metric_names(table: pd.DataFrame) -> list[str]:
    """The metric names of a table from :func:`with_repeats_and_metrics`, sorted."""
    return sorted(c[len(METRIC_PREFIX) :] for c in table.columns if c.startswith(METRIC_PREFIX))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
