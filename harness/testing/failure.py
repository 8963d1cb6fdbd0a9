"""What a failing spec item prints in pytest's failure output: model, prompt, output, reasons.

Only what the user wrote and what the model said: no harness frames, no tracebacks.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.expect.common import Unmet
from harness.expect.paths import resolve
from harness.runner.items import Item
from harness.spec.types import Assertion
from harness.store.records import ERROR, ResultRecord

PROMPT_LIMIT = 1200
OUTPUT_LIMIT = 2000
DIFF_TYPES = frozenset({"equals", "similar"})  # where a line diff says more than the reason


class SpecFailure(Exception):
    """Raised by a spec item that failed or errored; holds what to show."""

    def __init__(self, item: Item, record: ResultRecord) -> None:
        self.item = item
        self.record = record
        super().__init__(f"{item.id}: {record.status}")


def trim(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… ({len(text) - limit} more characters)"


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in (text.splitlines() or [""]))


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def expectation_diff(assertion: Assertion, record: ResultRecord) -> str | None:
    """A unified diff of expected vs got for a multi-line equality-like expectation, else None."""
    if assertion.type not in DIFF_TYPES or assertion.negate or assertion.value is None:
        return None
    got: Any = record.output or ""
    if assertion.field is not None:
        if record.parsed_output is None:
            return None
        try:
            got = resolve(record.parsed_output, assertion.field)
        except Unmet:
            return None
    expected, actual = _pretty(assertion.value), _pretty(got)
    if expected == actual or ("\n" not in expected and "\n" not in actual):
        return None  # one-line values: the reason already shows both
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "expected", "got", lineterm=""
    )
    return "\n".join(lines)


def _verdict_lines(
    verdicts: Sequence[Mapping[str, Any]], assertions: Sequence[Assertion], record: ResultRecord
) -> list[str]:
    lines: list[str] = []
    paired = len(verdicts) == len(assertions)
    for index, verdict in enumerate(verdicts):
        if verdict.get("passed"):
            continue
        label = str(verdict.get("assertion", "?"))
        field = verdict.get("field")
        where = f" {field}" if field else ""
        reason = verdict.get("error") or verdict.get("reason") or "failed"
        lines.append(f"  ✗ {label}{where}: {reason}")
        if paired:
            diff = expectation_diff(assertions[index], record)
            if diff:
                lines.append(_indent(diff, "      "))
    return lines


def format_failure(item: Item, record: ResultRecord) -> str:
    """The failure text of one spec item.

    Example output::

        extract_person › john on openai:gpt-4o-mini: failed (score 0.50)
        prompt:
            Extract the person from: John is 42.
        output:
            {"name": "Jon"}
        failed expectations:
          ✗ equals name: expected 'John', got 'Jon'
    """
    case = item.case
    head = f"{item.spec.name} › {case.id} on {item.model}"
    if item.attempt > 1:
        head += f" (attempt {item.attempt})"
    status = record.status
    if record.score is not None and status != ERROR:
        status += f" (score {record.score:.2f})"
    parts = [f"{head}: {status}", f"spec: {case.source or item.spec.path}:{case.line}"]
    if record.prompt:
        parts += ["prompt:", _indent(trim(record.prompt, PROMPT_LIMIT))]
    if record.status == ERROR:
        # error classes that shadow builtins end in "_": show the name as a user reads it
        kind = f"{record.error_type.rstrip('_')}: " if record.error_type else ""
        parts += ["error:", _indent(f"{kind}{record.error or 'unknown error'}")]
        return "\n".join(parts)
    parts += ["output:", _indent(trim(record.output or "", OUTPUT_LIMIT))]
    lines = _verdict_lines(record.verdicts, case.expect, record)
    if lines:
        parts += ["failed expectations:", *lines]
    elif record.error:
        parts += ["error:", _indent(record.error)]
    return "\n".join(parts)
