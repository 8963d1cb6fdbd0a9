"""Live progress and the summary table."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from harness.runner.gate import GateStats
from harness.runner.progress import RunProgress
from harness.runner.summary import ModelStats, summary_table
from harness.store.records import ResultRecord


def _record(status: str, **kw: object) -> ResultRecord:
    return ResultRecord("r", "i", "s", "c", "p:m", 1, status, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("live", [pytest.param(True, id="terminal"), pytest.param(False, id="log")])
def test_progress_counts_and_shows_them(live: bool) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=live, width=200)
    with RunProgress(console, 3, live=live) as progress:
        progress.add(_record("passed", input_tokens=5, output_tokens=5, cost_usd=0.5))
        progress.add(_record("failed"))
        progress.add(_record("error"))
    assert (progress.done, progress.passed, progress.failed, progress.errors) == (3, 1, 1, 1)
    text = out.getvalue()
    assert "passed 1" in text and "errors 1" in text and "10 tokens" in text
    assert "$0.5000 (+1 unpriced)" in text
    assert ("[run] 3/3 done" in text) is not live


def test_progress_shows_each_providers_pressure() -> None:
    out = io.StringIO()
    stats = [
        GateStats("openai", 12, 64, True, 11, 300, 4, 2.5),
        GateStats("local", 16, 16, False, 3, 90, 0, 0.0),
    ]
    with RunProgress(Console(file=out, width=300), 1, live=False) as progress:
        progress.watch(lambda: stats)
        progress.add(_record("passed"))
    text = out.getvalue()
    assert "openai: 11/12 in flight (auto <= 64)" in text and "4 429s, waited 2s" in text
    assert "local: 3/16 in flight, " in text
    assert "429s" not in text.split("local:")[1], "no 429s: nothing said about them"


def test_unknown_prices_are_not_shown_as_zero() -> None:
    out = io.StringIO()
    with RunProgress(Console(file=out, width=200), 2, live=False) as progress:
        progress.add(_record("passed"))
        progress.add(_record("failed"))
    text = out.getvalue()
    assert "cost unknown" in text and "$0.0000" not in text


def test_summary_stats_and_table() -> None:
    stats = ModelStats("p:m")
    for i in range(20):
        stats.add(
            _record(
                "passed" if i < 15 else "failed",
                score=1.0 if i < 15 else 0.0,
                latency_ms=float(i + 1),
                cost_usd=0.01,
            )
        )
    stats.add(_record("error", error_type="ServerError"))
    stats.add(_record("skipped", error_type="budget"))
    assert stats.pass_rate == pytest.approx(15 / 21)
    assert stats.mean_score == pytest.approx(15 / 20)
    assert (stats.latency(0.5), stats.latency(0.95)) == (10.0, 19.0)
    out = io.StringIO()
    Console(file=out, width=200).print(summary_table([stats], timings="recorded"))
    text = out.getvalue()
    assert "15/21" in text and "71%" in text and "ServerError x1" in text
    assert "p50 ms (recorded)" in text and "0.2000" in text


def test_quiet_progress_counts_and_prints_nothing() -> None:
    out = io.StringIO()
    with RunProgress(Console(file=out, force_terminal=True, width=200), 2, quiet=True) as progress:
        progress.add(_record("passed"))
        progress.add(_record("error"))
    assert (progress.done, progress.errors) == (2, 1)
    assert out.getvalue() == ""


def test_costs_under_a_cent_keep_their_digits() -> None:
    from harness.runner.money import format_usd

    assert format_usd(0.000054) == "0.000054"
    assert format_usd(0.0054, sign=True) == "$0.0054"
    assert format_usd(0.000000123) == "0.00000012"
    assert format_usd(12.5) == "12.5000"
    stats = ModelStats("p:m")
    stats.add(_record("passed", cost_usd=0.000054))
    out = io.StringIO()
    Console(file=out, width=200).print(summary_table([stats]))
    assert "0.000054" in out.getvalue()
