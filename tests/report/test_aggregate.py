"""pass@k, pass^k, majority vote over repeats, and named metrics per model."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.report import write_reports
from harness.report.aggregate import (
    metric_scores,
    pass_at_k,
    pass_hat_k,
    repeat_measures,
)
from harness.report.html import render_report
from harness.report.tables import summary_frame
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED
from harness.store.sqlite import Store
from tests.report.fixtures import frame_of, record, run_info


def _by_enumeration(n: int, c: int, k: int) -> tuple[float, float]:
    """pass@k and pass^k by counting every k-subset of n attempts (c of them passing)."""
    attempts = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    any_pass = sum(any(attempts[i] for i in s) for s in subsets)
    all_pass = sum(all(attempts[i] for i in s) for s in subsets)
    return any_pass / len(subsets), all_pass / len(subsets)


@given(
    st.integers(1, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n)))
)
def test_the_estimators_are_exact_subset_frequencies(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    at_k, hat_k = _by_enumeration(n, c, k)
    assert pass_at_k(n, c, k) == pytest.approx(at_k)
    assert pass_hat_k(n, c, k) == pytest.approx(hat_k)


def test_k_larger_than_n_is_refused() -> None:
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_at_k(2, 1, 3)


def _repeats() -> pd.DataFrame:
    # model a: case x passes 3/3, case y 1/3, case z 2/3 (one of them an error)
    # model b: case x 0/3, y 3/3, z skipped twice and passed once
    outcomes = {
        ("a", "x"): [PASSED, PASSED, PASSED],
        ("a", "y"): [FAILED, PASSED, FAILED],
        ("a", "z"): [PASSED, ERROR, PASSED],
        ("b", "x"): [FAILED, FAILED, FAILED],
        ("b", "y"): [PASSED, PASSED, PASSED],
        ("b", "z"): [SKIPPED, PASSED, SKIPPED],
    }
    records = [
        record(model, case, status, attempt=i + 1)
        for (model, case), statuses in outcomes.items()
        for i, status in enumerate(statuses)
    ]
    return frame_of(records)


def test_repeat_measures_per_model() -> None:
    table = repeat_measures(_repeats(), ["model"]).set_index("model")
    a, b = table.loc["a"], table.loc["b"]
    assert a["repeat_k"] == 3
    assert a["pass_at_1"] == pytest.approx((1 + 1 / 3 + 2 / 3) / 3)
    assert a["pass_at_k"] == pytest.approx(1.0)  # every case passed at least once
    assert a["pass_hat_k"] == pytest.approx(1 / 3)  # only x passed all three
    assert a["majority_pass_rate"] == pytest.approx(2 / 3)  # x and z
    # b's z has one graded attempt: k is 1 there, and it passed
    assert b["pass_at_k"] == pytest.approx(2 / 3)
    assert b["pass_hat_k"] == pytest.approx(2 / 3)
    assert b["majority_pass_rate"] == pytest.approx(2 / 3)


def _with_metric(model: str, case: str, scores: list[tuple[str, float, bool]]) -> object:
    verdicts = [
        {
            "assertion": "judge",
            "passed": s >= 0.5,
            "score": s,
            "reason": "r",
            "weight": 1.0,
            "field": None,
            "error": "boom" if err else None,
            "metric": name,
        }
        for name, s, err in scores
    ]
    return record(model, case, PASSED, verdicts=verdicts)


def test_metric_scores_are_means_with_errors_as_zero() -> None:
    frame = frame_of(
        [
            _with_metric("a", "x", [("tone", 0.8, False), ("format", 1.0, False)]),
            _with_metric("a", "y", [("tone", 0.4, False), ("format", 0.9, True)]),
            _with_metric("b", "x", [("tone", 1.0, False)]),
            record("b", "y", PASSED),  # no metric at all
        ],
        as_store=True,
    )
    table = metric_scores(frame, ["model"]).set_index("model")
    assert table.loc["a", "metric:tone"] == pytest.approx(0.6)
    assert table.loc["a", "metric:format"] == pytest.approx(0.5)
    assert table.loc["b", "metric:tone"] == pytest.approx(1.0)
    assert pd.isna(table.loc["b", "metric:format"])


def test_summary_csv_gets_the_columns_after_the_documented_ones(tmp_path: Path) -> None:
    frame = frame_of([_with_metric("a", "x", [("tone", 0.8, False)]), record("a", "y", PASSED)])
    summary = summary_frame(frame)
    assert list(summary.columns[-7:]) == [
        "repeat_k",
        "pass_at_1",
        "pass_at_k",
        "pass_hat_k",
        "majority_pass_rate",
        "judge_cost_usd",
        "metric:tone",
    ]
    model_row = summary[summary["scope"] == "model"].iloc[0]
    assert model_row["metric:tone"] == pytest.approx(0.8)
    spec_row = summary[summary["scope"] == "spec_model"].iloc[0]
    assert spec_row["repeat_k"] == 1 and spec_row["pass_at_1"] == pytest.approx(1.0)


def test_the_report_shows_repeats_and_metrics_only_when_there_are_some() -> None:
    html = render_report(run_info(), _repeats())
    assert "Repeats and metrics" in html and "pass^k" in html
    single = frame_of([record("a", "x", PASSED)])
    assert "Repeats and metrics" not in render_report(run_info(), single)
    named = frame_of([_with_metric("a", "x", [("tone", 0.8, False)])])
    page = render_report(run_info(), named)
    assert "Repeats and metrics" in page and ">tone<" in page and "80.0%" in page


def test_summary_csv_from_the_store_has_the_repeat_columns(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "h.db")
    store.start_run(run_info())
    store.write(
        record(model, case, status, attempt=i + 1)
        for (model, case), statuses in {
            ("a", "x"): [PASSED, FAILED],
            ("a", "y"): [PASSED, PASSED],
        }.items()
        for i, status in enumerate(statuses)
    )
    write_reports(store, "run-1", tmp_path / "out")
    assert store.case_attempts("run-1") == [("qa", "x", "a", 2, 1), ("qa", "y", "a", 2, 2)]
    store.close()
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    row = summary[summary["scope"] == "model"].iloc[0]
    assert (row["repeat_k"], row["pass_at_1"], row["pass_hat_k"]) == (2, 0.75, 0.5)


def test_judge_costs_sum_known_costs_per_model() -> None:
    def judged(model: str, case: str, cost: float | None) -> object:
        verdicts = [
            {
                "assertion": "judge",
                "passed": True,
                "score": 1.0,
                "reason": "r",
                "weight": 1.0,
                "field": None,
                "error": None,
                "cost_usd": cost,
            }
        ]
        return record(model, case, PASSED, verdicts=verdicts)

    frame = frame_of(
        [
            judged("a", "x", 0.002),
            judged("a", "y", 0.001),
            judged("a", "z", None),
            judged("b", "x", None),
            record("c", "x", PASSED),
        ],
        as_store=True,
    )
    summary = summary_frame(frame)
    rows = summary[summary["scope"] == "model"].set_index("model")["judge_cost_usd"]
    assert rows["a"] == pytest.approx(0.003)
    assert pd.isna(rows["b"]) and pd.isna(rows["c"])  # unknown stays unknown, never $0
    page = render_report(run_info(), frame)
    assert ">judge cost<" in page and "$0.0030" in page
