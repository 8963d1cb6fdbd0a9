"""The failing and errored items printed after a run's summary."""

from __future__ import annotations

import io

from rich.console import Console

from harness.runner.failures import failure_line, hint_for, print_failures, shown_kind
from harness.runner.summary import ModelStats, failure_lines
from harness.store.records import ResultRecord


def _failed(spec: str, case: str, model: str = "p:m") -> ResultRecord:
    verdicts = [
        {"assertion": "schema-valid", "passed": True, "reason": "ok"},
        {
            "assertion": "equals",
            "passed": False,
            "field": "label",
            "reason": f"expected 'a', got {case!r}",
        },
    ]
    return ResultRecord("r", f"{spec}::{case}::{model}::1", spec, case, model, 1, "failed",
                        verdicts=verdicts)  # fmt: skip


def test_a_failure_reads_as_its_first_failing_assertion() -> None:
    line = failure_line(_failed("s", "c"))
    assert line is not None and line.reason == "equals on label: expected 'a', got 'c'"


def test_errors_read_as_written_with_a_hint() -> None:
    record = ResultRecord(
        "r", "s::c::p:m::1", "s", "c", "p:m", 1, "error",
        error_type="ConnectionError_", error="cannot connect: connection refused",
    )  # fmt: skip
    line = failure_line(record)
    assert line is not None
    assert line.reason == "ConnectionError: cannot connect: connection refused"
    assert line.hint == "is the model server up? check base_url in harness.yaml"
    assert shown_kind("TimeoutError_") == "TimeoutError"
    assert hint_for("BadRequestError", "x") is None


def test_every_failing_spec_shows_before_one_spec_fills_the_list() -> None:
    stats = ModelStats("p:m")
    for i in range(30):
        stats.add(_failed("big", f"c{i}"))
    stats.add(_failed("small", "only"))
    stats.add(_failed("other", "one"))
    lines, total = failure_lines([stats])
    assert total == 32
    assert [line.item_id.split("::")[0] for line in lines[:3]] == ["big", "small", "other"]
    out = io.StringIO()
    print_failures(lines, total, Console(file=out, width=100))
    text = out.getvalue()
    assert "failed and errored items (10 of 32 shown" in text and "... and 22 more" in text


def test_items_with_the_same_error_are_one_entry() -> None:
    stats = ModelStats("p:m")
    for i in range(8):
        stats.add(ResultRecord("r", f"s::c{i}::p:m::1", "s", f"c{i}", "p:m", 1, "error",
                               error_type="ConnectionError_", error="connection refused"))  # fmt: skip
    stats.add(_failed("s", "other"))
    lines, total = failure_lines([stats])
    out = io.StringIO()
    print_failures(lines, total, Console(file=out, width=120))
    text = out.getvalue()
    assert "(9 of 9 shown" in text
    assert "ERROR s::c0::p:m::1 (and 7 more like it)" in text
    assert text.count("connection refused") == 1
    assert "FAIL s::other::p:m::1" in text
