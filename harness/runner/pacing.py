"""Pace calls from what the provider says is left, before it has to answer 429.

Providers report a budget with every answer (``x-ratelimit-remaining-requests: 12``,
``x-ratelimit-reset-requests: 240ms``). Such a budget behaves like a token bucket: it
refills at ``(limit - remaining) / reset`` units a second up to ``limit``. An
:class:`Allowance` keeps the latest report and counts the calls (or tokens) started
since the reported call, which the provider had not seen yet, so it can tell how long
the next call should wait for the budget to hold it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_STEP = 5.0
"""Seconds; a single wait is never longer (the caller looks again after it)."""


@dataclass(slots=True)
class Allowance:
    """One budget (requests or tokens) of one provider, as last reported.

    ``counted`` is the running total of units started up to and including the call
    whose answer carried the report: units started after it are not in ``remaining``.
    """

    limit: float | None = None
    remaining: float | None = None
    rate: float | None = None
    reset: float | None = None
    at: float = 0.0
    counted: float = 0.0

    @property
    def known(self) -> bool:
        """Whether the provider ever reported this budget."""
        return self.remaining is not None

    def update(
        self,
        *,
        limit: int | None,
        remaining: int | None,
        reset: float | None,
        now: float,
        counted: float,
    ) -> None:
        """Take a newer report (reports about calls older than the last one are ignored)."""
        if remaining is None or counted < self.counted:
            return
        if limit is not None and reset is not None and reset > 0 and limit > remaining:
            self.rate = (limit - remaining) / reset
        elif limit is not None and remaining >= limit:
            pass  # a full budget says nothing about how fast it refills
        self.limit = float(limit) if limit is not None else self.limit
        self.remaining = float(remaining)
        self.reset = reset
        self.at = now
        self.counted = counted

    def available(self, now: float, started: float) -> float:
        """Units the budget holds now, less those started since the report."""
        if self.remaining is None:
            return float("inf")
        elapsed = max(now - self.at, 0.0)
        if self.rate is not None:
            held = self.remaining + self.rate * elapsed
        elif self.reset is not None and elapsed >= self.reset:
            held = self.limit if self.limit is not None else float("inf")
        else:
            held = self.remaining
        if self.limit is not None:
            held = min(held, self.limit)
        return held - (started - self.counted)

    def wait(self, now: float, started: float, need: float) -> float:
        """Seconds until ``need`` more units fit (0: go now), at most :data:`MAX_STEP`."""
        if self.remaining is None:
            return 0.0
        if self.limit is not None:
            need = min(need, self.limit)  # a call bigger than the budget waits for a full one
        short = need - self.available(now, started)
        if short <= 0:
            return 0.0
        if self.rate:
            return min(short / self.rate, MAX_STEP)
        if self.reset is not None:
            return min(max(self.reset - (now - self.at), 0.0), MAX_STEP)
        return 0.0
