"""Leaderboard, summary.csv and pairwise tables on a fixture run."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from harness.report.tables import leaderboard, pairwise, summary_frame
from harness.store.records import PASSED, SKIPPED
from tests.report.fixtures import frame_of, mixed_records, record


@pytest.fixture(params=[pytest.param(False, id="objects"), pytest.param(True, id="store-json")])
def frame(request: pytest.FixtureRequest) -> pd.DataFrame:
    """The mixed fixture run, with JSON columns as objects or as the store's JSON text."""
    return frame_of(mixed_records(), as_store=request.param)


def _row(table: pd.DataFrame, model: str) -> dict[str, object]:
    rows = table[table["model"] == model].to_dict("records")
    assert len(rows) == 1
    return {str(k): v for k, v in rows[0].items()}


def test_leaderboard_counts_every_attempt_and_orders_by_pass_rate(frame: pd.DataFrame) -> None:
    board = leaderboard(frame)
    assert list(board["model"]) == ["openai:gpt-a", "anthropic:claude-b", "ollama:local"]
    gpt = _row(board, "openai:gpt-a")
    assert (gpt["attempts"], gpt["passed"], gpt["cases"], gpt["max_attempt"]) == (13, 12, 7, 2)
    assert gpt["pass_rate"] == pytest.approx(12 / 13)
    assert gpt["pass_rate_ci_low"] < gpt["pass_rate"] < gpt["pass_rate_ci_high"]  # type: ignore[operator]


def test_errors_count_as_not_passed_and_score_zero(frame: pd.DataFrame) -> None:
    local = _row(leaderboard(frame), "ollama:local")
    assert (local["attempts"], local["passed"], local["failed"], local["errors"]) == (12, 4, 6, 2)
    assert local["mean_score"] == pytest.approx(4 / 12)


def test_unknown_cost_stays_unknown(frame: pd.DataFrame) -> None:
    board = leaderboard(frame)
    local = _row(board, "ollama:local")
    assert local["cost_known"] == 0
    assert local["cost_usd"] is None or math.isnan(local["cost_usd"])  # type: ignore[arg-type]
    assert local["cost_per_pass_usd"] is None or math.isnan(local["cost_per_pass_usd"])  # type: ignore[arg-type]
    claude = _row(board, "anthropic:claude-b")
    assert claude["cost_usd"] == pytest.approx(0.039)
    assert claude["cost_per_pass_usd"] == pytest.approx(0.039 / 7)


def test_repair_share_is_over_outputs_only(frame: pd.DataFrame) -> None:
    local = _row(leaderboard(frame), "ollama:local")
    assert local["repaired_share"] == pytest.approx(2 / 10)  # errors produced no output
    assert local["timings_recorded"] is True


def test_skipped_items_are_left_out_of_the_pass_rate() -> None:
    records = [record("m", "a", PASSED), record("m", "b", SKIPPED, output=None, verdicts=[])]
    row = _row(leaderboard(frame_of(records)), "m")
    assert (row["attempts"], row["skipped"], row["pass_rate"]) == (1, 1, 1.0)


def test_summary_has_model_and_spec_model_rows(frame: pd.DataFrame) -> None:
    summary = summary_frame(frame)
    assert list(summary.columns[:3]) == ["scope", "spec", "model"]
    assert summary["scope"].value_counts().to_dict() == {"model": 3, "spec_model": 5}
    row = summary[(summary["scope"] == "spec_model") & (summary["spec"] == "security")]
    assert sorted(row["model"]) == ["anthropic:claude-b", "openai:gpt-a"]


def test_pairwise_counts_wins_on_shared_attempts(frame: pd.DataFrame) -> None:
    pairs = {(p.a, p.b): p for p in pairwise(frame)}
    p = pairs[("anthropic:claude-b", "openai:gpt-a")]
    assert (p.shared, p.wins, p.losses, p.ties) == (13, 1, 6, 6)
    assert p.p_value == pytest.approx(16 / 128)
    assert p.verdict == "not significant"
    assert p.small_n
    q = pairs[("ollama:local", "openai:gpt-a")]
    assert (q.shared, q.wins, q.losses) == (12, 0, 8)
    assert q.significant
    assert q.verdict == "openai:gpt-a better"
