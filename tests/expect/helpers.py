"""Builders for expectation tests: specs, cases, outputs and one-assertion verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.drivers.base import Response
from harness.expect.common import Context
from harness.expect.evaluate import evaluate_case, evaluate_sync, parse_output
from harness.expect.types import CaseVerdict, JudgeCall, Output, Verdict
from harness.spec.types import Assertion, Case, PromptTemplate, Spec

_UNSET: Any = object()


def make_spec(
    *, schema: Mapping[str, Any] | None = None, judge: str | None = None, path: str = "s.yaml"
) -> Spec:
    """A minimal spec."""
    return Spec(
        name="s",
        path=path,
        prompt=PromptTemplate((("user", "{{ q }}"),)),
        cases=(),
        schema=schema,
        judge=judge,
    )


def make_case(
    *expect: Assertion, vars: Mapping[str, Any] | None = None, threshold: float | None = None
) -> Case:
    """A case holding the given assertions."""
    return Case(id="c1", vars=dict(vars or {}), expect=expect, threshold=threshold)


def output(
    text: str = "",
    *,
    parsed: Any = _UNSET,
    schema: Mapping[str, Any] | None = None,
    response: Response | None = None,
) -> Output:
    """An output as the runner builds it; ``parsed`` overrides the extraction."""
    if parsed is not _UNSET:
        return Output(text=text, parsed=parsed, response=response)
    return parse_output(text, schema, response=response)


def check(
    assertion: Assertion,
    text: str = "",
    *,
    parsed: Any = _UNSET,
    spec: Spec | None = None,
    response: Response | None = None,
) -> Verdict:
    """The verdict of one synchronous assertion."""
    spec = spec or make_spec()
    out = output(text, parsed=parsed, schema=spec.schema, response=response)
    return evaluate_sync(assertion, Context(spec, make_case(assertion), out))


async def run(
    *assertions: Assertion,
    text: str = "",
    parsed: Any = _UNSET,
    spec: Spec | None = None,
    response: Response | None = None,
    judge: JudgeCall | None = None,
    judge_model: str | None = None,
    threshold: float | None = None,
    vars: Mapping[str, Any] | None = None,
) -> CaseVerdict:
    """The case verdict of the given assertions on one output."""
    spec = spec or make_spec()
    out = output(text, parsed=parsed, schema=spec.schema, response=response)
    case = make_case(*assertions, vars=vars, threshold=threshold)
    return await evaluate_case(spec, case, out, judge=judge, judge_model=judge_model)


def assert_verdict(v: Verdict, passed: bool, *reason_parts: str) -> None:
    """The verdict passed as expected, its score agrees, and its reason names the parts."""
    assert v.passed is passed, v.reason
    assert 0.0 <= v.score <= 1.0
    if v.error is None and v.score in (0.0, 1.0):
        assert (v.score == 1.0) is passed or v.assertion.startswith("not-"), v
    for part in reason_parts:
        assert part in v.reason, f"{part!r} not in {v.reason!r}"
    assert "\n" not in v.reason, "a reason is one line"
