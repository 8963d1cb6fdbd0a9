"""What every assertion evaluator shares: its context, its outcome, and how to show values.

An evaluator is ``fn(assertion, subject, ctx) -> Outcome`` (or a coroutine for the
model-graded and custom types). It states facts in its reason; the caller applies
negation, weight and threshold. Two exceptions leave an evaluator early:

- :class:`Unmet` - the output cannot satisfy the assertion at all (a missing field, an
  unknown latency). It fails even under ``not-``, so nothing passes silently.
- :class:`EvalError` - the assertion could not be evaluated (the judge's answer was
  unparseable, a python assertion raised). The verdict carries ``error`` and never passes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from harness.embed.base import EmbedCall
from harness.expect.extract import extract_json
from harness.expect.types import JudgeCall, Output
from harness.spec.types import Case, Spec

TRIM = 80


@dataclass(frozen=True, slots=True)
class Outcome:
    """An evaluator's finding before negation: pass/fail, score in [0, 1] and why."""

    passed: bool
    score: float
    reason: str
    raw: str | None = None
    cost_usd: float | None = None
    """What the model calls behind this outcome cost (a judge's), when known."""

    @classmethod
    def check(cls, ok: bool, reason: str) -> Outcome:
        """A binary outcome: score 1.0 when ``ok``, else 0.0."""
        return cls(ok, 1.0 if ok else 0.0, reason)


class Unmet(Exception):
    """The output cannot meet the assertion (e.g. a missing field); fails even when negated."""


class EvalError(Exception):
    """The assertion could not be evaluated; ``raw`` keeps the text that could not be used."""

    def __init__(self, message: str, *, raw: str | None = None) -> None:
        super().__init__(message)
        self.raw = raw


@dataclass(slots=True)
class Context:
    """Everything an evaluator may look at for one case on one model."""

    spec: Spec
    case: Case
    output: Output
    judge: JudgeCall | None = None
    judge_model: str | None = None
    embed: EmbedCall | None = None
    embedder: str | None = None
    _data: Any = field(default=None, repr=False)
    _data_error: str | None = field(default=None, repr=False)
    _data_done: bool = field(default=False, repr=False)
    _repaired: bool = field(default=False, repr=False)

    def data(self) -> Any:
        """The parsed JSON output; extracted from the text on first use when no schema was set.

        Raises:
            Unmet: the output holds no usable JSON.
        """
        if not self._data_done:
            out = self.output
            if out.parsed is not None or (out.parse_error is None and self.spec.schema is not None):
                self._data = out.parsed
            elif out.parse_error is not None:
                self._data_error = out.parse_error
            else:
                got = extract_json(out.text)
                self._data, self._data_error = got.value, got.error
                self._repaired = got.repaired
            self._data_done = True
        if self._data_error is not None:
            raise Unmet(f"output is not JSON ({self._data_error}); got {show(self.output.text)}")
        return self._data

    def repaired(self) -> bool:
        """True when :meth:`data` had to repair near-JSON (the spec's parse, or on first use)."""
        self.data()
        return self.output.repaired or self._repaired


def show(value: Any, limit: int = TRIM) -> str:
    """A value as a person reads it in a reason: strings quoted and trimmed, data as JSON."""
    if isinstance(value, str):
        if len(value) > limit:
            value = value[: limit - 1] + "…"
        return repr(value)
    text = as_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_text(value: Any) -> str:
    """A field value as text for text assertions: strings as-is, everything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        return str(value)


def type_name(value: Any) -> str:
    """The JSON type name of a value, for reasons like 'expected 42 (number), got "42" (string)'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def as_number(value: Any) -> float:
    """A number from a parsed value or a text that is only a number.

    Raises:
        Unmet: the value is not a number (booleans are not numbers).
    """
    if isinstance(value, bool):
        raise Unmet(f"expected a number, got {show(value)} (boolean)")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise Unmet(f"expected a number, got {show(value)}") from None
        if not math.isnan(number):
            return number
    raise Unmet(f"expected a number, got {show(value)} ({type_name(value)})")


def compare(score: float, need: float) -> str:
    """``score >= need`` or ``score < need`` with enough digits to be true as printed.

    Example:
        >>> compare(0.6666, 0.67), compare(0.8, 0.6)
        ('0.667 < 0.670', '0.80 >= 0.60')
    """
    word = ">=" if score >= need else "<"
    digits = 2
    while word == "<" and digits < 17 and f"{score:.{digits}f}" == f"{need:.{digits}f}":
        digits += 1
    return f"{score:.{digits}f} {word} {need:.{digits}f}"
