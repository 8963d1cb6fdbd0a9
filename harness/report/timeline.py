"""An item's steps as the report's case drill-down shows them: a timeline, bounded.

The store keeps every step (``ResultRecord.steps``); report.html embeds at most
``TIMELINE_STEPS`` of them (the first and the last halves, which is where a runaway loop
starts and ends) with each text cut at ``TIMELINE_TEXT`` characters, and says how many
it left out. The page draws the timeline with ``textContent`` only: model output and tool
results are untrusted text, never markup.
"""

from __future__ import annotations

import json
from typing import Any

TIMELINE_STEPS = 60
"""At most this many steps of one item are embedded in report.html."""
TIMELINE_TEXT = 2_000
"""A message, answer, argument list or tool result is cut at this many characters."""
_NUMBERS = ("input_tokens", "output_tokens", "cost_usd", "latency_ms")


def _cut(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[cut: {len(text):,} characters in full; results.json has all]"


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if value == value and abs(value) != float("inf") else None


def _step(step: Any, limit: int) -> dict[str, Any]:
    if not isinstance(step, dict):
        return {"step": None, "text": _cut(step, limit)}
    out: dict[str, Any] = {
        "step": _number(step.get("step")),
        "turn": _number(step.get("turn")),
        "sent": [
            [_cut(m.get("role", "?"), 40), _cut(m.get("content", ""), limit)]
            for m in step.get("sent") or []
            if isinstance(m, dict)
        ],
        "text": _cut(step.get("text") or "", limit),
        "calls": [
            [_cut(c.get("name", "?"), 200), _cut(c.get("arguments", {}), limit)]
            for c in step.get("tool_calls") or []
            if isinstance(c, dict)
        ],
        "results": [
            [
                _cut(r.get("name", "?"), 200),
                _cut(r.get("content") or "", limit),
                None if r.get("error") is None else _cut(r["error"], limit),
            ]
            for r in step.get("results") or []
            if isinstance(r, dict)
        ],
        "finish": None if step.get("finish_reason") is None else _cut(step["finish_reason"], 40),
    }
    for name in _NUMBERS:
        out[name] = _number(step.get(name))
    return out


def timeline_json(
    steps: Any, *, max_steps: int = TIMELINE_STEPS, max_text: int = TIMELINE_TEXT
) -> str | None:
    """The timeline as JSON text for the report's payload; None without steps.

    ``{"total": N, "left_out": K, "gap_after": i, "steps": [...]}``: ``steps`` holds the
    first and last steps (``left_out`` left out after the ``gap_after``-th kept one),
    each ``{step, turn, sent: [[role, text]], text, calls: [[name, arguments]],
    results: [[name, content, error]], finish, input_tokens, output_tokens, cost_usd,
    latency_ms}``.
    """
    if not isinstance(steps, list) or not steps:
        return None
    total = len(steps)
    if total <= max_steps:
        kept, gap_after = steps, total
    else:
        head = (max_steps + 1) // 2
        kept, gap_after = [*steps[:head], *steps[total - (max_steps - head) :]], head
    data = {
        "total": total,
        "left_out": total - len(kept),
        "gap_after": gap_after,
        "steps": [_step(s, max_text) for s in kept],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
