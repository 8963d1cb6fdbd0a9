"""A multi-step exchange's verdict: each assertion checks its turn's answer, and a loop
cut off at ``max_steps`` fails.

``turn: N`` on an assertion checks the last answer of turn N (1 is the prompt's, 2 the
answer to the first of ``turns:``); without it an assertion checks the final answer.
Assertions are evaluated in groups, one per turn, by the executor's own evaluator, and
their verdicts combined in the order the spec wrote them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from harness.expect.evaluate import combine, parse_output
from harness.expect.types import CaseVerdict, Output, Verdict
from harness.spec.types import Assertion, Case, Spec
from harness.tools.trajectory import Trajectory

__all__ = ["MAX_STEPS_VERDICT", "evaluate_exchange", "max_steps_verdict"]

MAX_STEPS_VERDICT = "max-steps-reached"
"""Not the ``max-steps`` assertion type (which checks a limit the spec sets): this one is
added by harness itself when the loop was cut off."""


async def evaluate_exchange(
    evaluate: Any,
    spec: Spec,
    case: Case,
    output: Output,
    trajectory: Trajectory,
    **options: Any,
) -> CaseVerdict:
    """``case``'s verdict on an exchange whose final answer is ``output``.

    Args:
        evaluate: the executor's evaluator (``harness.runner.item_executor.Evaluate``).
        options: passed to ``evaluate`` as they are (judge, judge model, embedder).
    """
    last = trajectory.turns
    groups: dict[int, list[int]] = {}
    for i, a in enumerate(case.expect):
        groups.setdefault(_turn(a, last), []).append(i)
    if set(groups) <= {last}:
        verdict: CaseVerdict = await evaluate(spec, case, output, **options)
    else:
        turns = sorted(groups)
        done = await asyncio.gather(
            *(
                evaluate(
                    spec,
                    replace(case, expect=tuple(case.expect[i] for i in groups[t])),
                    output if t == last else _turn_output(spec, trajectory, t),
                    **options,
                )
                for t in turns
            )
        )
        placed: dict[int, Verdict] = {}
        extra: list[Verdict] = []
        for t, got in zip(turns, done, strict=True):
            if len(got.verdicts) == len(groups[t]):
                placed.update(zip(groups[t], got.verdicts, strict=True))
            else:  # an evaluator that does not answer one verdict per assertion
                extra.extend(got.verdicts)
        ordered = tuple(placed[i] for i in sorted(placed)) + tuple(extra)
        verdict = combine(ordered, case.threshold)
    cut = max_steps_verdict(trajectory)
    if cut is None:
        return verdict
    verdicts = (*verdict.verdicts, cut)
    combined = combine(verdicts, case.threshold)
    return CaseVerdict(False, combined.score, verdicts, cut.reason)


def max_steps_verdict(trajectory: Trajectory) -> Verdict | None:
    """The failing verdict of an exchange cut off at ``max_steps`` (None: it was not)."""
    if trajectory.stop != "max_steps":
        return None
    return Verdict(
        MAX_STEPS_VERDICT,
        False,
        0.0,
        f"the model was still calling tools after {trajectory.max_steps} steps "
        "(raise max_steps, or check what the tools send back)",
    )


def _turn(a: Assertion, last: int) -> int:
    turn = a.options.get("turn")
    return turn if isinstance(turn, int) and not isinstance(turn, bool) else last


def _turn_output(spec: Spec, trajectory: Trajectory, turn: int) -> Output:
    answer = trajectory.turn_answer(turn)
    if answer is None:  # the exchange ended (an error, max_steps) before this turn
        return Output(text="", parse_error=f"the conversation ended before turn {turn}")
    output = parse_output(answer.text, spec.schema, response=answer)
    return replace(output, trajectory=trajectory)
