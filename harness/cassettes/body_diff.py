"""The first difference between a recorded request body and the one sent now.

A stale cassette says what changed, as a JSON path and both values::

    messages[1].content: 'Name the capital of France.' -> 'Name the capital of Spain.'
    temperature: 0 -> 0.2
    max_tokens: (absent) -> 20

Keys are compared in sorted order, so the path found is stable from run to run.
"""

from __future__ import annotations

import json
from typing import Any

_ABSENT = object()
SHOWN = 60
"""Characters of each value shown; longer values are cut in the middle of the change."""


def body_difference(recorded: bytes | str | None, sent: bytes | str | None) -> str | None:
    """``path: old -> new`` for the first difference of two JSON bodies (None if equal).

    Bodies that are not JSON are compared as text.
    """
    old, new = _load(recorded), _load(sent)
    found = _first(old, new, "")
    if found is None:
        return None
    path, a, b = found
    return f"{path or '(the whole body)'}: {_show(a, b)} -> {_show(b, a)}"


def _load(body: bytes | str | None) -> Any:
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        return json.loads(text)
    except ValueError:
        return text


def _first(a: Any, b: Any, path: str) -> tuple[str, Any, Any] | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            step = f"{path}.{key}" if path else str(key)
            found = _first(a.get(key, _ABSENT), b.get(key, _ABSENT), step)
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            found = _first(
                a[i] if i < len(a) else _ABSENT, b[i] if i < len(b) else _ABSENT, f"{path}[{i}]"
            )
            if found is not None:
                return found
        return None
    if type(a) is type(b) and a == b:
        return None
    return path, a, b


def _show(value: Any, other: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    if isinstance(value, str) and isinstance(other, str) and len(value) > SHOWN:
        return repr(_around_change(value, other))
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _around_change(value: str, other: str) -> str:
    """A window of ``value`` around where it first differs from ``other``."""
    start = next(
        (i for i, (x, y) in enumerate(zip(value, other, strict=False)) if x != y),
        min(len(value), len(other)),
    )
    begin = max(0, start - SHOWN // 3)
    window = value[begin : begin + SHOWN]
    return ("…" if begin else "") + window + ("…" if begin + SHOWN < len(value) else "")
