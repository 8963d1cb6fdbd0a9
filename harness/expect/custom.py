"""The ``python`` assertion: a function of yours decides.

``value: pkg.module:function`` (or ``checks.py:function``, relative to the spec's folder)
is called as ``function(output, context)``:

- ``output``: the model's text, or the value of ``field`` when the assertion sets one;
- ``context``: a dict with ``text`` (the whole text), ``parsed`` (the parsed JSON or None),
  ``repaired`` (bool), ``vars`` (the case's variables), ``case`` (:class:`Case`),
  ``spec`` (:class:`Spec`), ``response`` (:class:`Response` or None), ``options`` (the
  assertion's extra keys) and ``assertion`` (:class:`Assertion`).

It returns a bool; a number in [0, 1] (passes when it reaches ``threshold``, default 0.5);
or a verdict: a dict or object with ``pass``/``passed``, optional ``score`` and ``reason``.
It may be ``async``. An exception, or any other return value, is an error verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness import limits
from harness.expect.common import Context, EvalError, Outcome, compare, show
from harness.expect.deadline import DeadlineExceeded, call_with_deadline
from harness.spec.imports import ImportRefError, import_callable
from harness.spec.types import Assertion

DEFAULT_THRESHOLD = 0.5


def load_function(ref: str, spec_path: str) -> Callable[..., Any]:
    """Import (once) the function a ``python`` assertion names.

    Raises:
        EvalError: it cannot be imported or is not callable.
    """
    base = str(Path(spec_path).parent) if spec_path else ""
    try:
        fn: Callable[..., Any] = import_callable(ref, Path(base) if base else None)
    except ImportRefError as exc:
        raise EvalError(f"python: {exc}") from None
    return fn


async def python(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Call the user's function and turn what it returns into an outcome."""
    fn = load_function(str(a.value), ctx.spec.path)
    out = ctx.output
    context = {
        "text": out.text,
        "parsed": out.parsed,
        "repaired": out.repaired,
        "vars": ctx.case.vars,
        "case": ctx.case,
        "spec": ctx.spec,
        "response": out.response,
        "options": a.options,
        "assertion": a,
    }
    timeout = limits.current().python_timeout_s
    try:
        result = await call_with_deadline(fn, subject, context, timeout=timeout)
    except DeadlineExceeded as exc:
        raise EvalError(
            f"python {a.value}: {exc} (raise limits.python_timeout_s in harness.yaml "
            "if it needs longer)"
        ) from None
    except Exception as exc:  # the user's code may raise anything; it becomes the verdict
        raise EvalError(f"python {a.value}: raised {type(exc).__name__}: {exc}") from None
    return to_outcome(result, a)


def to_outcome(result: Any, a: Assertion) -> Outcome:
    """A python assertion's return value as an outcome.

    Raises:
        EvalError: the value is not a bool, a number in [0, 1] or a verdict.
    """
    name = f"python {a.value}"
    if isinstance(result, bool):
        return Outcome.check(result, f"{name} returned {result}")
    if isinstance(result, int | float):
        return _scored(float(result), None, a, name)
    if isinstance(result, Mapping):
        passed = result.get("pass", result.get("passed"))
        score, reason = result.get("score"), result.get("reason")
    elif hasattr(result, "passed") or hasattr(result, "pass_"):
        passed = getattr(result, "passed", getattr(result, "pass_", None))
        score, reason = getattr(result, "score", None), getattr(result, "reason", None)
    else:
        raise EvalError(
            f"{name} returned {show(result)} ({type(result).__name__}); return a bool, "
            "a number in [0, 1], or a dict with 'pass', 'score' and 'reason'"
        )
    if passed is None and score is not None:
        return _scored(score, reason, a, name)
    if not isinstance(passed, bool):
        raise EvalError(f"{name} returned a verdict whose 'pass' is {show(passed)}, not true/false")
    if score is None:
        score = 1.0 if passed else 0.0
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise EvalError(f"{name} returned score {show(score)}; it must be a number in [0, 1]")
    return Outcome(
        passed, float(score), f"{name}: {reason}" if reason else f"{name} returned pass={passed}"
    )


def _scored(score: Any, reason: Any, a: Assertion, name: str) -> Outcome:
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise EvalError(f"{name} returned score {show(score)}; it must be a number in [0, 1]")
    if not 0 <= score <= 1:
        raise EvalError(f"{name} returned {score:g}; a score must be in [0, 1]")
    need = a.threshold if a.threshold is not None else DEFAULT_THRESHOLD
    tail = f": {reason}" if reason else ""
    return Outcome(score >= need, float(score), f"{name} scored {compare(score, need)}{tail}")
