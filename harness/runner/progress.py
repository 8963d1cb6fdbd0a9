"""Live progress: a rich bar on a terminal, a plain log line every few seconds otherwise.

Besides the counts, each remote provider's pressure is shown once it has calls:
``openai: 24/64 in flight (auto), 41 calls/s, 3 429s``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.runner.gate import GateStats
from harness.runner.money import format_usd
from harness.store.records import ERROR, FAILED, PASSED, SKIPPED, ResultRecord

LOG_EVERY = 5.0
"""Seconds between plain log lines when not on a terminal."""


class RunProgress:
    """Counts finished items and shows them: done / failed / errors, calls/s, tokens, cost."""

    def __init__(
        self, console: Console, total: int, *, live: bool | None = None, quiet: bool = False
    ) -> None:
        self.console = console
        self.total = total
        self.live = console.is_terminal if live is None else live
        self.quiet = quiet  # count only: RunOptions(progress=False) prints nothing
        self.done = self.passed = self.failed = self.errors = self.skipped = 0
        self.tokens = 0
        self.cost = 0.0
        self.unpriced = 0  # calls whose price is unknown: never shown as $0
        self.started = time.monotonic()
        self._last_log = self.started
        self._bar: Progress | None = None
        self._task = None
        self._pressure: Callable[[], list[GateStats]] | None = None
        self._rates: dict[str, tuple[float, int, float]] = {}  # provider: (time, calls, rate)

    def __enter__(self) -> RunProgress:
        if self.live and not self.quiet:
            self._bar = Progress(
                TextColumn("[bold]run"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._text(), total=self.total)  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._refresh()
            self._bar.stop()
        elif not self.quiet:
            self._log()

    def watch(self, pressure: Callable[[], list[GateStats]]) -> None:
        """Show each provider's concurrency, call rate and 429s (from ``Pool.stats``)."""
        self._pressure = pressure

    def pressure_text(self) -> str:
        """One clause per provider: in flight / limit, calls/s over the last seconds, 429s."""
        if self._pressure is None:
            return ""
        now = time.monotonic()
        parts = []
        for s in self._pressure():
            then, calls, rate = self._rates.get(s.provider, (self.started, 0, 0.0))
            if now - then >= 1.0:
                rate = (s.calls - calls) / (now - then)
                self._rates[s.provider] = (now, s.calls, rate)
            mode = f" (auto <= {s.cap})" if s.adaptive else ""
            limited = f", {s.rate_limited} 429s, waited {s.waited:.0f}s" if s.rate_limited else ""
            parts.append(
                f"{s.provider}: {s.in_flight}/{s.concurrency} in flight{mode}, "
                f"{rate:.0f} calls/s{limited}"
            )
        return "; ".join(parts)

    def add(self, record: ResultRecord) -> None:
        """Count one finished record."""
        self.done += 1
        if record.status == PASSED:
            self.passed += 1
        elif record.status == FAILED:
            self.failed += 1
        elif record.status == ERROR:
            self.errors += 1
        elif record.status == SKIPPED:
            self.skipped += 1
        self.tokens += (record.input_tokens or 0) + (record.output_tokens or 0)
        if record.cost_usd is not None:
            self.cost += record.cost_usd
        elif record.status in (PASSED, FAILED) and not record.cached:
            self.unpriced += 1
        if self._bar is not None:
            if self.done % 16 == 0 or self.done == self.total:
                self._refresh()
        elif not self.quiet and time.monotonic() - self._last_log >= LOG_EVERY:
            self._log()

    @property
    def rate(self) -> float:
        """Finished items per second since the start."""
        return self.done / max(time.monotonic() - self.started, 1e-9)

    def _text(self) -> str:
        text = (
            f"passed {self.passed}  failed {self.failed}  errors {self.errors}  "
            f"skipped {self.skipped}  {self.rate:.0f} calls/s  {self.tokens} tokens  "
            f"{self._cost_text()}"
        )
        pressure = self.pressure_text()
        return f"{text}  [{pressure}]" if pressure else text

    def _cost_text(self) -> str:
        if self.unpriced and self.cost == 0:
            return "cost unknown"
        unknown = f" (+{self.unpriced} unpriced)" if self.unpriced else ""
        return f"{format_usd(self.cost, sign=True)}{unknown}"

    def _refresh(self) -> None:
        assert self._bar is not None and self._task is not None
        self._bar.update(self._task, completed=self.done, description=self._text())

    def _log(self) -> None:
        self._last_log = time.monotonic()
        self.console.print(
            f"[run] {self.done}/{self.total} done  {self._text()}", highlight=False, markup=False
        )
