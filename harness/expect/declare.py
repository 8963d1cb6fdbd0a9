"""One declaration per assertion type: its options, their validation, its evaluator, its doc.

An assertion type is an :class:`AssertionType` registered under the ``harness.assertions``
entry-point group; the built-in types are registered there too, the same way a third-party
package does it (see docs/expectations.md, "Writing an assertion type")::

    # my_pkg/wordy.py
    from harness.expect.declare import AssertionType, Options, Outcome

    class WordyOptions(Options):
        value: int                      # the minimum number of words

    def wordy(a, subject, ctx):
        n = len(str(subject).split())
        return Outcome.check(n >= a.value, f"{n} words, wanted at least {a.value}")

    WORDY = AssertionType("wordy", "at least value words", wordy, options=WordyOptions)

    # pyproject.toml
    [project.entry-points."harness.assertions"]
    wordy = "my_pkg.wordy:WORDY"

The options model lists the keys the type takes besides the common ones (``value`` is
one of its fields when the type uses it; ``threshold`` too when it means something other
than a score in [0, 1]); its pydantic validators are the type's validate-time checks, and
what they raise becomes a spec problem pointing at the key.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo
from pydantic.fields import FieldInfo

from harness.expect.common import Context, EvalError, Outcome, Unmet
from harness.spec.types import Assertion

__all__ = [
    "AssertionType",
    "Context",
    "EvalError",
    "Evaluator",
    "OptionError",
    "Options",
    "Outcome",
    "Subject",
    "Unmet",
    "written_type",
]

Subject = Literal["text", "data", "field", "self"]
"""What an evaluator is given: the text (or field), the parsed data (or field), the field's
value (or None), or nothing (``self``: it reads the output itself)."""

Evaluator = Callable[[Assertion, Any, Context], "Outcome | Awaitable[Outcome]"]
"""``evaluate(assertion, subject, ctx) -> Outcome``, or a coroutine function for types that
call a model or user code (those run concurrently)."""

Section = Literal[
    "text",
    "overlap",
    "formats",
    "structure",
    "numbers",
    "cost and speed",
    "behaviour",
    "tools",
    "model-graded",
    "semantic",
    "sets",
    "custom",
]


class Options(BaseModel):
    """The base of every options model: strict (``"5"`` is not a number), no unknown keys,
    finite numbers only."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


@dataclass(frozen=True, slots=True)
class AssertionType:
    """An assertion type, declared once.

    Attributes:
        name: the name written in specs (``type: name``; ``not-name`` negates it).
        summary: one line for the docs table and ``harness`` messages.
        evaluate: the evaluator (plain or ``async``).
        options: the pydantic model of its keys; its validators are the validate-time checks.
        subject: what the evaluator gets as its subject (see :data:`Subject`).
        section: where docs/expectations.md lists it.
        scored: the caller turns the score into pass/fail with ``threshold`` (the others
            apply a threshold themselves, or are all-or-nothing).
        looks_at_call: it reads the model call (latency, tools), so ``field`` means nothing.
        needs_field: ``field`` is required.
    """

    name: str
    summary: str
    evaluate: Evaluator
    options: type[Options] = Options
    subject: Subject = "text"
    section: Section = "custom"
    scored: bool = False
    looks_at_call: bool = False
    needs_field: bool = False
    is_async: bool = field(init=False, default=False)
    """True when the evaluator is a coroutine function (it runs concurrently)."""

    def __post_init__(self) -> None:
        # computed once: evaluate_case asks for every assertion of every item
        object.__setattr__(self, "is_async", inspect.iscoroutinefunction(self.evaluate))

    @property
    def keys(self) -> dict[str, FieldInfo]:
        """The keys of its options model as written in specs (aliases applied)."""
        return {f.alias or name: f for name, f in self.options.model_fields.items()}

    @property
    def option_names(self) -> list[str]:
        """The type-specific keys, without ``value`` and ``threshold``."""
        return sorted(k for k in self.keys if k not in ("value", "threshold"))


class OptionError(ValueError):
    """A validate-time problem that belongs to one key, raised from a model validator
    (a field validator's problems belong to its field already)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def written_type(info: ValidationInfo) -> str:
    """The type as the user wrote it (``not-`` kept), for messages from option validators."""
    context = info.context or {}
    return str(context.get("type", "assertion"))
