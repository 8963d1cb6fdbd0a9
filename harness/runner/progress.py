"""Live progress: a rich bar on a terminal, a plain log line every few seconds otherwise."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
        return (
            f"passed {self.passed}  failed {self.failed}  errors {self.errors}  "
            f"skipped {self.skipped}  {self.rate:.0f} calls/s  {self.tokens} tokens  "
            f"{self._cost_text()}"
        )

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
