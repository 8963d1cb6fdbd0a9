"""An exchange as a transcript a judge model reads: who said what, which tools were
called with which arguments, and what they returned, step by step.

It is drawn from the store's form of a trajectory (:func:`~harness.tools.trajectory.steps_json`),
so the judge reads what the report shows. Bounded: each text is cut at ``text_chars``
and a transcript over ``max_chars`` keeps its first and last steps and says how many
it left out between them.
"""

from __future__ import annotations

import json
from typing import Any

from harness.tools.trajectory import Trajectory, steps_json

MAX_CHARS = 60_000
"""About 15,000 tokens: room for a long exchange in any judge's context."""
TEXT_CHARS = 4_000
"""One message, answer, argument list or tool result is cut here."""


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]} [... {len(text) - limit:,} more characters]"


def _arguments(arguments: Any, limit: int) -> str:
    try:
        text = json.dumps(arguments, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = str(arguments)
    return _cut(text, limit)


def step_lines(step: dict[str, Any], *, text_chars: int = TEXT_CHARS) -> list[str]:
    """One step of ``steps_json`` as transcript lines."""
    n, turn = step.get("step"), step.get("turn")
    lines = [
        f"[{m.get('role', '?')}] {_cut(str(m.get('content', '')), text_chars)}"
        for m in step.get("sent") or []
    ]
    head = f"[assistant, step {n}" + (f", turn {turn}" if turn and turn != 1 else "") + "]"
    text = str(step.get("text") or "")
    calls = step.get("tool_calls") or []
    lines.append(f"{head} {_cut(text, text_chars)}" if text else f"{head} (no text)")
    for call in calls:
        args = _arguments(call.get("arguments"), text_chars)
        lines.append(f"  -> calls tool {call.get('name')} with {args}")
    for result in step.get("results") or []:
        what = "error from" if result.get("error") else "result of"
        content = _cut(str(result.get("content") or ""), text_chars)
        lines.append(f"  <- {what} tool {result.get('name')}: {content}")
    return lines


def render_transcript(
    trajectory: Trajectory, *, max_chars: int = MAX_CHARS, text_chars: int = TEXT_CHARS
) -> str:
    """The exchange as text, within about ``max_chars`` (first and last steps kept)."""
    steps = steps_json(trajectory)
    if not steps:
        return "(the exchange has no steps)"

    def block(i: int) -> str:
        return _cut("\n".join(step_lines(steps[i], text_chars=text_chars)), max_chars // 2)

    head: list[str] = []
    tail: list[str] = []
    used, lo, hi = 0, 0, len(steps) - 1
    while lo <= hi:  # from both ends in turn: the opening and the ending matter most
        take_head = len(head) <= len(tail)
        text = block(lo if take_head else hi)
        if used + len(text) + 1 > max_chars:
            break
        used += len(text) + 1
        if take_head:
            head.append(text)
            lo += 1
        else:
            tail.append(text)
            hi -= 1
    kept = head
    if lo <= hi:
        kept.append(f"[... {hi - lo + 1:,} step(s) left out here, steps {lo + 1} to {hi + 1} ...]")
    kept.extend(reversed(tail))
    note = {
        "max_steps": f"[the exchange stopped at max_steps ({trajectory.max_steps}) while "
        "the model was still calling tools]",
        "tool_error": "[the exchange stopped: a tool failed]",
    }.get(trajectory.stop)
    if note:
        kept.append(note)
    return "\n".join(kept)
