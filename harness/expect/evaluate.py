"""Evaluate a case's expectations against a model's output.

``parse_output`` prepares the text (JSON extracted when the spec has a schema);
``evaluate_case`` runs every assertion, applies ``field``, ``not-``, weights and the
threshold, and combines the verdicts. Synchronous assertions run inline (the runner
evaluates thousands of items a second); model-graded and custom ones run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from harness.drivers.base import Response
from harness.expect import behaviour, custom, judge, structure, text
from harness.expect.common import Context, EvalError, Outcome, Unmet
from harness.expect.extract import extract_json
from harness.expect.paths import resolve
from harness.expect.types import CaseVerdict, JudgeCall, Output, Verdict
from harness.spec.types import Assertion, Case, Spec
from harness.transforms.apply import assertion_context, case_output, note, unmet

Subject = Literal["text", "data", "field", "self"]
"""What an evaluator is given: the text (or field), the parsed data (or field), the field's
value (or None), or nothing (``self``: it reads the output itself)."""
SyncCheck = Callable[[Assertion, Any, Context], Outcome]
AsyncCheck = Callable[[Assertion, Any, Context], Awaitable[Outcome]]

# type -> (evaluator, what it is given as its subject)
SYNC: dict[str, tuple[SyncCheck, Subject]] = {
    "equals": (text.equals, "text"),
    "contains": (text.contains, "text"),
    "icontains": (text.icontains, "text"),
    "contains-any": (text.contains_any, "text"),
    "contains-all": (text.contains_all, "text"),
    "starts-with": (text.starts_with, "text"),
    "ends-with": (text.ends_with, "text"),
    "regex": (text.regex, "text"),
    "one-of": (text.one_of, "text"),
    "length": (text.length, "text"),
    "similar": (text.similar, "text"),
    "is-json": (structure.is_json, "field"),
    "schema-valid": (structure.schema_valid, "self"),  # checks its schema first
    "json-equals": (structure.json_equals, "data"),
    "field-present": (structure.field_present, "self"),
    "close-to": (structure.close_to, "text"),
    "between": (structure.between, "text"),
    "max-latency-ms": (behaviour.max_latency_ms, "self"),
    "max-ttft-ms": (behaviour.max_ttft_ms, "self"),
    "max-cost-usd": (behaviour.max_cost_usd, "self"),
    "max-output-tokens": (behaviour.max_output_tokens, "self"),
    "finish-reason": (behaviour.finish_reason, "self"),
    "is-refusal": (behaviour.is_refusal, "text"),
    "tool-called": (behaviour.tool_called, "self"),
    "no-tool-called": (behaviour.no_tool_called, "self"),
}
ASYNC: dict[str, tuple[AsyncCheck, Subject]] = {
    "judge": (judge.judge, "text"),
    "classify": (judge.classify, "text"),
    "python": (custom.python, "text"),
}
# types whose partial score a threshold turns into pass/fail here (the others apply it
# themselves, or are all-or-nothing)
_THRESHOLD_HERE = frozenset({"contains-all"})


def parse_output(
    text: str, schema: Mapping[str, Any] | None, *, response: Response | None = None
) -> Output:
    """Prepare a model's text for assertions, extracting JSON when a schema is set.

    A value the driver already parsed (``response.parsed``, from a native structured-output
    mode) is used as is; otherwise the JSON is extracted from code fences and chatter and,
    failing that, repaired (``repaired=True``). ``parse_error`` says why nothing came out.
    """
    if schema is None:
        return Output(text=text, response=response)
    if response is not None and response.parsed is not None:
        return Output(text=text, parsed=response.parsed, response=response)
    got = extract_json(text)
    if got.error is not None:
        return Output(text=text, parse_error=got.error, response=response)
    return Output(text=text, parsed=got.value, repaired=got.repaired, response=response)


async def evaluate_case(
    spec: Spec,
    case: Case,
    output: Output,
    *,
    judge: JudgeCall | None = None,
    judge_model: str | None = None,
) -> CaseVerdict:
    """Run every expectation of ``case`` on ``output`` and combine them.

    Args:
        spec: the case's spec (its schema, judge model and path are used).
        case: the case; ``case.threshold`` already defaults to the spec's.
        output: from :func:`parse_output`.
        judge: how ``judge`` and ``classify`` call a model (the runner's driver pool).
        judge_model: the project default judge (``defaults.judge``), used when neither
            the assertion's ``model`` nor the spec's ``judge`` is set.
    """
    if not case.expect:
        return CaseVerdict(True, 1.0, (), "no expectations")
    prepared = case_output(spec, case, output)  # the spec's or case's transforms
    if isinstance(prepared, str):  # the answer could not be turned
        return combine(tuple(unmet(a, prepared) for a in case.expect), case.threshold)
    ctx = Context(spec, case, prepared, judge, judge_model)
    verdicts: list[Verdict | None] = []
    pending: list[tuple[int, Assertion, Context]] = []
    for i, a in enumerate(case.expect):
        actx = assertion_context(a, ctx)  # the assertion's own transforms
        if isinstance(actx, Verdict):
            verdicts.append(actx)
        elif a.type in ASYNC:
            pending.append((i, a, actx))
            verdicts.append(None)
        else:
            verdicts.append(note(evaluate_sync(a, actx), actx.output))
    if pending:
        done = await asyncio.gather(*(evaluate_async(a, c) for _, a, c in pending))
        for (i, _, c), verdict in zip(pending, done, strict=True):
            verdicts[i] = note(verdict, c.output)
    final = tuple(v for v in verdicts if v is not None)
    return combine(final, case.threshold)


def evaluate_sync(a: Assertion, ctx: Context) -> Verdict:
    """One synchronous assertion's verdict (an async type gives an error verdict)."""
    entry = SYNC.get(a.type)
    if entry is None:
        return _error(a, f"unknown assertion type {a.type!r}", None)
    check, kind = entry
    try:
        outcome = check(a, _subject(a, kind, ctx), ctx)
    except Unmet as exc:
        return _verdict(a, Outcome(False, 0.0, str(exc)), flip=False)
    except EvalError as exc:
        return _error(a, str(exc), exc.raw)
    except Exception as exc:  # a bug in one assertion must not take the run down
        return _error(a, f"internal error in {a.type}: {type(exc).__name__}: {exc}", None)
    return _verdict(a, outcome, flip=a.negate)


async def evaluate_async(a: Assertion, ctx: Context) -> Verdict:
    """One model-graded or custom assertion's verdict."""
    check, kind = ASYNC[a.type]
    try:
        outcome = await check(a, _subject(a, kind, ctx), ctx)
    except Unmet as exc:
        return _verdict(a, Outcome(False, 0.0, str(exc)), flip=False)
    except EvalError as exc:
        return _error(a, str(exc), exc.raw)
    except Exception as exc:  # a bug in one assertion must not take the run down
        return _error(a, f"internal error in {a.type}: {type(exc).__name__}: {exc}", None)
    return _verdict(a, outcome, flip=a.negate)


def _subject(a: Assertion, kind: Subject, ctx: Context) -> Any:
    if kind == "self":
        return None
    if a.field is not None:
        return resolve(ctx.data(), a.field)
    if kind == "text":
        return ctx.output.text
    if kind == "data":
        return ctx.data()
    return None


def _verdict(a: Assertion, o: Outcome, *, flip: bool) -> Verdict:
    passed, score, reason = o.passed, o.score, o.reason
    if a.threshold is not None and a.type in _THRESHOLD_HERE:
        passed = score >= a.threshold
        reason = f"{reason} (score {score:.2f} {'>=' if passed else '<'} {a.threshold:.2f})"
    if flip:
        now = "passed" if not passed else "failed"
        was = "failed" if not passed else "passed"
        reason = f"{a.label} {now} because {a.type} {was}: {reason}"
        passed, score = not passed, 1.0 - score
    elif a.negate:  # an unmet output fails whatever the prefix says
        reason = f"{a.label} failed, not flipped: {reason}"
    return Verdict(a.label, passed, _clamp(score), reason, a.weight, a.field, None, o.raw)


def _error(a: Assertion, message: str, raw: str | None) -> Verdict:
    return Verdict(a.label, False, 0.0, f"error: {message}", a.weight, a.field, message, raw)


def _clamp(score: float) -> float:
    return 0.0 if score < 0 else 1.0 if score > 1 else score


def combine(verdicts: tuple[Verdict, ...], threshold: float | None) -> CaseVerdict:
    """A case's verdict from its assertions' verdicts.

    The score is ``sum(weight * score) / sum(weight)``; weight-0 assertions are reported
    but count for nothing. Without a threshold the case passes when every counted
    assertion passes; with one, when the score reaches it. An error always fails the case.
    """
    counted = [v for v in verdicts if v.weight > 0]
    if not counted:
        return CaseVerdict(True, 1.0, verdicts, "no weighted expectations")
    total = sum(v.weight for v in counted)
    score = _clamp(sum(v.weight * v.score for v in counted) / total)
    errors = [v for v in counted if v.error is not None]
    failed = [v for v in counted if not v.passed]
    if errors:
        first = errors[0]
        reason = (
            f"{len(errors)} expectation(s) could not be evaluated; {first.assertion}: {first.error}"
        )
        return CaseVerdict(False, score, verdicts, reason)
    if threshold is not None:
        passed = score >= threshold
        word = ">=" if passed else "<"
        tail = f"; failed: {', '.join(v.assertion for v in failed)}" if failed else ""
        return CaseVerdict(
            passed, score, verdicts, f"score {score:.2f} {word} threshold {threshold:.2f}{tail}"
        )
    if failed:
        names = ", ".join(v.assertion for v in failed[:5])
        return CaseVerdict(
            False,
            score,
            verdicts,
            f"{len(failed)} of {len(counted)} failed: {names}; {failed[0].reason}",
        )
    return CaseVerdict(True, score, verdicts, f"all {len(counted)} passed")
