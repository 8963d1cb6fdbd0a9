"""What assertions produce: verdicts per assertion and per case, and the parsed output."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from harness.drivers.base import Request, Response
from harness.tools.trajectory import Trajectory

JudgeCall = Callable[[str, Request], Awaitable[Response]]
"""How model-graded assertions call a model: ``await judge("openai:gpt-4o-mini", request)``.
The runner supplies it, so judge calls share the driver pool, limits and cassettes."""


@dataclass(frozen=True, slots=True)
class Output:
    """A model's answer prepared for assertions.

    ``parsed`` is the JSON value extracted from the text (None if none could be);
    ``repaired`` says whether near-JSON had to be repaired to get it. After transforms,
    ``text`` is the transformed answer, ``raw_text`` the model's own and ``transforms``
    the transforms applied, in order.
    """

    text: str
    parsed: Any = None
    parse_error: str | None = None
    repaired: bool = False
    response: Response | None = None
    raw_text: str | None = None
    transforms: tuple[str, ...] = ()
    trajectory: Trajectory | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One assertion's result: pass/fail, a score in [0, 1], and a reason a person can act on.

    ``error`` is set when the assertion could not be evaluated at all (e.g. the judge's
    answer was unparseable); such a verdict never passes. ``raw`` keeps a model-graded
    assertion's raw answer (the judge's text), so an error can be inspected. ``metric``
    names the metric its score counts toward in the report (``metric:`` in the spec);
    ``cost_usd`` is what a model-graded assertion's judge calls cost (None: unknown).
    """

    assertion: str
    passed: bool
    score: float
    reason: str
    weight: float = 1.0
    field: str | None = None
    error: str | None = None
    raw: str | None = None
    metric: str | None = None
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class CaseVerdict:
    """A case's result on one model: every assertion's verdict and the weighted score.

    ``reason`` sums it up in one line (``"no expectations"``, ``"2 of 5 failed: ..."``).
    """

    passed: bool
    score: float
    verdicts: tuple[Verdict, ...]
    reason: str = ""
