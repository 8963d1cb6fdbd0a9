"""Evaluate a case's expectations against a model's output.

``parse_output`` prepares the text (JSON extracted when the spec has a schema);
``evaluate_case`` runs every assertion, applies ``field``, ``not-``, weights and the
threshold, and combines the verdicts. Synchronous assertions run inline (the runner
evaluates thousands of items a second); model-graded and custom ones run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from harness.drivers.base import Response
from harness.embed.base import EmbedCall
from harness.errors import PluginError
from harness.expect.common import Context, EvalError, Outcome, Unmet, compare
from harness.expect.declare import AssertionType, Subject
from harness.expect.extract import extract_json
from harness.expect.paths import resolve
from harness.expect.registry import TYPES
from harness.expect.types import CaseVerdict, JudgeCall, Output, Verdict
from harness.spec.types import Assertion, Case, Spec
from harness.transforms.apply import assertion_context, case_output, note, unmet


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
    embed: EmbedCall | None = None,
    embedder: str | None = None,
) -> CaseVerdict:
    """Run every expectation of ``case`` on ``output`` and combine them.

    Args:
        spec: the case's spec (its schema, judge model and path are used).
        case: the case; ``case.threshold`` already defaults to the spec's.
        output: from :func:`parse_output`.
        judge: how ``judge`` and ``classify`` call a model (the runner's driver pool).
        judge_model: the project default judge (``defaults.judge``), used when neither
            the assertion's ``model`` nor the spec's ``judge`` is set.
        embed: how ``semantic-similar`` embeds texts (the runner's, through its drivers
            and cassettes); without it only local embedders work.
        embedder: the project default embedder (``defaults.embedder``).
    """
    if not case.expect:
        return CaseVerdict(True, 1.0, (), "no expectations")
    prepared = case_output(spec, case, output)  # the spec's or case's transforms
    if isinstance(prepared, str):  # the answer could not be turned
        return combine(tuple(unmet(a, prepared) for a in case.expect), case.threshold)
    ctx = Context(spec, case, prepared, judge, judge_model, embed, embedder)
    verdicts: list[Verdict | None] = []
    pending: list[tuple[int, Assertion, Context]] = []
    for i, a in enumerate(case.expect):
        info = _declared(a)
        if isinstance(info, str):
            verdicts.append(_error(a, info, None))
            continue
        actx = assertion_context(a, ctx)  # the assertion's own transforms
        if isinstance(actx, Verdict):
            verdicts.append(actx)
        elif info.is_async:
            pending.append((i, a, actx))
            verdicts.append(None)
        else:
            verdicts.append(note(_evaluate_sync(a, info, actx), actx.output))
    if pending:
        done = await asyncio.gather(*(evaluate_async(a, c) for _, a, c in pending))
        for (i, _, c), verdict in zip(pending, done, strict=True):
            verdicts[i] = note(verdict, c.output)
    final = tuple(v for v in verdicts if v is not None)
    return combine(final, case.threshold)


def _declared(a: Assertion) -> AssertionType | str:
    """The assertion's type, or why there is none (an error verdict's message)."""
    try:
        return TYPES[a.type]
    except KeyError:
        return f"unknown assertion type {a.type!r}"
    except PluginError as exc:
        return str(exc)


def evaluate_sync(a: Assertion, ctx: Context) -> Verdict:
    """One synchronous assertion's verdict (an async type gives an error verdict)."""
    info = _declared(a)
    if isinstance(info, str):
        return _error(a, info, None)
    if info.is_async:
        return _error(a, f"{a.type} is async: evaluate it with evaluate_case", None)
    return _evaluate_sync(a, info, ctx)


def _evaluate_sync(a: Assertion, info: AssertionType, ctx: Context) -> Verdict:
    try:
        outcome = info.evaluate(a, _subject(a, info.subject, ctx), ctx)
        assert isinstance(outcome, Outcome), f"{a.type} returned {type(outcome).__name__}"
    except Unmet as exc:
        return _verdict(a, info, Outcome(False, 0.0, str(exc)), flip=False)
    except EvalError as exc:
        return _error(a, str(exc), exc.raw)
    except Exception as exc:  # a bug in one assertion must not take the run down
        return _error(a, f"internal error in {a.type}: {type(exc).__name__}: {exc}", None)
    return _verdict(a, info, outcome, flip=a.negate)


async def evaluate_async(a: Assertion, ctx: Context) -> Verdict:
    """One model-graded or custom assertion's verdict."""
    info = _declared(a)
    if isinstance(info, str):
        return _error(a, info, None)
    if not info.is_async:
        return _evaluate_sync(a, info, ctx)
    try:
        outcome = await info.evaluate(a, _subject(a, info.subject, ctx), ctx)  # type: ignore[misc]
        assert isinstance(outcome, Outcome), f"{a.type} returned {type(outcome).__name__}"
    except Unmet as exc:
        return _verdict(a, info, Outcome(False, 0.0, str(exc)), flip=False)
    except EvalError as exc:
        return _error(a, str(exc), exc.raw)
    except Exception as exc:  # a bug in one assertion must not take the run down
        return _error(a, f"internal error in {a.type}: {type(exc).__name__}: {exc}", None)
    return _verdict(a, info, outcome, flip=a.negate)


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


def _verdict(a: Assertion, info: AssertionType, o: Outcome, *, flip: bool) -> Verdict:
    passed, score, reason = o.passed, o.score, o.reason
    if a.threshold is not None and info.scored:
        passed = score >= a.threshold
        reason = f"{reason} (score {compare(score, a.threshold)})"
    if flip:
        now = "passed" if not passed else "failed"
        was = "failed" if not passed else "passed"
        reason = f"{a.label} {now} because {a.type} {was}: {reason}"
        passed, score = not passed, 1.0 - score
    elif a.negate:  # an unmet output fails whatever the prefix says
        reason = f"{a.label} failed, not flipped: {reason}"
    return Verdict(
        a.label, passed, _clamp(score), reason, a.weight, a.field, None, o.raw, a.metric, o.cost_usd
    )


def _error(a: Assertion, message: str, raw: str | None) -> Verdict:
    return Verdict(
        a.label, False, 0.0, f"error: {message}", a.weight, a.field, message, raw, a.metric
    )


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
        got, word, need = compare(score, threshold).split(" ")
        tail = f"; failed: {', '.join(v.assertion for v in failed)}" if failed else ""
        return CaseVerdict(passed, score, verdicts, f"score {got} {word} threshold {need}{tail}")
    if failed:
        names = ", ".join(v.assertion for v in failed[:5])
        return CaseVerdict(
            False,
            score,
            verdicts,
            f"{len(failed)} of {len(counted)} failed: {names}; {failed[0].reason}",
        )
    return CaseVerdict(True, score, verdicts, f"all {len(counted)} passed")
