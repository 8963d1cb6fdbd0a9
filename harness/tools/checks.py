"""Load-time checks of what a tool loop or a conversation needs: ``params.tool_choice``
against the spec's tools, each case's ``turns:`` templates, and ``turn: N`` on assertions.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2

from harness.errors import SpecProblem
from harness.spec.case_templates import PlaceOf
from harness.spec.templating import template_variables
from harness.spec.types import Assertion, Case, ToolDef

__all__ = ["CHOICES", "exchange_problems", "tool_choice_problem"]

CHOICES = ("auto", "required", "none")
"""``tool_choice`` values besides a tool's name."""


def tool_choice_problem(choice: Any, tools: Sequence[ToolDef]) -> str | None:
    """Why ``params.tool_choice`` cannot be sent (None: it can)."""
    if choice is None:
        return None
    names = [t.name for t in tools]
    if choice in CHOICES or choice in names:
        return None if names or choice == "none" else "tool_choice needs 'tools:' to choose from"
    close = difflib.get_close_matches(str(choice), [*CHOICES, *names], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"tool_choice {choice!r} is not auto, required, none or one of the tools "
        f"({', '.join(names) or 'none declared'}){hint}"
    )


def exchange_problems(
    cases: Sequence[Case], spec_vars: Mapping[str, Any], shared: int, place: PlaceOf
) -> list[SpecProblem]:
    """Problems of each case's ``turns:`` templates and of ``turn:`` on its assertions
    (the first ``shared`` of a case's assertions are the spec's own ``expect:``)."""
    problems: list[SpecProblem] = []
    seen: set[tuple[int, int, str]] = set()

    def add(case: Case | None, key: tuple[str | int, ...], message: str) -> None:
        p = place(case, key)
        if (p.line, p.col, message) not in seen:
            seen.add((p.line, p.col, message))
            problems.append(SpecProblem(p.path, p.line, p.col, message, p.where))

    for case in cases:
        known = set(spec_vars) | set(case.vars)
        for i, source in enumerate(case.turns):
            try:
                missing = sorted(template_variables(source) - known)
            except jinja2.TemplateSyntaxError as exc:
                message = f"template syntax error on line {exc.lineno}: {exc.message}"
                add(case, ("turns", i), message)
                continue
            if missing:
                close = difflib.get_close_matches(missing[0], sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                add(case, ("turns", i), f"variable {missing[0]!r} is not defined by the case{hint}")
        count = 1 + len(case.turns)
        for j, a in enumerate(case.expect):
            wrong = turn_problem(a, count)
            if wrong and j < shared:
                add(None, ("expect", j, "turn"), f"{wrong} (in case {case.id!r})")
            elif wrong:
                add(case, ("expect", j - shared, "turn"), wrong)
    return problems


def turn_problem(a: Assertion, turns: int) -> str | None:
    """Why an assertion's ``turn`` does not name a turn of a case with ``turns`` turns."""
    turn = a.options.get("turn")
    if turn is None:
        return None
    if isinstance(turn, bool) or not isinstance(turn, int):
        return f"'turn' is a turn's number (1 is the prompt's answer), got {turn!r}"
    if not 1 <= turn <= turns:
        have = "1 turn (the prompt; add 'turns:' for more)" if turns == 1 else f"{turns} turns"
        return f"turn {turn} does not exist: the case has {have}"
    return None
