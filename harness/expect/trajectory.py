"""Assertions on the tool calls of a whole exchange: which tools, how often, in what
order, how many model calls, and whether each call fits its tool.

They read ``output.trajectory`` (every step of a tool loop or multi-turn exchange) or,
for a single model call, its one response as a one-step trajectory. An output with no
recorded response fails them with a reason that says so (``Unmet``, which ``not-`` does
not flip). Argument matching is :mod:`harness.expect.arguments`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from harness.expect.arguments import (
    arguments_mismatch,
    exact_mismatch,
    partial_mismatch,
    unparsed_arguments,
)
from harness.expect.common import Context, EvalError, Outcome, Unmet, show
from harness.expect.kinds.checks import schema_problems
from harness.expect.structure import validator_for
from harness.spec.types import Assertion, ToolDef
from harness.tools.trajectory import CallAt, Trajectory, trajectory_of

ARGUMENT_KEYS = ("arguments", "arguments_schema", "arguments_regex")
SHOWN = 12
"""Tool names listed in a reason before it says how many more there were."""


def exchange(ctx: Context, a: Assertion | None = None) -> Trajectory:
    """The output's trajectory: the recorded one, or its single response as one step;
    with ``turn: N`` on the assertion, only the steps of user turn N.

    Raises:
        Unmet: no model response was recorded for this output.
    """
    out = ctx.output
    if out.trajectory is not None and out.trajectory.steps:
        whole = out.trajectory
    elif out.response is None:
        raise Unmet("tool calls unknown: no model response was recorded for this output")
    else:
        whole = trajectory_of(out.response)
    turn = a.options.get("turn") if a is not None else None
    if not isinstance(turn, int) or isinstance(turn, bool):
        return whole
    steps = tuple(s for s in whole.steps if s.turn == turn)
    if not steps:
        raise Unmet(f"the exchange has no turn {turn} (it had {whole.turns})")
    stop = whole.stop if turn == whole.turns else "answer"
    return replace(whole, steps=steps, stop=stop)


def calls_in(trajectory: Trajectory, step: int | None) -> list[CallAt]:
    """Every call of the exchange, or only those of model call ``step``."""
    return [c for c in trajectory.calls() if step is None or c.step == step]


def _where(trajectory: Trajectory, step: int | None) -> str:
    if step is None:
        return ""
    if step > len(trajectory.steps):
        return f" in step {step} (the exchange has {len(trajectory.steps)} step(s))"
    return f" in step {step}"


def _names(names: Sequence[str], sep: str = ", ") -> str:
    if not names:
        return "none"
    shown = sep.join(names[:SHOWN])
    return shown if len(names) <= SHOWN else f"{shown}{sep}... ({len(names)} in all)"


def _call_text(c: CallAt) -> str:
    return f"{c.call.name}({show(dict(c.call.arguments), 50)}) at step {c.step}"


def _undeclared(name: str, ctx: Context) -> str:
    """A hint when the spec declares tools and ``name`` is none of them (a typo in the spec)."""
    declared = [t.name for t in ctx.spec.tools]
    if not declared or name in declared:
        return ""
    close = difflib.get_close_matches(name, declared, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"; note: the spec declares no tool {name!r}{hint}"


def count_bounds(times: int | Mapping[str, int]) -> tuple[int, int | None, str]:
    """``times`` as (least, most or None, words): ``2`` -> exactly 2, ``{min: 1}`` -> at least 1."""
    if isinstance(times, int):
        return times, times, f"exactly {times}"
    low, high = times.get("min", 0), times.get("max")
    if high is None:
        return low, None, f"at least {low}"
    if "min" not in times:
        return 0, high, f"at most {high}"
    return low, high, f"{low} to {high}"


def tool_called(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Tool ``value`` was called (in ``step``, when given) with arguments matching
    ``arguments`` / ``arguments_schema`` / ``arguments_regex``; with ``times``, that many
    matching calls (a number, or ``{min, max}``)."""
    trajectory = exchange(ctx, a)
    step: int | None = a.options.get("step")
    where = _where(trajectory, step)
    calls = calls_in(trajectory, step)
    named = [c for c in calls if c.call.name == a.value]
    matching: list[CallAt] = []
    problems: list[str] = []
    for c in named:
        problem = arguments_mismatch(a.options, c.call.arguments)
        if problem is None:
            matching.append(c)
        else:
            problems.append(f"{problem} (step {c.step})" if len(trajectory.steps) > 1 else problem)
    times = a.options.get("times")
    if times is not None:
        return _counted(a, times, matching, problems, where)
    if matching:
        first = matching[0]
        shown = show(dict(first.call.arguments), 60)
        at = f" at step {first.step}" if step is None and len(trajectory.steps) > 1 else ""
        return Outcome.check(True, f"called {a.value!r}{where} with {shown}{at}")
    if not named:
        made = _names(sorted({c.call.name for c in calls}))
        return Outcome.check(
            False,
            f"expected a call to {a.value!r}{where}; tools called{where}: {made}; "
            f"text {show(ctx.output.text, 40)}{_undeclared(str(a.value), ctx)}",
        )
    return Outcome.check(
        False,
        f"called {a.value!r} {len(named)} time(s){where}, arguments never matched: {problems[0]}",
    )


