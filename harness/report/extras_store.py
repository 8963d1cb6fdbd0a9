"""pass@k, pass^k, majority vote, judge costs and named metrics from the store.

The same values as :mod:`harness.report.aggregate` computes with pandas from a frame (a
test checks summary.csv and report.html agree to the last digit), in flat memory: the
repeat measures read one row per case from a SQL ``GROUP BY``; judge costs and metrics
decode only the verdicts that mention ``cost_usd`` or ``metric``, one cursor batch at a
time. Sums over rows follow pandas' groupby order and its Kahan-compensated addition.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.report.aggregate import (
    METRIC_PREFIX,
    REPEAT_COLUMNS,
    _mean,
    pass_at_k,
    pass_hat_k,
)
from harness.report.aggregates import GRADED, _by
from harness.store.records import SKIPPED
from harness.store.sqlite import Store

Key = tuple[Any, ...]


class _Kahan:
    """pandas' groupby sum: Kahan-compensated, in row order."""

    __slots__ = ("compensation", "count", "total")

    def __init__(self) -> None:
        self.total = 0.0
        self.compensation = 0.0
        self.count = 0

    def add(self, value: float) -> None:
        self.count += 1
        y = value - self.compensation
        t = self.total + y
        self.compensation = t - self.total - y
        if self.compensation != self.compensation:  # inf - inf: pandas resets it
            self.compensation = 0.0
        self.total = t


@dataclass(slots=True)
class Extras:
    """Per group of ``by`` (in key order): the repeat measures, the judge cost and the
    metric means, as the columns ``aggregate.with_repeats_and_metrics`` appends."""

    repeats: dict[Key, dict[str, Any]] = field(default_factory=dict)
    judge: dict[Key, float] = field(default_factory=dict)
    metrics: dict[Key, dict[str, float]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Every metric's column name (``metric:NAME``), sorted."""
        return sorted({n for values in self.metrics.values() for n in values})

    def row(self, key: Key) -> dict[str, Any]:
        """The group's extra columns (None where the pandas path has NaN)."""
        out: dict[str, Any] = dict.fromkeys(REPEAT_COLUMNS)
        out.update(self.repeats.get(key, {}))
        out["judge_cost_usd"] = self.judge.get(key) if key in self.repeats else None
        metrics = self.metrics.get(key, {}) if key in self.repeats else {}
        for name in self.names:
            out[name] = metrics.get(name)
        return out


def extras_store(store: Store, run_id: str, by: Sequence[str]) -> Extras:
    """The repeat measures, judge costs and metric means of a run, per group of ``by``."""
    keys = _by(by)
    width = len(by)
    out = Extras()
    cur = store.db.execute(
        f"SELECT {keys}, COUNT(*), SUM(status = 'passed') FROM results "
        f"WHERE run_id = ? AND {GRADED} GROUP BY {keys}, spec, case_id "
        f"ORDER BY {keys}, spec, case_id",
        (run_id,),
    )
    for key, rows in itertools.groupby(cur, key=lambda r: tuple(r[:width])):
        cases = [(int(r[width]), int(r[width + 1])) for r in rows]
        k = max(n for n, _ in cases)
        out.repeats[key] = {
            "repeat_k": k,
            "pass_at_1": _mean([c / n for n, c in cases]),
            "pass_at_k": _mean([pass_at_k(n, c, min(k, n)) for n, c in cases]),
            "pass_hat_k": _mean([pass_hat_k(n, c, min(k, n)) for n, c in cases]),
            "majority_pass_rate": _mean([1.0 if 2 * c > n else 0.0 for n, c in cases]),
        }
    judge: dict[Key, _Kahan] = {}
    metrics: dict[Key, dict[str, _Kahan]] = {}
    cur = store.db.execute(
        f"SELECT {keys}, status, verdicts FROM results WHERE run_id = ? "
        "AND (instr(verdicts, '\"cost_usd\"') OR instr(verdicts, '\"metric\"')) ORDER BY rowid",
        (run_id,),
    )
    while batch := cur.fetchmany(1000):
        for row in batch:
            key, status = tuple(row[:width]), row[width]
            try:
                verdicts = json.loads(row[width + 1])
            except ValueError:
                continue
            if not isinstance(verdicts, list):
                continue
            costs = [
                float(v["cost_usd"])
                for v in verdicts
                if isinstance(v, dict) and isinstance(v.get("cost_usd"), int | float)
            ]
            if costs:
                judge.setdefault(key, _Kahan()).add(sum(costs))
            if status == SKIPPED:
                continue
            for v in verdicts:
                name = v.get("metric") if isinstance(v, dict) else None
                if name:
                    score = 0.0 if v.get("error") else float(v.get("score") or 0.0)
                    group = metrics.setdefault(key, {})
                    group.setdefault(f"{METRIC_PREFIX}{name}", _Kahan()).add(score)
    out.judge = {key: s.total for key, s in judge.items()}
    out.metrics = {
        key: {name: s.total / s.count for name, s in values.items()}
        for key, values in metrics.items()
    }
    return out


def summary_extras(
    store: Store,
    run_id: str,
    keys: Sequence[tuple[str, Key]],
    *,
    per_model: Extras | None = None,
) -> tuple[list[str], list[dict[str, Any]], bool]:
    """The columns summary.csv appends, each summary row's values (``keys`` are the rows'
    ``(scope, key)``), and whether ``repeat_k`` is whole in every row (pandas writes it as
    an integer only then). ``per_model``: ``extras_store(.., ["model"])`` if already read."""
    scopes = {
        "model": per_model or extras_store(store, run_id, ["model"]),
        "spec_model": extras_store(store, run_id, ["spec", "model"]),
    }
    names = sorted({n for e in scopes.values() for n in e.names})
    columns = [*REPEAT_COLUMNS, "judge_cost_usd", *names]
    rows = []
    whole = True
    for scope, key in keys:
        extras = scopes[scope]
        row = extras.row(key)
        whole = whole and key in extras.repeats
        rows.append({c: row.get(c) for c in columns})
    return columns, rows, whole


def extras_table_store(
    store: Store, run_id: str, *, per_model: Extras | None = None
) -> dict[str, Any] | None:
    """report.html's "Repeats and metrics" table from the store (``extras_view.extras_table``
    for a frame): None when the run neither repeated cases, judged nor named metrics.
    ``per_model``: ``extras_store(.., ["model"])`` if already read."""
    from harness.report.extras_view import extras_from

    extras = per_model or extras_store(store, run_id, ["model"])
    names = extras.names
    repeated = any(r["repeat_k"] > 1 for r in extras.repeats.values())
    if not repeated and not names and not extras.judge:
        return None
    records = [{"model": key[0], **extras.row(key)} for key in extras.repeats]
    return extras_from(records, repeated=repeated, judged=bool(extras.judge), names=names)
