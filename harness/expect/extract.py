"""Extract a JSON value from a model's text: code fences, chatter, and near-JSON.

Models wrap JSON in Markdown fences, put a sentence before or after it, or cut it
short. :func:`extract_json` tries, in order:

1. the whole text (stripped) as JSON;
2. each fenced code block (```` ```json ... ``` ````, an unclosed fence runs to the end);
3. the longest JSON object or array found anywhere in the text (chatter around it ignored);
4. repair with the json-repair library, on the first fenced block or on the text from the
   first ``{`` or ``[``; only an object or array counts, and ``repaired`` is set.

It never raises: anything unusable comes back with ``error`` set.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from harness import limits

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_STARTS = re.compile(r"[\[{]")
_DECODER = json.JSONDecoder()
_MAX_STARTS = 64  # bounds the scan on texts full of brackets; real answers need a few


@dataclass(frozen=True, slots=True)
class Extracted:
    """The outcome of :func:`extract_json`.

    ``value`` is meaningful only when ``error`` is None (JSON ``null`` is a valid value).
    """

    value: Any = None
    repaired: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when a JSON value was found."""
        return self.error is None


def extract_json(text: str) -> Extracted:
    """Find the JSON value in a model's text, repairing near-JSON if needed.

    Example:
        >>> extract_json('Sure! ```json\\n{"a": 1}\\n``` Hope that helps.').value
        {'a': 1}
    """
    stripped = text.strip()
    if not stripped:
        return Extracted(error="the output is empty")
    found, value = _loads(stripped)
    if found:
        return Extracted(value)
    blocks = [m.group(2).strip() for m in _FENCE.finditer(stripped)] if "```" in stripped else []
    for block in blocks:
        found, value = _loads(block)
        if found:
            return Extracted(value)
    # the longest value wins, a fenced block's on a tie: a "```" inside a JSON string
    # makes a false block whose fragments must not beat the value around it
    best: tuple[int, Any] | None = None
    for candidate in (*blocks, stripped):
        embedded = _longest_embedded(candidate)
        if embedded is not None and (best is None or embedded[0] > best[0]):
            best = embedded
    if best is not None:
        return Extracted(best[1])
    target = next((b for b in blocks if _STARTS.search(b)), stripped)
    return _repair(target)


def _loads(text: str) -> tuple[bool, Any]:
    if not text:
        return False, None
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def _longest_embedded(text: str) -> tuple[int, Any] | None:
    """The longest object or array that parses, starting at any ``{`` or ``[``, and its length."""
    best: tuple[int, Any] | None = None
    pos = 0
    for _ in range(_MAX_STARTS):
        m = _STARTS.search(text, pos)
        if m is None:
            break
        try:
            value, end = _DECODER.raw_decode(text, m.start())
        except (ValueError, RecursionError):
            pos = m.start() + 1
            continue
        if best is None or end - m.start() > best[0]:
            best = (end - m.start(), value)
        pos = end  # nested starts are inside this value; the outermost wins
    return best


def _repair(text: str) -> Extracted:
    m = _STARTS.search(text)
    if m is None:
        return Extracted(error="no JSON object or array found in the output")
    cap = limits.current().repair_max_bytes
    if len(text) - m.start() > cap:  # repair is pure Python and slow on long hostile text
        return Extracted(
            error=f"the output is not valid JSON and, at {len(text) - m.start():,} characters, "
            f"too long to repair (limit {cap:,}: limits.repair_max_bytes in harness.yaml)"
        )
    import json_repair  # here: only output that needs repair pays for it

    try:
        value = json_repair.repair_json(text[m.start() :], return_objects=True)
    except Exception as exc:  # the repair library must never take a run down
        return Extracted(error=f"could not repair the JSON: {type(exc).__name__}: {exc}")
    if not isinstance(value, dict | list):
        return Extracted(error="no usable JSON object or array found in the output")
    return Extracted(value, repaired=True)
