"""The summary table at 80 and 100 columns: one line per model, nothing cut mid-row."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from harness.runner.summary import ModelStats, print_summary
from harness.runner.summary_fit import shorten_middle
from harness.store.records import ResultRecord

MODELS = (
    "openrouter:meta-llama/llama-3.1-8b-instruct",
    "anthropic:claude-3-5-haiku-20241022",
    "local:smollm2-135m",
)


def _stats() -> list[ModelStats]:
    out = []
    for model in MODELS:
        stats = ModelStats(model)
        for i in range(40):
            status = "passed" if i % 3 else "failed"
            stats.add(
                ResultRecord(
                    "r", f"s::c{i}::{model}::1", "s", f"c{i}", model, 1, status,
                    score=1.0 if i % 3 else 0.0, latency_ms=1234.0 + i, cost_usd=0.000054,
                    input_tokens=123456, output_tokens=65432,
                )
            )  # fmt: skip
        for kind in ("ConnectionError_", "CassetteMissingError", "ResponseParseError"):
            stats.add(ResultRecord("r", "e", "s", "e", model, 1, "error", error_type=kind))
        out.append(stats)
    return out


def _render(width: int, timings: str = "recorded") -> list[str]:
    buffer = io.StringIO()
    print_summary(_stats(), Console(file=buffer, width=width), timings=timings)
    return buffer.getvalue().splitlines()


@pytest.mark.parametrize("width", [pytest.param(80, id="80"), pytest.param(100, id="100")])
@pytest.mark.parametrize("timings", ["recorded", "live"])
def test_the_summary_fits_and_keeps_one_line_per_model(width: int, timings: str) -> None:
    lines = _render(width, timings)
    assert all(len(line) <= width for line in lines)
    rows = [line for line in lines if line.startswith("│") and "/43" in line]
    assert len(rows) == len(MODELS)  # no row wrapped onto a second line
    for row in rows:
        assert "60%" in row  # the pass rate always stays
        assert re.search(r"│\s+3 │", row)  # the errors column keeps the count
    assert any("local:smollm2-135m" in row for row in rows)  # short ids are left whole
    notes = [line for line in lines if line.startswith("errors of ")]
    assert len(notes) == len(MODELS)
    text = " ".join(lines)
    assert "ConnectionError x1" in text and "ConnectionError_" not in text


def test_a_wide_terminal_gets_the_full_table() -> None:
    lines = _render(260)
    text = "\n".join(lines)
    assert "p50 ms (recorded)" in text and "mean score" in text and "tokens in/out" in text
    assert MODELS[0] in text
    assert "ConnectionError x1, ResponseParseError x1" in text
    assert not any(line.startswith("errors of ") for line in lines)


def test_model_ids_are_shortened_from_the_middle() -> None:
    short = shorten_middle(MODELS[0], 24)
    assert len(short) == 24 and short.startswith("openrouter:") and short.endswith("instruct")
    assert shorten_middle("local:x", 24) == "local:x"


@pytest.mark.parametrize("width", [80, 100])
def test_the_dry_run_table_fits_too(width: int) -> None:
    from harness.runner.dryrun import dry_run_table
    from harness.runner.estimate import ModelEstimate

    estimates = [
        ModelEstimate(m, calls=40, input_tokens=123456, max_output_tokens=20480,
                      cost_low=0.0012, cost_high=0.0123)
        for m in MODELS
    ]  # fmt: skip
    buffer = io.StringIO()
    Console(file=buffer, width=width).print(dry_run_table(estimates, width=width))
    lines = buffer.getvalue().splitlines()
    assert all(len(line) <= width for line in lines)
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == len(MODELS) + 1  # one line per model, and the total
    assert all("$0.0012 - $0.0123" in row for row in rows[:-1])


def test_model_ids_print_as_written_not_as_markup() -> None:
    stats = ModelStats("local:/models/[bold]x.gguf")
    stats.add(ResultRecord("r", "s::c::p:m::1", "s", "c", "p:m", 1, "error", error_type="X"))
    buffer = io.StringIO()
    print_summary([stats], Console(file=buffer, width=200))
    assert "local:/models/[bold]x.gguf" in buffer.getvalue()