def _counted(
    a: Assertion,
    times: int | Mapping[str, int],
    matching: list[CallAt],
    problems: list[str],
    where: str,
) -> Outcome:
    low, high, want = count_bounds(times)
    n = len(matching)
    ok = n >= low and (high is None or n <= high)
    what = " with matching arguments" if any(k in a.options for k in ARGUMENT_KEYS) else ""
    steps = [str(n) for n in sorted({c.step for c in matching})]
    at = f" (step{'s' if len(steps) > 1 else ''} {_names(steps)})" if steps else ""
    reason = f"called {a.value!r}{what} {n} time(s){where}{at}, expected {want}"
    if not ok and problems and n < low:
        reason += f"; {len(problems)} other call(s) did not match: {problems[0]}"
    return Outcome.check(ok, reason)


def no_tool_called(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """No tool call at all (in ``step``, when given), or, with ``value``, no call to that tool."""
    trajectory = exchange(ctx, a)
    step: int | None = a.options.get("step")
    where = _where(trajectory, step)
    bad = [c for c in calls_in(trajectory, step) if a.value is None or c.call.name == a.value]
    if not bad:
        what = f"no call to {a.value!r}" if a.value is not None else "no tool called"
        return Outcome.check(True, what + where)
    names = _names([c.call.name for c in bad])
    to = "" if a.value is None else f" to {a.value!r}"
    return Outcome.check(False, f"expected no tool call{to}{where}; called: {names}")


def tool_sequence(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The tools called, in order, hold ``value`` as a subsequence (other calls may come
    between), or are exactly ``value`` with ``strict: true``. The score is the share of
    ``value`` found in order."""
    want = [str(name) for name in a.value]
    got = [c.call.name for c in exchange(ctx, a).calls()]
    called = f"called: {_names(got, ' -> ')}"
    if a.options.get("strict"):
        same = 0
        while same < min(len(want), len(got)) and want[same] == got[same]:
            same += 1
        score = same / max(len(want), len(got))
        if got == want:
            return Outcome(True, 1.0, f"called exactly {_names(want, ' -> ')}")
        if same < min(len(want), len(got)):
            diff = f"call {same + 1} is {got[same]!r}, expected {want[same]!r}"
        elif len(got) < len(want):
            diff = f"{len(got)} call(s), expected {len(want)}: {want[len(got)]!r} never came"
        else:
            diff = f"{len(got) - len(want)} call(s) after the sequence, from {got[same]!r}"
        return Outcome(False, score, f"{diff} (strict); {called}")
    found = 0
    for name in got:
        if found < len(want) and name == want[found]:
            found += 1
    if found == len(want):
        return Outcome(True, 1.0, f"{_names(want, ' -> ')} called in this order; {called}")
    after = f" after {_names(want[:found], ' -> ')}" if found else ""
    return Outcome(
        False,
        found / len(want),
        f"{found} of {len(want)} in order: {want[found]!r} not called{after}; {called}",
    )


def max_steps(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """The exchange took at most ``value`` model calls."""
    trajectory = exchange(ctx, a)
    n = len(trajectory.steps)
    ok = n <= a.value
    reason = f"{n} model call(s) {'<=' if ok else '>'} max {a.value}"
    if trajectory.stop == "max_steps":
        reason += (
            f"; the loop stopped at its limit (max_steps {trajectory.max_steps}) "
            "while the model was still calling tools"
        )
    return Outcome.check(ok, reason)


def _matches(expected: Mapping[str, Any], c: CallAt, exact: bool) -> bool:
    if c.call.name != expected["name"]:
        return False
    want = expected.get("arguments")
    if want is None:
        return True
    return (exact_mismatch if exact else partial_mismatch)(want, c.call.arguments) is None


def _pairs(
    expected: Sequence[Mapping[str, Any]], calls: Sequence[CallAt], exact: bool
) -> list[int]:
    """A largest matching of expected calls to calls made (Kuhn's augmenting paths):
    for each expected call, the index of the call it is paired with, or -1."""
    candidates = [[j for j, c in enumerate(calls) if _matches(e, c, exact)] for e in expected]
    owner = [-1] * len(calls)

    def augment(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j in seen:
                continue
            seen.add(j)
            if owner[j] < 0 or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(expected)):
        augment(i, set())
    paired = [-1] * len(expected)
    for j, i in enumerate(owner):
        if i >= 0:
            paired[i] = j
    return paired


def tool_call_f1(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """F1 of the calls made against the expected calls ``value`` (``{name, arguments?}``,
    arguments as a subset unless ``arguments_match: exact``); each expected call pairs
    with at most one call made. Passes at ``threshold`` (default 1: exactly the set)."""
    expected: list[Mapping[str, Any]] = list(a.value)
    calls = exchange(ctx, a).calls()
    paired = _pairs(expected, calls, a.options.get("arguments_match") == "exact")
    m = sum(1 for j in paired if j >= 0)
    precision = m / len(calls) if calls else 0.0
    recall = m / len(expected)
    f1 = 2 * precision * recall / (precision + recall) if m else 0.0
    need = a.threshold if a.threshold is not None else 1.0
    reason = (
        f"tool-call F1 {f1:.2f}: precision {precision:.2f} ({m} of {len(calls)} calls made "
        f"were expected), recall {recall:.2f} ({m} of {len(expected)} expected calls made)"
    )
    missing = [_expected_text(e) for e, j in zip(expected, paired, strict=True) if j < 0]
    used = {j for j in paired if j >= 0}
    extra = [_call_text(c) for j, c in enumerate(calls) if j not in used]
    if missing:
        reason += f"; missing: {'; '.join(missing[:3])}"
    if extra:
        reason += f"; unexpected: {'; '.join(extra[:3])}"
    if a.threshold is None and f1 < need:
        reason += " (without 'threshold', only the exact set of calls passes)"
    return Outcome(f1 >= need, f1, reason)


def _expected_text(e: Mapping[str, Any]) -> str:
    args = e.get("arguments")
    return f"{e['name']}({show(args, 50)})" if args is not None else str(e["name"])


def is_valid_tools_call(a: Assertion, subject: Any, ctx: Context) -> Outcome:
    """Every tool call (in ``step``, when given) names a tool of the spec's ``tools:`` and
    its arguments validate against that tool's ``parameters``. The score is the share
    of valid calls."""
    tools = {t.name: t for t in ctx.spec.tools}
    if not tools:
        raise Unmet("the spec declares no tools: is-valid-tools-call checks calls against 'tools:'")
    trajectory = exchange(ctx, a)
    step: int | None = a.options.get("step")
    calls = calls_in(trajectory, step)
    if not calls:
        raise Unmet(
            f"no tool was called{_where(trajectory, step)}: nothing to validate "
            "(add tool-called to require a call)"
        )
    problems: list[str] = []
    checked: set[str] = set()
    for c in calls:
        problem = _call_problem(c, tools, checked)
        if problem is not None:
            problems.append(f"step {c.step} call {c.position} {c.call.name!r}: {problem}")
    valid = len(calls) - len(problems)
    if not problems:
        return Outcome(True, 1.0, f"all {len(calls)} tool call(s) valid against the spec's tools")
    return Outcome(
        False,
        valid / len(calls),
        f"{len(problems)} of {len(calls)} tool call(s) invalid: {'; '.join(problems[:3])}",
    )


def _call_problem(c: CallAt, tools: Mapping[str, ToolDef], checked: set[str]) -> str | None:
    tool = tools.get(c.call.name)
    if tool is None:
        close = difflib.get_close_matches(c.call.name, list(tools), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"not a declared tool{hint}; declared: {_names(sorted(tools))}"
    unparsed = unparsed_arguments(c.call)
    if unparsed is not None:
        return unparsed
    if tool.name not in checked:  # a broken schema is the spec's fault, not the model's
        broken = schema_problems(tool.parameters)
        if broken:
            raise EvalError(f"tool {tool.name!r}'s parameters: {broken[0]}")
        checked.add(tool.name)
    errors = list(validator_for(tool.parameters).iter_errors(dict(c.call.arguments)))
    if not errors:
        return None
    return "; ".join(f"arguments{e.json_path[1:]}: {e.message}" for e in errors[:3])
