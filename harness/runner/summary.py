"""Per-model counters kept while a run goes, and the summary table printed at its end.

Only counters and one array of latencies per model are kept, so memory stays flat
however many results the run writes.
"""

from __future__ import annotations

import itertools
from array import array
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from harness.runner.failures import (
    KEPT_PER_MODEL,
    KEPT_PER_SPEC,
    FailureLine,
    failure_line,
    shown_kind,
)
from harness.runner.money import format_usd
from harness.runner.summary_fit import Column, FittedTable, fit, render
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED, ResultRecord


@dataclass(slots=True)
class ModelStats:
    """What the summary shows for one model."""

    model: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    score_sum: float = 0.0
    scored: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = False
    retries: int = 0
    latencies: array[float] = field(default_factory=lambda: array("d"))
    error_types: dict[str, int] = field(default_factory=dict)
    examples: list[FailureLine] = field(default_factory=list)
    """The first failing and errored items: at most ``KEPT_PER_SPEC`` of each spec, so one
    spec that fails everywhere does not hide the others, and ``KEPT_PER_MODEL`` in all."""
    kept_per_spec: dict[str, int] = field(default_factory=dict)
    budget_skipped: int = 0

    def add(self, record: ResultRecord) -> None:
        """Count one finished record."""
        if record.status == PASSED:
            self.passed += 1
        elif record.status == FAILED:
            self.failed += 1
        elif record.status == ERROR:
            self.errors += 1
            key = shown_kind(record.error_type)
            self.error_types[key] = self.error_types.get(key, 0) + 1
        elif record.status == SKIPPED:
            self.skipped += 1
            if record.error_type == "budget":
                self.budget_skipped += 1
        if record.status in (FAILED, ERROR) and len(self.examples) < KEPT_PER_MODEL:
            kept = self.kept_per_spec.get(record.spec, 0)
            line = failure_line(record) if kept < KEPT_PER_SPEC else None
            if line is not None:
                self.examples.append(line)
                self.kept_per_spec[record.spec] = kept + 1
        if record.score is not None:
            self.score_sum += record.score
            self.scored += 1
        self.input_tokens += record.input_tokens or 0
        self.output_tokens += record.output_tokens or 0
        if record.cost_usd is not None:
            self.cost_usd += record.cost_usd
            self.priced = True
        self.retries += record.retries
        if record.latency_ms is not None and not record.cached:
            self.latencies.append(record.latency_ms)

    @property
    def evaluated(self) -> int:
        """Items that ran to a verdict or an error (skips excluded)."""
        return self.passed + self.failed + self.errors

    @property
    def pass_rate(self) -> float | None:
        """Passed over evaluated, or None when nothing was evaluated."""
        return self.passed / self.evaluated if self.evaluated else None

    @property
    def mean_score(self) -> float | None:
        """Mean score of the scored items."""
        return self.score_sum / self.scored if self.scored else None

    def latency(self, q: float) -> float | None:
        """The ``q`` quantile of latency in ms (nearest rank)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def summary_columns(stats: list[ModelStats], *, timings: str = "live") -> list[Column]:
    """The summary's columns at full width: model, passed, pass rate, mean score, p50/p95
    latency, tokens, cost, errors by kind, skipped."""
    label = " (recorded)" if timings == "recorded" else ""
    rates = [s.pass_rate for s in stats]
    cells: list[tuple[str, str, str, tuple[str, ...]]] = [
        ("model", "model", "left", tuple(s.model for s in stats)),
        ("passed", "passed", "right", tuple(f"{s.passed}/{s.evaluated}" for s in stats)),
        ("rate", "pass rate", "right", tuple("-" if r is None else f"{r:.0%}" for r in rates)),
        ("score", "mean score", "right", tuple(_num(s.mean_score, ".2f") for s in stats)),
        ("p50", f"p50 ms{label}", "right", tuple(_num(s.latency(0.5), ".0f") for s in stats)),
        ("p95", f"p95 ms{label}", "right", tuple(_num(s.latency(0.95), ".0f") for s in stats)),
        (
            "tokens",
            "tokens in/out",
            "right",
            tuple(f"{s.input_tokens}/{s.output_tokens}" for s in stats),
        ),
        (
            "cost",
            "cost $",
            "right",
            tuple(format_usd(s.cost_usd) if s.priced else "-" for s in stats),
        ),
        ("errors", "errors", "left", tuple(_error_kinds(s) or "0" for s in stats)),
        ("skipped", "skipped", "right", tuple(str(s.skipped) for s in stats)),
    ]
    return [Column(key, header, cells_, justify) for key, header, justify, cells_ in cells]


def _error_kinds(s: ModelStats) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(s.error_types.items()))


def summary_table(
    stats: list[ModelStats], *, timings: str = "live", width: int | None = None
) -> Table:
    """A rich table: per model pass rate, mean score, p50/p95 latency, tokens, cost, errors.

    With ``width``, the table is fitted to it (see :mod:`harness.runner.summary_fit`).
    """
    return render(_fitted(stats, timings, width), TITLE)


def _fitted(stats: list[ModelStats], timings: str, width: int | None) -> FittedTable:
    columns = summary_columns(stats, timings=timings)
    if width is None:
        return FittedTable(columns)
    notes = [f"errors of {s.model}: {_error_kinds(s)}" for s in stats if s.error_types]
    return fit(columns, width, error_notes=notes, caption=RECORDED_CAPTION)


TITLE = "harness run summary"
RECORDED_CAPTION = "* latencies recorded: replayed from cassettes, as measured when recorded"


def failure_lines(stats: list[ModelStats]) -> tuple[list[FailureLine], int]:
    """The kept failing and errored items and how many failed or errored in all.

    Errors come first; within each kind the specs take turns (and within a spec, the
    models), so the first lines show every spec that has a problem.
    """
    out: list[FailureLine] = []
    for status in (ERROR, FAILED):
        by_spec: dict[str, list[list[FailureLine]]] = {}
        for s in stats:
            mine: dict[str, list[FailureLine]] = {}
            for line in s.examples:
                if line.status == status:
                    mine.setdefault(line.spec, []).append(line)
            for spec, lines in mine.items():
                by_spec.setdefault(spec, []).append(lines)
        groups = [_interleave(per_model) for per_model in by_spec.values()]
        out.extend(_interleave(groups))
    return out, sum(s.failed + s.errors for s in stats)


def _interleave(lists: list[list[FailureLine]]) -> list[FailureLine]:
    return [x for turn in itertools.zip_longest(*lists) for x in turn if x is not None]


def print_summary(stats: list[ModelStats], console: Console, *, timings: str = "live") -> None:
    """Print the summary table, fitted to the console's width, and any notes under it."""
    fitted = _fitted(stats, timings, console.width)
    console.print(render(fitted, TITLE))
    for note in fitted.notes:
        console.print(note, markup=False, emoji=False)
