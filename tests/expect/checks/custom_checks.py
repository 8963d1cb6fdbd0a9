"""Functions the python-assertion tests name as ``tests.expect.checks.custom_checks:<fn>``."""

from __future__ import annotations

from typing import Any


def is_short(output: Any, context: dict[str, Any]) -> bool:
    """True when the output is at most ``max`` characters (from the case's vars)."""
    return bool(len(output) <= context["vars"].get("max", 10))


def half(output: Any, context: dict[str, Any]) -> float:
    """Always 0.5."""
    return 0.5


def verdict_dict(output: Any, context: dict[str, Any]) -> dict[str, Any]:
    """A verdict as a dict naming what it saw."""
    return {
        "pass": output == "ok",
        "score": 0.9 if output == "ok" else 0.1,
        "reason": f"saw {output}",
    }


class _Result:
    def __init__(self, passed: bool) -> None:
        self.passed = passed
        self.score = 1.0 if passed else 0.0
        self.reason = "object verdict"


def verdict_object(output: Any, context: dict[str, Any]) -> _Result:
    """A verdict as an object with passed/score/reason attributes."""
    return _Result(bool(context["parsed"]))


async def slow_yes(output: Any, context: dict[str, Any]) -> bool:
    """An async check."""
    return True


def boom(output: Any, context: dict[str, Any]) -> bool:
    """Raises."""
    raise ValueError("the check blew up")


def out_of_range(output: Any, context: dict[str, Any]) -> float:
    """A score outside [0, 1]."""
    return 7.0


def wrong_type(output: Any, context: dict[str, Any]) -> str:
    """Not a verdict."""
    return "yes"


def sees_context(output: Any, context: dict[str, Any]) -> bool:
    """Checks the context's keys and that ``output`` is the field's value."""
    keys = {
        "text",
        "parsed",
        "repaired",
        "vars",
        "case",
        "spec",
        "response",
        "options",
        "assertion",
    }
    return keys <= set(context) and output == context["parsed"]["n"]


NOT_CALLABLE = 3
