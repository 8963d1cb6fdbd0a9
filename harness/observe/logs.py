"""Logging: the ``harness`` logger tree, the terminal handler and the JSON-lines file.

Quiet by default (warnings and errors only, on stderr). ``-v`` shows info, ``-vv``
debug, ``--log-level`` names a level; ``--log-file PATH`` appends one JSON object per
line, the call events among them::

    {"ts": "2026-01-01T12:00:00.123Z", "level": "INFO", "logger": "harness.calls",
     "message": "call ok", "event": "call", "item_id": "qa/capital#1@openai:gpt-4o-mini",
     "provider": "openai", "model": "openai:gpt-4o-mini", "status": "ok", "retries": 0,
     "wait_ms": 0.1, "latency_ms": 812.0, "input_tokens": 31, "output_tokens": 5,
     "cost_usd": 7.6e-06, "error": null, ...}

Every line passes the :class:`~harness.observe.redact.Redactor`: no secret reaches a log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.hooks import CallFinished, ItemFinished, RunFinished, RunStarted

if TYPE_CHECKING:
    from harness.config import ProjectConfig
from harness.observe.redact import Redactor

ROOT = "harness"
CALLS = "harness.calls"
"""The logger of the per-call events (INFO), one per call, retries counted in it."""
EVENT_KEY = "harness_event"
"""The ``extra`` key holding a log record's structured fields."""
_MARK = "_harness_handler"

LEVELS = ("debug", "info", "warning", "error", "critical")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time, so lines logged while the progress
    bar is live go through rich's redirection and print above the bar, not through it."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        return None


def level_for(verbose: int, level: str | None) -> int:
    """The terminal's level: ``--log-level`` wins, else WARNING, INFO (-v), DEBUG (-vv)."""
    if level:
        return int(logging.getLevelName(level.upper()))
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and structured fields through a :class:`Redactor`."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = self.redactor.text(message), None
        fields = getattr(record, EVENT_KEY, None)
        if isinstance(fields, dict):
            setattr(record, EVENT_KEY, self.redactor.value(fields))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redactor.text(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, EVENT_KEY, None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_text:
            out["traceback"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(
    *,
    verbose: int = 0,
    level: str | None = None,
    log_file: Path | None = None,
    redactor: Redactor | None = None,
) -> None:
    """Configure the ``harness`` logger tree once per command (repeated calls replace it).

    Args:
        verbose: 0 quiet (warnings), 1 info, 2+ debug.
        level: a level name; overrides ``verbose``.
        log_file: also append JSON lines here, at INFO or lower.
        redactor: how secrets are removed (default: from the environment).
    """
    root = logging.getLogger(ROOT)
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()
    redactor = redactor or Redactor.from_env()
    shown = level_for(verbose, level)
    terminal = StderrHandler()
    terminal.setLevel(shown)
    terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handlers: list[logging.Handler] = [terminal]
    lowest = shown
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(log_file, encoding="utf-8")
        file_level = min(shown, logging.INFO)
        file.setLevel(file_level)
        file.setFormatter(JSONFormatter())
        handlers.append(file)
        lowest = min(lowest, file_level)
    for handler in handlers:
        handler.addFilter(RedactingFilter(redactor))
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(lowest)
    root.propagate = False


def _call_fields(event: CallFinished) -> dict[str, Any]:
    response, error = event.response, event.error
    return {
        "event": "call",
        "run_id": event.run_id,
        "item_id": event.item_id,
        "provider": event.provider,
        "model": event.model,
        "judge": event.judge,
        "status": event.status,
        "retries": event.retries,
        "wait_ms": round(event.wait_ms, 3),
        "duration_ms": round(event.duration_ms, 3),
        "latency_ms": event.latency_ms,
        "ttft_ms": response.ttft_ms if response is not None else None,
        "input_tokens": event.input_tokens,
        "output_tokens": event.output_tokens,
        "cost_usd": event.cost_usd,
        "finish_reason": response.finish_reason if response is not None else None,
        "http_status": getattr(error, "status_code", None),
        "error_type": type(error).__name__ if error is not None else None,
        "error": str(error) if error is not None else None,
    }


class LogHook:
    """Writes run, call and item events to the ``harness`` loggers (the JSON file's lines)."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.runner = logging.getLogger("harness.runner")
        self.calls = logging.getLogger(CALLS)
        # redacted here, at the source, too: a handler of the user's own sees no secret either
        self.redactor = redactor or Redactor.from_env()

    def run_started(self, event: RunStarted) -> None:
        self.runner.info(
            "run %s started: %d item(s) on %s (record mode %s)",
            event.run_id,
            event.items,
            ", ".join(event.models),
            event.record_mode,
            extra={
                EVENT_KEY: {
                    "event": "run_started",
                    "run_id": event.run_id,
                    "models": list(event.models),
                    "items": event.items,
                    "record_mode": event.record_mode,
                    "resumed": event.resumed,
                }
            },
        )

    def call_finished(self, event: CallFinished) -> None:
        if not self.calls.isEnabledFor(logging.INFO):
            return
        fields = self.redactor.value(_call_fields(event))
        message = f"call {event.status}: {event.model} item {event.item_id}"
        if event.error is not None:
            message += f": {type(event.error).__name__}: {event.error}"
        self.calls.info(self.redactor.text(message), extra={EVENT_KEY: fields})

    def item_finished(self, event: ItemFinished) -> None:
        record = event.record
        if not self.runner.isEnabledFor(logging.DEBUG):
            return
        self.runner.debug(
            "item %s: %s",
            record.item_id,
            record.status,
            extra={
                EVENT_KEY: {
                    "event": "item",
                    "run_id": record.run_id,
                    "item_id": record.item_id,
                    "status": record.status,
                    "score": record.score,
                    "error": record.error,
                    "duration_ms": round(event.duration_ms, 3),
                }
            },
        )

    def run_finished(self, event: RunFinished) -> None:
        self.runner.info(
            "run %s %s in %.1f s: %s",
            event.run_id,
            event.status,
            event.duration_s,
            ", ".join(f"{n} {k}" for k, n in event.counts.items()),
            extra={
                EVENT_KEY: {
                    "event": "run_finished",
                    "run_id": event.run_id,
                    "status": event.status,
                    "counts": event.counts,
                    "duration_s": round(event.duration_s, 3),
                }
            },
        )


def wants_log_hook() -> bool:
    """Whether anything would show the run's info lines (saves the work otherwise)."""
    return logging.getLogger(CALLS).isEnabledFor(logging.INFO)


def log_hook(config: ProjectConfig | None = None) -> LogHook | None:
    """The ``logs`` entry point: a :class:`LogHook` when a log would show its lines."""
    return LogHook() if wants_log_hook() else None
