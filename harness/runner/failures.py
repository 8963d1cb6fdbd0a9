"""What failed, in a line per item: printed after the summary so a run says why it is red.

Each model keeps its first few failing and errored items (so memory stays flat however
large the run); the printout shows up to a limit across models, then a count of the rest.

Example output::

    failed and errored items (3 of 17 shown; all in reports/<run>/report.html):
      FAIL triage/refund@openai:gpt-4o-mini  equals on label: expected 'billing', got 'account'
      ERROR triage/crash@local:qwen  ConnectionError: connection refused (...)
            hint: is the model server up? check base_url in harness.yaml
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.store.records import ERROR, FAILED, ResultRecord

KEPT_PER_SPEC = 10
"""Failing or errored items each model keeps per spec for the printout."""

KEPT_PER_MODEL = 500
"""And in all, whatever the number of specs: memory stays flat."""

SHOWN = 10
"""How many lines ``harness run`` prints before it only counts."""

_HINTS: tuple[tuple[str, str, str], ...] = (
    # (error kind, text in the message or "", hint)
    ("ConnectionError", "", "is the model server up? check base_url in harness.yaml"),
    (
        "CassetteStaleError",
        "",
        "the request changed since it was recorded (the error names what and the command "
        "that re-records it); `harness cassettes check` lists every stale cassette",
    ),
    (
        "CassetteMissingError",
        "",
        "no recording for this item: record it with `harness run <specs> --record-mode once` "
        "(needs the provider reachable)",
    ),
    ("MissingAPIKeyError", "", "export the API key variable named above, or use a local model"),
    ("AuthenticationError", "", "check the API key variable for this provider"),
    ("RateLimitError", "", "lower --concurrency or requests_per_minute in harness.yaml"),
    ("TimeoutError", "", "raise the provider's timeouts in harness.yaml, or lower --concurrency"),
    ("ServerError", "", "the provider is failing; try again later or lower --concurrency"),
)


def shown_kind(error_type: str | None) -> str:
    """An error class name as a user reads it: ``ConnectionError_`` -> ``ConnectionError``."""
    return (error_type or "Error").rstrip("_") or "Error"


def hint_for(error_type: str | None, message: str | None) -> str | None:
    """What to do about an errored item, when the kind says so."""
    kind = shown_kind(error_type)
    text = (message or "").lower()
    for name, needle, hint in _HINTS:
        if kind == name and needle in text:
            return hint
    return None


@dataclass(frozen=True, slots=True)
class FailureLine:
    """One failing or errored item, ready to print."""

    item_id: str
    status: str
    reason: str
    hint: str | None = None
    spec: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            "item": self.item_id,
            "status": self.status,
            "reason": self.reason,
            "hint": self.hint,
        }


def failure_line(record: ResultRecord) -> FailureLine | None:
    """The line for a failed or errored record; None for the others."""
    if record.status == ERROR:
        kind = shown_kind(record.error_type)
        message = (record.error or "").strip()
        hint = hint_for(record.error_type, message)
        return FailureLine(record.item_id, ERROR, f"{kind}: {message}", hint, record.spec)
    if record.status == FAILED:
        reason = _first_failure(record.verdicts)
        return FailureLine(record.item_id, FAILED, reason, spec=record.spec)
    return None


def _first_failure(verdicts: list[dict[str, Any]]) -> str:
    for verdict in verdicts:
        if verdict.get("passed"):
            continue
        what = str(verdict.get("assertion") or "assertion")
        field = verdict.get("field")
        on = f" on {field}" if field else ""
        reason = verdict.get("error") or verdict.get("reason") or "did not pass"
        return f"{what}{on}: {reason}"
    return "the case's score is under its threshold"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_failures(
    lines: list[FailureLine], total: int, console: Console, *, limit: int = SHOWN
) -> None:
    """Print up to ``limit`` entries, then how many more failed or errored.

    Items with the same reason are one entry (the first item, and how many more share it):
    a server that is down is one line, not one per item.
    """
    if not total:
        return
    groups: dict[tuple[str, str, str | None], list[FailureLine]] = {}
    for line in lines:
        groups.setdefault((line.status, line.reason, line.hint), []).append(line)
    entries = list(groups.values())[:limit]
    shown = sum(len(entry) for entry in entries)
    console.print(
        f"failed and errored items ({shown} of {total} shown; every one is in the report):"
    )
    width = max(console.width - 4, 40)
    for entry in entries:
        line = entry[0]
        mark = "[red]FAIL[/red]" if line.status == FAILED else "[bold red]ERROR[/bold red]"
        alike = f" [dim](and {len(entry) - 1} more like it)[/dim]" if len(entry) > 1 else ""
        # ids and reasons are data: no markup and no :emoji: codes (``p:m::1`` is not Ⓜ)
        console.print(f"  {mark} {escape(line.item_id)}{alike}", soft_wrap=True, emoji=False)
        console.print(f"    {escape(_clip(line.reason, width * 2))}", emoji=False)
        if line.hint:
            console.print(f"    [dim]hint: {escape(line.hint)}[/dim]", emoji=False)
    if total > shown:
        console.print(f"  ... and {total - shown} more")
