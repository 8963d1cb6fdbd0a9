"""Python assertions for the example specs, named as ``checks.py:function`` in a spec.

A function gets the value under test (the text, or the assertion's ``field``) and a
context dict (``text``, ``parsed``, ``vars``, ``case``, ``spec``, ``response``, ...);
it returns a bool, a score in [0, 1], or ``{"pass": ..., "score": ..., "reason": ...}``.
"""

from __future__ import annotations

import operator
from typing import Any

_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def matches_arithmetic(answer: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Pass when ``answer`` equals ``a op b`` from the case's vars, within 0.1%."""
    variables = context["vars"]
    want = _OPS[str(variables["op"])](float(variables["a"]), float(variables["b"]))
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        return {"pass": False, "score": 0.0, "reason": f"answer is {answer!r}, not a number"}
    off = abs(answer - want)
    ok = off <= max(abs(want) * 0.001, 1e-9)
    return {"pass": ok, "reason": f"{answer:g} vs {want:g} (off by {off:g})"}


def one_sentence(text: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Pass when the text is exactly one sentence (one final . ! or ?, none before it)."""
    stripped = str(text).strip()
    marks = sum(stripped.count(mark) for mark in ".!?")
    ok = bool(stripped) and marks == 1 and stripped[-1] in ".!?"
    return {"pass": ok, "reason": f"{marks} sentence mark(s) in {len(stripped)} chars"}
